#!/usr/bin/env bash
# Checks every tool `make sandbox` needs, and the machine Docker gives it,
# before touching anything; stops within seconds with one message naming
# each problem (found and needed) and how to fix it.
# PATH decides what is found, so a test can run this with tools hidden or faked.
# Portable: stock macOS has no `timeout` (run_limited uses gtimeout or none).
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "$0")/sandbox-lib.sh"

# k3d >= 5.7: older releases carry a Docker client (k3d 5.6.0: docker v24.0.5,
# API 1.43) that Docker Engine 29 refuses (its minimum API is 1.44).
MIN_K3D=5.7
# k3d_docker_api MINOR: the newest Docker API that k3d minor's client speaks
# (go.mod of k3d v5.7.0-v5.8.3: github.com/docker/docker v27.0.3, API 1.46);
# it negotiates down to an older engine, never up past this. Newer k3d
# minors: not known here, so not checked. (A function, not an associative
# array: stock macOS runs bash 3.2.)
k3d_docker_api() {
  case $1 in
    5.7 | 5.8) echo 1.46 ;;
  esac
}
MIN_DOCKER_API=1.43 # Docker Engine 24
# kubectl supports one minor of skew from the cluster (k3d/sandbox.yaml's k3s).
K3S_MINOR=$(sed -n 's/^image: *rancher\/k3s:v\([0-9]*\.[0-9]*\)\..*/\1/p' "$(dirname "$0")/../$K3D_CONFIG")

problems=()
found=()

need() { # need NAME "install hint": is NAME on PATH?
  if ! command -v "$1" >/dev/null 2>&1; then
    problems+=("$1: not found. $2")
    return 1
  fi
}

