"""`make contract` drafts the task from the target and says the rule it used."""

import pandas as pd
import pytest

from workflows.domain.draft import MAX_CLASSES, DraftError, draft

ROWS = 120


def frame(target) -> pd.DataFrame:
    return pd.DataFrame({"y": target, "x": [float(i % 13) for i in range(ROWS)]})


def test_two_values_are_binary():
    contract, decisions = draft(frame(["no", "yes"] * (ROWS // 2)), "y")
    assert contract.task == "binary"
    assert "binary" in decisions[0].why and "task:" in decisions[0].why


def test_a_few_text_labels_are_multiclass_listed_by_count():
    labels = ["ham"] * 60 + ["spam"] * 30 + ["promo"] * 20 + ["social"] * 10
    contract, decisions = draft(frame(labels), "y")
    assert contract.task == "multiclass"
    assert contract.classes == ("ham", "promo", "social", "spam")
    assert contract.positive is None and "multiclass" in decisions[0].why


def test_small_integer_grades_are_multiclass():
    contract, _ = draft(frame([1, 2, 3, 4] * (ROWS // 4)), "y")
    assert contract.task == "multiclass" and contract.classes == (1, 2, 3, 4)


@pytest.mark.parametrize(
    "values",
    [
        [i * 1.37 for i in range(ROWS)],  # fractions
        [i % 60 for i in range(ROWS)],  # many distinct integers: a quantity
    ],
)
def test_many_numbers_are_regression(values):
    contract, decisions = draft(frame(values), "y")
    assert contract.task == "regression" and contract.labels == ()
    assert "regression" in decisions[0].why


def test_hundreds_of_labels_are_refused_with_the_count():
    labels = [f"product {i % 300}" for i in range(600)]
    table = pd.DataFrame({"y": labels, "x": range(600)})
    with pytest.raises(DraftError, match=r"300 distinct labels") as caught:
        draft(table, "y")
    assert "regression" in str(caught.value) and "group" in str(caught.value)
    assert MAX_CLASSES < 300


@pytest.mark.parametrize(
    ("values", "task", "message"),
    [
        (["a", "b", "c"] * 40, "regression", "holds text"),
        (["a", "b"] * 60, "multiclass", "2 labels"),
        (["a", "b", "c"] * 40, "binary", "exactly two distinct values"),
    ],
)
def test_a_task_asked_for_that_the_target_cannot_be_is_refused(values, task, message):
    with pytest.raises(DraftError, match=message):
        draft(frame(values), "y", task=task)


def test_a_task_asked_for_wins_over_the_rule():
    contract, decisions = draft(frame([1, 2, 3, 4] * (ROWS // 4)), "y", task="regression")
    assert contract.task == "regression"
    assert "as asked" in decisions[0].why


@pytest.mark.parametrize("shape", ["tickets", "prices"])
def test_each_task_fixture_contract_is_what_the_draft_gives(shape):
    from tests.fixtures import tables as fixtures
    from workflows.domain import contract as data_contract

    drafted, _ = draft(fixtures.table(shape), fixtures.TARGETS[shape])
    assert drafted == data_contract.load(fixtures.contract_path(shape))


def test_rows_with_no_label_are_named_for_review():
    """Found by a new user: carData Chile's 168 rows with no `vote` were left out of
    "Review first", and the first make run refused them."""
    labels = ["Y"] * 60 + ["N"] * (ROWS - 67) + [None] * 7
    _, decisions = draft(frame(labels), "y")
    assert "7 row(s) have no label, which make run refuses" in decisions[0].review


def test_labels_too_rare_for_the_run_are_named_for_review():
    """Found by a new user: Cars93's 'Van' (9 rows) was drafted without a word, and
    the first make run refused it (min_rows_per_class 10)."""
    labels = ["Small"] * 60 + ["Midsize"] * 43 + ["Van"] * 9 + ["Sporty"] * 8
    contract, decisions = draft(frame(labels), "y")
    review = decisions[0].review
    assert contract.min_rows_per_class == 10
    assert "'Sporty': 8, 'Van': 9" in review and "make run refuses" in review
    _, fine = draft(frame(["a"] * 60 + ["b"] * 30 + ["c"] * 30), "y")
    assert fine[0].review == ""
    _, binary = draft(frame(["no"] * 115 + ["yes"] * 5), "y")
    assert "'yes': 5" in binary[0].review
