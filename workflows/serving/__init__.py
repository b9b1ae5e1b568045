"""Serving `@<domain>` over HTTP on this machine (make serve).

hosting   the in-process server: MLflow's scoring code, alias following, 400s naming columns
batching  requests that queue together answered by one call of the model
launcher  what `python -m workflows serve` starts: in-process, or `mlflow models serve`
"""

# The command line's defaults, here so that parsing `python -m workflows ...`
# never imports the server (launcher pulls in urllib, subprocess, MLflow paths).
DEFAULT_PORT = 5001
DEFAULT_POLL_SECONDS = 2.0  # between looks at the alias
SERVERS = ("pyfunc", "mlflow")