# version_ge FOUND NEEDED: dotted numbers, FOUND >= NEEDED.
version_ge() {
  local IFS=. i
  local -a a b
  read -ra a <<<"$1"
  read -ra b <<<"$2"
  for ((i = 0; i < ${#b[@]}; i++)); do
    ((10#${a[i]:-0} > 10#${b[i]})) && return 0
    ((10#${a[i]:-0} < 10#${b[i]})) && return 1
  done
  return 0
}

k3d_hint="Install k3d >= $MIN_K3D: https://k3d.io/#installation (e.g. brew install k3d)"
k3d_minor=""
if need k3d "$k3d_hint"; then
  # "k3d version v5.8.3" on the first line, "k3s version ..." after it.
  k3d_found=$(k3d version 2>/dev/null | sed -n 's/^k3d version v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -n 1 || true)
  if [[ -z $k3d_found ]]; then
    problems+=("k3d: 'k3d version' names no version. $k3d_hint")
  elif ! version_ge "$k3d_found" "$MIN_K3D"; then
    problems+=("k3d: found $k3d_found, needs >= $MIN_K3D (k3d 5.6.0 speaks Docker API 1.43 at most, which Docker Engine 29 refuses). $k3d_hint")
  else
    found+=("k3d $k3d_found")
    k3d_minor=$(cut -d. -f1,2 <<<"$k3d_found")
  fi
fi

docker_hint="Install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/"
if need docker "$docker_hint"; then
  # The engine, not just the client: k3d runs the cluster as containers.
  if ! info=$(run_limited 10 docker info --format '{{.NCPU}} {{.MemTotal}} {{.DockerRootDir}} {{.OperatingSystem}}' 2>/dev/null); then
    problems+=("docker engine: not reachable (docker info failed). Start Docker Desktop or 'sudo systemctl start docker', and check DOCKER_HOST / your docker group membership.")
  else
    read -r cpus memory root os_name <<<"$info"
    if [[ ! $cpus =~ ^[0-9]+$ || ! $memory =~ ^[0-9]+$ ]]; then
      problems+=("docker engine: 'docker info' gave no CPU and memory figures (got: $info). $docker_hint")
      cpus=0 memory=0 root=""
    fi
    resources_hint="Give Docker more (Docker Desktop: Settings > Resources), or use a bigger machine; docs/sandbox.md says why this much."
    if ((cpus < MIN_CPUS)); then
      problems+=("CPUs: Docker has $cpus, the sandbox needs $MIN_CPUS. $resources_hint")
    fi
    # Docker reports a little less than it was given (its kernel keeps some): allow 5 %.
    gib=$((1024 * 1024 * 1024))
    if ((memory * 100 < MIN_MEMORY_GIB * gib * 95)); then
      problems+=("memory: Docker has $(awk -v m="$memory" -v g="$gib" 'BEGIN {printf "%.1f", m / g}') GiB, the sandbox needs $MIN_MEMORY_GIB GiB. $resources_hint")
    fi
    free_kb=""
    # Only an engine on this machine keeps its data on this machine's disk:
    # not Docker Desktop (a VM, whatever paths the host has) nor a remote DOCKER_HOST.
    if [[ -n $root && -d $root && ${os_name:-} != *"Docker Desktop"* && ${DOCKER_HOST:-unix://} == unix://* ]]; then
      free_kb=$(df -Pk "$root" 2>/dev/null | awk 'NR == 2 {print $4}' || true)
    fi
    if [[ $free_kb =~ ^[0-9]+$ ]]; then
      free_gb=$((free_kb * 1024 / 1000000000))
      if ((free_gb < MIN_DISK_GB)); then
        problems+=("disk: $free_gb GB free for Docker ($root), the sandbox needs $MIN_DISK_GB GB. Free some (docker system prune) or move Docker's data.")
      fi
      disk="$free_gb GB free"
    else
      disk="disk not measured (Docker keeps $root in its VM or on another host; keep $MIN_DISK_GB GB free there)"
    fi
    found+=("docker: $cpus CPUs, $(awk -v m="$memory" -v g="$gib" 'BEGIN {printf "%.1f", m / g}') GiB, $disk")
    api=$(run_limited 10 docker version --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}}' 2>/dev/null || true)
    read -r api_version api_minimum <<<"$api"
    if [[ -z ${api_minimum:-} ]]; then
      problems+=("docker engine: 'docker version' names no API version. $docker_hint")
    elif ! version_ge "$api_version" "$MIN_DOCKER_API"; then
      problems+=("docker engine: API $api_version, needs >= $MIN_DOCKER_API (Docker Engine 24+). $docker_hint")
    elif k3d_api=$(k3d_docker_api "$k3d_minor") && [[ -n $k3d_api ]] &&
      ! version_ge "$k3d_api" "$api_minimum"; then
      problems+=("docker engine: accepts API >= $api_minimum, but k3d $k3d_found speaks up to $k3d_api. $k3d_hint (a newer release)")
    else
      found+=("docker engine API $api_version (accepts >= $api_minimum)")
    fi
  fi
fi

kubectl_hint="Install kubectl $K3S_MINOR (one minor either side works): https://kubernetes.io/docs/tasks/tools/"
if need kubectl "$kubectl_hint"; then
  # "Client Version: v1.32.5" (kubectl >= 1.28 prints no Go struct here).
  kubectl_found=$(kubectl version --client 2>/dev/null | sed -n 's/^Client Version: v\([0-9]*\.[0-9]*\).*/\1/p' | head -n 1 || true)
  cluster=${K3S_MINOR#*.} client=${kubectl_found#*.}
  if [[ -z $kubectl_found ]]; then
    problems+=("kubectl: 'kubectl version --client' names no version. $kubectl_hint")
  elif ((${kubectl_found%%.*} != ${K3S_MINOR%%.*} || client < cluster - 1 || client > cluster + 1)); then
    problems+=("kubectl: found $kubectl_found, the cluster runs Kubernetes $K3S_MINOR and kubectl works within one minor of it. $kubectl_hint")
  else
    found+=("kubectl $kubectl_found (cluster $K3S_MINOR)")
  fi
fi

need git "Install git: https://git-scm.com/downloads" || true
if need flytectl "Install flytectl >= 0.9: https://docs.flyte.org/en/latest/flytectl/overview.html (brew install flyteorg/homebrew-tap/flytectl)"; then
  found+=("flytectl $(run_limited 5 flytectl version 2>/dev/null | head -n 1 || true)")
fi
need curl "Install curl (talks to Gitea's API)" || true
need python3 "Install Python 3 (generates the credentials, reads workflows/identity.py)" || true

if ((${#problems[@]})); then
  {
    echo "make sandbox: cannot start, ${#problems[@]} prerequisite(s) not met:"
    printf '  - %s\n' "${problems[@]}"
    echo "Nothing was changed. Fix the above and run 'make sandbox' again."
  } >&2
  exit 1
fi
printf 'found %s\n' "${found[@]}"
