"""`python -m workflows contract --data F --target C [--positive L]` (make contract):
draft the data contract.

Reads the table, drafts a contract (workflows/domain/draft.py), writes it to
contract.yaml (or CONTRACT=) and prints a table of what it decided for each
column and why. The same table gives the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from workflows.cli.refusal import refuse

# Reasons too plain to repeat beside every line of the file.
_UNREMARKABLE = ("numbers",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", help="the CSV or Parquet table to draft from")
    parser.add_argument("--target", help="the label column")
    parser.add_argument("--positive", help="the positive label (default: chosen)")
    parser.add_argument("--output", default="", help="where to write it (default: CONTRACT=)")


def run(args: argparse.Namespace) -> int:
    return draft_contract(args.data, args.target, args.positive, args.output)


def draft_contract(data: str | None, target: str | None, positive: str | None, output: str) -> int:
    from workflows.domain import contract as data_contract
    from workflows.domain.data import DataLoadError, read_table
    from workflows.domain.draft import DraftError, draft
    from workflows.settings import CONTRACT_FILE

    if not data or not target:
        return refuse("give both DATA=<csv or parquet> and TARGET=<label column>")
    path = Path(output or os.environ.get("CONTRACT") or CONTRACT_FILE)
    try:
        frame = read_table(data)
        contract, decisions = draft(frame, target, positive, source=_source(data, path))
    except (DataLoadError, DraftError) as err:
        return refuse(err)
    notes = {d.column: d.why for d in decisions if d.why not in _UNREMARKABLE}
    path.write_text(data_contract.dump(contract, notes), encoding="utf-8")
    _print_table(decisions)
    print(
        f"\nwrote {path} from {len(frame)} rows x {len(frame.columns)} columns of {data}.\n"
        f"Review it (kinds, `missing`, ignored columns, target.positive), commit it, then:\n"
        f"  make run DATA={data}"
    )
    if Path(contract.source).is_absolute():
        print(
            f"\nnote: source: {contract.source} lies outside {path.resolve().parent}, where "
            "CI and your teammates cannot read it: move the table into the project, or to "
            "storage they reach (s3://...), and point source: at it"
        )
    return 0


def _source(data: str, contract_path: Path) -> str:
    """How the contract names its table: a URI as given; a local file relative to
    the contract's folder when it lies inside it (the project), else absolute."""
    if ":" in data.split("/", 1)[0] or not Path(data).exists():
        return data
    table, home = Path(data).resolve(), contract_path.resolve().parent
    return str(table.relative_to(home)) if table.is_relative_to(home) else str(table)


def _print_table(decisions) -> None:
    width = min(max(len(d.column) for d in decisions), 40)
    print(f"{'column':<{width}}  {'decision':<11}  why")
    for d in decisions:
        print(f"{d.column[:width]:<{width}}  {d.decision:<11}  {d.why}")
