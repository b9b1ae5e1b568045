import xml.etree.ElementTree as ET

import pytest

from workflows.domain import plots
from workflows.domain.data import split, synthetic
from workflows.domain.evaluation import evaluate
from workflows.domain.training import TrainParams, train


@pytest.fixture(scope="module")
def scored():
    frame = synthetic(400, seed=5)
    train_part, test_part = split(frame, 0.25, seed=5)
    return evaluate(train(train_part, TrainParams(n_estimators=20, seed=5)), test_part)


def test_evaluation_is_consistent(scored):
    assert 0.5 < scored.roc_auc <= 1.0  # the synthetic set is learnable
    assert sum(map(sum, scored.confusion)) == scored.rows == 100
    (tn, _fp), (_fn, tp) = scored.confusion
    assert scored.accuracy == pytest.approx((tn + tp) / scored.rows)
    assert scored.fpr[0] == scored.tpr[0] == 0.0 and scored.fpr[-1] == scored.tpr[-1] == 1.0


def test_plots_are_well_formed_svg_showing_the_numbers(scored):
    images = plots.plots(scored)
    assert set(images) == {"roc_curve.svg", "confusion_matrix.svg"}
    for svg in images.values():
        assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    assert f"{scored.roc_auc:.4f}" in images["roc_curve.svg"]
    for count in (c for row in scored.confusion for c in row):
        assert f">{count}</text>" in images["confusion_matrix.svg"]


@pytest.mark.parametrize(("field", "value"), [("n_estimators", 0), ("max_depth", -1)])
def test_bad_hyper_parameters_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        TrainParams(**{field: value})
