#!/usr/bin/env bash
# `make sandbox-down`: delete the cluster (and with it every Secret and
# volume) and the 'sandbox' git remote.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/sandbox-lib.sh
source scripts/sandbox-lib.sh

if command -v k3d >/dev/null 2>&1; then
  k3d cluster delete "$CLUSTER_NAME"
else
  echo "k3d not found: no cluster to delete"
fi
if git remote get-url "$GIT_REMOTE" >/dev/null 2>&1; then
  git remote remove "$GIT_REMOTE"
  echo "removed git remote '$GIT_REMOTE'"
fi
rm -rf build/sandbox
