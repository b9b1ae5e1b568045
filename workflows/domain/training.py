"""Build and fit the model from the data contract: a classifier for a binary or
multiclass target, a regressor for a regression one. Pure: no Flyte, no MLflow.

The model is one scikit-learn Pipeline that takes raw rows, as the team's table
holds them: categorical and boolean columns are encoded inside it (a category
never seen in training becomes "missing", not a crash), dates become their parts
inside it (model.DateParts), and missing values are handled by the estimators
themselves (both support NaN natively).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflows.domain.errors import PipelineError
from workflows.domain.model import PARALLEL_FROM_ROWS, LabelledClassifier, NumericRegressor

if TYPE_CHECKING:
    import pandas as pd

    from workflows.domain.contract import Contract

# HistGradientBoosting: native categorical support and missing values, and the
# fastest fit here (measured: demo 569 rows ~0.3 s; 1M rows ~15 s on 2 cores).
DEFAULT_ESTIMATOR = "hist_gradient_boosting"
ESTIMATORS = ("hist_gradient_boosting", "random_forest")
# Each random-forest tree sees at most this many bootstrap rows: fitting then
# grows linearly with data (1M rows: 17 s and 42 MB instead of ~110 s and 135 MB,
# ROC AUC 0.980 vs 0.982).
MAX_ROWS_PER_TREE = 25_000
# HistGradientBoosting's native categories must be fewer than its 255 bins;
# rarer categories beyond that are pooled into one.
MAX_CATEGORIES = 254

# Every type a fitted model holds beyond skops' own safe defaults. Models are
# saved with skops and loaded with exactly this allow-list, kept here in code
# and never read from the model file: a model holding anything else is refused.
# tests/unit/domain/test_training.py saves and loads a real fitted model of each
# estimator and checks that this list is exactly what they need.
TRUSTED_TYPES: tuple[str, ...] = (
    # HistGradientBoosting keeps a partial of check_array to validate its input;
    # skops audits the function inside the partial on its own, by name.
    "functools.partial",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
    "sklearn.utils.validation.check_array",
    "workflows.domain.model.DateParts",
    "workflows.domain.model.LabelledClassifier",
    "workflows.domain.model.NumericRegressor",
)


class TrainingError(PipelineError, ValueError):
    """The estimator or its parameters cannot be used; the message says which."""


@dataclass(frozen=True)
class TrainParams:
    estimator: str = DEFAULT_ESTIMATOR
    params: dict = field(default_factory=dict)  # the estimator's own hyper-parameters
    seed: int = 42

    def __post_init__(self) -> None:
        if self.estimator not in ESTIMATORS:
            raise TrainingError(
                f"estimator {self.estimator!r} is not known; choose one of {', '.join(ESTIMATORS)}"
            )
        # A parameter is known when the classifier or the regressor takes it; the
        # one the task uses refuses the other's when it is built (train).
        known = {
            **_estimator_class(self.estimator, "binary")().get_params(),
            **_estimator_class(self.estimator, "regression")().get_params(),
        }
        unknown = sorted(set(self.params) - set(known) - {"random_state"})
        if unknown:
            raise TrainingError(
                f"{self.estimator} has no parameter(s) {unknown}; it takes: {', '.join(known)}"
            )

    @classmethod
    def from_json(cls, estimator: str, params: str, seed: int) -> TrainParams:
        """`params` is a JSON object, e.g. '{"max_depth": 3}'; "" means none."""
        try:
            parsed = json.loads(params) if params.strip() else {}
        except json.JSONDecodeError as err:
            raise TrainingError(f"params {params!r} is not JSON: {err}") from None
        if not isinstance(parsed, dict):
            raise TrainingError(f"params must be a JSON object, got {params!r}")
        return cls(estimator, parsed, seed)


def _estimator_class(name: str, task: str = "binary"):
    from sklearn import ensemble

    kind = "Regressor" if task == "regression" else "Classifier"
    prefix = "RandomForest" if name == "random_forest" else "HistGradientBoosting"
    return getattr(ensemble, prefix + kind)


def features_and_target(frame: pd.DataFrame, contract: Contract) -> tuple[pd.DataFrame, pd.Series]:
    """The model's input columns (ignored columns dropped) and the labels."""
    return frame[contract.feature_names], frame[contract.target]


