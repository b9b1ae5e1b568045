"""`python -m workflows contract --data F --target C [--positive L] [--task T]`
(make contract): draft the data contract.

Sniffs how a CSV is written (delimiter, decimal mark, thousands separator,
encoding), counts the cells that look like missing-value markers, reads the
table, drafts a contract (workflows/domain/draft.py), writes it to
contract.yaml (or CONTRACT=) and prints a table of what it decided for each
column, whether it may be missing and why, then what to review first. The
same table gives the same file, byte for byte.

`--write-schema` writes the JSON Schema of the contract file
(contract.schema.json) from the one pydantic model that checks it.
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
    parser.add_argument(
        "--task", help="binary | multiclass | regression (default: drafted from the target)"
    )
    parser.add_argument("--output", default="", help="where to write it (default: CONTRACT=)")
    parser.add_argument(
        "--write-schema", action="store_true", help="write contract.schema.json and stop"
    )


def run(args: argparse.Namespace) -> int:
    if args.write_schema:
        from workflows.settings import PROJECT_ROOT

        path = PROJECT_ROOT / SCHEMA_FILE
        path.write_text(schema_text(), encoding="utf-8")
        print(f"wrote {path}")
        return 0
    return draft_contract(
        args.data, args.target, args.positive, args.output, getattr(args, "task", None)
    )


SCHEMA_FILE = "contract.schema.json"


def schema_text() -> str:
    """contract.schema.json as committed: the pydantic model's JSON Schema."""
    import json

    from workflows.domain.contract import json_schema

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def draft_contract(
    data: str | None,
    target: str | None,
    positive: str | None,
    output: str,
    task: str | None = None,
) -> int:
    from workflows.domain import contract as data_contract
    from workflows.domain import data as tables
    from workflows.domain.data import DataLoadError
    from workflows.domain.draft import DraftError, draft
    from workflows.settings import CONTRACT_FILE, PROJECT_ROOT

    if not data or not target:
        return refuse("give both DATA=<csv or parquet> and TARGET=<label column>")
    path = Path(output or os.environ.get("CONTRACT") or CONTRACT_FILE)
    try:
        frame, evidence = _read(data)
        tables.with_rows(frame, data)
        contract, decisions = draft(
            frame, target, positive, _source(data, path), evidence, task or None
        )
    except (DataLoadError, DraftError) as err:
        return refuse(err)
    notes = {d.column: d.why for d in decisions if d.why not in _UNREMARKABLE}
    schema = os.path.relpath(PROJECT_ROOT / SCHEMA_FILE, path.resolve().parent)
    path.write_text(data_contract.dump(contract, notes, Path(schema).as_posix()), encoding="utf-8")
    _print_table(decisions)
    table = contract.table
    print(
        f"\nwrote {path} from {len(frame)} rows x {len(frame.columns)} columns of {data}"
        + (
            f" (delimiter {table.delimiter!r}, decimal {table.decimal!r}, thousands "
            f"{table.thousands or 'none'!r}, {table.encoding})"
            if data.lower().endswith(".csv")
            else ""
        )
        + "."
    )
    _print_review(decisions, contract)
    print(f"Then commit it and run:\n  make run DATA={data}")
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


def _read(data: str):
    """The table with the types a first read gives, and what its raw text shows:
    the dialect, marker-like cells per column, the markers proposed as missing,
    and digit columns kept as text (leading zeros, integers beyond 2^53)."""
    from workflows.domain import data as tables
    from workflows.domain.draft import Evidence, exact_text_columns, markers, propose_missing

    table = tables.sniff(data)
    if not data.lower().endswith(".csv"):
        return tables.read_table(data), Evidence(table)
    names = tables.header(data, table)
    raw = tables.read_with(data, tables.Reading(table, {}, tuple(names)))
    found = markers(raw)
    proposed = propose_missing(raw, found, table)
    missing = {name: ["", *proposed.get(name, ())] for name in names}
    text = tuple(exact_text_columns(raw))
    del raw
    frame = tables.read_with(data, tables.Reading(table, missing, text))
    return frame, Evidence(table, found, proposed)


def _print_table(decisions) -> None:
    width = min(max(len(d.column) for d in decisions), 40)
    missing = max(len("missing"), *(len(d.missing) for d in decisions))
    print(f"{'column':<{width}}  {'decision':<11}  {'missing':<{missing}}  why")
    for d in decisions:
        print(f"{d.column[:width]:<{width}}  {d.decision:<11}  {d.missing:<{missing}}  {d.why}")


def _print_review(decisions, contract) -> None:
    """What to look at first: the calls a table cannot settle on its own."""
    first = [(d.column, d.review) for d in decisions if d.review]
    first += [(d.column, f"ignored: {d.why}") for d in decisions if d.decision == "ignored"]
    if contract.task == "binary":
        first.append((contract.target, f"positive label {contract.positive!r}: is it the event?"))
    first.append(
        (contract.target, f"task {contract.task}: right? (TASK=binary|multiclass|regression)")
    )
    print("Review first:")
    for column, what in first:
        print(f"  - {column}: {what}")
