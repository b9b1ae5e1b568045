"""`make contract`'s rules: every decision is said, the same data gives the same
file, and a target that cannot be a binary label is refused."""

import pandas as pd
import pytest

from tests.fixtures import tables as fixtures
from workflows.domain import contract as data_contract
from workflows.domain.draft import DraftError, draft


@pytest.mark.parametrize(
    ("shape", "target"), [("imbalanced", "churned"), ("biopsy", "class"), ("wide", "target")]
)
def test_each_fixture_contract_is_what_the_draft_gives(shape, target):
    drafted, decisions = draft(fixtures.table(shape), target)
    assert drafted == data_contract.load(fixtures.contract_path(shape))
    assert decisions[0].column == target
    assert all(d.why for d in decisions)


def table(**columns) -> pd.DataFrame:
    rows = 40
    base = {"y": ["no", "yes"] * (rows // 2), "x": [float(i) * 1.5 for i in range(rows)]}
    return pd.DataFrame({**base, **{k: v[:rows] for k, v in columns.items()}})


def decided(frame, target="y", positive=None) -> dict[str, tuple[str, str]]:
    _, decisions = draft(frame, target, positive)
    return {d.column: (d.decision, d.why) for d in decisions}


def test_identifiers_and_row_numbers_are_ignored_with_a_reason():
    found = decided(
        table(
            customer_id=list(range(5000, 5040)),
            row=list(range(1, 41)),
            name=[f"person {i}" for i in range(40)],
            code=[9, 3] * 20,
        )
    )
    assert found["customer_id"][0] == "ignored" and "identifier" in found["customer_id"][1]
    assert found["row"] == ("ignored", "row numbers (consecutive integers)")
    assert found["name"][0] == "ignored" and "unique text" in found["name"][1]
    assert found["code"][0] == "numeric" and "categorical if codes" in found["code"][1]


def test_text_is_categorical_and_true_false_is_boolean():
    found = decided(table(colour=["red", "blue", "green", None] * 10, flag=[True, False] * 20))
    assert found["colour"][0] == "categorical"
    assert found["flag"][0] == "boolean"


def test_column_names_are_kept_exactly():
    names = ["Monthly Usage (GB)", "tenure.months", "Ünïcode naïve", "CAPS"]
    frame = table(**{name: [float(i % 7) for i in range(40)] for name in names})
    contract, _ = draft(frame, "y")
    assert contract.feature_names == ["x", *names]
    text = data_contract.dump(contract)
    import yaml

    assert data_contract.from_dict(yaml.safe_load(text)).feature_names == ["x", *names]


def test_the_same_table_gives_the_same_file():
    frame = fixtures.table("wide")
    first = data_contract.dump(*[draft(frame, "target")[0]])
    assert data_contract.dump(draft(frame.copy(), "target")[0]) == first


@pytest.mark.parametrize(
    ("labels", "positive", "why"),
    [
        (["No", "Yes"], "Yes", "reads as yes/true"),
        ([0, 1], 1, "the larger number"),
        ([False, True], True, "true is the event"),
        (["benign", "benign", "malignant", "benign"], "malignant", "the rarer label"),
    ],
)
def test_a_positive_label_is_chosen_and_the_reason_said(labels, positive, why):
    frame = table(y=labels * (40 // len(labels)))
    contract, decisions = draft(frame, "y")
    assert contract.positive == positive
    assert why in decisions[0].why and "POSITIVE=" in decisions[0].why


def test_the_positive_label_can_be_given_as_text():
    contract, decisions = draft(table(y=[0, 1] * 20), "y", positive="0")
    assert (contract.positive, contract.negative) == (0, 1)
    assert "as asked" in decisions[0].why


@pytest.mark.parametrize(
    ("frame_args", "target", "positive", "message"),
    [
        ({}, "nope", None, "TARGET='nope' is not a column"),
        ({"y": ["a"] * 40}, "y", None, "two distinct values or more; it holds 1: 'a'"),
        ({}, "y", "maybe", "POSITIVE='maybe' is not one of the target's values"),
    ],
)
def test_a_target_that_cannot_be_a_binary_label_is_refused(frame_args, target, positive, message):
    with pytest.raises(DraftError) as caught:
        draft(table(**frame_args), target, positive)
    assert message in str(caught.value)


# --- What the raw text shows, and columns the model cannot use ---------------------

from workflows.domain.contract import TableFormat  # noqa: E402
from workflows.domain.draft import (  # noqa: E402
    Evidence,
    exact_text_columns,
    markers,
    propose_missing,
)


def test_markers_are_counted_and_proposed_only_among_numbers():
    raw = pd.DataFrame(
        {
            "size": ["1,5", "NA", "2,0", "?", None] * 8,  # decimal commas
            "region": ["NA", "EU", "NA", "AS", "EU"] * 8,  # North America
            "clean": ["a", "b", "c", "d", "e"] * 8,
        }
    )
    found = markers(raw)
    assert found == {"size": {"?": 8, "NA": 8}, "region": {"NA": 16}}
    assert propose_missing(raw, found, TableFormat(";", ",")) == {"size": ("?", "NA")}


def test_a_text_columns_markers_stay_categories_and_the_reviewer_is_told():
    frame = table(region=["NA", "EU"] * 20, size=[1.0, None, 2.5, None] * 10)
    evidence = Evidence(
        markers={"region": {"NA": 20}, "size": {"?": 20}}, proposed={"size": ("?",)}
    )
    contract, decisions = draft(frame, "y", evidence=evidence)
    found = {d.column: d for d in decisions}
    assert "'NA' x20 kept as categories" in found["region"].review
    assert found["region"].missing == "no"
    assert found["size"].missing == "yes: '?' x20"
    assert contract.features[2].missing_values == ("?",)


def test_digit_columns_with_leading_zeros_or_beyond_2_53_are_kept_as_text():
    raw = pd.DataFrame(
        {
            "zip": ["01234", "98765"] * 5,
            "big": [str(2**53 + 1 + i) for i in range(10)],
            "count": [str(i) for i in range(10)],
        }
    )
    assert exact_text_columns(raw) == ["zip", "big"]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ([[1, 2], [3]] * 20, "holds lists"),
        ([{"a": 1}, {"b": 2}] * 20, "holds mappings or structs"),
        ([b"\x00\x01", b"\x02"] * 20, "holds binary values"),
    ],
)
def test_columns_the_model_cannot_use_are_ignored_with_the_reason(values, reason):
    found = decided(table(nested=values))
    assert found["nested"][0] == "ignored" and reason in found["nested"][1]


def test_iso_dates_and_timestamps_are_their_own_kind():
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    found = decided(
        table(
            day=[f"{d:%Y-%m-%d}" for d in days],
            stamp=pd.Series(days.tz_localize("Europe/Paris")),
        )
    )
    assert found["day"][0] == "datetime"
    assert found["stamp"][0] == "datetime" and "time zone" in found["stamp"][1]


def test_the_codes_hint_appears_only_where_the_evidence_points_at_codes():
    found = decided(
        table(score=list(range(1, 11)) * 4, status=[1, 2] * 20, plan=[101, 205, 310, 999] * 10)
    )
    assert "categorical if codes" not in found["score"][1]
    assert "categorical if codes" in found["status"][1]  # named like codes
    assert "categorical if codes" in found["plan"][1]  # sparse values


def test_integers_named_like_an_identifier_are_ignored_even_when_some_repeat():
    found = decided(table(ID=[1000025 + i * 3 // 4 * 7 for i in range(40)]))  # 30 in 40
    assert found["ID"][0] == "ignored" and "named like an identifier" in found["ID"][1]
