"""Open report HTML in a real browser: Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (Debian's
``chromium`` package, which ``.ci/run`` installs with ``fonts-noto-cjk``). Without it the
browser tests skip and say why.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

CHROMIUM = Path("/usr/bin/chromium")
# Kana and kanji (CJK unified ideographs): what makes a text Japanese rather than English.
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Fonts that draw Japanese (fonts-noto-cjk gives "Noto Sans CJK JP"); a Latin font such as
# DejaVu Sans has no kanji, and Chromium would then draw empty boxes (tofu).
CJK_FONT = re.compile(r"CJK|Noto Sans JP|Gothic|Mincho|IPA|Takao|VL PGothic|WenQuanYi", re.I)
# The only outside addresses nbconvert's HTML names (scripts for interactive outputs and
# math); a report needs neither, and the tests answer them with an empty script offline.
NBCONVERT_CDN = re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/(require\.js|mathjax)/")

# Markup a customer's export could hold: each would set window.__pwned if a report put it
# into the page as HTML instead of text.
NAME = '<img src=x onerror="window.__pwned=1">'
CSM = '"><svg onload="window.__pwned=2"> [csm](javascript:window.__pwned=6)'
COMMENT = "<script>window.__pwned=3</script> [click](javascript:window.__pwned=4) **loud**"


def chromium() -> str | None:
    """Debian's Chromium (or the browser CSWORKBOOK_CHROMIUM names), or None."""
    path = os.environ.get("CSWORKBOOK_CHROMIUM") or str(CHROMIUM)
    return path if Path(path).is_file() else None


NO_BROWSER = (
    "no Chromium at /usr/bin/chromium: install Debian's `chromium` and `fonts-noto-cjk` "
    "(`apt-get install -y chromium fonts-noto-cjk`; .ci/run does) to run the browser checks"
)


@dataclass
class Opened:
    """A page loaded from a file, with what went wrong while loading it."""

    page: object
    errors: list = field(default_factory=list)  # console errors and uncaught exceptions
    outside: list = field(default_factory=list)  # http(s) addresses the page asked for

    def text(self) -> str:
        """What a reader sees (rendered text, hidden elements left out)."""
        return self.page.inner_text("body")

    def broken_images(self) -> list[str]:
        """Images that did not load (the start of their address)."""
        return self.page.evaluate(
            "[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.src.slice(0, 60))"
        )

    def png_images(self) -> list[tuple[int, int]]:
        """Width and height of each loaded PNG embedded in the page (matplotlib figures)."""
        return self.page.evaluate(
            "[...document.images].filter(i => i.src.startsWith('data:image/png') && i.complete)"
            ".map(i => [i.naturalWidth, i.naturalHeight])"
        )

    def drawn_width(self, element, text: str = "日本語の見出し") -> tuple[float, float]:
        """Width of ``text`` and of as many missing-glyph boxes (tofu, U+E000) drawn in
        ``element``'s font: equal when the machine has no font for the text. (Chromium then
        reports a Latin font such as DejaVu for the boxes, with a glyph count, so a count
        alone says nothing.)"""
        return tuple(
            self.page.evaluate(
                "([e, t]) => { const c = document.createElement('canvas').getContext('2d');"
                " c.font = getComputedStyle(e).font; return c.measureText(t).width; }",
                [element, s],
            )
            for s in (text, "\ue000" * len(text))
        )

    def fonts(self, element) -> list[dict]:
        """The platform fonts Chromium used to draw the text inside ``element`` (a Playwright
        element handle), as the DevTools protocol reports them: familyName, glyphCount."""
        element.evaluate("e => e.setAttribute('data-font-probe', '1')")
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument")["root"]["nodeId"]
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-font-probe]"})
            return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        finally:
            cdp.detach()
            element.evaluate("e => e.removeAttribute('data-font-probe')")


def open_file(browser, path: Path) -> Opened:
    """Load ``path`` in a new page, offline: outside addresses are recorded and answered
    with an empty script, so a page that needs the network shows up in ``outside``."""
    page = browser.new_page()
    opened = Opened(page)
    page.on("console", lambda m: m.type == "error" and opened.errors.append(m.text))
    page.on("pageerror", lambda e: opened.errors.append(str(e)))

    def offline(route):
        opened.outside.append(route.request.url)
        route.fulfill(status=200, content_type="application/javascript", body="")

    page.route(re.compile(r"^https?://"), offline)
    page.goto(Path(path).resolve().as_uri(), wait_until="load")
    return opened


def hostile_copy(src: Path, dst: Path, every: int = 1) -> dict:
    """Copy dataset ``src`` to ``dst`` with markup in the fields customers type.

    One account's name is exactly :data:`NAME`, and every other name carries it too, with a
    Markdown link, so whichever accounts a report lists show markup; that account's CSM is
    renamed :data:`CSM` in all of the CSM's accounts; the NPS comments, goals and feedback
    requests of those accounts become :data:`COMMENT`. With ``every`` > 1 the copy keeps
    only that CSM's accounts and every ``every``-th other one (faster reports). Returns the
    account id and the CSM's accounts.
    """
    shutil.copytree(src, dst)

    def read(name):
        return pd.read_csv(dst / f"{name}.csv", dtype=str, keep_default_na=False)

    def write(df, name):
        df.to_csv(dst / f"{name}.csv", index=False)

    acc, nps = read("accounts"), read("nps")
    commented = set(nps.account_id[nps.comment != ""])
    target = acc[(acc.csm_id != "") & acc.account_id.isin(commented)].iloc[0]
    book = acc.csm_id == target.csm_id
    ids = set(acc.account_id[book])
    keep = ids | set(acc.account_id.iloc[::every])
    acc["name"] = acc["name"] + f" {NAME} [site](javascript:window.__pwned=5)"
    acc.loc[acc.account_id == target.account_id, "name"] = NAME
    acc.loc[book, "csm_id"] = CSM
    write(acc, "accounts")
    nps.loc[nps.account_id.isin(ids) & (nps.comment != ""), "comment"] = COMMENT
    write(nps, "nps")
    for table, column in (("goals", "goal"), ("feedback", "request")):
        if (dst / f"{table}.csv").exists():
            df = read(table)
            df.loc[df.account_id.isin(ids), column] = COMMENT
            write(df, table)
    if every > 1:
        for f in dst.glob("*.csv"):
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
            if "account_id" in df:
                df[df.account_id.isin(keep)].to_csv(f, index=False)
    return {"account_id": target.account_id, "accounts": sorted(ids)}


def japanese_page(path: Path, heading: str = "日本語の見出し") -> Path:
    """A small page with a Japanese heading and a Japanese matplotlib chart (IPAexGothic via
    ``viz.set_theme(lang="ja")``) embedded as PNG, as a report would embed it."""
    import matplotlib.pyplot as plt

    from csworkbook import viz

    with plt.rc_context():
        viz.set_theme(lang="ja")
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.bar(["大企業", "中堅企業", "中小企業"], [3, 5, 7])
        ax.set_title("セグメント別の顧客数")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    path.write_text(
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{heading}</title>'
        f"</head><body><h1>{html.escape(heading)}</h1>"
        f'<p>契約更新の予定とヘルススコア</p><img alt="グラフ" src="data:image/png;base64,{png}">'
        "</body></html>",
        encoding="utf-8",
    )
    return path
