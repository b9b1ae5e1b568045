"""Evaluation and plots for a multiclass and a regression model, on held-out rows."""

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tests.unit.domain.test_training import FAST, MULTICLASS, REGRESSION
from workflows.domain.data import split, synthetic
from workflows.domain.evaluation import evaluate
from workflows.domain.plots import plots
from workflows.domain.training import TrainParams, train


def fitted(contract, seed=6, rows=600):
    frame = synthetic(rows, contract, seed)
    training, test = (
        split(frame, contract.target, 0.3, seed)
        if contract.is_classification
        else (frame.head(int(rows * 0.7)), frame.tail(rows - int(rows * 0.7)))
    )
    params = TrainParams("hist_gradient_boosting", FAST["hist_gradient_boosting"], seed)
    return train(training, contract, params), test


def test_multiclass_metrics_per_class_and_macro():
    model, test = fitted(MULTICLASS)
    scored = evaluate(model, test, MULTICLASS)
    metrics = scored.metrics()
    assert 0.5 < metrics["macro_roc_auc"] <= 1 and metrics["log_loss"] > 0
    assert [metrics[f"support_{x}"] for x in MULTICLASS.classes] == [
        int((test[MULTICLASS.target] == x).sum()) for x in MULTICLASS.classes
    ]
    assert all(0 <= metrics[f"recall_{x}"] <= 1 for x in MULTICLASS.classes)
    assert np.array(scored.confusion).sum() == len(test)
    assert set(plots(scored)) == {"confusion_matrix.svg", "roc_curves.svg"}
    for svg in plots(scored).values():
        ET.fromstring(svg)


def test_regression_metrics_beat_the_mean_and_name_the_baseline():
    model, test = fitted(REGRESSION)
    metrics = evaluate(model, test, REGRESSION).metrics()
    assert metrics["rmse"] < metrics["baseline_rmse"] and metrics["mae"] < metrics["baseline_mae"]
    assert 0 < metrics["r2"] <= 1
    scored = evaluate(model, test, REGRESSION)
    assert set(plots(scored)) == {"predicted_vs_actual.svg", "residuals.svg"}
    for svg in plots(scored).values():
        ET.fromstring(svg)


def test_a_model_that_predicts_the_mean_scores_r2_zero():
    model, test = fitted(REGRESSION)
    mean = float(test[REGRESSION.target].mean())
    model.predict_values = lambda rows: np.full(len(rows), mean)
    metrics = evaluate(model, test, REGRESSION).metrics()
    assert metrics["r2"] == pytest.approx(0, abs=1e-9)
    assert metrics["rmse"] == pytest.approx(metrics["baseline_rmse"])


def test_text_labels_that_need_escaping_keep_the_plots_valid():
    contract = dataclasses.replace(MULTICLASS, classes=("<a>", "b & c", 'd"e'))
    model, test = fitted(contract)
    for svg in plots(evaluate(model, test, contract)).values():
        ET.fromstring(svg)
