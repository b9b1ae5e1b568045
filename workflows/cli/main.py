"""`python -m workflows <command> [options]`: one parser, one module per command."""

from __future__ import annotations

import argparse
import sys

from workflows.cli import contract, run, score, serve
from workflows.cli.refusal import INVALID, refuse

COMMANDS = {
    "run": run,
    "contract": contract,
    "score": score,
    "serve": serve,
}


class _Parser(argparse.ArgumentParser):
    """argparse refusing like every command does: usage, then one `error:` line, exit 2."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        sys.exit(refuse(f"{self.prog}: {message}", INVALID))


def parser() -> argparse.ArgumentParser:
    import workflows.cli

    top = _Parser(
        prog="python -m workflows",
        description=workflows.cli.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # The package docstring above lists the commands; each one's own page is its module's.
    commands = top.add_subparsers(
        dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}"
    )
    for name, module in COMMANDS.items():
        command = commands.add_parser(
            name,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
    return top


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv[1:]) and run the command; its exit code."""
    args = parser().parse_args(argv)
    return COMMANDS[args.command].run(args)
