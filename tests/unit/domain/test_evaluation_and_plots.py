import xml.etree.ElementTree as ET

import pytest

from tests.fixtures import tables as fixtures
from workflows.domain import contract as data_contract
from workflows.domain import plots
from workflows.domain.data import split
from workflows.domain.evaluation import evaluate
from workflows.domain.training import TrainParams, train

CONTRACT = data_contract.load(fixtures.contract_path("imbalanced"))


@pytest.fixture(scope="module")
def scored():
    train_part, test_part = split(fixtures.table("imbalanced"), CONTRACT.target, 0.25, seed=5)
    return evaluate(train(train_part, CONTRACT, TrainParams(seed=5)), test_part, CONTRACT)


def test_evaluation_is_for_the_positive_label_and_consistent(scored):
    assert 0.5 < scored.roc_auc <= 1.0  # the table is learnable
    assert sum(map(sum, scored.confusion)) == scored.rows == 500
    (tn, _fp), (fn, tp) = scored.confusion
    assert fn + tp == scored.positives == 15  # 3 % "Yes", stratified
    assert scored.positive_share == pytest.approx(0.03)
    assert scored.accuracy == pytest.approx((tn + tp) / scored.rows)
    assert scored.fpr[0] == scored.tpr[0] == 0.0 and scored.fpr[-1] == scored.tpr[-1] == 1.0
    assert scored.labels == ("No", "Yes")


def test_plots_are_well_formed_svg_showing_the_numbers_and_labels(scored):
    images = plots.plots(scored)
    assert set(images) == {"roc_curve.svg", "confusion_matrix.svg"}
    for svg in images.values():
        assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    assert f"{scored.roc_auc:.4f}" in images["roc_curve.svg"]
    for count in (c for row in scored.confusion for c in row):
        assert f">{count}</text>" in images["confusion_matrix.svg"]
    assert ">Yes</text>" in images["confusion_matrix.svg"]
