"""The documentation site (mkdocs.yml, docs/): it builds with --strict, its
contract reference is the contract's JSON Schema as it is now, and it names every
`make` target and every setting the code reads.

Each check also runs on a deliberately broken input to prove it can fail.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from ci import docs
from tests.static._ci_helpers import ROOT
from tests.tools import missing

CONFIG = ROOT / "mkdocs.yml"
SETTINGS = ROOT / "workflows" / "settings.py"
MAKEFILE = ROOT / "Makefile"
# An environment variable's name: capitals, digits, underscores.
ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,}")


# ------------------------------------------------------------------ the site's text
class _Loader(yaml.SafeLoader):
    """mkdocs.yml's `!!python/name:` tags are read as plain text: only `nav` matters."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def nav_pages(config: Path = CONFIG) -> list[str]:
    """The pages in a MkDocs config's `nav`, in order (paths under docs/)."""
    pages = []

    def walk(entry):
        if isinstance(entry, str):
            pages.append(entry)
        elif isinstance(entry, list):
            for item in entry:
                walk(item)
        elif isinstance(entry, dict):
            for value in entry.values():
                walk(value)

    walk(yaml.load(config.read_text(), Loader=_Loader)["nav"])
    return pages


def site_text() -> str:
    """The markdown of every page of the team's site."""
    return "\n".join((ROOT / "docs" / page).read_text() for page in nav_pages())


def test_every_nav_page_exists_and_every_page_is_in_the_nav():
    pages = nav_pages()
    absent = [p for p in pages if not (ROOT / "docs" / p).is_file()]
    assert absent == [], f"mkdocs.yml's nav names pages docs/ does not hold: {absent}"
    # Pages of the team's site: every markdown file of docs/ but the template's own.
    written = {
        str(p.relative_to(ROOT / "docs"))
        for p in (ROOT / "docs").rglob("*.md")
        if "template" not in p.relative_to(ROOT / "docs").parts
    }
    assert sorted(written - set(pages)) == [], "pages of docs/ left out of mkdocs.yml's nav"


# ------------------------------------------------------------------ make targets
def make_targets(makefile: str) -> list[str]:
    """The targets `make help` lists: those with a `## ` description."""
    return re.findall(r"^([a-zA-Z_-]+):.*?## ", makefile, re.MULTILINE)


def undocumented_targets(targets: list[str], text: str) -> list[str]:
    return [t for t in targets if not re.search(rf"`make {re.escape(t)}(?![\w-])", text)]


def test_every_make_target_is_in_the_docs():
    targets = make_targets(MAKEFILE.read_text())
    assert {"install", "run", "docs", "docs-serve"} <= set(targets)
    lost = undocumented_targets(targets, site_text())
    assert lost == [], (
        f"make targets (Makefile, `## ` help) that no page of the site names as `make <target>`: "
        f"{lost}. Add each to the table of make targets in docs/development.md, and to the "
        "page of its topic"
    )


def test_an_undocumented_make_target_is_found():
    makefile = "run: ## Run\n\nnew-thing: ## New\n\n.PHONY: run\nhidden:\n"
    assert make_targets(makefile) == ["run", "new-thing"]
    assert undocumented_targets(["run", "new-thing"], "`make run` and `make run-fast`") == [
        "new-thing"
    ]
    assert undocumented_targets(["test"], "`make test-unit`") == ["test"]


# ------------------------------------------------------------------ settings
def _is_environment(node: ast.AST) -> bool:
    name = ast.unparse(node)
    return name in ("env", "environ") or name.endswith(".environ")


def settings_read(source: str) -> set[str]:
    """Environment variables a module reads: `env.get("X")`, `os.environ.get("X")`,
    `helper(env, "X", …)`, and the names its docstring lists as a table (a name,
    or names joined by ", ", at the start of a line, then two spaces or more)."""
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        reads = isinstance(func, ast.Attribute) and func.attr == "get"
        reads = reads and _is_environment(func.value)
        if reads or any(_is_environment(a) for a in node.args):
            names |= {
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and ENV_NAME.fullmatch(str(a.value))
            }
    for line in (ast.get_docstring(tree) or "").splitlines():
        head = re.match(rf"^((?:{ENV_NAME.pattern})(?:, (?:{ENV_NAME.pattern}))*) {{2,}}\S", line)
        if head:
            names |= set(head.group(1).split(", "))
    return names


def makefile_settings(makefile: str) -> set[str]:
    """The variables the Makefile passes through to the commands (`export A B …`)."""
    found = re.findall(r"^export ([A-Z_ ]+)$", makefile, re.MULTILINE)
    return {name for line in found for name in line.split()}


def undocumented_settings(names: set[str], text: str) -> list[str]:
    return sorted(n for n in names if not re.search(rf"`{re.escape(n)}`", text))


def all_settings() -> dict[str, set[str]]:
    """Setting -> where it is read, over workflows/ and the Makefile."""
    where: dict[str, set[str]] = {}
    for path in sorted((ROOT / "workflows").rglob("*.py")):
        for name in settings_read(path.read_text()):
            where.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    for name in makefile_settings(MAKEFILE.read_text()):
        where.setdefault(name, set()).add("Makefile")
    return where


