#!/usr/bin/env bash
# `make sandbox`: a k3d cluster with MinIO, PostgreSQL, MLflow, Flyte, Argo
# Workflows + Events and Gitea, wired so that `git push sandbox <ref>` runs the
# cicd workflow. Safe to re-run: every step checks before it creates.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/sandbox-lib.sh
source scripts/sandbox-lib.sh

scripts/sandbox-preflight.sh

say "cluster $CLUSTER_NAME"
if ! k3d cluster get "$CLUSTER_NAME" >/dev/null 2>&1; then
  k3d cluster create --config "$K3D_CONFIG"
fi
kubectl config use-context "k3d-$CLUSTER_NAME" >/dev/null

say "images: MLflow server and the cicd tools, into the sandbox registry"
for spec in "$MLFLOW_IMAGE:infra/mlflow" "$TOOLS_IMAGE:infra/cicd-tools"; do
  image=${spec%:*} context=${spec##*:}
  docker build --quiet --tag "$REGISTRY_PUSH/$image" "$context"
  docker push --quiet "$REGISTRY_PUSH/$image"
done

random() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
secret_exists() { kubectl -n "$1" get secret "$2" >/dev/null 2>&1; }
secret_value() { kubectl -n "$1" get secret "$2" -o "jsonpath={.data.$3}" | base64 -d; }
# Create once, never rotate on re-run: PostgreSQL and MinIO keep the first
# credentials they were initialised with.
ensure_secret() {  # ensure_secret NAMESPACE NAME KEY=VALUE...
  local namespace=$1 name=$2
  shift 2
  secret_exists "$namespace" "$name" && return 0
  local args=()
  for pair in "$@"; do args+=("--from-literal=$pair"); done
  kubectl -n "$namespace" create secret generic "$name" "${args[@]}" \
    --dry-run=client -o yaml | kubectl apply -f - >/dev/null
}
# Derived secrets are re-applied every run so they follow their sources.
apply_secret() {  # apply_secret NAMESPACE NAME --from-...
  local namespace=$1 name=$2
  shift 2
  kubectl -n "$namespace" create secret generic "$name" "$@" \
    --dry-run=client -o yaml | kubectl apply -f - >/dev/null
}

say "credentials (generated into Secrets, never written to the repository)"
kubectl apply -f infra/namespaces.yaml >/dev/null
ensure_secret mlops postgres-credentials \
  "POSTGRES_PASSWORD=$(random)" "MLFLOW_DB_PASSWORD=$(random)" "FLYTE_DB_PASSWORD=$(random)"
ensure_secret mlops minio-root MINIO_ROOT_USER=sandbox-root "MINIO_ROOT_PASSWORD=$(random)"
ensure_secret mlops minio-service-users \
  MLFLOW_S3_ACCESS_KEY=mlflow "MLFLOW_S3_SECRET_KEY=$(random)" \
  FLYTE_S3_ACCESS_KEY=flyte "FLYTE_S3_SECRET_KEY=$(random)"
ensure_secret gitea gitea-secrets "SECRET_KEY=$(random)" "INTERNAL_TOKEN=$(random)"
ensure_secret gitea gitea-admin "username=$GITEA_ADMIN" "password=$(random)"
ensure_secret argo gitea-webhook "token=$(random)"

flyte_s3_key=$(secret_value mlops minio-service-users FLYTE_S3_ACCESS_KEY)
flyte_s3_secret=$(secret_value mlops minio-service-users FLYTE_S3_SECRET_KEY)
flyte_db_password=$(secret_value mlops postgres-credentials FLYTE_DB_PASSWORD)
# Flyte reads this as one more config file after the chart's own.
flyte_config=$(
  cat <<YAML
database:
  postgres:
    password: "$flyte_db_password"
storage:
  stow:
    config:
      auth_type: accesskey
      access_key_id: "$flyte_s3_key"
      secret_key: "$flyte_s3_secret"
YAML
)
apply_secret flyte flyte-sandbox-secrets --from-literal="200-sandbox-secrets.yaml=$flyte_config"

# Each <project>-<domain> namespace gets the S3 keys its task pods load
# (flyte-binary's default-env-from-secrets).
project=$(identity_value FLYTE_PROJECT)
for domain in development staging production; do
  namespace="$project-$domain"
  kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  apply_secret "$namespace" flyte-task-s3 \
    --from-literal="FLYTE_AWS_ACCESS_KEY_ID=$flyte_s3_key" \
    --from-literal="FLYTE_AWS_SECRET_ACCESS_KEY=$flyte_s3_secret"
done

say "platform: kubectl apply -k infra/"
# A Job's pod template is immutable: replace the bucket Job on each run.
kubectl -n mlops delete job minio-setup --ignore-not-found >/dev/null
kubectl apply -k infra/ >/dev/null

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
rollout() { kubectl -n "$1" rollout status "deployment/$2" --timeout=10s; }

wait_ready "PostgreSQL" rollout mlops postgres
wait_ready "MinIO" rollout mlops minio
wait_ready "MinIO buckets (job minio-setup)" \
  kubectl -n mlops wait --for=condition=complete job/minio-setup --timeout=10s
wait_ready "MLflow" rollout mlops mlflow
wait_ready "Gitea" rollout gitea gitea
wait_ready "Flyte (flyte-binary)" rollout flyte flyte-binary
wait_ready "Argo Workflows controller" rollout argo argo-workflows-workflow-controller
wait_ready "Argo Workflows server" rollout argo argo-workflows-server
wait_ready "Argo Events controller" rollout argo argo-events-controller-manager
wait_ready "Argo CRDs" kubectl wait --for=condition=established --timeout=10s \
  crd/workflowtemplates.argoproj.io crd/eventbus.argoproj.io \
  crd/eventsources.argoproj.io crd/sensors.argoproj.io

say "CI/CD: kubectl apply -k argo/"
kubectl apply -k argo/ >/dev/null
wait_ready "EventBus (JetStream)" \
  kubectl -n argo wait --for=condition=Deployed eventbus/default --timeout=10s
wait_ready "Gitea webhook EventSource" \
  kubectl -n argo wait --for=condition=Available deployment -l eventsource-name=gitea --timeout=10s
wait_ready "cicd Sensor" \
  kubectl -n argo wait --for=condition=Available deployment -l sensor-name=cicd --timeout=10s

say "Flyte project $project"
mkdir -p build/sandbox
flytectl_config=build/sandbox/flytectl.yaml
printf 'admin:\n  endpoint: dns:///localhost:30081\n  insecure: true\n' >"$flytectl_config"
if ! flytectl --config "$flytectl_config" get project "$project" >/dev/null 2>&1; then
  flytectl --config "$flytectl_config" create project --id "$project" --name "$project" \
    --description "created by make sandbox"
fi

say "Gitea repository, webhook and the '$GIT_REMOTE' git remote"
admin_password=$(secret_value gitea gitea-admin password)
kubectl -n gitea exec deploy/gitea -- gitea admin user create --admin \
  --username "$GITEA_ADMIN" --password "$admin_password" \
  --email "$GITEA_ADMIN@sandbox.localhost" --must-change-password=false >/dev/null 2>&1 || true
gitea_api() {  # gitea_api METHOD PATH [JSON]
  curl -fsS --resolve gitea.localhost:8080:127.0.0.1 -u "$GITEA_ADMIN:$admin_password" \
    -H 'Content-Type: application/json' -X "$1" "$GITEA_URL/api/v1$2" ${3:+--data "$3"}
}
repo=$(identity_value PROJECT_SLUG)
# Public inside the sandbox, so the cicd clone step needs no credentials.
gitea_api GET "/repos/$GITEA_ADMIN/$repo" >/dev/null 2>&1 ||
  gitea_api POST /user/repos "{\"name\": \"$repo\", \"private\": false}" >/dev/null
hook_url=http://gitea-eventsource-svc.argo.svc.cluster.local:12000/push
if ! gitea_api GET "/repos/$GITEA_ADMIN/$repo/hooks" | grep -q "$hook_url"; then
  token=$(secret_value argo gitea-webhook token)
  gitea_api POST "/repos/$GITEA_ADMIN/$repo/hooks" "$(
    python3 -c 'import json, sys
url, token = sys.argv[1:]
print(json.dumps({"type": "gitea", "active": True, "events": ["push"],
                  "config": {"url": url, "content_type": "json"},
                  "authorization_header": "Bearer " + token}))' "$hook_url" "$token"
  )" >/dev/null
