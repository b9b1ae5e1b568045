#!/usr/bin/env bash
# `make sandbox`: a k3d cluster with MinIO, PostgreSQL, MLflow, Flyte, Argo
# Workflows + Events and Gitea, wired so that `git push sandbox <ref>` runs the
# cicd workflow. Safe to re-run: every step checks before it creates.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/sandbox-lib.sh
source scripts/sandbox-lib.sh

scripts/sandbox-preflight.sh

say "cluster $CLUSTER_NAME (registry on localhost:$SANDBOX_REGISTRY_PORT)"
if ! k3d cluster get "$CLUSTER_NAME" >/dev/null 2>&1; then
  k3d cluster create --config "$K3D_CONFIG"
else
  # Starts a stopped cluster (and so re-injects the registry's DNS entry); a
  # running one is left as it is.
  k3d cluster start "$CLUSTER_NAME"
  # A cluster k3d just started gets the entry within seconds: give it those.
  for _ in 1 2 3 4 5 6; do
    registry_in_cluster_dns && break
    sleep 5
  done
  if ! registry_in_cluster_dns; then
    say "the cluster's DNS lost the registry's name (Docker restarted?): restarting the cluster so k3d re-injects it"
    k3d cluster stop "$CLUSTER_NAME"
    k3d cluster start "$CLUSTER_NAME"
    wait_ready "the registry's name in the cluster's DNS" registry_in_cluster_dns
  fi
fi
kubectl config use-context "k3d-$CLUSTER_NAME" >/dev/null

say "images: MLflow server and the cicd tools, into the sandbox registry"
# Tagged by content: a changed build context gets a new tag, so the node
# pulls it instead of running the image it already has.
own_images=()  # kustomize `images` entries for the overlays below
for spec in "${OWN_IMAGES[@]}"; do
  name=${spec%%=*} context=${spec#*=}
  tag=$(content_tag "$context")
  docker build --quiet --tag "$REGISTRY_PUSH/$name:$tag" "$context"
  docker push --quiet "$REGISTRY_PUSH/$name:$tag"
  own_images+=("  - name: $CLUSTER_REGISTRY/$name" "    newTag: \"$tag\"")
done

# apply_with_own_images DIR: `kubectl apply -k DIR` through an overlay that
# gives the sandbox's own images their content tags.
apply_with_own_images() {
  local overlay="build/sandbox/overlays/$1"
  mkdir -p "$overlay"
  {
    echo "# Written by scripts/sandbox-up.sh on each run."
    echo "resources:"
    echo "  - ../../../../$1"
    echo "images:"
    printf '%s\n' "${own_images[@]}"
  } >"$overlay/kustomization.yaml"
  kubectl apply -k "$overlay" >/dev/null
}

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
# (flyte-binary's default-env-from-secrets) and the serving Role.
project=$(identity_value FLYTE_PROJECT)
for domain in development staging production; do
  namespace="$project-$domain"
  kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  apply_secret "$namespace" flyte-task-s3 \
    --from-literal="FLYTE_AWS_ACCESS_KEY_ID=$flyte_s3_key" \
    --from-literal="FLYTE_AWS_SECRET_ACCESS_KEY=$flyte_s3_secret"
  # The deploy task's rights in its own namespace (the file says why here).
  kubectl -n "$namespace" apply -f infra/domains/model-serving-rbac.yaml >/dev/null
done

say "platform: kubectl apply -k infra/"
# A Job's pod template is immutable: replace the bucket Job on each run.
kubectl -n mlops delete job minio-setup --ignore-not-found >/dev/null
apply_with_own_images infra

rollout() { kubectl -n "$1" rollout status "deployment/$2" --timeout=10s; }

wait_ready "PostgreSQL" rollout mlops postgres
wait_ready "MinIO" rollout mlops minio
wait_ready "MinIO buckets (job minio-setup)" \
  kubectl -n mlops wait --for=condition=complete job/minio-setup --timeout=10s
# Flyte starts only now: it needs its bucket and its MinIO user from the Job.
say "Flyte: kubectl apply -k infra/flyte"
kubectl apply -k infra/flyte >/dev/null
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
apply_with_own_images argo
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
# Every call below goes through k3s's ingress controller (Traefik, installed
# by k3s's own HelmChart): wait until it routes to Gitea.
wait_ready "Traefik (ingress controller)" rollout kube-system traefik
gitea_healthy() {
  curl -fsS --resolve gitea.localhost:8080:127.0.0.1 "$GITEA_URL/api/healthz"
}
wait_ready "Gitea through the ingress ($GITEA_URL)" gitea_healthy

admin_password=$(secret_value gitea gitea-admin password)
gitea_cli() { kubectl -n gitea exec deploy/gitea -- gitea admin user "$@"; }
# Create the admin once; a failed creation stops here with Gitea's own words.
users=$(gitea_cli list --admin) || die "cannot list Gitea's users (kubectl -n gitea exec deploy/gitea)"
if ! awk -v user="$GITEA_ADMIN" 'NR > 1 && $2 == user {found = 1} END {exit !found}' <<<"$users"; then
  gitea_cli create --admin --username "$GITEA_ADMIN" --password "$admin_password" \
    --email "$GITEA_ADMIN@sandbox.localhost" --must-change-password=false >/dev/null ||
    die "creating the Gitea admin '$GITEA_ADMIN' failed (see Gitea's message above)"
fi
gitea_api() {  # gitea_api METHOD PATH [JSON]
  curl -fsS --resolve gitea.localhost:8080:127.0.0.1 -u "$GITEA_ADMIN:$admin_password" \
    -H 'Content-Type: application/json' -X "$1" "$GITEA_URL/api/v1$2" ${3:+--data "$3"}
}
repo=$(identity_value PROJECT_SLUG)
# Public inside the sandbox, so the cicd clone step needs no credentials.
gitea_api GET "/repos/$GITEA_ADMIN/$repo" >/dev/null 2>&1 ||
  gitea_api POST /user/repos "{\"name\": \"$repo\", \"private\": false}" >/dev/null
# The EventSource `gitea` (argo/events.yaml) serves its webhook as the Service
# gitea-eventsource-svc, port 12000, endpoint /push.
hook_url=http://gitea-eventsource-svc.argo.svc.cluster.local:12000/push
# Read the whole answer before looking in it: `curl | grep -q` under pipefail
# fails when grep stops reading early, and would add a second hook.
hooks=$(gitea_api GET "/repos/$GITEA_ADMIN/$repo/hooks")
if ! python3 -c 'import json, sys
sys.exit(not any(h.get("config", {}).get("url") == sys.argv[1] for h in json.load(sys.stdin)))' \
  "$hook_url" <<<"$hooks"; then
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
