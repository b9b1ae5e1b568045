"""What `flytectl register files` prints, for tests of ci/flyte.py and the CLI.

The table as flytectl 0.9.8 prints it (cmd/register/register_util.go and
pkg/printer in flyteorg/flyte): bordered, upper-case headers in colour, long
cells wrapped onto lines of their own, then "N rows". One row per entity:
Success + "Successfully registered file"; Success + "AlreadyExists" (an
identical entity exists); Failed + the error.
"""

from __future__ import annotations

import textwrap

NEW = (
    "/tmp/register1/0_workflows.flyte.tasks.prepare_1.pb",
    "Success",
    "Successfully registered file",
)
OLD = ("/tmp/register1/1_workflows.flyte.tasks.train_1.pb", "Success", "AlreadyExists")
OLD2 = ("/tmp/register1/2_workflows.pipeline.training_2.pb", "Success", "AlreadyExists")
FAILED = (
    "/tmp/register1/3_project.training_3.pb", "Failed",
    "Error registering file due to rpc error: code = Internal desc = failed to create",
)  # fmt: skip


def table(*rows: tuple[str, str, str]) -> str:
    """What flytectl prints: log lines, the bordered table, "N rows"."""
    header = ("NAME", "STATUS", "ADDITIONAL INFO")
    lines = [(name, status, textwrap.wrap(info, 30)) for name, status, info in rows]
    widths = [
        max(len(header[0]), *(len(n) for n, _, _ in lines)),
        max(len(header[1]), *(len(s) for _, s, _ in lines)),
        max(len(header[2]), *(len(part) for _, _, info in lines for part in info)),
    ]

    def row(cells) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    border = " " + " ".join("-" * (w + 2) for w in widths) + " "
    coloured = row(header).replace("NAME", "\x1b[107mNAME\x1b[0m")
    out = ["INFO[0000] Parsing file... Total(4)", border, coloured, border]
    for name, status, info in lines:
        out.append(row((name, status, info[0])))
        out += [row(("", "", part)) for part in info[1:]]
    return "\n".join([*out, border, f"{len(rows)} rows", ""])
