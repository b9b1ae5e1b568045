#!/bin/sh
# Buckets and least-privilege users for MLflow and Flyte; every command is
# idempotent so the Job can run on each `make sandbox`. POSIX sh: the mc
# image is minimal.
set -eu

until mc alias set sandbox "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; do
  echo "waiting for MinIO at $MINIO_URL"
  sleep 3
done

mc mb --ignore-existing sandbox/mlflow-artifacts
mc mb --ignore-existing sandbox/flyte-data

add_user() {
  service=$1 access_key=$2 secret_key=$3
  mc admin user add sandbox "$access_key" "$secret_key"
  mc admin policy create sandbox "$service-rw" "/setup/$service-policy.json"
  mc admin policy attach sandbox "$service-rw" --user "$access_key" || true  # already attached
}

add_user mlflow "$MLFLOW_S3_ACCESS_KEY" "$MLFLOW_S3_SECRET_KEY"
add_user flyte "$FLYTE_S3_ACCESS_KEY" "$FLYTE_S3_SECRET_KEY"
echo "buckets and users ready"
