# Every target is a thin door into uv-managed tools; `make help` lists them.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

UV ?= uv
PY := $(UV) run --locked python
# Heavier tools live in uv dependency groups (pyproject.toml): a target that needs
# one installs it on demand, e.g. $(call PY_WITH,static) -m pytest tests/static.
PY_WITH = $(UV) run --locked $(addprefix --group ,$(1)) python
DOMAIN ?= development
# Python caches bytecode in the project's own env even where the shell says not to:
# with PYTHONDONTWRITEBYTECODE set, every `make score` and every test's subprocess
# compiled the groups installed on demand (Evidently, plotly: 15,000 files) again.
unexport PYTHONDONTWRITEBYTECODE
export MIN_AUC GATE DATA DOMAIN ROWS CONTRACT ESTIMATOR PARAMS SERVE_POLL_SECONDS MIN_DELTA DRIFT_LIMIT
export SERVE_MAX_BODY_MB SERVE_HEADER_SECONDS SERVE_BODY_SECONDS SERVE_KEEP_ALIVE_SECONDS SERVE_DRAIN_SECONDS

##@ Setup
.PHONY: help install clean
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^##@/ {printf "\n%s\n", substr($$0, 5)} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: ## Install uv if missing, then the light locked env (run, serve, lint)
	@# A Python that is "externally managed" (PEP 668) refuses plain pip installs.
	@# Asked to run, not only found: a pyenv shim is found even where this project's
	@# .python-version has no uv, and then fails.
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --break-system-packages uv
	@# Bytecode compiled once here saves seconds on every run (some machines never cache it).
	$(UV) sync --locked --compile-bytecode

clean: ## Remove local run outputs, caches and the local MLflow store
	rm -rf .mlflow .pytest_cache .ruff_cache .bench build dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

##@ Pipeline
.PHONY: contract run score serve mlflow-ui bench
contract: ## Draft the data contract from your table: DATA=<csv|parquet> TARGET=<column> [POSITIVE=] [TASK=]
	$(PY) -m workflows contract --data "$(DATA)" --target "$(TARGET)" $(if $(POSITIVE),--positive "$(POSITIVE)") $(if $(TASK),--task "$(TASK)")

run: ## Run the pipeline end to end locally (DATA=, GATE='rmse<=12.5', MIN_AUC=, MIN_DELTA=, DOMAIN=, ROWS=, ESTIMATOR=, PARAMS='{"max_depth": 3}')
	$(PY) -m workflows run

score: ## Score DATA=<csv|parquet> with @DOMAIN into OUT= (default scores.parquet); drift report (DRIFT_LIMIT=; group drift)
	$(call PY_WITH,drift) -m workflows score $(if $(DATA),--data "$(DATA)") --output "$(or $(OUT),scores.parquet)"

serve: ## Serve @DOMAIN on 127.0.0.1 (uvicorn), follow the alias (PORT=5001, SERVE_POLL_SECONDS=2, SERVE_MAX_BODY_MB=10, SERVER=mlflow)
	$(PY) -m workflows serve --domain $(DOMAIN) --port $(or $(PORT),5001) $(if $(SERVER),--server $(SERVER))

mlflow-ui: ## Open the local MLflow store at http://127.0.0.1:5000 (PORT=)
	$(UV) run --locked mlflow ui --backend-store-uri sqlite:///$(CURDIR)/.mlflow/mlflow.db \
		--host 127.0.0.1 --port $(or $(PORT),5000)

bench: ## Measure the parts in bench/: serving candidates + alias switch, scale, scoring (RUNS=3, ONLY=part; group drift)
	$(call PY_WITH,drift) -m bench --runs $(or $(RUNS),3) $(if $(ONLY),--only $(ONLY))

##@ Quality
.PHONY: lint test test-unit test-pipeline test-static test-integration services-up services-down
.PHONY: test-containers docker-engine docker-engine-down
lint: ## Ruff lint and format check; import layers and circles (import-linter, pyproject.toml)
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked lint-imports --no-cache

# Runs its command with a Docker engine reachable: the one that answers, else one
# scripts/docker-engine.sh starts (and stops after). Without any, container tests
# skip locally and fail in CI.
WITH_DOCKER = ( unset DOCKER_ENGINE_STARTED; eval "$$(scripts/docker-engine.sh start || true)"; rc=0; $(1) || rc=$$?; \
	if [ -n "$${DOCKER_ENGINE_STARTED:-}" ]; then scripts/docker-engine.sh stop; fi; exit $$rc )

