"""A push to the sandbox remote becomes the right cicd run.

Recorded (hand-written, Gitea-shaped) push payloads go through the Sensor's
own filters and parameter mapping; the resulting ref and sha go through
`ci.refs.plan`, the one table of promotion: feature branch -> development,
main -> staging, tag v1.0.0 -> production, branch deletion -> no run.
"""

from __future__ import annotations

import copy
import json

import pytest

from ci.refs import plan
from tests.static.cluster.events import fire, webhook_event
from tests.static.cluster.support import PAYLOADS, ROOT, build, of_kind

(SENSOR,) = of_kind(build(ROOT / "argo"), "Sensor")
CASES = sorted(PAYLOADS.glob("*.json"))


def arguments(workflow: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_push_maps_to_the_planned_domain(path):
    case = json.loads(path.read_text())
    body, expected = case["body"], case["expected"]
    submitted = fire(SENSOR, webhook_event(body))
    if not expected["triggers"]:
        assert submitted == []
        return
    (workflow,) = submitted
    args = arguments(workflow)
    assert args["ref"] == body["ref"] and args["revision"] == body["after"]
    full_name = body["repository"]["full_name"]
    assert args["repo"] == f"http://gitea-http.gitea.svc.cluster.local:3000/{full_name}.git"
    # Whether a tag is on main is checked later, by cicd in its clone (test_cluster_argo).
    planned = plan(args["ref"], args["revision"], tag_on_main=True)
    assert (planned.domain, planned.version, planned.allowed) == (
        expected["domain"],
        expected["version"],
        True,
    )


def test_samples_cover_every_domain_and_a_deletion():
    expected = [json.loads(p.read_text())["expected"] for p in CASES]
    assert {e.get("domain") for e in expected if e["triggers"]} == {
        "development",
        "staging",
        "production",
    }
    assert any(not e["triggers"] for e in expected)


def test_a_swapped_mapping_is_caught():
    # Proof the check bites: ref and revision crossed over no longer plan.
    broken = copy.deepcopy(SENSOR)
    parameters = broken["spec"]["triggers"][0]["template"]["argoWorkflow"]["parameters"]
    parameters[1]["dest"], parameters[2]["dest"] = parameters[2]["dest"], parameters[1]["dest"]
    body = json.loads((PAYLOADS / "push-main.json").read_text())["body"]
    (workflow,) = fire(broken, webhook_event(body))
    args = arguments(workflow)
    with pytest.raises(ValueError):
        plan(args["ref"], args["revision"])