fi
remote_url="$GITEA_URL/$GITEA_ADMIN/$repo.git"
if git remote get-url "$GIT_REMOTE" >/dev/null 2>&1; then
  git remote set-url "$GIT_REMOTE" "$remote_url"
else
  git remote add "$GIT_REMOTE" "$remote_url"
fi

cat <<TEXT

Sandbox ready.
  Argo Workflows  http://argo.localhost:8080
  Flyte console   http://localhost:30080/console   (flytectl: FLYTECTL_CONFIG=$PWD/$flytectl_config)
  MLflow          http://mlflow.localhost:8080
  MinIO console   http://minio.localhost:8080
  Gitea           $GITEA_URL   (git remote '$GIT_REMOTE' -> $remote_url)

Credentials live only in the cluster's Secrets. Read them with:
  Gitea (push):   kubectl -n gitea get secret gitea-admin -o jsonpath='{.data.password}' | base64 -d
                  (user $GITEA_ADMIN)
  MinIO console:  kubectl -n mlops get secret minio-root -o jsonpath='{.data.MINIO_ROOT_PASSWORD}' | base64 -d
                  (user sandbox-root)

Deliver: git push $GIT_REMOTE HEAD:refs/heads/feature/x   -> development
         git push $GIT_REMOTE main                        -> staging
         git tag v1.0.0 && git push $GIT_REMOTE v1.0.0    -> production
TEXT
