"""The index page of a reports folder: every report in it, with its language, scope,
parameters, status (the first line of the error when it failed), time, and links to the HTML,
the executed notebook and the action lists.

The page is rebuilt from the files themselves (papermill records each run's parameters and
times in the executed notebook), so it lists what is on disk whoever wrote it, and a report
deleted by hand disappears from it. Everything taken from a notebook is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from ..data.atomic import write_bytes_atomically
from .glossary import term
from .run import ACTIONS, DATA_PARAMETERS

INDEX = "index.html"
FAILED = ".failed.ipynb"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Shown in their own columns, not among the other parameters.
_OWN_COLUMNS = {*DATA_PARAMETERS, "OUT", "LANG", "SEGMENT", "CSM"}


@dataclass
class Entry:
    """One output of a reports folder (one output name: ``<stem>.html`` / ``.ipynb``)."""

    stem: str
    report: str
    lang: str
    scope: str
    parameters: dict
    data: str
    ok: bool
    error: str = ""
    finished: str = ""
    seconds: float | None = None
    html: str | None = None
    notebook: str | None = None
    actions: list[str] = field(default_factory=list)


def first_error_line(notebook: dict) -> str:
    """``"DataError: segment='x': no customer has this segment…"``: the first line of the
    first error a (failed) notebook holds, without terminal colours."""
    for cell in notebook.get("cells", []):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                text = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
                return (_ANSI.sub("", text).strip().splitlines() or ["Error"])[0]
    return "the run stopped before it finished (no error recorded; see the notebook)"


def _scope(params: dict) -> str:
    """The customers a report is about, in the page's language (English)."""
    parts = []
    if params.get("SEGMENT"):
        parts.append(term(str(params["SEGMENT"])))
    if params.get("CSM"):
        parts.append(f"CSM {params['CSM']}")
    return " · ".join(parts) or "all customers"


def _read(path: Path) -> dict | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return nb if isinstance(nb, dict) and "papermill" in nb.get("metadata", {}) else None


def entries(folder) -> list[Entry]:
    """Every report in ``folder``, sorted by report, language and scope."""
    folder = Path(folder)
    stems = {}
    for p in folder.glob("*.ipynb"):
        if p.name.startswith("."):
            continue
        stem = p.name[: -len(FAILED)] if p.name.endswith(FAILED) else p.stem
        stems.setdefault(stem, []).append(p)
    found = []
    for stem in stems:
        ok_nb, failed_nb = folder / f"{stem}.ipynb", folder / f"{stem}{FAILED}"
        failed = failed_nb.exists() and (
            not ok_nb.exists() or failed_nb.stat().st_mtime >= ok_nb.stat().st_mtime
        )
        shown = failed_nb if failed else ok_nb
        nb = _read(shown)
        if nb is None:
            continue
        meta = nb["metadata"]["papermill"]
        params = meta.get("parameters") or {}
        lang = str(params.get("LANG") or "en")
        html_file = folder / f"{stem}.html"
        actions = folder / ACTIONS / stem
        entry = Entry(
            stem=stem,
            report=Path(str(meta.get("input_path") or stem)).stem,
            lang=lang,
            scope=_scope(params),
            parameters={k: v for k, v in params.items() if k not in _OWN_COLUMNS},
            data=Path(str(params.get("DATA", ""))).name
            + (f" + {Path(str(params['MAPPING'])).name}" if params.get("MAPPING") else ""),
            ok=not failed,
            error=first_error_line(nb) if failed else "",
            finished=str(meta.get("end_time") or ""),
            seconds=meta.get("duration"),
            html=html_file.name if html_file.exists() else None,
            notebook=shown.name,
            actions=sorted(
                f"{ACTIONS}/{stem}/{f.name}"
                for f in (actions.iterdir() if actions.is_dir() else [])
                if f.is_file() and not f.name.startswith(".")
            ),
        )
        found.append(entry)
    return sorted(found, key=lambda e: (e.report, e.lang, e.scope, e.stem))


def _when(iso: str) -> str:
    try:
        t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc)
    return f"{t:%Y-%m-%d %H:%M} UTC"


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(quote(href))}">{html.escape(text)}</a>'


_STYLE = """
body { font-family: system-ui, "Hiragino Sans", "Noto Sans CJK JP", sans-serif; margin: 2em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: .3em .6em;
vertical-align: top; text-align: left; } th { background: #f3f3f3; }
.ok { color: #1a7f37; } .failed { color: #b42318; font-weight: bold; }
.error { color: #b42318; font-size: .9em; max-width: 40em; overflow-wrap: anywhere; }
"""


def render(items: list[Entry], title: str = "Reports") -> str:
    """The index page for ``items`` (every value escaped)."""
    esc = html.escape
    rows = []
    for e in items:
        status = (
            '<span class="ok">ok</span>'
            if e.ok
            else f'<span class="failed">failed</span><div class="error">{esc(e.error)}</div>'
        )
        links = []
        if e.html:
            links.append(_link(e.html, "report" if e.ok else "previous report"))
        if e.notebook:
            links.append(_link(e.notebook, "notebook" if e.ok else "notebook with the error"))
        links += [_link(a, a.rsplit("/", 1)[-1]) for a in e.actions]
        params = ", ".join(f"{k}={v}" for k, v in sorted(e.parameters.items()))
        took = f" ({e.seconds:.0f} s)" if isinstance(e.seconds, (int, float)) else ""
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{cell}</td>"
                for cell in (
                    esc(e.report),
                    esc(e.lang),
                    esc(e.scope),
                    esc(params),
                    esc(e.data),
                    status,
                    esc(_when(e.finished)) + esc(took),
                    "<br>".join(links),
                )
            )
            + "</tr>"
        )
    ok = sum(e.ok for e in items)
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Report",
            "Language",
            "Scope",
            "Parameters",
            "Data",
            "Status",
            "Finished",
            "Files",
        )
    )
    now = datetime.now(timezone.utc)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n"
        f"<p>{len(items)} report(s): {ok} ok, {len(items) - ok} failed · "
        f"page written {now:%Y-%m-%d %H:%M} UTC</p>\n"
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n</body>\n</html>\n"
    )


def write_index(folder) -> Path:
    """Write (or refresh) ``folder/index.html`` from the reports in ``folder``, atomically."""
    folder = Path(folder)
    return write_bytes_atomically(folder / INDEX, render(entries(folder)).encode("utf-8"))
