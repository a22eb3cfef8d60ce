"""Reports as a reader's browser shows them: Debian's Chromium driven by Playwright.

Every report is made here (``csworkbook report`` for one, ``run_report`` for the others, in
parallel) on a copy of the demo whose names, CSM id, comments, goals and requests hold markup,
then opened from its file, offline, with the folder's index page. A page must render (heading,
images, no script errors), show no code, keep the data's markup as text, and draw Japanese
with a font that has Japanese glyphs. Skips when no Chromium is installed (.ci/run installs
Debian's ``chromium`` and ``fonts-noto-cjk``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from csworkbook.reports import run_report
from csworkbook.reports.index import write_index

from . import browser as web
from .conftest import DEMO, ROOT

TEMPLATES = ROOT / "notebooks" / "reports"
# report: (LANG, CSM, lists customers by name). Health runs through the CLI.
RUNS = {
    "health": ("ja", web.CSM, True),
    "renewals": ("en", web.CSM, True),
    "retention": ("en", web.CSM, False),
    "executive": ("ja", web.CSM, False),
    "dataset_overview": ("en", "", False),
}


@pytest.fixture(scope="module")
def chrome():
    if web.chromium() is None:
        pytest.skip(web.NO_BROWSER)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=web.chromium(), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def made(chrome, tmp_path_factory):
    """``{report: html}`` and the index page, all in one folder, from the hostile data."""
    data = tmp_path_factory.mktemp("hostile") / "demo"
    web.hostile_copy(DEMO, data, every=30)
    out = tmp_path_factory.mktemp("reports")

    def cli(name, lang, csm):
        argv = ["report", name, "--data", data, "--out", out, "--lang", lang, "--quiet"]
        done = subprocess.run(
            [sys.executable, "-m", "csworkbook", *map(str, argv), "-p", f"CSM={csm}"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        wrote = [line[6:] for line in done.stdout.splitlines() if line.startswith("wrote ")]
        return Path(wrote[0])

    def run(name):  # a failed run fails its own tests, not the others'
        lang, csm, _ = RUNS[name]
        try:
            if name == "health":
                return cli(name, lang, csm)
            return run_report(TEMPLATES / f"{name}.ipynb", data, out, {"CSM": csm}, lang=lang)
        except Exception as e:
            return e

    with ThreadPoolExecutor(2) as pool:  # each run is its own kernel process
        pages = dict(zip(RUNS, pool.map(run, RUNS), strict=True))
    return pages, write_index(out)


def _page(made, name) -> Path:
    """The report's HTML, or its run's error raised."""
    page = made[0][name]
    if isinstance(page, Exception):
        raise page
    return page


@pytest.fixture
def opened(chrome):
    pages = []

    def open_(path):
        pages.append(web.open_file(chrome, path))
        return pages[-1]

    yield open_
    for o in pages:
        o.page.close()


def _renders_for_a_reader(o):
    """A heading, no script errors, every image loaded, no code, nothing from the network."""
    assert o.page.locator("h1").first.is_visible() and o.page.locator("h1").first.inner_text()
    assert o.errors == []
    assert o.broken_images() == []
    text = o.text()
    for code in ("import ", "In [", "In\xa0[", "Out[", "Traceback", "csworkbook.load("):
        assert code not in text, code
    assert [u for u in o.outside if not web.NBCONVERT_CDN.match(u)] == []


def _markup_stayed_text(o):
    assert o.page.evaluate("typeof window.__pwned") == "undefined"
    # nothing from the data became an element or a link
    assert o.page.locator('img[src="x"], svg[onload], a[href^="javascript"]').count() == 0
    assert o.page.locator("script", has_text="__pwned").count() == 0


@pytest.mark.parametrize("name", list(RUNS))
def test_report_renders_for_a_reader_and_keeps_markup_as_text(made, opened, name):
    lang, csm, lists_names = RUNS[name]
    o = opened(_page(made, name))
    _renders_for_a_reader(o)
    assert o.png_images(), "no figure"
    _markup_stayed_text(o)
    text = o.text()
    if csm:  # the scope in the title line, as text
        assert csm in text
    if lists_names:
        assert web.NAME in text
    if lang == "ja":
        assert web.JAPANESE.search(o.page.locator("h1").first.inner_text())
        assert "2025年12月31日" in text


@pytest.mark.parametrize("name", [n for n, (lang, *_) in RUNS.items() if lang == "ja"])
def test_japanese_report_is_drawn_with_a_cjk_font(made, opened, name):
    o = opened(_page(made, name))
    heading = o.page.locator("h1").first.element_handle()
    fonts = o.fonts(heading)
    assert any(web.CJK_FONT.search(f["familyName"]) for f in fonts), fonts
    japanese, boxes = o.drawn_width(heading)
    assert japanese > 1.3 * boxes, (japanese, boxes)  # kanji 1em wide, boxes 0.6em
    assert o.png_images(), "the Japanese charts are not embedded as PNG"
    # their Japanese had glyphs: matplotlib warns "Glyph ... missing from font(s)" if not
    executed = nbformat.read(_page(made, name).with_suffix(".ipynb"), as_version=4)
    assert "missing from font" not in json.dumps(executed.cells)


def test_index_page_links_every_report(made, opened):
    pages, index = made
    pages = {name: _page(made, name) for name in pages}
    o = opened(index)
    _renders_for_a_reader(o)
    _markup_stayed_text(o)
    hrefs = o.page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    assert hrefs and all(h.startswith("file://") for h in hrefs), hrefs
    files = [Path(unquote(urlparse(h).path)) for h in hrefs]
    assert [f for f in files if not f.is_file()] == []
    assert {p.name for p in pages.values()} <= {f.name for f in files}
    assert web.CSM in o.text()
    # a link opens its report
    o.page.locator(f'a[href="{pages["health"].name}"]').first.click()
    o.page.wait_for_load_state()
    assert o.page.url.endswith(pages["health"].name) and o.errors == []


def test_machine_draws_japanese_with_a_cjk_font(opened, tmp_path):
    """A page written here (no report): tells a machine without fonts-noto-cjk from a report
    that lost its Japanese."""
    o = opened(web.japanese_page(tmp_path / "ja.html"))
    heading = o.page.locator("h1").element_handle()
    fonts = o.fonts(heading)
    assert any(web.CJK_FONT.search(f["familyName"]) for f in fonts), fonts
    japanese, boxes = o.drawn_width(heading)
    assert japanese > 1.3 * boxes, (japanese, boxes)
    assert o.errors == [] and o.broken_images() == [] and o.png_images()


def test_matplotlib_japanese_font_is_ipaexgothic():
    """What ``viz.set_theme(lang="ja")`` gives the reports' charts (matplotlib-fontja)."""
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from csworkbook import viz

    with plt.rc_context():
        viz.set_theme(lang="ja")
        found = font_manager.findfont(font_manager.FontProperties(), fallback_to_default=False)
    assert "ipaexg" in found.lower(), found
