"""One typed settings object, read from the environment.

MLFLOW_TRACKING_URI   tracking + registry server; default: SQLite in .mlflow/
MODEL_NAME            registered model name; default: identity.MODEL_NAME. 1 to 100
                      letters, digits, '.', '_', '-' (MLflow URIs and search filters)
DOMAIN                development | staging | production; default: development
                      (in a cluster Flyte's FLYTE_INTERNAL_EXECUTION_DOMAIN wins)
GATE                  quality gate for every task, <metric><direction><threshold>:
                      roc_auc>=0.8, macro_roc_auc>=0.85, rmse<=12.5, r2>=0.6;
                      default: identity.DEFAULT_GATE, else MIN_AUC (classification)
                      or r2>=0.5 (regression). Checked against the contract's task
MIN_AUC               classification gate when GATE is unset (ROC AUC, macro for
                      multiclass); default: identity.DEFAULT_MIN_AUC
MIN_DELTA             champion/challenger: the alias moves when the new model is no
                      worse than the current one by more than MIN_DELTA on the gate's
                      metric (ROC AUC by default), on the same rows; default: 0.0
DRIFT_LIMIT           batch scoring: drift_detected when the share of drifted
                      features exceeds it; default: 0.5
RETRAIN_ON_DRIFT      true: a scheduled scoring run that detects drift starts the
                      training launch plan of its domain; default: false
SCORING_CRON, TRAINING_CRON   the schedules (cron) of the scoring and training
                      launch plans; read when the package is built (flyte/schedules.py)
CONTRACT              the data contract (YAML); default: contract.yaml at the project root
DATA                  CSV/Parquet path or URI; default: the contract's `source`
ROWS                  use a synthetic table of this many rows, shaped by the contract
ESTIMATOR             hist_gradient_boosting | random_forest; default: hist_gradient_boosting
PARAMS                the estimator's hyper-parameters, a JSON object; default: {}
GIT_SHA, GIT_REF      provenance; CI sets them, locally they are read from git
SERVING_URL           smoke-test this endpoint after deploy; default: in-process
DEPLOY_TARGET         local | kubernetes; default: local. kubernetes (in the cluster):
                      deploy also rolls out Deployment + Service `model-<domain>` and
                      smoke-tests it through the Service (needs kubectl in the image)
SERVING_NAMESPACE     namespace of `model-<domain>`; default: <flyte project>-<domain>,
                      the namespace Flyte runs the domain's tasks in (an RFC 1123 label)
SERVING_IMAGE         image of the serving pods; `ci package` sets it in every task to
                      the pipeline image the task runs in (else FLYTE_INTERNAL_IMAGE)
TASK_RESOURCES        each Flyte task pod's requests and limits, read when the package
                      is built: a JSON object over the defaults (TASK_RESOURCE_DEFAULTS),
                      e.g. '{"train": {"memory": "2Gi", "memory_limit": "4Gi"}}'; keys
                      cpu, memory, cpu_limit, memory_limit. The defaults fit the sandbox's
                      stated minimum (docs/sandbox.md); the sandbox's Flyte
                      `task_resources` defaults are DEFAULT_TASK_RESOURCES
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from workflows import identity
from workflows.domain.challenge import check_min_delta
from workflows.domain.data import SYNTHETIC_PREFIX
from workflows.domain.drift import DEFAULT_DRIFT_LIMIT, check_drift_limit
from workflows.domain.environments import DOMAINS
from workflows.domain.gate import GateError, check_min_auc, parse_gate
from workflows.domain.names import check_dns_label, check_model_name
from workflows.domain.resources import PodResources
from workflows.domain.training import DEFAULT_ESTIMATOR

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCAL_STORE = PROJECT_ROOT / ".mlflow"
CONTRACT_FILE = PROJECT_ROOT / "contract.yaml"
DEPLOY_TARGETS = ("local", "kubernetes")
DEFAULT_MIN_DELTA = 0.0

# A task pod imports the whole pipeline (~400 MB measured for `make run` end to
# end); training and scoring hold the data and the model besides. CPU limits
# let a task use the machine when it is free: only requests reserve.
# The pipeline's Flyte tasks (workflows/flyte/tasks.py), the keys of TASK_RESOURCES.
TASK_NAMES = ("prepare", "train", "gate", "register", "challenge", "deploy", "score", "keep_model")
DEFAULT_TASK_RESOURCES = PodResources(cpu="250m", memory="512Mi", cpu_limit="2", memory_limit="1Gi")
TASK_RESOURCE_DEFAULTS = {
    "train": PodResources(cpu="500m", memory="768Mi", cpu_limit="2", memory_limit="2Gi"),
    "score": PodResources(cpu="250m", memory="768Mi", cpu_limit="2", memory_limit="2Gi"),
}


class SettingsError(ValueError):
    """An environment variable holds a value the pipeline cannot use."""


@dataclass(frozen=True)
class Settings:
    tracking_uri: str
    artifact_root: str | None  # only for a SQLite store; a server decides its own
    model_name: str = identity.MODEL_NAME
    experiment: str = identity.PROJECT_SLUG
    domain: str = "development"
    min_auc: float = identity.DEFAULT_MIN_AUC
    gate: str = ""  # GATE as written ("" = the default for the contract's task)
    min_delta: float = DEFAULT_MIN_DELTA
    drift_limit: float = DEFAULT_DRIFT_LIMIT
    contract_path: str = str(CONTRACT_FILE)
    data: str = ""  # "" = the contract's own `source`
    estimator: str = DEFAULT_ESTIMATOR
    params: str = "{}"  # JSON object, checked against the estimator before a run
    git_sha: str = ""
    git_ref: str = ""
    serving_url: str = ""
    deploy_target: str = "local"
    serving_namespace: str = ""
    serving_image: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        tracking_uri = env.get("MLFLOW_TRACKING_URI", "").strip()
        if not tracking_uri:
            tracking_uri = f"sqlite:///{LOCAL_STORE / 'mlflow.db'}"
        domain = _domain(env)
        target = env.get("DEPLOY_TARGET", "").strip() or "local"
        if target not in DEPLOY_TARGETS:
            raise SettingsError(
                f"DEPLOY_TARGET={target!r}: must be one of {', '.join(DEPLOY_TARGETS)}"
            )
        image = env.get("SERVING_IMAGE") or env.get("FLYTE_INTERNAL_IMAGE") or ""
        if target == "kubernetes" and not image:
            raise SettingsError(
                "DEPLOY_TARGET=kubernetes needs SERVING_IMAGE (or FLYTE_INTERNAL_IMAGE)"
            )
        namespace = env.get("SERVING_NAMESPACE") or f"{identity.FLYTE_PROJECT}-{domain}"
        return cls(
            tracking_uri=tracking_uri,
            artifact_root=_artifact_root(tracking_uri),
            model_name=_checked(
                "MODEL_NAME", check_model_name, env.get("MODEL_NAME") or identity.MODEL_NAME
            ),
            experiment=env.get("MLFLOW_EXPERIMENT_NAME") or identity.PROJECT_SLUG,
            domain=domain,
            min_auc=_fraction(env, "MIN_AUC", identity.DEFAULT_MIN_AUC, check_min_auc),
            gate=_gate(env.get("GATE", "")),
            min_delta=_fraction(env, "MIN_DELTA", DEFAULT_MIN_DELTA, check_min_delta),
            drift_limit=_fraction(env, "DRIFT_LIMIT", DEFAULT_DRIFT_LIMIT, check_drift_limit),
            contract_path=_contract_path(env.get("CONTRACT", "")),
            data=_data(env.get("DATA", ""), env.get("ROWS", "")),
            estimator=env.get("ESTIMATOR", "").strip() or DEFAULT_ESTIMATOR,
            params=env.get("PARAMS", "").strip() or "{}",
            git_sha=env.get("GIT_SHA") or _git("rev-parse", "HEAD"),
            git_ref=env.get("GIT_REF") or _git("symbolic-ref", "-q", "HEAD"),
            serving_url=env.get("SERVING_URL", ""),
            deploy_target=target,
            serving_namespace=_checked(
                "SERVING_NAMESPACE", partial(check_dns_label, what="namespace"), namespace
            ),
            serving_image=image,
        )


def task_resources(env: dict[str, str] | None = None) -> dict[str, PodResources]:
    """{task name: its pod's requests and limits}: TASK_RESOURCES over the defaults.

    Raises SettingsError naming the task and key when TASK_RESOURCES is not a JSON
    object of known tasks and keys, a quantity does not parse, or a request is
    above its limit.
    """
    tasks = TASK_NAMES
    text = (os.environ if env is None else env).get("TASK_RESOURCES", "").strip()
    try:
        overrides = json.loads(text) if text else {}
    except json.JSONDecodeError as err:
        raise SettingsError(f"TASK_RESOURCES: not JSON ({err.msg})") from None
    if not isinstance(overrides, dict):
        raise SettingsError("TASK_RESOURCES: must be a JSON object of task names")
    unknown = sorted(set(overrides) - set(tasks))
    if unknown:
        raise SettingsError(
            f"TASK_RESOURCES: unknown task {unknown[0]!r}; tasks: {', '.join(tasks)}"
        )
    keys = {f.name for f in dataclasses.fields(PodResources)}
    sized = {}
    for name in tasks:
        given = overrides.get(name, {})
        if not isinstance(given, dict) or set(given) - keys:
            raise SettingsError(
                f"TASK_RESOURCES[{name!r}]: a JSON object with keys {', '.join(sorted(keys))}"
            )
        base = TASK_RESOURCE_DEFAULTS.get(name, DEFAULT_TASK_RESOURCES)
        try:
            sized[name] = dataclasses.replace(base, **{k: str(v) for k, v in given.items()}).check()
        except ValueError as err:
            raise SettingsError(f"TASK_RESOURCES[{name!r}]: {err}") from None
    return sized


def _artifact_root(tracking_uri: str) -> str | None:
    """A SQLite store keeps its artifacts in a folder beside the database, not in
    ./mlruns of whatever directory the run started from. A server decides its own."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    return (database.parent / "artifacts").resolve().as_uri()


def _domain(env: dict[str, str]) -> str:
    domain = env.get("FLYTE_INTERNAL_EXECUTION_DOMAIN") or env.get("DOMAIN") or "development"
    if domain not in DOMAINS:
        raise SettingsError(f"DOMAIN={domain!r}: must be one of {', '.join(DOMAINS)}")
    return domain


def _checked(variable: str, check: Callable[[str], str], value: str) -> str:
    """`value` when the target system's rule accepts it; else an error naming the variable."""
    try:
        return check(value)
    except ValueError as err:
        raise SettingsError(f"{variable}: {err}") from None


def _fraction(env: dict[str, str], name: str, default: float, check) -> float:
    """`name`'s number when `check` accepts it, `default` when unset; else a named error."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return check(float(text))
    except ValueError as err:
        raise SettingsError(f"{name}={text!r}: {err}") from None


def _gate(text: str) -> str:
    """GATE as written, when it reads as a gate (its task is checked against the
    contract before a run)."""
    if not text.strip():
        return ""
    try:
        return str(parse_gate(text))
    except GateError as err:
        raise SettingsError(str(err)) from None


def _data(data: str, rows: str) -> str:
    if rows.strip():
        if data.strip():
            raise SettingsError("set DATA or ROWS, not both")
        if not rows.strip().isdigit() or int(rows) < 1:
            raise SettingsError(f"ROWS={rows!r}: must be a positive whole number")
        return f"{SYNTHETIC_PREFIX}{int(rows)}"
    return data.strip()


def _contract_path(text: str) -> str:
    return str(Path(text.strip()).resolve()) if text.strip() else str(CONTRACT_FILE)


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return ""  # no git (e.g. inside the image): provenance comes from CI
    return done.stdout.strip() if done.returncode == 0 else ""
