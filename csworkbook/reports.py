"""Run a report notebook with papermill and render it to HTML.

    python -m csworkbook.reports notebooks/reports/data_overview.ipynb \\
        --data datasets/demo --out build/reports [-p segment smb]

Reports are the only part of the package, with the CLI, that writes files.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def safe_name(text: str) -> str:
    """A file-name-safe version of text that may come from customer data."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._")
    return cleaned[:80] or "report"


def run_report(template, data, out_dir, parameters: dict | None = None) -> Path:
    """Execute ``template`` on the dataset folder ``data``; returns the HTML file written.

    The output name is the template's name plus the parameter values, sanitised.
    """
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    template, out_dir = Path(template), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = {"data": str(Path(data).resolve()), **(parameters or {})}
    suffix = "".join(f"-{safe_name(v)}" for k, v in sorted(params.items()) if k != "data")
    stem = safe_name(template.stem + suffix)
    executed = out_dir / f"{stem}.ipynb"
    pm.execute_notebook(
        str(template),
        str(executed),
        parameters=params,
        cwd=str(template.parent),
        progress_bar=False,
        log_output=False,
    )
    exporter = HTMLExporter(exclude_input=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    html = out_dir / f"{stem}.html"
    html.write_text(body, encoding="utf-8")
    return html


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m csworkbook.reports", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("template", type=Path)
    p.add_argument("--data", type=Path, required=True, help="dataset folder")
    p.add_argument("--out", type=Path, default=Path("build/reports"))
    p.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    args = p.parse_args(argv)
    html = run_report(args.template, args.data, args.out, dict(args.param))
    print(f"wrote {html}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df):
    """Copy of ``df`` whose text cells cannot run as spreadsheet formulas when the CSV is
    opened in Excel: cells starting with = + - @ (or tab / CR) get a leading apostrophe."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) == "string":
            s = out[c].astype("string")
            risky = s.str.startswith(_FORMULA_START).fillna(False)
            out[c] = s.where(~risky, "'" + s)
    return out
