"""The serving manifests: names, the pinned model, probes and a non-root pod, for any domain."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.serving import (
    CONTAINER_USER,
    PORT,
    reapplicable,
    service_url,
    serving_manifests,
    serving_name,
)

labels = st.from_regex(r"[a-z]([-a-z0-9]{0,40}[a-z0-9])?", fullmatch=True)
model_names = st.text(
    st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="-_."),
    min_size=1,
    max_size=40,
)
versions = st.integers(1, 10_000).map(str)


def _manifests(**overrides):
    args = {
        "model_name": "a-model",
        "version": "3",
        "domain": "staging",
        "namespace": "project-staging",
        "image": "registry.local/project:abc1234",
        "tracking_uri": "http://mlflow.mlops.svc.cluster.local:5000",
    }
    return serving_manifests(**(args | overrides))


@given(domain=labels, namespace=labels, model_name=model_names, version=versions)
def test_deployment_and_service_share_the_domain_name(domain, namespace, model_name, version):
    deployment, service = _manifests(
        domain=domain, namespace=namespace, model_name=model_name, version=version
    )
    assert (deployment["kind"], service["kind"]) == ("Deployment", "Service")
    for resource in (deployment, service):
        assert resource["metadata"]["name"] == f"model-{domain}"
        assert resource["metadata"]["namespace"] == namespace
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert (
        service_url(domain, namespace) == f"http://model-{domain}.{namespace}.svc.cluster.local:80"
    )


@given(model_name=model_names, version=versions, domain=labels)
def test_the_pod_serves_the_pinned_version(model_name, version, domain):
    (deployment, _) = _manifests(model_name=model_name, version=version, domain=domain)
    template = deployment["spec"]["template"]
    (container,) = template["spec"]["containers"]
    command = container["command"]
    assert command[:4] == ["python", "-m", "workflows", "serve"]  # the app `make serve` runs
    assert command[command.index("--model-version") + 1] == version
    assert command[command.index("--domain") + 1] == domain
    assert command[command.index("--port") + 1] == str(PORT)
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MODEL_NAME"] == model_name
    annotations = template["metadata"]["annotations"]
    assert f"models:/{model_name}/{version}" in annotations.values()
    assert f"{model_name}@{domain}" in annotations.values()


def test_versions_differ_only_in_the_model_they_serve():
    """A new version changes the pod template (so it rolls out), and nothing else."""
    old, new = _manifests(version="3")[0], _manifests(version="4")[0]
    assert old["spec"]["template"] != new["spec"]["template"]
    assert old["spec"]["selector"] == new["spec"]["selector"]
    assert old["metadata"] == new["metadata"]


def test_pod_is_probed_bounded_and_not_root():
    (deployment, _) = _manifests()
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ping"
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == CONTAINER_USER != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow.mlops.svc.cluster.local:5000"
    # The previous pods keep serving until a new one is ready.
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@given(
    domain=st.text(max_size=70).filter(
        lambda d: not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", f"model-{d}") or len(d) > 57
    )
)
def test_a_domain_that_makes_no_dns_name_is_refused(domain):
    with pytest.raises(ValueError, match="DNS label"):
        serving_name(domain)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("namespace", "Bad_NS", "DNS label"),
        ("image", " ", "image"),
        ("version", "latest", "version"),
        ("replicas", -1, "replicas"),
    ],
)
def test_bad_arguments_are_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        _manifests(**{field: value})


def test_a_live_deployment_becomes_a_manifest_that_puts_it_back():
    (deployment, _) = _manifests()
    live = {
        **deployment,
        "metadata": {
            **deployment["metadata"],
            "uid": "1234",
            "resourceVersion": "99",
            "generation": 4,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {
                "deployment.kubernetes.io/revision": "4",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "team": "risk",
            },
        },
        "status": {"replicas": 1},
    }
    again = reapplicable(live)
    assert again["spec"] == deployment["spec"]
    assert again["metadata"] == {**deployment["metadata"], "annotations": {"team": "risk"}}
    assert "status" not in again


def test_the_request_schema_documents_each_column_its_kind_and_missing():
    from workflows.domain.contract import Contract, Feature
    from workflows.domain.serving import request_schema

    contract = Contract(
        "y", 1, 0, (Feature("age", "numeric", False), Feature("plan", "categorical", True))
    )
    schema = request_schema(contract)["content"]["application/json"]["schema"]
    records = schema["oneOf"][0]["properties"]["dataframe_records"]["items"]
    assert records["required"] == ["age", "plan"]
    assert records["properties"]["age"] == {
        "type": "number",
        "description": "numeric; never missing",
    }
    assert records["properties"]["plan"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert records["properties"]["plan"]["description"] == "categorical; may be missing (null)"


@pytest.mark.parametrize(
    ("task", "classes", "columns"),
    [
        ("binary", (), "label, probability"),
        ("multiclass", ("low", "mid grade", "high"),
         "label, probability_low, probability_mid_grade, probability_high"),
        ("regression", (), "prediction"),
    ],
)  # fmt: skip
def test_the_openapi_page_says_what_each_task_answers(task, classes, columns):
    from workflows.domain.contract import Contract, Feature
    from workflows.domain.serving import answer_description

    binary = task == "binary"
    contract = Contract(
        "grade", "yes" if binary else None, "no" if binary else None,
        (Feature("age", "numeric", False),), task=task, classes=classes,
    )  # fmt: skip
    assert answer_description(contract) == (
        f"{task} model of 'grade': rows in; per row out: {columns}."
    )


def test_whole_numbers_sent_for_a_categorical_column_are_its_codes_as_written():
    """Found by a new user: `"Cylinders": 4` was refused by make serve while make
    score, reading "4" from the CSV, scored the same row."""
    import numpy as np
    import pandas as pd

    from workflows.domain.contract import Contract, Feature
    from workflows.domain.serving import as_table_cells

    contract = Contract(
        "y", 1, 0,
        (Feature("cylinders", "categorical", True), Feature("size", "numeric", False)),
    )  # fmt: skip
    sent = pd.DataFrame(
        {"cylinders": [4, 6.0, np.nan, "rotary", 4.5, True], "size": [1, 2, 3, 4, 5, 6]}
    )
    rows = as_table_cells(sent, contract)
    codes = rows["cylinders"].tolist()
    assert codes[:2] == ["4", "6"] and pd.isna(codes[2]) and codes[3:] == ["rotary", 4.5, True]
    assert rows["size"].tolist() == [1, 2, 3, 4, 5, 6]  # numeric columns untouched
    assert sent["cylinders"].tolist()[:2] == [4, 6.0]  # the request itself unchanged
    floats = as_table_cells(pd.DataFrame({"cylinders": [4.0, None], "size": [1, 2]}), contract)
    assert floats["cylinders"].iloc[0] == "4" and pd.isna(floats["cylinders"].iloc[1])


def test_a_date_sent_as_a_number_is_the_text_a_table_holds_for_it():
    """`"signup": 20240301` was refused by make serve while make score read the CSV
    cell as the text "20240301", an ISO 8601 basic date."""
    import pandas as pd

    from workflows.domain.contract import Contract, Feature
    from workflows.domain.serving import as_table_cells

    contract = Contract("y", 1, 0, (Feature("signup", "datetime", True),))
    sent = pd.DataFrame({"signup": [20240301, 20240301.0, "2024-03-01", 2024.5, None]})
    cells = as_table_cells(sent, contract)["signup"].tolist()
    assert cells[:4] == ["20240301", "20240301", "2024-03-01", 2024.5] and cells[4] is None


def test_a_text_the_contract_reads_as_missing_is_missing_in_a_request_too():
    """Found by the parity property: `""` was refused by make serve (not a number,
    not a date, not true/false) or taken as a category, while the CSV make score
    reads cannot tell "" from no value. A column's own missing_values count too."""
    import pandas as pd

    from workflows.domain.contract import Contract, Feature
    from workflows.domain.serving import as_table_cells

    features = (
        Feature("n", "numeric", True, ("?",)), Feature("c", "categorical", True, ("NA",)),
        Feature("b", "boolean", True), Feature("d", "datetime", False),
    )  # fmt: skip
    contract = Contract("y", 1, 0, features, ignore={"id": ""})
    sent = pd.DataFrame(
        {"n": ["", "?", 1.5, "NA"], "c": ["", "NA", "?", " "], "b": ["", True, False, None],
         "d": ["", "2024-03-01", "?", "2024-03-01"], "id": ["", "a", "b", "c"]}
    )  # fmt: skip
    cells = as_table_cells(sent, contract)
    assert cells["n"].tolist() == [None, None, 1.5, "NA"]  # "NA": not this column's token
    assert cells["c"].tolist() == [None, None, "?", " "]  # only the exact cell
    assert cells["b"].tolist() == [None, True, False, None]
    assert cells["d"].tolist() == [None, "2024-03-01", "?", "2024-03-01"]
    assert cells["id"].tolist() == ["", "a", "b", "c"]  # not a feature: left as sent
    assert sent["n"].tolist()[0] == ""  # the request itself unchanged
    plain = pd.DataFrame({"n": [1.0], "c": ["x"], "b": [True], "d": ["2024-03-01"]})
    assert as_table_cells(plain, contract) is plain  # nothing to change: no copy


def test_the_request_schema_covers_every_kind_of_feature():
    """A contract with a date column made the app's OpenAPI schema raise KeyError."""
    from workflows.domain.contract import KINDS, Contract, Feature
    from workflows.domain.serving import request_schema

    features = tuple(Feature(f"c_{kind}", kind, False) for kind in KINDS)
    schema = request_schema(Contract("y", 1, 0, features))["content"]["application/json"]
    records = schema["schema"]["oneOf"][0]["properties"]["dataframe_records"]["items"]
    assert records["properties"]["c_datetime"]["type"] == "string"
    assert set(records["required"]) == {f.name for f in features}
