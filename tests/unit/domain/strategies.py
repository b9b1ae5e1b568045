"""Hypothesis strategies for frames that meet the data contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workflows.domain.schema import FEATURES, MIN_CLASS_ROWS, MIN_ROWS, TARGET

finite = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def valid_frames(draw, min_rows: int = MIN_ROWS, max_rows: int = 150) -> pd.DataFrame:
    rows = draw(st.integers(min_rows, max_rows))
    values = draw(arrays(np.float64, (rows, len(FEATURES)), elements=finite))
    positives = draw(st.integers(MIN_CLASS_ROWS, rows - MIN_CLASS_ROWS))
    target = np.array([1] * positives + [0] * (rows - positives))
    order = draw(st.permutations(range(rows)))
    frame = pd.DataFrame(values, columns=list(FEATURES))
    frame[TARGET] = target[list(order)]
    return frame
