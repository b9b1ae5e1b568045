"""The names this project hands to other systems, checked against each system's rules.

A name is checked where it enters: the settings (environment) here, and the
project's copier answers, when it is generated or updated, by copier.yml's
validators, which spell the same rules in Jinja. So a name another system would
refuse stops the run before anything is trained.
"""

from __future__ import annotations

import re

# MLflow refuses '/' and ':' in model names; the name also goes into
# `models:/<name>@<alias>` URIs and into search filters, whose string values
# MLflow un-quotes without unescaping. Letters, digits, '.', '_' and '-' are safe
# in all three.
MODEL_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# RFC 1123 label: Kubernetes namespaces, and Flyte project ids (flyteadmin checks
# IsDNS1123Label, and makes the namespace <project>-<domain> from it).
DNS_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_LABEL_MAX = 63


def check_model_name(name: str) -> str:
    if not MODEL_NAME_RE.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a usable model name: 1 to 100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (MLflow model URIs and search filters need it)"
        )
    return name


def check_dns_label(value: str, what: str) -> str:
    if len(value) > DNS_LABEL_MAX or not DNS_LABEL_RE.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a Kubernetes name (an RFC 1123 DNS label): lowercase "
            "letters, digits and '-', starting and ending with a letter or digit, at most "
            f"{DNS_LABEL_MAX} characters (it has {len(value)})"
        )
    return value


def mlflow_filter_string(value: str) -> str:
    """`value` as a string literal in an MLflow search filter.

    MLflow takes the text between the quotes as it is, with no escapes, so a
    value is quoted with the quote character it does not contain.
    """
    for quote in ("'", '"'):
        if quote not in value:
            return f"{quote}{value}{quote}"
    raise ValueError(f"{value!r} holds both quote characters: no MLflow search filter can name it")
