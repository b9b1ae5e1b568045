"""The `make` targets a generated project's CI calls, read from its own CI files.

GitHub Actions: every `run:` step of every job in .github/workflows/*.yml.
Argo: every script of the `cicd` WorkflowTemplate (argo/cicd.yaml), whose test step
runs `make test-unit`. Nothing here is a hand-kept list: a CI step that calls a new
target is picked up, and fails the template test when the project lacks it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_MAKE = re.compile(r"(?<![\w.-])make((?:[ \t]+[^\s;&|#)]+)+)")
_TARGET = re.compile(r"^[A-Za-z0-9][\w.-]*$")


def make_targets(script: str) -> list[str]:
    """Targets of every `make …` command in a shell script (variables and flags left out)."""
    targets = []
    for match in _MAKE.finditer(script):
        targets += [w for w in match.group(1).split() if _TARGET.match(w)]
    return targets


def github_scripts(project: Path) -> dict[str, str]:
    """`<file>:<job>` -> the job's `run:` steps, for each .github/workflows/*.yml."""
    scripts = {}
    for path in sorted((project / ".github" / "workflows").glob("*.yml")):
        workflow = yaml.safe_load(path.read_text())
        for name, job in workflow.get("jobs", {}).items():
            runs = [step["run"] for step in job.get("steps", []) if "run" in step]
            scripts[f"{path.name}:{name}"] = "\n".join(runs)
    return scripts


def argo_scripts(project: Path) -> dict[str, str]:
    """`cicd:<template>` -> what that template's container or script runs."""
    (workflow,) = [d for d in yaml.safe_load_all((project / "argo" / "cicd.yaml").read_text()) if d]
    scripts = {}
    for template in workflow["spec"]["templates"]:
        body = template.get("container") or template.get("script") or {}
        parts = [*body.get("args", []), body.get("source", "")]
        scripts[f"cicd:{template['name']}"] = "\n".join(p for p in parts if isinstance(p, str))
    return scripts


def ci_make_targets(project: Path) -> dict[str, list[str]]:
    """Each CI job or Argo step that calls make -> the targets it calls, in order."""
    found = {**github_scripts(project), **argo_scripts(project)}
    return {where: t for where, script in found.items() if (t := make_targets(script))}
