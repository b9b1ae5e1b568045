"""How the sandbox's documents refer to each other, as findings (empty = consistent).

Each function takes resources (as kustomize builds them) and returns the
broken references it finds, named, so a test shows every problem at once.
"""

from __future__ import annotations

import re

from tests.static.cluster.support import name_of


def _pod_templates(resources: list[dict]):
    for resource in resources:
        spec = resource.get("spec", {})
        template = spec.get("template") if isinstance(spec, dict) else None
        if isinstance(template, dict) and "containers" in template.get("spec", {}):
            yield resource, template


def _namespace(resource: dict) -> str | None:
    return resource.get("metadata", {}).get("namespace")


def service_problems(resources: list[dict]) -> list[str]:
    """Every Service selects some pod template, and each targetPort is a port of it."""
    problems = []
    for service in (r for r in resources if r["kind"] == "Service"):
        selector = service["spec"].get("selector", {})
        matches = [
            template
            for owner, template in _pod_templates(resources)
            if _namespace(owner) == _namespace(service)
            and selector.items() <= template.get("metadata", {}).get("labels", {}).items()
        ]
        if not matches:
            problems.append(f"{name_of(service)}: selector {selector} matches no pod template")
            continue
        ports = [p for t in matches for c in t["spec"]["containers"] for p in c.get("ports", [])]
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if not any(target in (p.get("name"), p["containerPort"]) for p in ports):
                problems.append(f"{name_of(service)}: targetPort {target} is no container port")
    return problems


def ingress_problems(resources: list[dict]) -> list[str]:
    """Every Ingress backend is a Service in its namespace with that port."""
    services = {
        (_namespace(s), s["metadata"]["name"]): s for s in resources if s["kind"] == "Service"
    }
    problems = []
    for ingress in (r for r in resources if r["kind"] == "Ingress"):
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                service = services.get((_namespace(ingress), backend["name"]))
                if service is None:
                    problems.append(f"{name_of(ingress)}: no Service {backend['name']}")
                    continue
                wanted = backend["port"].get("name", backend["port"].get("number"))
                if not any(wanted in (p.get("name"), p["port"]) for p in service["spec"]["ports"]):
                    problems.append(
                        f"{name_of(ingress)}: Service {backend['name']} has no port {wanted}"
                    )
    return problems


def secret_references(node: object, namespace: str | None, where: str):
    """(where, namespace, secret, key or None) for secretKeyRef, secretRef and authSecret."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("secretKeyRef", "authSecret") and isinstance(value, dict):
                yield where, namespace, value["name"], value["key"]
            elif key == "secretRef" and isinstance(value, dict):
                yield where, namespace, value["name"], None
            else:
                yield from secret_references(value, namespace, where)
    elif isinstance(node, list):
        for item in node:
            yield from secret_references(item, namespace, where)


def secret_problems(references, secrets: dict[str, dict[str, str]]) -> list[str]:
    """Each reference names a Secret (and key) that exists: `secrets` is {ns/name: {key: value}}."""
    problems = []
    for where, namespace, name, key in references:
        found = secrets.get(f"{namespace}/{name}")
        if found is None:
            problems.append(f"{where}: Secret {namespace}/{name} is created by nothing")
        elif key is not None and key not in found:
            problems.append(f"{where}: Secret {namespace}/{name} has no key {key}")
    return problems


_REFERENCE = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")


def template_reference_problems(template: dict) -> list[str]:
    """Each {{inputs.parameters.*}}, {{workflow.parameters.*}}, {{steps.*.outputs.*}} resolves."""
    spec = template["spec"]
    templates = {t["name"]: t for t in spec["templates"]}
    workflow = {p["name"] for p in spec.get("arguments", {}).get("parameters", [])}
    problems = []

    def outputs(name: str) -> set[str]:
        declared = templates[name].get("outputs", {}).get("parameters", [])
        return {f"parameters.{p['name']}" for p in declared} | (
            {"result"} if "script" in templates[name] or "container" in templates[name] else set()
        )

    for t in spec["templates"]:
        inputs = {p["name"] for p in t.get("inputs", {}).get("parameters", [])}
        groups = t.get("steps", [])
        for index, reference in _references(t, [str(group) for group in groups]):
            parts = reference.split(".")
            where = f"template {t['name']}: {{{{{reference}}}}}"
            if parts[:2] == ["inputs", "parameters"] and parts[2] not in inputs:
                problems.append(f"{where}: no input parameter {parts[2]}")
            elif parts[:2] == ["workflow", "parameters"] and parts[2] not in workflow:
                problems.append(f"{where}: no workflow parameter {parts[2]}")
            elif parts[0] == "steps":
                visible = {
                    s["name"]: s["template"]
                    for g in groups[: index if index >= 0 else 0]
                    for s in g
                }
                step = parts[1]
                if step not in visible:
                    problems.append(f"{where}: no earlier step {step}")
                elif ".".join(parts[3:]) not in outputs(visible[step]):
                    problems.append(f"{where}: step {step} has no output {'.'.join(parts[3:])}")
        for group in groups:
            for step in group:
                called = templates.get(step["template"])
                if called is None:
                    problems.append(f"template {t['name']}: step {step['name']} calls no template")
                    continue
                given = {p["name"] for p in step.get("arguments", {}).get("parameters", [])}
                wanted = {p["name"] for p in called.get("inputs", {}).get("parameters", [])}
                if given != wanted:
                    problems.append(
                        f"template {t['name']}: step {step['name']} passes {sorted(given)}, "
                        f"{step['template']} takes {sorted(wanted)}"
                    )
    return problems


def _references(template: dict, texts: list[str]):
    """(index of the step group a reference sits in, or -1 outside steps; reference)."""
    for index, text in enumerate(texts):
        for match in _REFERENCE.finditer(text):
            yield index, match.group(1)
    rest = {k: v for k, v in template.items() if k != "steps"}
    for match in _REFERENCE.finditer(str(rest)):
        yield -1, match.group(1)
