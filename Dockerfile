# The pipeline image: the locked runtime dependencies, then the code.
# Tagged by commit (see ci/image.py): deps change rarely, so their layer is
# reused from the build cache and a code-only commit rebuilds only the last layers.
FROM python:3.11.14-slim-bookworm

# uv from its own pinned image: no installer script, no network fetch of uv.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /bin/
# kubectl for the deploy task's rollout of model-<domain> (DEPLOY_TARGET=kubernetes),
# at the sandbox's Kubernetes minor: kubectl supports one minor of skew at most.
COPY --from=registry.k8s.io/kubectl:v1.32.5 /bin/kubectl /usr/local/bin/kubectl

# How uv builds the environment; only the dependency layer below reads these.
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

WORKDIR /app

# Dependencies only, from the lock: this layer changes only with uv.lock/pyproject.
# --no-default-groups: dev/integration/static/template tools stay out of the image;
# the drift group (Evidently) goes in: the scoring task's drift report needs it.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-install-project --no-default-groups --no-dev --group drift

# A fixed numeric uid so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --gid 10001 flyte \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin flyte

# The tasks' runtime environment, after the dependency layer: changing it never
# re-installs the dependencies. /opt/venv/bin/python3 is flytekit's default
# in-container interpreter and PATH finds the task command `pyflyte-execute`;
# PYTHONPATH lets it import `workflows` from /app whatever the working dir.
# The image has no git (provenance comes from CI as inputs): GIT_PYTHON_REFRESH=quiet
# stops GitPython (imported by mlflow) warning "bad git executable" in every task log.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    GIT_PYTHON_REFRESH=quiet

# Code last, owned by root and so read-only for the runtime user. Only what the
# tasks import: ci/ runs in the cicd-tools image, from the clone.
COPY contract.yaml ./
COPY workflows/ ./workflows/

USER 10001:10001
ENV HOME=/home/flyte