test: ## All tests: unit, pipeline, integration, containers, static (installs every group)
	@# pytest exits 5 when it collected nothing: a test run that tests nothing fails.
	@$(call WITH_DOCKER,$(UV) run --locked --all-groups python -m pytest --durations=20) || { rc=$$?; [ $$rc -ne 5 ] || echo "error: no tests collected" >&2; exit $$rc; }

test-unit: ## Unit tests only (fast; group drift)
	$(call PY_WITH,drift) -m pytest tests/unit

test-pipeline: ## The Flyte workflows end to end on a temporary SQLite store (groups drift, datasets)
	$(call PY_WITH,drift datasets) -m pytest tests/pipeline

test-static: ## Workflows, manifests, Argo, Dockerfile, secrets, pyflyte package, the docs site (groups static, docs)
	$(call PY_WITH,static docs) -m pytest tests/static

test-integration: ## Real PostgreSQL + S3 (SeaweedFS) + MLflow server, pipeline end to end (groups integration, drift)
	$(call PY_WITH,integration drift) -m pytest tests/integration

test-containers: ## Images from the Dockerfiles; each task, the serving and MLflow servers, cicd steps in them
	@$(call WITH_DOCKER,$(call PY_WITH,integration) -m pytest tests/containers)

docker-engine: ## Start a Docker engine when none answers; prints the DOCKER_HOST to export
	@scripts/docker-engine.sh start

docker-engine-down: ## Stop the engine `make docker-engine` started
	@scripts/docker-engine.sh stop

SERVICES_DIR := $(CURDIR)/.services
services-up: ## Start the integration services in the background; prints URLs and env
	$(call PY_WITH,integration) -m tests.integration.services up $(SERVICES_DIR)

services-down: ## Stop the services started by services-up
	$(call PY_WITH,integration) -m tests.integration.services down $(SERVICES_DIR)

##@ Documentation
.PHONY: docs docs-serve
# Material's banner about MkDocs 2 is not a warning about this site.
export NO_MKDOCS_2_WARNING := 1
docs: ## Build the documentation site into site/ with --strict: a warning or broken link fails (group docs)
	$(PY) -m ci.docs
	$(call PY_WITH,docs) -m mkdocs build --strict --quiet --site-dir site

docs-serve: ## Serve the documentation site while you edit docs/ at http://127.0.0.1:8000 (PORT=; group docs)
	$(PY) -m ci.docs
	$(call PY_WITH,docs) -m mkdocs serve --dev-addr 127.0.0.1:$(or $(PORT),8000)

##@ CI/CD (every target asks `python -m ci`)
# DRY_RUN=1 prints the exact pyflyte/flytectl commands and runs nothing.
.PHONY: plan package register launch
CI_FLAGS = $(if $(DRY_RUN),--dry-run) $(if $(REF),--ref $(REF)) $(if $(SHA),--sha $(SHA))
plan: ## Show domain, version and image CI/CD plans for the current commit
	$(PY) -m ci plan --repo .

package: ## Build the Flyte package archive of the current commit (build/flyte-package.tgz)
	$(PY) -m ci package $(CI_FLAGS)

register: package ## Register the current commit (or REF= SHA=) in DOMAIN=; production also activates the schedules
	$(PY) -m ci register --domain $(DOMAIN) $(CI_FLAGS)

launch: ## Launch the registered pipeline in DOMAIN= and wait for the end
	$(PY) -m ci launch --domain $(DOMAIN) $(CI_FLAGS)

##@ Local cluster (k3d sandbox)
# The scripts check their own prerequisites first (docs/sandbox.md).
.PHONY: sandbox sandbox-down sandbox-status
sandbox: ## k3d cluster: MinIO, Postgres, MLflow, Flyte, Argo, Gitea + `sandbox` git remote
	@scripts/sandbox-up.sh

sandbox-down: ## Delete the sandbox cluster and the `sandbox` git remote
	@scripts/sandbox-down.sh

sandbox-status: ## Show the sandbox's charts, workloads and last cicd runs
	@scripts/sandbox-status.sh

##@ Template updates
.PHONY: template-status
template-status: ## Is the copier template newer than .copier-answers.yml? What would `copier update` change? (changes nothing)
	$(call PY_WITH,template) scripts/template_status.py
