"""The template's own site (mkdocs.template.yml): the team's site plus docs/template/,
built with --strict; its template-only make targets are documented there.

The team's site itself is checked by tests/static/test_docs.py, and built in every
generated project by test_template.py (its CI runs `make docs`).
"""

from __future__ import annotations

from tests.static.test_docs import _mkdocs, make_targets, nav_pages, undocumented_targets
from tests.template.conftest import ROOT, copier_excludes

CONFIG = ROOT / "mkdocs.template.yml"


def test_the_template_site_is_the_teams_site_then_its_own_pages():
    team, template = nav_pages(ROOT / "mkdocs.yml"), nav_pages(CONFIG)
    assert template[: len(team)] == team, "mkdocs.template.yml's nav must begin with mkdocs.yml's"
    own = template[len(team) :]
    assert own and all(page.startswith("template/") for page in own)
    excluded = copier_excludes({})
    assert all(excluded(f"docs/{page}") for page in own), "a template page would reach projects"
    assert excluded("mkdocs.template.yml") and not excluded("mkdocs.yml")
    docs = ROOT / "docs"
    written = sorted(str(p.relative_to(docs)) for p in (docs / "template").glob("*.md"))
    assert sorted(own) == written, "pages of docs/template/ left out of mkdocs.template.yml's nav"


def test_template_make_targets_are_in_the_template_pages():
    pages = nav_pages(CONFIG)
    text = "\n".join((ROOT / "docs" / p).read_text() for p in pages)
    lost = undocumented_targets(make_targets((ROOT / "GNUmakefile").read_text()), text)
    assert lost == [], (
        f"template-only make targets (GNUmakefile) no template page names: {lost}; "
        "add them to docs/template/maintaining.md"
    )


def test_the_template_site_builds_strictly(tmp_path):
    site = tmp_path / "site"
    done = _mkdocs("build", "--strict", "--config-file", CONFIG, "--site-dir", site)
    assert done.returncode == 0, done.stderr[-5000:]
    assert "WARNING" not in done.stderr, done.stderr[-5000:]
    figures = (site / "template" / "benchmarks" / "index.html").read_text()
    assert "seed-style baseline" in figures and "<table>" in figures
    assert "copier update" in (site / "template" / "index.html").read_text()
