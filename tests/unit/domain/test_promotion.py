import pytest

from workflows.domain.promotion import PromotionError, check_promotion, version_label


@pytest.mark.parametrize("domain", ["development", "staging"])
@pytest.mark.parametrize("ref", ["", "refs/heads/main", "refs/heads/feature/x", "refs/tags/v1.0.0"])
def test_development_and_staging_move_from_any_ref(domain, ref):
    check_promotion(domain, ref)


@pytest.mark.parametrize("ref", ["", "refs/heads/main", "refs/tags/nightly", "refs/tags/v1.0"])
def test_production_refuses_anything_but_a_release_tag(ref):
    with pytest.raises(PromotionError, match="release tag"):
        check_promotion("production", ref)


def test_production_moves_from_a_release_tag():
    check_promotion("production", "refs/tags/v1.2.3")


@pytest.mark.parametrize(("version", "label"), [("3", "v3"), ("", "none"), (None, "none")])
def test_a_version_is_named_v_n_or_none(version, label):
    assert version_label(version) == label
