"""`python -m ci`: plan, package, register, launch. See docs/cicd.md."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

from workflows import identity
from workflows.domain.environments import DOMAINS, is_release_tag
from workflows.flyte import schedules
from workflows.settings import SettingsError, task_resources

from . import flyte, gitrepo
from .errors import FAILED, USAGE, CiError
from .image import image_for
from .refs import Plan, RefError, plan
from .run import Runner, check_reachable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARCHIVE = Path("build/flyte-package.tgz")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        raise CiError(message, USAGE)


# --- planning -----------------------------------------------------------------


def _plan(args: argparse.Namespace) -> Plan:
    repo = Path(args.repo)
    ref = args.ref or gitrepo.head_ref(repo)
    sha = args.sha or gitrepo.head_sha(repo)
    # Only a release tag's ancestry matters: branches never reach production.
    on_main = gitrepo.commit_on_main(repo, sha) if is_release_tag(ref) else None
    return plan(ref, sha, tag_on_main=on_main)


def _allowed(p: Plan) -> Plan:
    if not p.allowed:
        raise CiError(f"refused: {p.reason}")
    return p


def _target_domain(p: Plan, asked: str | None) -> str:
    """The plan's domain; by hand one may also aim any ref at development."""
    if asked in (None, p.domain):
        return p.domain
    if asked == "development":
        return asked
    raise CiError(
        f"{p.ref} plans {p.domain}; only development can be chosen by hand, not {asked}", USAGE
    )


def _github_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def cmd_plan(args: argparse.Namespace) -> int:
    p = _plan(args)
    result = {**p.as_dict(), "project": identity.FLYTE_PROJECT, "image": image_for(p.sha)}
    if args.format == "github":
        for key, value in result.items():
            print(f"{key}={_github_value(value)}")
    else:
        print(json.dumps(result, indent=2))
    if not p.allowed:
        print(f"ci: refused: {p.reason}", file=sys.stderr)
        return FAILED
    return 0


# --- package / register / launch ---------------------------------------------------


def cmd_package(args: argparse.Namespace) -> int:
    p = _allowed(_plan(args))
    schedules.read()  # what the package bakes in: a bad setting is named before pyflyte runs
    task_resources()  # likewise each task's requests and limits
    output = Path(args.output)
    runner = Runner(args.dry_run, ROOT)
    if not args.dry_run:
        output.parent.mkdir(parents=True, exist_ok=True)
    # The scheduled launch plans carry the commit and ref they were built from
    # (workflows/flyte/schedules.py): production's deploy step needs the release tag.
    os.environ.update(GIT_SHA=p.sha, GIT_REF=p.ref)
    done = runner.run(flyte.package_command(args.image or image_for(p.sha), output))
    if done.returncode != 0:
        raise CiError(f"pyflyte package failed (exit {done.returncode})")
    return 0


def _flyte_config(args: argparse.Namespace, runner: Runner) -> Path | None:
    """Check tool, config and endpoint before a real call; return --config to pass on."""
    explicit = Path(args.config) if args.config else None
    if runner.dry_run:
        return explicit
    runner.require("flytectl")
    endpoint = flyte.read_endpoint(flyte.config_path(args.config))
    check_reachable(endpoint.host, endpoint.port)
    return explicit


def cmd_register(args: argparse.Namespace) -> int:
    p = _allowed(_plan(args))
    domain = _target_domain(p, args.domain)
    archive = Path(args.archive)
    runner = Runner(args.dry_run, ROOT)
    config = _flyte_config(args, runner)
    if not args.dry_run and not archive.is_file():
        raise CiError(f"no archive at {archive}: run `python -m ci package` first", USAGE)
    command = flyte.register_command(config, identity.FLYTE_PROJECT, domain, p.version, archive)
    done = runner.run(command, capture=True)
    if not args.dry_run:
        outcome = flyte.registration_outcome(done.returncode, done.stdout or "")
        print(f"{identity.FLYTE_PROJECT}/{domain} version {p.version}: {outcome}")
    if domain == schedules.ACTIVE_IN:  # reached only from a release tag on main
        _activate_schedules(runner, config, domain, p.version)
    return 0


def _activate_schedules(runner: Runner, config: Path | None, domain: str, version: str) -> None:
    """Switch on the schedules of this version; Flyte switches off the ones of the
    version that was active before. Other domains keep theirs registered, inactive."""
    for launch_plan in schedules.SCHEDULED_LAUNCH_PLANS:
        command = flyte.activate_command(
            config, identity.FLYTE_PROJECT, domain, launch_plan, version
        )
        done = runner.run(command, capture=True)
        if done.returncode != 0:
            raise CiError(
                f"activating {launch_plan} {version} failed: {flyte._last_line(done.stdout or '')}"
            )
        if not runner.dry_run:
            print(f"{launch_plan} {version}: schedule active in {domain}")


