"""Names the copier answers give other systems: refused at generation, not at deploy.

copier.yml's validators spell, in Jinja, the rules workflows/domain/names.py
applies at run time; these tests hold the two spellings to each other, and
check that every name derived from the answers (Kubernetes namespaces
<flyte_project>-<domain>, the image <container_registry>/<project_slug>) is
refused with a message naming the derived name when it is too long.
"""

from __future__ import annotations

import functools

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

from tests.template.conftest import ROOT
from tests.template.test_template import render
from workflows.domain.environments import DOMAINS
from workflows.domain.names import check_dns_label, check_model_name

QUESTIONS = yaml.safe_load((ROOT / "copier.yml").read_text())
# The environment copier renders validators in: its default extensions.
JINJA = SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])
NAME_CHARS = st.sampled_from("abcz019-_.'\" /@:\nAZ")


def copier_refuses(question: str, **answers: str) -> str:
    """The validator's message for these answers; empty when copier accepts them."""
    return JINJA.from_string(QUESTIONS[question]["validator"]).render(**answers).strip()


def accepted(check, *values: str) -> bool:
    try:
        for value in values:
            check(value)
    except ValueError:
        return False
    return True


@settings(max_examples=300)
@given(st.text(NAME_CHARS, max_size=110) | st.text(max_size=5))
@example("model\n")  # `$` in a regex also matches before a final newline
@example("m" * 101)
def test_copier_and_the_settings_accept_the_same_model_names(name):
    assert (copier_refuses("model_name", model_name=name) == "") == accepted(check_model_name, name)


@settings(max_examples=300)
@given(st.text(NAME_CHARS, max_size=70))
@example("p" * 51)  # p...p-development: 63 characters
@example("p" * 52)
@example("project\n")
def test_copier_accepts_a_flyte_project_exactly_when_every_namespace_is_valid(project):
    namespaces = [f"{project}-{domain}" for domain in DOMAINS]
    check = functools.partial(check_dns_label, what="namespace")
    expected = accepted(check, project, *namespaces)
    assert (copier_refuses("flyte_project", flyte_project=project) == "") == expected


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        # flyte_project defaults to the slug: <53 chars>-development has 65.
        ({"project_slug": "a" * 53}, f"namespace {'a' * 53}-development that Flyte derives"),
        ({"flyte_project": "b" * 52}, f"namespace {'b' * 52}-development .* 64 characters"),
        ({"model_name": "it's-a-model"}, "model_name must be 1 to 100 letters"),
        ({"model_name": "team/model"}, "model_name must be"),
        ({"container_registry": "registry.example.com/ML"}, "its path in lowercase"),
        (
            {"container_registry": "registry.example.com/" + "x" * 230, "project_slug": "my-model"},
            f"image name registry.example.com/{'x' * 230}/my-model derived from",
        ),
    ],
)
def test_an_unusable_derived_name_is_refused_by_name(template, tmp_path, answers, message):
    with pytest.raises(ValueError, match=message):
        render(template, tmp_path / "project", **answers)
    assert not (tmp_path / "project" / "workflows").exists()


def test_the_longest_names_that_fit_are_accepted(template, tmp_path):
    answers = {
        "project_slug": "s" * 63,
        "flyte_project": "f" * 51,
        "model_name": "M" * 100,
        "container_registry": "registry.example.com:5000/" + "r" * 165,  # image: 255
    }
    project = render(template, tmp_path / "project", **answers)
    identity = (project / "workflows" / "identity.py").read_text()
    for value in answers.values():
        assert f'"{value}"' in identity
