import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows import identity
from workflows.settings import CONTRACT_FILE, LOCAL_STORE, PROJECT_ROOT, Settings, SettingsError

PROVENANCE = {"GIT_SHA": "a" * 40, "GIT_REF": "refs/heads/main"}


def from_env(**env):
    return Settings.from_env({**PROVENANCE, **env})


def test_defaults_are_the_embedded_store_and_the_project_identity():
    settings = from_env()
    assert settings.tracking_uri == f"sqlite:///{LOCAL_STORE / 'mlflow.db'}"
    assert settings.artifact_root == (LOCAL_STORE / "artifacts").as_uri()
    assert settings.model_name == identity.MODEL_NAME
    assert settings.domain == "development"
    assert settings.min_auc == identity.DEFAULT_MIN_AUC
    assert settings.data == ""  # the contract's own source
    assert settings.contract_path == str(CONTRACT_FILE)
    assert (settings.estimator, settings.params) == ("hist_gradient_boosting", "{}")


def test_a_relative_contract_path_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert from_env(CONTRACT="ours/contract.yaml").contract_path == str(
        tmp_path / "ours" / "contract.yaml"
    )


def test_a_tracking_server_decides_its_own_artifact_store():
    settings = from_env(MLFLOW_TRACKING_URI="http://127.0.0.1:5000")
    assert settings.tracking_uri == "http://127.0.0.1:5000"
    assert settings.artifact_root is None


def test_a_sqlite_store_keeps_artifacts_beside_its_database(tmp_path):
    settings = from_env(MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path}/db/mlflow.db")
    assert settings.artifact_root == (tmp_path / "db" / "artifacts").as_uri()


def test_flyte_execution_domain_wins_over_domain():
    settings = from_env(DOMAIN="development", FLYTE_INTERNAL_EXECUTION_DOMAIN="staging")
    assert settings.domain == "staging"


@given(st.floats(0.0, 1.0, exclude_min=True))
def test_min_auc_in_range_is_read(min_auc):
    assert from_env(MIN_AUC=repr(min_auc)).min_auc == min_auc


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"DOMAIN": "prod"}, "DOMAIN"),
        ({"MIN_AUC": "1.5"}, "MIN_AUC"),
        ({"MIN_AUC": "high"}, "MIN_AUC"),
        ({"ROWS": "-3"}, "ROWS"),
        ({"ROWS": "1e6"}, "ROWS"),
        ({"ROWS": "100", "DATA": "x.csv"}, "DATA or ROWS"),
        # Names other systems read: MLflow (URIs, search filters), Kubernetes.
        ({"MODEL_NAME": "it's-a-model"}, 'MODEL_NAME: "it\'s-a-model" is not a usable model name'),
        ({"MODEL_NAME": 'say "hi"'}, "MODEL_NAME"),
        ({"MODEL_NAME": "team/model"}, "MODEL_NAME"),
        ({"MODEL_NAME": "model@staging"}, "MODEL_NAME"),
        ({"MODEL_NAME": "m" * 101}, "MODEL_NAME"),
        ({"SERVING_NAMESPACE": "Team_NS"}, "SERVING_NAMESPACE: namespace 'Team_NS'"),
        ({"SERVING_NAMESPACE": "n" * 64}, "SERVING_NAMESPACE.*at most 63 characters"),
    ],
)
def test_bad_values_name_their_variable(env, names):
    with pytest.raises(SettingsError, match=names):
        from_env(**env)


def test_rows_select_synthetic_data():
    assert from_env(ROWS="1000").data == "synthetic:1000"


@pytest.mark.parametrize("name", ["m", "credit_risk.v2", "Fraud-CLF-2", "m" * 100])
def test_usable_model_names_are_kept(name):
    assert from_env(MODEL_NAME=name).model_name == name


def test_the_serving_namespace_defaults_to_the_flyte_namespace_of_the_domain():
    settings = from_env(DOMAIN="staging")
    assert settings.serving_namespace == f"{identity.FLYTE_PROJECT}-staging"


def test_a_model_name_with_a_quote_stops_the_run_before_anything_is_written(tmp_path):
    # It used to train, log a run, then fail inside MLflow's search at register.
    store = tmp_path / "store"
    env = {
        **os.environ, **PROVENANCE, "MODEL_NAME": "it's-mine", "MIN_AUC": "0.6",
        "MLFLOW_TRACKING_URI": f"sqlite:///{store}/mlflow.db",
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "workflows", "run"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().startswith('error: MODEL_NAME: "it\'s-mine" is not a usable')
    assert len(done.stderr.strip().splitlines()) == 1
    assert not store.exists()


def test_min_delta_and_drift_limit_default_and_parse():
    settings = from_env()
    assert (settings.min_delta, settings.drift_limit) == (0.0, 0.5)
    settings = from_env(MIN_DELTA="0.02", DRIFT_LIMIT="0.25")
    assert (settings.min_delta, settings.drift_limit) == (0.02, 0.25)


@pytest.mark.parametrize(
    ("name", "value"),
    [("MIN_DELTA", "-0.1"), ("MIN_DELTA", "1"), ("MIN_DELTA", "x"), ("DRIFT_LIMIT", "1.5"),
     ("DRIFT_LIMIT", "nan"), ("DRIFT_LIMIT", "half")],
)  # fmt: skip
def test_a_bad_min_delta_or_drift_limit_is_named(name, value):
    with pytest.raises(SettingsError, match=name):
        from_env(**{name: value})
