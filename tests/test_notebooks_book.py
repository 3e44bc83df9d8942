"""The book builds from the notebooks the suite has just executed, and a browser can read it.

The notebook tests (``test_notebooks.py``) leave each executed copy and its status file in
``outputs/``; the fixture copies the ones finished in this test run into a private folder
and builds the site from them: what the suite executed is not executed again. A notebook
not yet run in this test run (these tests run on their own, or ahead of the notebook tests
on another worker) is executed by the fixture itself, into that private folder.
"""

import json
import os
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from journey import OUTPUTS_DIR, list_stages
from journey.book import build_book
from journey.runner import run_notebook

pytestmark = pytest.mark.xdist_group("notebooks")

RUN_START = float(os.environ.get("JOURNEY_TEST_RUN_START", time.time()))  # set in conftest.py
CODE_STAGES = [s for s in list_stages() if s.notebook]


def _copy_finished_notebook(stage, destination: Path) -> bool:
    """Copy the executed notebook the notebook tests wrote for ``stage`` in this test run (its
    status file is written after it); False when there is none to copy."""
    status = OUTPUTS_DIR / stage.name / "comparison.status.json"
    try:
        if status.stat().st_mtime < RUN_START:
            return False  # left by an earlier run
        for name in ("comparison.ipynb", "comparison.status.json"):
            shutil.copy2(OUTPUTS_DIR / stage.name / name, destination / name)
    except FileNotFoundError:  # not run yet, or being run again right now
        return False
    return True


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The site, built from this test run's executed notebooks; returns (site, seconds to
    build it, the outputs folder it was built from).

    The executed copies are read into a private folder, so a notebook test still running on
    another worker never shares a file with the build; a notebook not executed yet in this
    test run (a book test run on its own) is executed there.
    """
    outputs = tmp_path_factory.mktemp("outputs")
    for stage in CODE_STAGES:
        (outputs / stage.name).mkdir()
        if not _copy_finished_notebook(stage, outputs / stage.name):
            env = {"JOURNEY_QUICK": "1", "MPLBACKEND": "Agg"}
            error = run_notebook(stage.notebook, env, outputs / stage.name)
            assert error is None, error
    start = time.perf_counter()
    site = build_book(outputs=outputs, site=tmp_path_factory.mktemp("book"))
    return site, time.perf_counter() - start, outputs


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.images, self.external = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        url = attrs.get("href") or attrs.get("src")
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if url and tag in ("script", "link", "img") and url.startswith(("http:", "https:", "//")):
            self.external.append(url)
        if url:
            self.urls.append(url)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_stage_has_a_chapter_with_a_figure_and_no_error_output(book):
    site, seconds, outputs = book
    print(f"book built in {seconds:.1f} s")
    assert (site / "index.html").is_file()
    for stage in CODE_STAGES:
        page = site / "chapters" / f"{stage.name}.html"
        assert page.is_file(), f"no chapter for {stage.name}"
        images = _parse(page).images
        assert any(src.startswith("data:image/png") for src in images), f"{stage.name}: no figure"
        executed = outputs / stage.name / "comparison.ipynb"  # what the chapter shows
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
        errors = [o for c in cells for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert not errors, f"{stage.name}: error output {errors[0].get('ename')}"
        assert "Traceback (most recent call last)" not in page.read_text(encoding="utf-8")


def test_internal_links_resolve_and_nothing_comes_from_a_network(book):
    site, _, _ = book
    broken, external = [], []
    for page in site.rglob("*.html"):
        links = _parse(page)
        external += [f"{page.relative_to(site)}: {url}" for url in links.external]
        for url in links.urls:
            parsed = urlparse(url)
            if parsed.scheme or url.startswith(("#", "//")) or not parsed.path:
                continue
            path = unquote(parsed.path)  # "/x" (the 404 page) is relative to the site root
            target = site / path.lstrip("/") if path.startswith("/") else page.parent / path
            if not target.exists():
                broken.append(f"{page.relative_to(site)} → {url}")
    assert not broken, "\n".join(broken[:20])
    assert not external, "\n".join(external[:20])
    css = " ".join(p.read_text(encoding="utf-8") for p in site.rglob("*.css"))
    assert not re.search(r"@import\s+url\(['\"]?https?:", css)


def test_a_failed_notebook_shows_its_failure_not_a_stale_page(book, tmp_path):
    stage = CODE_STAGES[0]
    outputs = tmp_path / "outputs"
    shutil.copytree(book[2] / stage.name, outputs / stage.name)
    status = {"ok": False, "error": "comparison.ipynb failed:\nZeroDivisionError", "quick": True}
    status["finished"] = "2026-01-01 00:00 UTC"
    (outputs / stage.name / "comparison.status.json").write_text(json.dumps(status))
    build_book(outputs=outputs, site=tmp_path / "site")
    page = (tmp_path / "site" / "chapters" / f"{stage.name}.html").read_text(encoding="utf-8")
    assert "FAILED in the last run" in page and "ZeroDivisionError" in page
    missing = (tmp_path / "site" / "chapters" / f"{CODE_STAGES[1].name}.html").read_text()
    assert "Not run yet" in missing


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Chromium is not installed (Debian/Ubuntu: apt-get install chromium); "
    "CI installs it and always runs this check",
)
def test_a_real_browser_renders_the_home_page_and_a_chapter(book):
    from playwright.sync_api import sync_playwright

    site, _, _ = book
    assert CHROMIUM, "CI must have Chromium: .ci/run installs it"
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"failed to load {r.url}"))
        for relative in ("index.html", f"chapters/{CODE_STAGES[0].name}.html"):
            page.goto((site / relative).as_uri(), wait_until="load")
            assert "ML → DL Journey" in page.title()
            widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
            assert all(w > 0 for w in widths), f"{relative}: an image did not load"
        assert widths, "the chapter shows no figure"
        browser.close()
    assert not problems, "\n".join(problems)
