"""Commands for pyflyte and flytectl, built in one place, and reading their answers.

Pure functions: the CLI decides whether to print (dry run) or run them.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from workflows import identity

from .errors import USAGE, CiError

PACKAGE = "workflows"
WORKFLOW = "workflows.flyte.pipeline.training_pipeline"
# The named launch plan workflows/flyte/pipeline.py declares next to the workflow.
LAUNCH_PLAN = f"{identity.FLYTE_PROJECT}.training"
DEFAULT_CONFIG = Path.home() / ".flyte" / "config.yaml"
TERMINAL_PHASES = {"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"}
FIX_CONFIG = (
    "point FLYTECTL_CONFIG (or --config) at a flytectl config whose admin.endpoint "
    "is reachable (make sandbox writes one; in GitHub set the FLYTE_ENDPOINT secret)"
)


# --- commands ---------------------------------------------------------------


def package_command(image: str, output: Path) -> list[str]:
    # No --copy/--fast: the image is tagged by commit and already holds the code
    # (see ci/image.py), so tasks need nothing uploaded next to the archive.
    # SERVING_IMAGE: the deploy step rolls out this same image as the model server,
    # and a task pod cannot learn its own image otherwise (propeller sets no
    # FLYTE_INTERNAL_IMAGE), so every task gets it in its container env.
    return [
        "pyflyte", "--pkgs", PACKAGE, "package",
        "--image", image, "--env", f"SERVING_IMAGE={image}",
        "--output", str(output), "--force",
    ]  # fmt: skip


def flytectl(config: Path | None, *args: str) -> list[str]:
    return ["flytectl", *(["--config", str(config)] if config else []), *args]


def register_command(
    config: Path | None, project: str, domain: str, version: str, archive: Path
) -> list[str]:
    return flytectl(
        config, "register", "files", str(archive), "--archive",
        "--project", project, "--domain", domain, "--version", version,
    )  # fmt: skip


def activate_command(
    config: Path | None, project: str, domain: str, launch_plan: str, version: str
) -> list[str]:
    """Switch a launch plan version's schedule on. Flyte keeps one active version
    per launch plan: activating this one deactivates the version active before.
    --force: without it flytectl asks "Continue?" on stdin, and in CI nobody answers."""
    return flytectl(
        config, "update", "launchplan", "--project", project, "--domain", domain,
        launch_plan, "--version", version, "--activate", "--force",
    )  # fmt: skip


def execution_spec(launch_plan: str, version: str, inputs: dict[str, str]) -> dict:
    """The --execFile content; inputs left out keep the launch plan's defaults."""
    return {"workflow": launch_plan, "version": version, "inputs": inputs}


def create_execution_command(
    config: Path | None, project: str, domain: str, spec_file: Path, name: str
) -> list[str]:
    return flytectl(
        config, "create", "execution",
        "--project", project, "--domain", domain, "--execFile", str(spec_file), name,
    )  # fmt: skip


def get_execution_command(config: Path | None, project: str, domain: str, name: str) -> list[str]:
    return flytectl(
        config, "get", "execution", "--project", project, "--domain", domain, name,
        "--output", "json",
    )  # fmt: skip


# --- answers ----------------------------------------------------------------

