"""`make bench`: measured numbers, printed and written to .bench/results.json.

The parts are the measuring modules present in bench/, each with `measure` and
`report`: serving (server candidates side by side, and the time from `make run`
to the first answer of the new version while `make serve` runs), scale
(10k/100k/1M synthetic rows), scoring (make score's rows/s and peak memory at
1k, 10k and 1M rows), and any other measuring module placed in bench/ (its own
docstring says what it compares). `--only` runs one part and keeps the other
parts' last results in the file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / ".bench" / "results.json"
REPEATED = ("pipeline", "serving", "scoring")  # parts that take --runs
PARTS = tuple(p for p in ("pipeline", "serving", "scale", "scoring") if (HERE / f"{p}.py").exists())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    parts = args.only or list(PARTS)

    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for part in PARTS:
        if part not in parts:
            continue
        module = importlib.import_module(f"bench.{part}")
        # scale runs once per size: a 1M-row pipeline is long enough on its own.
        results[part] = module.measure(args.runs) if part in REPEATED else module.measure()
        results[part]["measured"] = _when_and_where()
        print(module.report(results[part]) + "\n", flush=True)
        # Written after each part: a later part failing keeps the earlier numbers.
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2))

    print(f"written to {RESULTS}")


def _when_and_where() -> str:
    """The date, the machine and how busy it was: absolute numbers mean nothing without them."""
    load = os.getloadavg()[0]
    return (
        f"{time.strftime('%Y-%m-%d', time.gmtime())} on {os.cpu_count()} CPUs "
        f"({platform.machine()}, {platform.system()}), load average {load:.1f} at the end"
    )


if __name__ == "__main__":
    main()
