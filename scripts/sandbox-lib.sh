# Shared names for the sandbox scripts (sourced, not run).
# shellcheck shell=bash
# The variables are read by the scripts that source this file.
# shellcheck disable=SC2034

CLUSTER_NAME=mlops-sandbox
K3D_CONFIG=k3d/sandbox.yaml
# The registry as the laptop's docker sees it; the cluster pulls the same
# images as k3d-registry.localhost:5000/<name> (k3d/sandbox.yaml).
REGISTRY_PUSH=localhost:5000
MLFLOW_IMAGE=mlflow-server:3.17.2
TOOLS_IMAGE=cicd-tools:1
GIT_REMOTE=sandbox
GITEA_ADMIN=sandbox-admin
GITEA_URL=http://gitea.localhost:8080
READY_TIMEOUT=${SANDBOX_TIMEOUT:-600}  # seconds per component

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
