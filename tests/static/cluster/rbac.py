"""Kubernetes RBAC, simulated: who may do what, from the resources themselves.

Enough of the authorizer for this sandbox: Roles and ClusterRoles bound to
service accounts (a RoleBinding's service account without a namespace is the
binding's own namespace's), `*` wildcards, and the escalation rule: creating
a Role, or a RoleBinding to it, needs every permission the Role grants.
kubectl calls become API requests the way kubectl makes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tests.fakes.contracts import check_kubectl

RBAC = "rbac.authorization.k8s.io"
# kind -> (API group, resource) for the kinds this sandbox creates.
RESOURCES = {
    "Namespace": ("", "namespaces"),
    "Service": ("", "services"),
    "Secret": ("", "secrets"),
    "ServiceAccount": ("", "serviceaccounts"),
    "ResourceQuota": ("", "resourcequotas"),
    "Deployment": ("apps", "deployments"),
    "Role": (RBAC, "roles"),
    "RoleBinding": (RBAC, "rolebindings"),
    "Workflow": ("argoproj.io", "workflows"),
}
# kubectl's short type names as the deploy code spells them.
TYPES = {"deployment": ("apps", "deployments"), "service": ("", "services")}


@dataclass(frozen=True)
class Request:
    verb: str
    group: str
    resource: str
    namespace: str

    def __str__(self) -> str:
        return f"{self.verb} {self.resource}.{self.group or 'core'} in {self.namespace}"


def kind_of(resource: dict) -> tuple[str, str]:
    kind = resource["kind"]
    if kind not in RESOURCES:
        raise AssertionError(f"the RBAC simulation does not know kind {kind}: add it")
    return RESOURCES[kind]


def _matches(rule: dict, request: Request) -> bool:
    def has(values, value):
        return "*" in values or value in values

    return (
        has(rule.get("apiGroups", []), request.group)
        and has(rule.get("resources", []), request.resource)
        and has(rule.get("verbs", []), request.verb)
    )


class Authorizer:
    """Rules per service account, from (Cluster)Roles and their bindings."""

    def __init__(self) -> None:
        self.grants: dict[tuple[str, str], list[tuple[str | None, dict]]] = {}

    def grant(self, account: tuple[str, str], namespace: str | None, rules: list[dict]) -> None:
        for rule in rules:
            self.grants.setdefault(account, []).append((namespace, rule))

    def allows(self, account: tuple[str, str], request: Request) -> bool:
        return any(
            (namespace is None or namespace == request.namespace) and _matches(rule, request)
            for namespace, rule in self.grants.get(account, [])
        )

    def covers(self, account: tuple[str, str], namespace: str, rules: list[dict]) -> list[str]:
        """What of `rules` the account lacks in namespace (the escalation check)."""
        lacking = []
        for rule in rules:
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        request = Request(verb, group, resource, namespace)
                        if not self.allows(account, request):
                            lacking.append(str(request))
        return lacking

    def apply(self, resources: list[dict]) -> None:
        """Take in the Roles, ClusterRoles and bindings among applied resources."""
        roles = {
            (r["kind"], r["metadata"].get("namespace"), r["metadata"]["name"]): r.get("rules", [])
            for r in resources
            if r["kind"] in ("Role", "ClusterRole")
        }
        for binding in (r for r in resources if r["kind"] in ("RoleBinding", "ClusterRoleBinding")):
            namespace = binding["metadata"].get("namespace")
            ref = binding["roleRef"]
            role_namespace = namespace if ref["kind"] == "Role" else None
            rules = roles.get((ref["kind"], role_namespace, ref["name"]))
            if rules is None:
                continue  # bound to a role that does not exist: grants nothing
            scope = namespace if binding["kind"] == "RoleBinding" else None
            for subject in binding.get("subjects", []):
                if subject["kind"] == "ServiceAccount":
                    account = (subject.get("namespace") or namespace, subject["name"])
                    self.grant(account, scope, rules)


def creation_requests(resource: dict) -> list[Request]:
    """What creating-or-updating a resource asks (kubectl apply, Flyte sync): get, create, patch."""
    group, plural = kind_of(resource)
    namespace = resource["metadata"].get("namespace", "")
    return [Request(verb, group, plural, namespace) for verb in ("get", "create", "patch")]


def kubectl_requests(argv: list[str], stdin: str | None, namespace: str) -> list[Request]:
    """The API requests one kubectl call makes (only the commands the code uses)."""
    command = check_kubectl(argv)
    words = [a for a in argv if not a.startswith("-")]
    if command == ("get",):
        group, plural = TYPES[words[words.index("get") + 1]]
        return [Request("get", group, plural, namespace)]
    if command == ("apply",):
        items = json.loads(stdin or "{}").get("items", [])
        return [
            Request(r.verb, r.group, r.resource, namespace)
            for item in items
            for r in creation_requests(item)
        ]
    if command == ("rollout", "status"):
        kind = words[words.index("status") + 1].split("/")[0]
        group, plural = TYPES[kind]
        # A get, then a list-and-watch until the rollout is done.
        return [Request(v, group, plural, namespace) for v in ("get", "list", "watch")]
    raise AssertionError(f"kubectl {' '.join(command)}: the simulation does not know it: add it")
