"""The journey as a book: a static site of every stage, built from the last run.

``python -m journey book`` gathers what ``python -m journey run`` left in ``outputs/`` — each
stage's executed ``comparison.ipynb`` and run status, ``report.md`` and ``bench.md`` — into a
MkDocs project and lets MkDocs (Material theme, mkdocs-jupyter for the notebooks) build the
site in ``outputs/book/``. Nothing is executed here: a notebook that failed in the run shows
its failure on its chapter, and a stage that has not been run says so.

Everything the site needs is local (no fonts, scripts or maths renderer from a CDN), so it
opens from ``file://`` or ``python -m http.server -d outputs/book``.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from journey.paths import OUTPUTS_DIR, REPO_ROOT
from journey.stages import Stage, list_stages

# the configuration the package ships, then ours: it ships the STIX-Web fonts only
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe,local/journey"
MATHJAX_FONTS = """MathJax.Hub.Config({"HTML-CSS": {
  availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null
}});
MathJax.Ajax.loadComplete("[MathJax]/config/local/journey.js");
"""
SHIM = "assets/javascripts/iframe-worker-shim.js"  # search from file:// without a CDN


def build_book(outputs: Path = OUTPUTS_DIR, site: Path | None = None) -> Path:
    """Assemble the MkDocs project in a temporary folder and build it; return the site folder.

    The project lives only as long as the build, so no other folder is ever overwritten.
    """
    site = Path(site) if site else outputs / "book"
    with tempfile.TemporaryDirectory(prefix="journey_book_") as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        nav = [{"Home": "index.md"}]
        _write_home(docs)
        chapters = [_write_chapter(stage, docs, outputs) for stage in _code_stages()]
        nav.append({"Stages": chapters})
        nav += [
            {"Parity report": _write_run_page(docs, outputs, "report.md", "make run")},
            {"Benchmarks": _write_run_page(docs, outputs, "bench.md", "make bench")},
        ]
        _copy_mathjax(docs / "assets" / "mathjax")
        (docs / SHIM).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(__file__).parent / "book_assets" / "iframe-worker-shim.js", docs / SHIM)
        config = Path(tmp) / "mkdocs.yml"
        config.write_text(json.dumps(_mkdocs_config(nav, docs, site), indent=2), encoding="utf-8")
        _run_mkdocs(config)
    return site


def _code_stages() -> list[Stage]:
    return [stage for stage in list_stages() if stage.number != "00"]


def _mkdocs_config(nav: list, docs: Path, site: Path) -> dict:
    """Material theme with its own search; fonts, maths and scripts all served locally."""
    return {
        "site_name": "ML → DL Journey",
        "docs_dir": str(docs.resolve()),
        "site_dir": str(site.resolve()),
        "use_directory_urls": False,
        "theme": {
            "name": "material",
            "font": False,
            "features": ["navigation.sections", "navigation.top", "search.highlight"],
        },
        "plugins": [
            "search",
            "offline",
            {
                "mkdocs-jupyter": {
                    "include_source": False,
                    "cache": False,  # nothing executes here, and no .cache/ left behind
                    "ignore_h1_titles": True,
                    "custom_mathjax_url": f"../assets/mathjax/MathJax.js?config={MATHJAX_CONFIG}",
                }
            },
        ],
        "markdown_extensions": ["tables", "admonition", "toc"],
        "nav": nav,
        "extra": {"generator": False, "polyfills": [SHIM]},
        "validation": {"links": {"not_found": "warn", "unrecognized_links": "warn"}},
    }


def _write_home(docs: Path) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    intro = (
        '\n\n!!! note "Reading the book"\n'
        "    Each chapter is one stage: its notes, then its comparison notebook as executed\n"
        "    by the last `python -m journey run`, then the code it ran. The parity report\n"
        "    and the benchmark table are pages of their own.\n"
    )
    title, _, rest = readme.partition("\n")
    (docs / "index.md").write_text(title + intro + rest, encoding="utf-8")


def _write_chapter(stage: Stage, docs: Path, outputs: Path) -> dict:
    """One page per stage: notes, run status, the executed notebook, links to the code."""
    chapters = docs / "chapters"
    chapters.mkdir(exist_ok=True)
    code_links = _write_code_pages(stage, docs)
    notes = stage.notes.read_text(encoding="utf-8") if stage.notes else f"# {stage.name}\n"
    status = _status_markdown(stage, outputs)
    executed = outputs / stage.name / "comparison.ipynb"
    title = _first_heading(notes) or stage.name
    if executed.is_file():
        page = chapters / f"{stage.name}.ipynb"
        # links inside a notebook are not rewritten by MkDocs: point at the built pages
        html_links = code_links.replace(".md)", ".html)")
        _write_chapter_notebook(executed, page, [notes, status], html_links)
    else:
        page = chapters / f"{stage.name}.md"
        missing = (
            f"> **Not run yet.** `python -m journey run {stage.number}` executes this stage's "
            "notebook; then `python -m journey book` shows it here."
        )
        page.write_text("\n\n".join([notes, status, missing, code_links]), encoding="utf-8")
    return {f"{stage.number} · {title}": f"chapters/{page.name}"}


def _first_heading(markdown: str) -> str | None:
    """The notes' title without its "Stage NN —" prefix (the navigation numbers chapters)."""
    for line in markdown.splitlines():
        if line.startswith("# "):
            return re.sub(r"^(Stage\s+)?\d\d\s*[—·:-]\s*", "", line[2:].strip())
    return None


