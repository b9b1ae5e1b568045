"""The ref -> domain/version table (ci/refs.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ci.refs import (
    MAX_VERSION_LENGTH,
    RefError,
    branch_version,
    is_release_tag,
    plan,
    split_ref,
    validate_sha,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
# Flyte versions travel as Kubernetes label values: lowercase alphanumerics,
# dots and dashes, alphanumeric at both ends, at most 63 characters.
VERSION = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")

shas = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
name_chars = st.one_of(
    st.sampled_from("/-_.ABCZabcz019"),
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
)
branch_names = st.text(alphabet=name_chars, min_size=1, max_size=150)


def valid_branch(name: str) -> str:
    try:
        split_ref(f"refs/heads/{name}")
    except RefError:
        assume(False)
    assume(name != "main")
    return name


@given(branch_names, shas)
def test_any_branch_gives_a_valid_flyte_version(name, sha):
    name = valid_branch(name)
    p = plan(f"refs/heads/{name}", sha)
    assert p.allowed and p.domain == "development" and p.alias == "development"
    assert VERSION.fullmatch(p.version), p.version
    assert len(p.version) <= MAX_VERSION_LENGTH
    assert p.version.endswith(f"-{sha[:7]}")


@given(branch_names, branch_names, shas)
def test_distinct_branches_get_distinct_versions(a, b, sha):
    a, b = valid_branch(a), valid_branch(b)
    assume(a != b)
    assert branch_version(a, sha) != branch_version(b, sha)


@pytest.mark.parametrize(
    "names",
    [
        ("feature/x", "feature-x", "Feature/X", "feature_x", "feature.x"),
        ("a" * 200, "a" * 201),
        ("café", "cafe", "cafe\u0301"),
    ],
)
def test_lossy_slugs_stay_apart(names):
    versions = {branch_version(n, SHA) for n in names}
    assert len(versions) == len(names)


def test_main_goes_to_staging():
    p = plan("refs/heads/main", SHA)
    assert (p.domain, p.version, p.alias, p.allowed) == ("staging", "main-0123456", "staging", True)


def test_release_tag_goes_to_production():
    p = plan("refs/tags/v1.2.3", SHA, tag_on_main=True)
    assert (p.domain, p.version, p.alias, p.allowed) == ("production", "v1.2.3", "production", True)


def test_release_tag_not_on_main_is_refused():
    p = plan("refs/tags/v1.2.3", SHA, tag_on_main=False)
    assert not p.allowed and "not on main" in p.reason


def test_release_tag_whose_ancestry_was_not_checked_is_refused():
    # A skipped guard fails closed: only a checked tag reaches production.
    p = plan("refs/tags/v1.2.3", SHA)
    assert not p.allowed and p.domain == "production"
    assert "not checked" in p.reason and "--repo" in p.reason


@pytest.mark.parametrize(
    "tag",
    ["v1.2", "v01.2.3", "1.2.3", "release-1", "v1.2.3-rc1", "v\u0661.0.0", "v1." + "9" * 70 + ".0"],
)
def test_other_tags_never_reach_production(tag):
    assert not is_release_tag(f"refs/tags/{tag}")
    p = plan(f"refs/tags/{tag}", SHA, tag_on_main=True)
    assert not p.allowed and p.domain is None and p.version is None


@pytest.mark.parametrize(
    "ref",
    [
        "main",
        "refs/heads/",
        "refs/pull/1/merge",
        "refs/heads/a..b",
        "refs/heads/a b",
        "refs/heads/x.lock",
        "refs/heads/.hidden",
        "refs/heads/-x",
        "refs/heads/a\n",
        "refs/tags/v1.0.0\n",
    ],
)
def test_malformed_refs_raise(ref):
    with pytest.raises(RefError):
        plan(ref, SHA)


@pytest.mark.parametrize("sha", ["", "abc", SHA.upper(), SHA + "\n", SHA[:-1] + "g", SHA + "0"])
def test_malformed_shas_raise(sha):
    with pytest.raises(RefError):
        validate_sha(sha)
