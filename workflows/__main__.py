"""`python -m workflows <command>`: the command lines of workflows/cli."""

import gc
import os
import sys

# A command imports ~2,000 modules (MLflow, scikit-learn, pandas, Evidently) whose
# objects live until it exits, and CPython's collector rescans them on every pass
# over the older generations. Collecting young objects every 50,000 allocations
# rather than 700 took ~0.7 s off a 1,000-row `make score` (~8 s, 2-core machine).
GC_THRESHOLD = (50_000, 10, 10)

if __name__ == "__main__":
    gc.set_threshold(*GC_THRESHOLD)
    from workflows.cli.main import main

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    if sys.argv[1:2] == ["serve"]:
        # The server is stopped and reaped, and nothing is left to write but our own
        # buffers: skip the interpreter's teardown of mlflow, scikit-learn and pandas,
        # measured at 3-4 s of a 4 s stop on a busy 2-core machine.
        os._exit(code)
    # Other commands keep their atexit work (MLflow's); only the collector's last
    # passes over every object, ~2 s of teardown, are skipped: frozen objects are
    # never collected, and the process is ending anyway.
    gc.freeze()
    sys.exit(code)