def _write_chapter_notebook(executed: Path, page: Path, before: list, code_links: str) -> None:
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    cells = [nbformat.v4.new_markdown_cell(text) for text in before if text]
    cells.append(nbformat.v4.new_markdown_cell("## The comparison notebook, as executed"))
    nb.cells = cells + nb.cells + [nbformat.v4.new_markdown_cell(code_links)]
    nbformat.write(nb, page)


def _status_markdown(stage: Stage, outputs: Path) -> str:
    """A plain statement of the last run: when, which mode, and any failure in full."""
    stage_status = _read_json(outputs / stage.name / "run_status.json")
    notebook_status = _read_json(outputs / stage.name / "comparison.status.json")
    lines = []
    if notebook_status:
        mode = "quick" if notebook_status.get("quick") else "full"
        lines.append(f"*Notebook executed {notebook_status['finished']} ({mode} mode).*")
        if notebook_status.get("error"):
            lines.append(
                "> **This notebook FAILED in the last run.** The cells below stop where it "
                f"failed:\n>\n> ```\n> {_quote(notebook_status['error'])}\n> ```"
            )
    if stage_status and not stage_status.get("ok", True):
        problems = stage_status.get("errors", []) + stage_status.get("failed_checks", [])
        listed = "\n".join(f"> - `{_quote(p.splitlines()[0])}`" for p in problems)
        lines.append(f"> **This stage FAILED in the last run:**\n>\n{listed}")
    return "\n\n".join(lines)


def _quote(text: str) -> str:
    return text.strip().replace("\n", "\n> ")


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _write_code_pages(stage: Stage, docs: Path) -> str:
    """A page per script and test file (the source, highlighted); return the links to them."""
    folder = docs / "code" / stage.name
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for path in stage.scratch_scripts + stage.library_scripts + stage.tests:
        relative = path.relative_to(REPO_ROOT).as_posix()
        page = folder / (relative.replace("/", "__") + ".md")
        source = path.read_text(encoding="utf-8")
        page.write_text(f"# `{relative}`\n\n```python\n{source}\n```\n", encoding="utf-8")
        links.append(f"- [`{relative}`](../code/{stage.name}/{page.name})")
    return "## The code and its tests\n\n" + "\n".join(links)


def _write_run_page(docs: Path, outputs: Path, name: str, command: str) -> str:
    """``report.md`` / ``bench.md`` from the run, its figure links pointing into the book."""
    found = outputs / name
    if found.is_file():
        text = found.read_text(encoding="utf-8")
        for stage in _code_stages():
            text = text.replace(f"]({stage.name}/", f"](figures/{stage.name}/")
            _copy_figures(outputs / stage.name, docs / "figures" / stage.name)
    else:
        text = f"# {name}\n\nNot produced yet: `{command}` writes `outputs/{name}`.\n"
    (docs / name).write_text(text, encoding="utf-8")
    return name


def _copy_figures(source: Path, target: Path) -> None:
    for png in sorted(source.glob("*.png")):
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, target / png.name)


def _copy_mathjax(target: Path) -> None:
    """MathJax from the ``jupyter-server-mathjax`` package, so maths renders offline."""
    import jupyter_server_mathjax

    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(static, target, dirs_exist_ok=True)
    (target / "config" / "local").mkdir(parents=True, exist_ok=True)
    (target / "config" / "local" / "journey.js").write_text(MATHJAX_FONTS, encoding="utf-8")


def _run_mkdocs(config: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--config-file", str(config)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{proc.stderr[-3000:]}")
