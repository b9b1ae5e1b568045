# Shared names for the sandbox scripts (sourced, not run).
# shellcheck shell=bash
# The variables are read by the scripts that source this file.
# shellcheck disable=SC2034

CLUSTER_NAME=mlops-sandbox
K3D_CONFIG=k3d/sandbox.yaml
# The registry's port on the laptop (k3d/sandbox.yaml reads it): not 5000,
# which macOS's AirPlay receiver holds. Exported so k3d expands it.
export SANDBOX_REGISTRY_PORT=${SANDBOX_REGISTRY_PORT:-5111}
# The registry as the laptop's docker sees it; inside the cluster the same
# images are k3d-registry.localhost:5000/<name> (the registry's own port, which
# k3d mirrors for containerd whatever the host port).
REGISTRY_PUSH=localhost:$SANDBOX_REGISTRY_PORT
CLUSTER_REGISTRY=k3d-registry.localhost:5000
# The sandbox's own images, NAME=BUILD_CONTEXT, each listed once. The
# manifests name them with the tag OWN_IMAGE_PLACEHOLDER; `make sandbox`
# applies them through an overlay that puts in each context's content tag.
OWN_IMAGES=(mlflow-server=infra/mlflow cicd-tools=infra/cicd-tools)
OWN_IMAGE_PLACEHOLDER=set-by-make-sandbox
GIT_REMOTE=sandbox
GITEA_ADMIN=sandbox-admin
GITEA_URL=http://gitea.localhost:8080
READY_TIMEOUT=${SANDBOX_TIMEOUT:-600}  # seconds per component
# The machine the sandbox is sized for (docs/sandbox.md): what Docker may use.
# The pods' requests at a delivery's peak fit it with room left for k3s
# (tests/static/test_cluster_resources.py adds them up); the preflight checks it.
MIN_CPUS=2
MIN_MEMORY_GIB=6
MIN_DISK_GB=20

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'sandbox: %s\n' "$*" >&2; exit 1; }

# The project's names live in one place, workflows/identity.py; read a
# constant from it without importing the package (no environment needed).
identity_value() {  # identity_value NAME
  python3 - "$1" <<'PY'
import ast, sys
name = sys.argv[1]
tree = ast.parse(open("workflows/identity.py").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
        print(ast.literal_eval(node.value))
        sys.exit(0)
sys.exit(f"{name} not found in workflows/identity.py")
PY
}

# content_tag DIR: 12 hex digits of a hash over every file of a build context
# (paths and bytes), so a changed Dockerfile gives a new tag and the node
# pulls the new image (a reused tag with IfNotPresent would keep the stale one).
content_tag() {
  python3 - "$1" <<'PY'
import hashlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
digest = hashlib.sha256()
for path in sorted(p for p in root.rglob("*") if p.is_file()):
    data = path.read_bytes()
    digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode() + data)
print(digest.hexdigest()[:12])
PY
}

# run_limited SECONDS COMMAND...: COMMAND under timeout (GNU coreutils) or
# gtimeout (Homebrew's coreutils on macOS); stock macOS has neither, and
# then the command runs without a limit rather than not at all.
run_limited() {
  local seconds=$1
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout "$seconds" "$@"
  elif command -v gtimeout >/dev/null 2>&1; then
    gtimeout "$seconds" "$@"
  else
    "$@"
  fi
}

# wait_ready COMPONENT COMMAND...: retry COMMAND until it succeeds or
# READY_TIMEOUT passes, then name the component that is not ready.
wait_ready() {
  local component=$1
  shift
  local deadline=$((SECONDS + READY_TIMEOUT))
  printf '  waiting for %s ' "$component"
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo
      die "$component is not ready after ${READY_TIMEOUT}s. Look at: kubectl get pods -A; kubectl get helmcharts -A; kubectl describe/logs of the $component pods. Raise the limit with SANDBOX_TIMEOUT=<seconds>."
    fi
    printf '.'
    sleep 5
  done
  echo ' ready'
}

# Pods find the registry by a CoreDNS host entry that k3d writes when it
# starts the cluster's nodes. After a Docker restart k3s rewrites CoreDNS's
# config without it, and only a `k3d cluster start` of stopped nodes puts it
# back. Without it pods (kaniko's push, the cicd image check) cannot
# resolve the registry's name.
registry_in_cluster_dns() {
  local hosts
  hosts=$(kubectl --context "k3d-$CLUSTER_NAME" -n kube-system get configmap coredns \
    -o 'jsonpath={.data.NodeHosts}') || return 1
  grep -qwF -- "${CLUSTER_REGISTRY%:*}" <<<"$hosts"
}