def category_limit(params: TrainParams) -> int | None:
    """How many levels a categorical column may keep: HistGradientBoosting takes
    fewer than its `max_bins` (255 unless PARAMS says otherwise), so the rarest
    beyond that are pooled into one level; None: no limit (random forest)."""
    if params.estimator != "hist_gradient_boosting":
        return None
    return min(MAX_CATEGORIES, int(params.params.get("max_bins", MAX_CATEGORIES + 1)) - 1)


def pooled(frame: pd.DataFrame, contract: Contract, params: TrainParams) -> dict[str, int]:
    """Categorical columns with more levels than the estimator takes: column -> its
    level count (the rarest beyond category_limit are pooled into one)."""
    limit = category_limit(params)
    if limit is None:
        return {}
    counts = {name: int(frame[name].nunique()) for name in contract.of_kind("categorical")}
    return {name: n for name, n in counts.items() if n > limit}


def build(
    contract: Contract, params: TrainParams, rows: int
) -> LabelledClassifier | NumericRegressor:
    """An unfitted model for `contract`'s task, sized for `rows` training rows;
    TypeError when the estimator does not take a parameter of PARAMS."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    from workflows.domain.model import DateParts

    coded = contract.of_kind("categorical") + contract.of_kind("boolean")
    numeric = contract.of_kind("numeric")
    dates = contract.of_kind("datetime")
    encode = ColumnTransformer(
        [
            (
                "categories",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,  # unseen at training -> treated as missing
                    encoded_missing_value=np.nan,
                    # The rarest levels beyond what the estimator takes are pooled
                    # into one, deliberately; the run names each such column.
                    max_categories=category_limit(params) or None,
                ),
                coded,
            ),
            ("numbers", "passthrough", numeric),
            # Dates become numbers inside the model: serving takes the raw value.
            ("dates", DateParts(), dates),
        ],
        verbose_feature_names_out=False,
    )
    is_category = [True] * len(coded) + [False] * (len(numeric) + len(DateParts.PARTS) * len(dates))
    estimator = _estimator(params, is_category, rows, contract.task)
    if contract.task == "regression":
        return NumericRegressor(Pipeline([("encode", encode), ("regress", estimator)]))
    pipeline = Pipeline([("encode", encode), ("classify", estimator)])
    if contract.task == "binary":
        return LabelledClassifier(pipeline, contract.positive)
    return LabelledClassifier(pipeline, None, contract.classes)


def _estimator(params: TrainParams, is_category: list[bool], rows: int, task: str = "binary"):
    cls = _estimator_class(params.estimator, task)
    if params.estimator == "random_forest":
        per_tree = min(rows, MAX_ROWS_PER_TREE)
        defaults = {
            "n_estimators": 100,
            "max_samples": per_tree if per_tree < rows else None,
            "n_jobs": -1 if rows >= PARALLEL_FROM_ROWS else None,
        }
    else:
        defaults = {"categorical_features": is_category if any(is_category) else None}
    return cls(**{**defaults, "random_state": params.seed, **params.params})


def train(
    frame: pd.DataFrame, contract: Contract, params: TrainParams
) -> LabelledClassifier | NumericRegressor:
    """Fit on `frame` (validated against `contract`); raises TrainingError when the
    estimator refuses its parameters."""
    features, target = features_and_target(frame, contract)
    try:
        model = build(contract, params, len(frame))
        return model.fit(features, target)
    except (ValueError, TypeError) as err:
        raise TrainingError(f"{params.estimator} could not be fitted: {err}") from None
