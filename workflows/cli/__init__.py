"""Command-line entry points: `python -m workflows <command>`, what the make targets run.

    run       the training pipeline end to end, as a local Flyte execution (make run)
    contract  draft the data contract from a table (make contract)
    score     batch-score a table with the model @<domain> points at (make score)
    serve     serve @<domain> over HTTP and follow the alias (make serve)

Each command is one module here; the top of the package (main.py) only
dispatches. Every command refuses the same way (refusal.py): one `error:` line on
stderr and an exit code, never a traceback. Settings come from the environment
(workflows/settings.py); results go to stdout, progress to stderr.
"""
