"""The rules for names other systems read (workflows/domain/names.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.names import check_dns_label, check_model_name, mlflow_filter_string


@given(st.text(max_size=120))
def test_a_model_name_is_usable_exactly_when_uris_and_filters_take_it(name):
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    usable = 1 <= len(name) <= 100 and set(name) <= safe and name[0].isascii() and name[0].isalnum()
    if usable:
        assert check_model_name(name) == name
    else:
        with pytest.raises(ValueError, match="not a usable model name"):
            check_model_name(name)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("a", True), ("a-1", True), ("1a", True), ("a" * 63, True), ("a" * 64, False),
     ("A", False), ("a_b", False), ("-a", False), ("a-", False), ("", False), ("a.b", False)],
)  # fmt: skip
def test_kubernetes_names_follow_rfc_1123(value, ok):
    if ok:
        assert check_dns_label(value, "namespace") == value
    else:
        with pytest.raises(ValueError, match=f"namespace {value!r}.*it has {len(value)}"):
            check_dns_label(value, "namespace")


@given(st.text().filter(lambda v: not ("'" in v and '"' in v)))
def test_a_filter_string_holds_the_value_between_quotes_it_does_not_contain(value):
    quoted = mlflow_filter_string(value)
    assert quoted[0] == quoted[-1] and quoted[0] in "'\"" and quoted[1:-1] == value
    assert quoted[0] not in value


def test_a_value_with_both_quotes_cannot_be_searched():
    with pytest.raises(ValueError, match="both quote characters"):
        mlflow_filter_string('it\'s "odd"')
