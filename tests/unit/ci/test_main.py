"""`python -m ci` end to end as a subprocess: exit codes, messages, dry runs,
the tag-on-main check on a real git repository, and register/launch against a
stand-in flytectl (a script that records its arguments and answers as told).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.ci.flytectl_output import FAILED, OLD, OLD2, table
from workflows import identity
from workflows.flyte import schedules

ROOT = Path(__file__).resolve().parents[3]
SHA = "0123456789abcdef0123456789abcdef01234567"
PROJECT = identity.FLYTE_PROJECT
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
}  # fmt: skip


def ci(*args: str, env: dict | None = None, flags: tuple[str, ...] = (), cwd: Path = ROOT):
    env = env or os.environ.copy()
    if cwd != ROOT:  # the package stays importable from another directory
        env = {**env, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *flags, "-m", "ci", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=60, env=env,
        stdin=subprocess.DEVNULL,  # as in CI: nobody answers a prompt
    )  # fmt: skip


def assert_one_line_error(done: subprocess.CompletedProcess, code: int, *words: str):
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ci: error:"), done.stderr
    for word in words:
        assert word in lines[0]


# --- plan -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--ref", "refs/heads/main", "--sha", "abc"], ["sha", "'abc'"]),
        (["--ref", "refs/heads/main", "--sha", SHA.upper()], ["sha"]),
        (["--ref", "main", "--sha", SHA], ["refs/heads/"]),
        (["--ref", "refs/heads/a..b", "--sha", SHA], ["a..b"]),
        (["--ref", "refs/heads/main", "--sha", SHA, "--bogus"], ["--bogus"]),
    ],
)
def test_malformed_input_exits_2_with_one_line(args, words):
    assert_one_line_error(ci("plan", *args), 2, *words)


def test_plan_prints_the_table_row_as_json():
    done = ci("plan", "--ref", "refs/heads/Feature/X", "--sha", SHA)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["domain"] == "development" and result["allowed"] is True
    assert result["project"] == PROJECT
    assert result["image"] == f"{identity.IMAGE_REPOSITORY}:{SHA}"
    assert result["version"].endswith("-0123456")


def test_plan_needs_no_third_party_package():
    # -S: no site-packages, as on a bare CI runner's python3.
    done = ci("plan", "--ref", "refs/heads/main", "--sha", SHA, "--format", "github", flags=("-S",))
    assert done.returncode == 0, done.stderr
    assert "domain=staging" in done.stdout.splitlines()
    assert "allowed=true" in done.stdout.splitlines()


def test_image_repository_comes_from_the_environment_in_lower_case():
    env = {**os.environ, "CI_IMAGE_REPOSITORY": "ghcr.io/Owner/Repo"}
    done = ci("plan", "--ref", "refs/heads/main", "--sha", SHA, env=env)
    assert json.loads(done.stdout)["image"] == f"ghcr.io/owner/repo:{SHA}"


def test_the_sandbox_replaces_only_the_registry():
    env = {**os.environ, "CI_IMAGE_REGISTRY": "k3d-registry.localhost:5000"}
    env.pop("CI_IMAGE_REPOSITORY", None)
    done = ci("plan", "--ref", "refs/heads/main", "--sha", SHA, env=env)
    image = f"k3d-registry.localhost:5000/{identity.PROJECT_SLUG}:{SHA}"
    assert json.loads(done.stdout)["image"] == image


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> dict[str, object]:
    """main: c1 - c2; side branch from c1: s1. Tags on c2 (on main) and s1 (not)."""
    path = tmp_path_factory.mktemp("repo")
    env = {**os.environ, **GIT_ENV}

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(path), *args], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    git("init", "--quiet", "--initial-branch", "main")
    git("commit", "--quiet", "--allow-empty", "-m", "c1")
    git("checkout", "--quiet", "-b", "side")
    git("commit", "--quiet", "--allow-empty", "-m", "s1")
    side = git("rev-parse", "HEAD")
    git("tag", "v9.9.9")
    git("checkout", "--quiet", "main")
    git("commit", "--quiet", "--allow-empty", "-m", "c2")
    main = git("rev-parse", "HEAD")
    git("tag", "v1.0.0")
    return {"path": path, "main": main, "side": side}


def test_release_tag_on_main_is_allowed(repo):
    done = ci(
        "plan", "--ref", "refs/tags/v1.0.0", "--sha", repo["main"], "--repo", str(repo["path"])
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["domain"] == "production"


def test_release_tag_not_on_main_is_refused(repo):
    done = ci(
        "plan", "--ref", "refs/tags/v9.9.9", "--sha", repo["side"], "--repo", str(repo["path"])
    )
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["allowed"] is False and "not on main" in result["reason"]
    assert "refused" in done.stderr


def test_plan_without_repo_checks_the_tag_in_the_current_directory(repo):
    # No --repo must not mean "not checked, so allowed".
    off_main = ci("plan", "--ref", "refs/tags/v9.9.9", "--sha", repo["side"], cwd=repo["path"])
    assert off_main.returncode == 1, off_main.stdout
    assert "not on main" in json.loads(off_main.stdout)["reason"]
    on_main = ci("plan", "--ref", "refs/tags/v1.0.0", "--sha", repo["main"], cwd=repo["path"])
    assert on_main.returncode == 0, on_main.stderr
    assert json.loads(on_main.stdout)["domain"] == "production"


def test_refused_plan_stops_register(repo):
    done = ci(
        "register", "--dry-run", "--ref", "refs/tags/v9.9.9", "--sha", repo["side"],
        "--repo", str(repo["path"]),
    )  # fmt: skip
    assert_one_line_error(done, 1, "not on main")
    assert "flytectl" not in done.stdout


def test_tag_check_needs_main_in_the_repository(repo, tmp_path):
    bare = tmp_path / "nomain"
    subprocess.run(["git", "clone", "--quiet", "--branch", "side", "--single-branch",
                    str(repo["path"]), str(bare)], check=True)  # fmt: skip
    subprocess.run(["git", "-C", str(bare), "branch", "-m", "side", "other"], check=True)
    subprocess.run(["git", "-C", str(bare), "update-ref", "-d", "refs/remotes/origin/side"])
    done = ci("plan", "--ref", "refs/tags/v9.9.9", "--sha", repo["side"], "--repo", str(bare))
    assert_one_line_error(done, 2, "main")


def test_unknown_commit_is_an_error(repo):
    done = ci("plan", "--ref", "refs/tags/v1.0.0", "--sha", SHA, "--repo", str(repo["path"]))
    assert_one_line_error(done, 2, SHA)


# --- dry runs ---------------------------------------------------------------------

TARGET = ("--ref", "refs/heads/main", "--sha", SHA)


def test_package_dry_run_prints_the_exact_pyflyte_command():
    done = ci("package", "--dry-run", *TARGET, "--output", "out/p.tgz")
    assert done.returncode == 0, done.stderr
    image = f"{identity.IMAGE_REPOSITORY}:{SHA}"
    assert done.stdout.strip() == (
        f"pyflyte --pkgs workflows package --image {image} --env SERVING_IMAGE={image} "
        "--output out/p.tgz --force"
    )


def test_register_dry_run_prints_the_exact_flytectl_command():
    done = ci("register", "--dry-run", *TARGET, "--config", "/etc/flyte.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "flytectl --config /etc/flyte.yaml register files build/flyte-package.tgz --archive "
        f"--project {PROJECT} --domain staging --version main-0123456"
    )


def test_launch_dry_run_prints_create_and_wait_commands():
    done = ci("launch", "--dry-run", *TARGET, "--name", "ci1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    spec = json.loads(lines[0].split(": ", 1)[1])
    assert spec["inputs"] == {"git_sha": SHA, "git_ref": "refs/heads/main"}
    assert spec["version"] == "main-0123456" and spec["workflow"] == f"{PROJECT}.training"
    assert (
        f"flytectl create execution --project {PROJECT} --domain staging "
        "--execFile build/execution-ci1.json ci1"
    ) in lines
    assert f"flytectl get execution --project {PROJECT} --domain staging ci1 --output json" in lines


def test_only_development_can_be_chosen_by_hand():
    ok = ci("register", "--dry-run", *TARGET, "--domain", "development")
    assert ok.returncode == 0 and "--domain development" in ok.stdout
    refused = ci(
        "register", "--dry-run", "--ref", "refs/heads/x", "--sha", SHA, "--domain", "production"
    )
    assert_one_line_error(refused, 2, "prod")


def test_a_release_tag_registers_and_activates_the_schedules_in_production_only(repo):
    done = ci(
        "register", "--dry-run", "--ref", "refs/tags/v1.0.0", "--sha", repo["main"],
        "--repo", str(repo["path"]), "--domain", "production",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("flytectl register files") and "--domain production" in lines[0]
    assert lines[1:] == [
        f"flytectl update launchplan --project {PROJECT} --domain production {name} "
        "--version v1.0.0 --activate --force"
        for name in schedules.SCHEDULED_LAUNCH_PLANS
    ]
    for ref in ("refs/heads/main", "refs/heads/feature-x"):  # staging, development
        other = ci("register", "--dry-run", "--ref", ref, "--sha", SHA)
        assert other.returncode == 0 and "update launchplan" not in other.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [("SCORING_CRON", "daily"), ("TRAINING_CRON", "0 3 * *"), ("RETRAIN_ON_DRIFT", "maybe")],
)
def test_a_bad_schedule_setting_is_named_in_one_line_before_packaging(tmp_path, name, value):
    # It used to stop `python -m ci` with a traceback: the module read them on import.
    output = tmp_path / "flyte-package.tgz"
    done = ci(
        "package", "--dry-run", "--ref", "refs/heads/main", "--sha", SHA,
        "--output", output, env={**os.environ, name: value},
    )  # fmt: skip
    assert_one_line_error(done, 2, name, repr(value))
    assert "pyflyte" not in done.stdout and not output.exists()


# --- against a stand-in flytectl -------------------------------------------------------

# Held to flytectl v0.9.8's flags (tests/fakes/flytectl-flags.json): a flag it
# does not have fails as flytectl would.
FAKE = f"""#!{sys.executable}
import json, os, sys
sys.path.insert(0, {str(ROOT)!r})
from tests.fakes.contracts import refuse_unknown_flags
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
refuse_unknown_flags("flytectl", args)
words = " ".join(args)
if "register files" in words:
    print(os.environ["FAKE_REGISTER"])
    sys.exit(int(os.environ.get("FAKE_REGISTER_EXIT", "0")))
