"""What the Sensor does with an event, re-enacted for the tests.

Just the parts of Argo Events the cicd Sensor uses: gjson-style dotted paths
(`body.repository.full_name`, numeric parts index lists), string data filters
(Go regexp search, `=` or `!=`), and dataTemplate limited to `{{ .Input.<path> }}`
placeholders. Anything else raises, so the Sensor cannot silently outgrow this.
"""

from __future__ import annotations

import copy
import re

_PLACEHOLDER = re.compile(r"\{\{\s*\.Input\.([A-Za-z0-9_.-]+)\s*\}\}")


class Unsupported(AssertionError):
    pass


def lookup(data: object, path: str) -> object:
    for part in path.split("."):
        if isinstance(data, list) and part.isdigit():
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise KeyError(path)
    return data


def passes_filters(dependency: dict, event: dict) -> bool:
    filters = dependency.get("filters", {})
    if set(filters) - {"data"} or filters.get("dataLogicalOperator", "and") != "and":
        raise Unsupported(f"filters beyond AND-ed data filters: {sorted(filters)}")
    for rule in filters.get("data", []):
        if rule["type"] != "string":
            raise Unsupported(f"data filter type {rule['type']}")
        try:
            value = str(lookup(event, rule["path"]))
        except KeyError:
            return False
        matched = any(re.search(pattern, value) for pattern in rule["value"])
        comparator = rule.get("comparator", "=")
        if comparator not in ("=", "!="):
            raise Unsupported(f"comparator {comparator}")
        if matched != (comparator == "="):
            return False
    return True


def resolve(source: dict, event: dict) -> str:
    if "dataTemplate" in source:
        template = source["dataTemplate"]
        rendered = _PLACEHOLDER.sub(lambda m: str(lookup(event, m.group(1))), template)
        if "{{" in rendered:
            raise Unsupported(f"template beyond .Input placeholders: {template}")
        return rendered
    if "dataKey" in source:
        return str(lookup(event, source["dataKey"]))
    raise Unsupported(f"parameter source {sorted(source)}")


def set_path(resource: dict, dest: str, value: str) -> None:
    *parents, last = dest.split(".")
    node = resource
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def fire(sensor: dict, event: dict) -> list[dict]:
    """The Workflows the Sensor would submit for one event from its dependency."""
    (dependency,) = sensor["spec"]["dependencies"]
    if not passes_filters(dependency, event):
        return []
    submitted = []
    for trigger in sensor["spec"]["triggers"]:
        spec = trigger["template"]["argoWorkflow"]
        resource = copy.deepcopy(spec["source"]["resource"])
        for parameter in spec.get("parameters", []):
            set_path(resource, parameter["dest"], resolve(parameter["src"], event))
        submitted.append(resource)
    return submitted


def webhook_event(body: dict) -> dict:
    """The webhook EventSource wraps a request as {header, body}."""
    return {
        "header": {"Content-Type": ["application/json"], "X-Gitea-Event": ["push"]},
        "body": body,
    }
