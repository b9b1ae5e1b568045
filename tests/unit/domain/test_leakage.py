"""A feature that alone separates the target is named; honest features are not."""

import numpy as np
import pandas as pd
import pytest

from workflows.domain import contract as data_contract
from workflows.domain.data import split
from workflows.domain.leakage import LEAK_AUC, possible_leaks

CONTRACT = data_contract.from_dict(
    {
        "target": {"column": "y", "positive": "yes", "negative": "no"},
        "features": {
            "signal": {"kind": "numeric"},
            "outcome code": {"kind": "categorical"},
            "closed": {"kind": "datetime"},
            "noise": {"kind": "numeric", "missing": True},
        },
    }
)


def table(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    positive = rng.random(rows) < 0.3
    return pd.DataFrame(
        {
            "signal": positive + rng.normal(0, 1, rows),  # useful, far from perfect
            "outcome code": np.where(positive, "C7", "A1"),  # recorded after the fact
            "closed": [f"2024-0{1 + int(p) * 5}-1{i % 9}" for i, p in enumerate(positive)],
            "noise": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(0, 1, rows)),
            "y": np.where(positive, "yes", "no"),
        }
    )


def test_features_that_alone_separate_the_target_are_named():
    train, test = split(table(), "y", 0.25, 0)
    leaks = possible_leaks(train, test, CONTRACT)
    assert {leak.feature for leak in leaks} == {"outcome code", "closed"}
    assert all(leak.roc_auc >= LEAK_AUC for leak in leaks)


@pytest.mark.parametrize("seed", range(3))
def test_honest_features_are_not_named(seed):
    frame = table(seed=seed).drop(columns=["outcome code", "closed"])
    contract = data_contract.from_dict(
        {
            "target": {"column": "y", "positive": "yes", "negative": "no"},
            "features": {
                "signal": {"kind": "numeric"},
                "noise": {"kind": "numeric", "missing": True},
            },
        }
    )
    train, test = split(frame, "y", 0.25, seed)
    assert possible_leaks(train, test, contract) == []
