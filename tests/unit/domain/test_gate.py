import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.gate import QualityGateError, check_gate, check_min_auc

unit = st.floats(0.0, 1.0, allow_nan=False)
bars = st.floats(0.0, 1.0, allow_nan=False, exclude_min=True)


@given(unit, bars)
def test_gate_passes_exactly_when_auc_reaches_min_auc(auc, min_auc):
    if auc >= min_auc:
        check_gate(auc, min_auc)
    else:
        with pytest.raises(QualityGateError) as caught:
            check_gate(auc, min_auc)
        assert (caught.value.auc, caught.value.min_auc) == (auc, min_auc)
        assert f"{auc:.4f}" in str(caught.value) and f"{min_auc:.4f}" in str(caught.value)


def test_a_nan_auc_never_passes():
    with pytest.raises(QualityGateError):
        check_gate(math.nan, 0.5)


@pytest.mark.parametrize("min_auc", [0.0, -0.5, 1.0001, 1.5, math.nan])
def test_min_auc_outside_0_1_is_refused(min_auc):
    with pytest.raises(ValueError, match="min_auc"):
        check_min_auc(min_auc)