def _console_url(args: argparse.Namespace, domain: str, name: str) -> str:
    base = os.environ.get("FLYTE_CONSOLE_URL")
    if not base:
        try:
            base = flyte.read_endpoint(flyte.config_path(args.config)).console
        except CiError:
            base = "<flyte-console>"
    project = identity.FLYTE_PROJECT
    return f"{base.rstrip('/')}/projects/{project}/domains/{domain}/executions/{name}"


def cmd_launch(args: argparse.Namespace) -> int:
    p = _allowed(_plan(args))
    domain = _target_domain(p, args.domain)
    runner = Runner(args.dry_run, ROOT)
    config = _flyte_config(args, runner)
    # Named up front so the wait loop (and a dry run) can print exact commands.
    name = args.name or f"ci{p.sha[:7]}{secrets.token_hex(4)}"
    spec = flyte.execution_spec(args.launch_plan, p.version, {"git_sha": p.sha, "git_ref": p.ref})
    spec_file = Path(args.spec_dir) / f"execution-{name}.json"
    project = identity.FLYTE_PROJECT
    if args.dry_run:
        print(f"# {spec_file}: {json.dumps(spec)}")
    else:
        spec_file.parent.mkdir(parents=True, exist_ok=True)
        spec_file.write_text(json.dumps(spec, indent=2))
    create = flyte.create_execution_command(config, project, domain, spec_file, name)
    done = runner.run(create, capture=True)
    if done.returncode != 0:
        raise CiError(f"flytectl create execution failed: {flyte._last_line(done.stdout or '')}")
    url = _console_url(args, domain, name)
    print(f"execution: {url}", flush=True)
    if args.no_wait:
        return 0
    return _wait(runner, flyte.get_execution_command(config, project, domain, name), url, args)


def _wait(runner: Runner, command: list[str], url: str, args: argparse.Namespace) -> int:
    if runner.dry_run:
        runner.show(command)
        print(f"# repeated every {args.poll}s until the phase is one of "
              f"{sorted(flyte.TERMINAL_PHASES)}")  # fmt: skip
        return 0
    deadline = time.monotonic() + args.timeout
    phase = "UNDEFINED"
    while time.monotonic() < deadline:
        done = runner.run(command, capture=True)
        if done.returncode == 0:
            phase = flyte.execution_phase(done.stdout or "")
            print(f"phase: {phase}", file=sys.stderr, flush=True)
            if phase in flyte.TERMINAL_PHASES:
                break
        time.sleep(args.poll)
    else:
        raise CiError(f"execution still {phase} after {args.timeout}s: {url}")
    if phase != "SUCCEEDED":
        raise CiError(f"execution ended {phase}: {url}")
    print(f"execution succeeded: {url}")
    return 0


# --- parser ---------------------------------------------------------------------


def _target_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--ref", help="full git ref, e.g. refs/heads/main (default: HEAD's)")
    sub.add_argument("--sha", help="40-hex commit sha (default: HEAD)")
    # Always a repository: a release tag whose ancestry was not checked is refused.
    sub.add_argument(
        "--repo", default=".", help="git repository to read HEAD and check a tag against main"
    )


def _action_args(sub: argparse.ArgumentParser, flyte_call: bool) -> None:
    _target_args(sub)
    sub.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    if flyte_call:
        sub.add_argument("--config", help="flytectl config (default: $FLYTECTL_CONFIG)")
        sub.add_argument("--domain", choices=DOMAINS, help="default: the plan's domain")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m ci", description=__doc__)
    subs = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub = subs.add_parser("plan", help="ref + sha -> domain, version, alias, image")
    _target_args(sub)
    sub.add_argument("--format", choices=("json", "github"), default="json")
    sub.set_defaults(func=cmd_plan)

    sub = subs.add_parser("package", help="pyflyte package for the planned image")
    _action_args(sub, flyte_call=False)
    sub.add_argument("--output", default=str(DEFAULT_ARCHIVE))
    sub.add_argument("--image", help="override the planned image (tests, local runs)")
    sub.set_defaults(func=cmd_package)

    sub = subs.add_parser("register", help="flytectl register files the package archive")
    _action_args(sub, flyte_call=True)
    sub.add_argument("--archive", default=str(DEFAULT_ARCHIVE))
    sub.set_defaults(func=cmd_register)

    sub = subs.add_parser("launch", help="run the launch plan at the planned version, wait")
    _action_args(sub, flyte_call=True)
    sub.add_argument("--launch-plan", default=flyte.LAUNCH_PLAN)
    sub.add_argument("--name", help="execution name (default: ci<sha7><random>)")
    sub.add_argument("--spec-dir", default="build")
    sub.add_argument("--no-wait", action="store_true")
    sub.add_argument("--poll", type=float, default=15.0, help="seconds between status checks")
    sub.add_argument("--timeout", type=float, default=7200.0, help="seconds to wait at most")
    sub.set_defaults(func=cmd_launch)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except (RefError, CiError, schedules.ScheduleError, SettingsError) as err:
        print(f"ci: error: {err}", file=sys.stderr)
        return err.code if isinstance(err, CiError) else USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
