"""Serving `@<domain>` over HTTP on this machine (make serve).

hosting   the in-process server: MLflow's scoring code, alias following, 400s naming columns
batching  requests that queue together answered by one call of the model
launcher  what `python -m workflows serve` starts: in-process, or `mlflow models serve`
"""
