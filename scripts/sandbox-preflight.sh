#!/usr/bin/env bash
# Checks every tool `make sandbox` needs before touching anything, and stops
# within seconds with one message naming everything missing and how to get it.
# PATH decides what is found, so a test can run this with tools hidden.
# Portable: stock macOS has no `timeout` (run_limited uses gtimeout or none).
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "$0")/sandbox-lib.sh"

missing=()
found=()

need() {  # need NAME "install hint" [version command...]
  local name=$1 hint=$2
  shift 2
  if ! command -v "$name" >/dev/null 2>&1; then
    missing+=("$name: not found. $hint")
    return 1
  fi
  if (($#)); then
    found+=("$name: $("$@" 2>/dev/null | head -n 1 || true)")
  fi
}

if need docker "Install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/" \
  docker --version; then
  # The engine, not just the client: k3d runs the cluster as containers.
  if ! run_limited 10 docker info >/dev/null 2>&1; then
    missing+=("docker engine: not reachable (docker info failed). Start Docker Desktop or 'sudo systemctl start docker', and check DOCKER_HOST / your docker group membership.")
  fi
fi
need k3d "Install k3d >= 5.6: https://k3d.io/#installation (e.g. brew install k3d)" \
  k3d version || true
need kubectl "Install kubectl >= 1.31: https://kubernetes.io/docs/tasks/tools/" \
  kubectl version --client || true
need git "Install git: https://git-scm.com/downloads" git --version || true
need flytectl "Install flytectl >= 0.9: https://docs.flyte.org/en/latest/flytectl/overview.html (brew install flyteorg/homebrew-tap/flytectl)" \
  run_limited 5 flytectl version || true
need curl "Install curl (talks to Gitea's API)" curl --version || true
need python3 "Install Python 3 (generates the credentials, reads workflows/identity.py)" \
  python3 --version || true

if ((${#missing[@]})); then
  {
    echo "make sandbox: cannot start, ${#missing[@]} prerequisite(s) missing:"
    printf '  - %s\n' "${missing[@]}"
    echo "Nothing was changed. Install the above and run 'make sandbox' again."
  } >&2
  exit 1
fi
printf 'found %s\n' "${found[@]}"