# flytectl 0.9 `register files` prints one table row per entity (its register_util.go):
# Status "Success" with Info "Successfully registered file" or, for an identical
# entity that exists, "AlreadyExists"; Status "Failed" with the error. The exit code
# is the error of the last file tried: it stops at the first failure, or with
# --continueOnError goes on and may exit 0 after a failed row.
_SUCCESS = "Success"
_ALREADY = "AlreadyExists"
_CONFLICT = re.compile(r"different structure|different content", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the header row is printed with a colour


@dataclass(frozen=True)
class RegisteredEntity:
    """One row of flytectl's registration table."""

    name: str
    status: str
    info: str


def registration_rows(output: str) -> list[RegisteredEntity]:
    """The rows of `flytectl register files`' table; wrapped cells are joined again."""
    rows: list[RegisteredEntity] = []
    for line in _ANSI.sub("", output).splitlines():
        line = line.strip()
        if not (line.startswith("|") and line.endswith("|")):
            continue  # borders, log lines, "N rows"
        cells = [cell.strip() for cell in line[1:-1].split("|", 2)]
        if len(cells) != 3 or [c.upper() for c in cells] == ["NAME", "STATUS", "ADDITIONAL INFO"]:
            continue
        name, status, info = cells
        if not name and not status and rows:  # a long cell's next line
            last = rows[-1]
            rows[-1] = RegisteredEntity(last.name, last.status, f"{last.info} {info}".strip())
        else:
            rows.append(RegisteredEntity(name, status, info))
    return rows


def registration_outcome(returncode: int, output: str) -> str:
    """ "registered" or "already registered"; raise when any entity was not registered.

    Success needs every row to say Success (new or AlreadyExists), and either exit 0
    or a table that shows it: one failed row fails the whole registration, whatever
    the exit code, and a non-zero exit without a table is a failure. The same version
    with *different* content is a conflict: a version must name one build.
    """
    if _CONFLICT.search(output):
        raise CiError(
            "this version is already registered with different content: "
            "a version must name one build (flytectl said: "
            f"{_last_line(output)})"
        )
    rows = registration_rows(output)
    failed = [row for row in rows if row.status != _SUCCESS]
    if failed:
        first = failed[0]
        raise CiError(
            f"flytectl register failed (exit {returncode}): {len(failed)} of {len(rows)} "
            f"entities not registered, first {first.name}: {first.info or first.status}"
        )
    if returncode != 0 and not rows:
        raise CiError(f"flytectl register failed (exit {returncode}): {_last_line(output)}")
    if rows and all(row.info == _ALREADY for row in rows):
        return "already registered"
    return "registered"


def execution_phase(output: str) -> str:
    """The phase from `flytectl get execution -o json` (object or one-item list)."""
    try:
        data = json.loads(output)
    except json.JSONDecodeError as err:
        raise CiError(f"flytectl get execution printed no JSON: {_last_line(output)}") from err
    if isinstance(data, list):
        data = data[0] if data else {}
    phase = data.get("closure", {}).get("phase", "UNDEFINED")
    return str(phase).upper()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


# --- configuration and reachability -----------------------------------------


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    insecure: bool

    @property
    def console(self) -> str:
        scheme = "http" if self.insecure else "https"
        default = 80 if self.insecure else 443
        port = "" if self.port == default else f":{self.port}"
        return f"{scheme}://{self.host}{port}/console"


def config_path(explicit: str | None) -> Path:
    """--config, else $FLYTECTL_CONFIG, else flytectl's own default."""
    chosen = explicit or os.environ.get("FLYTECTL_CONFIG") or str(DEFAULT_CONFIG)
    path = Path(chosen).expanduser()
    if not path.is_file():
        raise CiError(f"no flytectl config at {path}: {FIX_CONFIG}", USAGE)
    return path


def read_endpoint(path: Path) -> Endpoint:
    import yaml  # lazy: only register/launch need it

    try:
        admin = (yaml.safe_load(path.read_text()) or {}).get("admin") or {}
    except (yaml.YAMLError, AttributeError) as err:
        raise CiError(f"{path} is not a flytectl YAML config: {err}", USAGE) from err
    return parse_endpoint(str(admin.get("endpoint") or ""), bool(admin.get("insecure")), path)


def parse_endpoint(raw: str, insecure: bool, source: Path | str = "config") -> Endpoint:
    # flytectl accepts dns:///host:port, grpc://host:port, host:port or host.
    address = re.sub(r"^[a-z]+:/*", "", raw.strip())
    match = re.fullmatch(r"\[?([A-Za-z0-9._:-]+?)\]?(?::([0-9]{1,5}))?/?", address)
    if not address or not match:
        raise CiError(f"{source} has no usable admin.endpoint ({raw!r}): {FIX_CONFIG}", USAGE)
    port = int(match.group(2)) if match.group(2) else (80 if insecure else 443)
    return Endpoint(match.group(1), port, insecure)
