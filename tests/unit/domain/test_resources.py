"""Kubernetes quantities read as numbers: what the resource settings and the
sandbox's resource-sum test both rely on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.resources import PodResources, memory_bytes, millicores


@given(st.integers(1, 64_000))
def test_millicores_and_cores_are_the_same_amount(m):
    assert millicores(f"{m}m") == m
    if m % 1000 == 0:
        assert millicores(str(m // 1000)) == m


@pytest.mark.parametrize(
    ("text", "value"),
    [("250m", 250), ("2", 2000), ("0.5", 500), ("1.25", 1250), (2, 2000), (0.1, 100)],
)
def test_cpu_forms(text, value):
    assert millicores(text) == value


@given(st.integers(1, 10**6), st.sampled_from(["Ki", "Mi", "Gi", "k", "M", "G", ""]))
def test_memory_units(n, unit):
    scale = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9, "": 1}
    assert memory_bytes(f"{n}{unit}") == n * scale[unit]


@pytest.mark.parametrize("text", ["", "abc", "1e3", "250u", "-1", "0", "0m", "1.2345", "2 cores"])
def test_a_cpu_that_is_not_one_is_named(text):
    with pytest.raises(ValueError, match="CPU"):
        millicores(text)


@pytest.mark.parametrize("text", ["", "1.5Gi", "512mi", "1GB", "-1Mi", "0Mi", "Mi"])
def test_a_memory_that_is_not_one_is_named(text):
    with pytest.raises(ValueError, match="memory"):
        memory_bytes(text)


def test_a_request_above_its_limit_is_refused():
    assert PodResources("1", "1Gi", "1", "1Gi").check()
    with pytest.raises(ValueError, match="CPU request 2 is above its limit 1"):
        PodResources("2", "1Gi", "1", "1Gi").check()
    with pytest.raises(ValueError, match="memory request 2Gi is above its limit 1Gi"):
        PodResources("1", "2Gi", "1", "1Gi").check()
