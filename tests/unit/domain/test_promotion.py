"""Which runs may move a domain's alias: production only from a release tag."""

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.environments import DOMAINS, RELEASE_TAG_RE
from workflows.domain.promotion import PromotionError, check_promotion, version_label

WORKFLOWS = Path(__file__).resolve().parents[3] / "workflows"
REFS = ["", "refs/heads/main", "refs/heads/feature/x", "refs/tags/nightly", "refs/tags/v1.0"]
REFS += ["refs/tags/v1.0.0", "refs/tags/v1.0.0\n", "refs/heads/v1.0.0", "refs/tags/v1.0.0-rc1"]


def moves(domain: str, ref: str) -> bool:
    try:
        check_promotion(domain, ref)
    except PromotionError:
        return False
    return True


@pytest.mark.parametrize("ref", REFS)
def test_only_production_is_guarded(ref):
    assert [moves(d, ref) for d in DOMAINS] == [True, True, ref == "refs/tags/v1.0.0"]


@given(st.one_of(st.text(), st.from_regex(r"refs/tags/v[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")))
def test_production_moves_exactly_from_release_tags(ref):
    name = ref.removeprefix("refs/tags/")
    expected = ref.startswith("refs/tags/") and RELEASE_TAG_RE.fullmatch(name) is not None
    assert moves("production", ref) is expected


def test_a_refusal_names_the_ref_and_what_to_do():
    with pytest.raises(PromotionError, match="release tag") as refused:
        check_promotion("production", "refs/heads/main")
    assert "'refs/heads/main'" in str(refused.value) and "Tag a commit on main" in str(
        refused.value
    )


def test_the_pipeline_never_imports_the_delivery_code():
    # ci/ depends on the pipeline's rules, never the other way round.
    importing_ci = []
    for path in WORKFLOWS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            importing_ci += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "ci"]
    assert importing_ci == []


@pytest.mark.parametrize(("version", "label"), [("3", "v3"), ("", "none"), (None, "none")])
def test_a_version_is_named_v_n_or_none(version, label):
    assert version_label(version) == label