def test_every_setting_is_in_the_docs():
    where = all_settings()
    assert {"MIN_AUC", "MLFLOW_TRACKING_URI", "DOMAIN"} <= set(where)
    assert where["MIN_AUC"] >= {"workflows/settings.py", "Makefile"}
    lost = undocumented_settings(set(where), site_text())
    assert lost == [], (
        "settings read by the code that no page of the site names as `NAME`: "
        + "; ".join(f"{n} (read in {', '.join(sorted(where[n]))})" for n in lost)
        + ". Add a row for each to the table of its topic in docs/reference/settings.md"
    )


def test_a_new_setting_is_found_wherever_the_code_reads_it():
    source = '''"""Settings.

NEW_KNOB      what it does
A_CRON, B_CRON   schedules
HTML as prose is no setting
"""
import os
def f(env):
    return env.get("READ_ONE"), os.environ.get("READ_TWO"), _fraction(env, "READ_THREE", 1)
def g():
    return _git("rev-parse", "HEAD"), {}.get("NOT_ENV")
'''
    assert settings_read(source) == {
        "NEW_KNOB", "A_CRON", "B_CRON", "READ_ONE", "READ_TWO", "READ_THREE",
    }  # fmt: skip
    assert makefile_settings("export MIN_AUC DATA\nexport X := 1\n") == {"MIN_AUC", "DATA"}
    assert undocumented_settings({"MIN_AUC", "MIN"}, "`MIN_AUC` sets the gate") == ["MIN"]


# ------------------------------------------------------------------ contract reference
def _schema() -> dict:
    return json.loads(docs.SCHEMA.read_text(encoding="utf-8"))


def schema_keys(schema: dict) -> set[str]:
    """Every key name the schema defines, at any depth, read without the renderer."""
    keys = set()

    def walk(node):
        if isinstance(node, dict):
            keys.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return keys


def listed_keys(page: str) -> set[str]:
    """The last part of each key path in the page's table (`a.b.<column>.c` -> c)."""
    paths = re.findall(r"^\| `([^`]+)` \|", page, re.MULTILINE)
    return {re.split(r"[.\[\]]+", p.rstrip("[]"))[-1] for p in paths}


def test_the_contract_reference_is_generated_from_the_schema_as_it_is():
    assert docs.PAGE.read_text(encoding="utf-8") == docs.render(_schema()), (
        f"{docs.PAGE.relative_to(ROOT)} is stale: contract.schema.json changed; "
        "run `python -m ci.docs` (or `make docs`) and commit the page"
    )
    assert docs.main(["--check"]) == 0


def test_the_contract_reference_lists_every_key_of_the_schema():
    page = docs.PAGE.read_text(encoding="utf-8")
    lost = schema_keys(_schema()) - listed_keys(page)
    assert lost == set(), f"keys of contract.schema.json missing from the reference: {lost}"
    assert "nav" not in lost and "`target.column`" in page


def test_a_schema_change_makes_the_committed_page_stale_and_shows_the_new_key():
    schema = copy.deepcopy(_schema())
    schema["$defs"]["TargetSpec"]["properties"]["weight_column"] = {
        "type": "string", "description": "rows' weights",
    }  # fmt: skip
    schema["properties"]["task"] = {
        "anyOf": [{"const": "binary"}, {"const": "regression"}], "default": "binary",
    }  # fmt: skip
    page = docs.render(schema)
    assert page != docs.PAGE.read_text(encoding="utf-8")
    assert "| `target.weight_column` | string | no |" in page
    assert '| `task` | `"binary"` or `"regression"` | no | `"binary"` |' in page
    assert schema_keys(schema) <= listed_keys(page)


def test_ci_docs_check_names_a_stale_page(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "contract.md"
    stale.write_text("an old page\n")
    monkeypatch.setattr(docs, "PAGE", stale)
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    assert docs.main(["--check"]) == 1
    assert capsys.readouterr().err == "error: contract.md is stale: run python -m ci.docs\n"
    assert stale.read_text() == "an old page\n"
    assert docs.main([]) == 0 and stale.read_text() == docs.render(_schema())


# ------------------------------------------------------------------ the strict build
def _mkdocs(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    if importlib.util.find_spec("mkdocs") is None:
        missing("mkdocs is not installed: run `make test-static` (it installs the docs group)")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip


def test_the_site_builds_strictly(tmp_path):
    done = _mkdocs("build", "--strict", "--config-file", CONFIG, "--site-dir", tmp_path / "site")
    assert done.returncode == 0, done.stderr[-5000:]
    assert "WARNING" not in done.stderr, done.stderr[-5000:]
    built = tmp_path / "site"
    # MkDocs writes `a/b.md` as `a/b/index.html` and `index.md` as `index.html`.
    html = [Path(p.removesuffix(".md").removesuffix("index")) / "index.html" for p in nav_pages()]
    assert [str(h) for h in html if not (built / h).is_file()] == []
    contract = (built / "reference" / "contract" / "index.html").read_text()
    assert "features.&lt;column&gt;.kind" in contract
    api = (built / "reference" / "api" / "index.html").read_text()
    assert "workflows.domain.contract" in api and 'class="doc doc-heading"' in api
    assert 'class="mermaid"' in (built / "cicd" / "index.html").read_text()


def test_a_broken_link_fails_the_strict_build(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.md").write_text("# Home\n\n[gone](missing.md), [anchor](#nowhere)\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {CONFIG}\ndocs_dir: {pages}\nnav:\n  - Home: index.md\n")
    done = _mkdocs("build", "--strict", "--config-file", config, "--site-dir", tmp_path / "site")
    assert done.returncode != 0
    assert "missing.md" in done.stderr and "nowhere" in done.stderr
