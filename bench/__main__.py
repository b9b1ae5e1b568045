"""`make bench`: measured numbers, printed and written to .bench/results.json."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench import pipeline

RESULTS = Path(__file__).resolve().parents[1] / ".bench" / "results.json"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    results = {"pipeline": pipeline.compare(args.runs)}
    print(pipeline.report(results["pipeline"]))

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
