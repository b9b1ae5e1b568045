#!/usr/bin/env bash
# `make sandbox-status`: what runs, what does not, and the last cicd runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/sandbox-lib.sh
source scripts/sandbox-lib.sh

for tool in k3d kubectl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run scripts/sandbox-preflight.sh"
done
if ! k3d cluster get "$CLUSTER_NAME" >/dev/null 2>&1; then
  echo "no sandbox cluster: run 'make sandbox'"
  exit 1
fi
context="--context=k3d-$CLUSTER_NAME"
say "registry"
if registry_in_cluster_dns; then
  echo "${CLUSTER_REGISTRY%:*} is in the cluster's DNS; the laptop pushes to $REGISTRY_PUSH"
else
  echo "${CLUSTER_REGISTRY%:*} is missing from the cluster's DNS (after a Docker restart only" \
    "'k3d cluster stop $CLUSTER_NAME && k3d cluster start $CLUSTER_NAME' re-injects it;" \
    "'make sandbox' does that): cicd image checks and kaniko pushes fail until then"
fi
say "charts"
kubectl "$context" -n kube-system get helmcharts.helm.cattle.io
say "workloads"
for namespace in mlops flyte argo gitea; do
  kubectl "$context" -n "$namespace" get deployments,statefulsets,jobs 2>/dev/null || true
done
say "pods not running"
kubectl "$context" get pods -A --field-selector=status.phase!=Running,status.phase!=Succeeded
say "last cicd workflows"
kubectl "$context" -n argo get workflows.argoproj.io --sort-by=.metadata.creationTimestamp 2>/dev/null |
  tail -n 6 || echo "(Argo not installed yet)"