if "create execution" in words:
    print("execution identifier name:x")
elif "get execution" in words:
    print(json.dumps({{"closure": {{"phase": os.environ["FAKE_PHASE"]}}}}))
elif "update launchplan" in words:
    # flytectl v0.9.8 asks before an update unless --force (cmd/update/launch_plan.go).
    if "--force" not in args:
        print("Continue? [y/n]: ", end="")
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            print("Error: update aborted by user")
            sys.exit(1)
    print("updated launch plan successfully on " + args[args.index("launchplan") + 5])
else:
    sys.exit(3)
"""


@pytest.fixture
def endpoint():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def flytectl(tmp_path, endpoint) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "flytectl").write_text(FAKE)
    (bin_dir / "flytectl").chmod(0o755)
    config = tmp_path / "config.yaml"
    config.write_text(f"admin:\n  endpoint: dns:///127.0.0.1:{endpoint}\n  insecure: true\n")
    archive = tmp_path / "p.tgz"
    archive.write_bytes(b"")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FLYTECTL_CONFIG": str(config),
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "FAKE_REGISTER": "Successfully registered file",
        "FAKE_PHASE": "SUCCEEDED",
    }
    env.pop("FLYTE_CONSOLE_URL", None)
    return {"env": env, "archive": archive, "log": tmp_path / "calls.log", "dir": tmp_path}


def test_register_calls_flytectl(flytectl):
    done = ci("register", *TARGET, "--archive", str(flytectl["archive"]), env=flytectl["env"])
    assert done.returncode == 0, done.stderr
    assert "main-0123456: registered" in done.stdout
    call = flytectl["log"].read_text()
    assert f"register files {flytectl['archive']} --archive --project {PROJECT}" in call


def test_a_release_tag_activates_the_schedules_with_nobody_to_answer_a_prompt(flytectl, repo):
    # flytectl asks "Continue?" on stdin before an update unless --force: in CI
    # nobody answers, so the activation failed with "update aborted by user".
    done = ci(
        "register", "--ref", "refs/tags/v1.0.0", "--sha", repo["main"], "--repo", repo["path"],
        "--domain", "production", "--archive", flytectl["archive"], env=flytectl["env"],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    updates = [c for c in flytectl["log"].read_text().splitlines() if "update launchplan" in c]
    assert len(updates) == len(schedules.SCHEDULED_LAUNCH_PLANS)
    for name, call in zip(schedules.SCHEDULED_LAUNCH_PLANS, updates, strict=True):
        assert f" {name} --version v1.0.0 --activate" in call
        assert f"{name} v1.0.0: schedule active in production" in done.stdout


def test_an_already_registered_version_is_success(flytectl):
    env = {**flytectl["env"], "FAKE_REGISTER": table(OLD, OLD2), "FAKE_REGISTER_EXIT": "0"}
    done = ci("register", *TARGET, "--archive", str(flytectl["archive"]), env=env)
    assert done.returncode == 0, done.stderr
    assert "main-0123456: already registered" in done.stdout


def test_one_failed_entity_is_not_already_registered(flytectl):
    # One row AlreadyExists, the next Failed, exit 1: the release is not in Flyte.
    env = {**flytectl["env"], "FAKE_REGISTER": table(OLD, FAILED), "FAKE_REGISTER_EXIT": "1"}
    done = ci("register", *TARGET, "--archive", str(flytectl["archive"]), env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    error = done.stderr.strip().splitlines()[-1]  # after flytectl's own output
    assert error.startswith("ci: error: flytectl register failed (exit 1): 1 of 2 entities")
    assert "3_project.training_3.pb" in error and "code = Internal" in error
    assert "registered" not in done.stdout


def test_same_version_with_other_content_fails(flytectl):
    env = {
        **flytectl["env"],
        "FAKE_REGISTER": "InvalidArgument: workflow with different structure already exists",
        "FAKE_REGISTER_EXIT": "1",
    }
    done = ci("register", *TARGET, "--archive", str(flytectl["archive"]), env=env)
    assert done.returncode == 1
    assert "different content" in done.stderr


def test_missing_flytectl_is_one_clear_message(flytectl):
    env = {**flytectl["env"], "PATH": str(Path(sys.executable).parent)}
    done = ci("register", *TARGET, env=env)
    assert_one_line_error(done, 2, "flytectl is not on PATH")


def test_unreachable_endpoint_is_one_clear_message(flytectl, tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "down.yaml"
    config.write_text(f"admin:\n  endpoint: dns:///127.0.0.1:{port}\n  insecure: true\n")
    done = ci("register", *TARGET, "--config", str(config), env=flytectl["env"])
    assert_one_line_error(done, 2, f"127.0.0.1:{port}", "unreachable", "FLYTECTL_CONFIG")


def test_missing_config_is_one_clear_message(flytectl, tmp_path):
    env = {**flytectl["env"], "FLYTECTL_CONFIG": str(tmp_path / "absent.yaml")}
    done = ci("launch", *TARGET, env=env)
    assert_one_line_error(done, 2, "no flytectl config", "absent.yaml")


@pytest.mark.parametrize(("phase", "code"), [("SUCCEEDED", 0), ("FAILED", 1), ("ABORTED", 1)])
def test_launch_waits_and_fails_with_the_execution(flytectl, phase, code):
    env = {**flytectl["env"], "FAKE_PHASE": phase}
    spec_dir = flytectl["dir"] / "specs"
    done = ci(
        "launch", *TARGET, "--name", "ci1", "--poll", "0", "--spec-dir", str(spec_dir), env=env
    )
    assert done.returncode == code, done.stderr
    url = f"/console/projects/{PROJECT}/domains/staging/executions/ci1"
    assert url in done.stdout
    if code:
        assert phase in done.stderr and url in done.stderr
    spec = json.loads((spec_dir / "execution-ci1.json").read_text())
    assert spec["inputs"] == {"git_sha": SHA, "git_ref": "refs/heads/main"}
    calls = flytectl["log"].read_text().splitlines()
    assert calls[0].startswith("create execution") and calls[-1].startswith("get execution")


def test_every_flytectl_command_ci_builds_has_only_real_flags(tmp_path):
    from ci import flyte
    from tests.fakes.contracts import UnknownFlag, check_flytectl

    config, archive, spec = tmp_path / "c.yaml", tmp_path / "p.tgz", tmp_path / "e.json"
    built = [
        flyte.register_command(config, PROJECT, "staging", "main-0123456", archive),
        flyte.create_execution_command(config, PROJECT, "staging", spec, "ci1"),
        flyte.get_execution_command(config, PROJECT, "staging", "ci1"),
    ]
    assert [check_flytectl(c[1:]) for c in built] == [
        ("register", "files"), ("create", "execution"), ("get", "execution"),
    ]  # fmt: skip
    misspelt = [a.replace("--execFile", "--execfile") for a in built[1]]
    with pytest.raises(UnknownFlag, match="--execfile"):
        check_flytectl(misspelt[1:])
