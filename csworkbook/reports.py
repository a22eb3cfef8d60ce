"""Run a report notebook with papermill and render it to HTML, and present its tables.

    python -m csworkbook.reports notebooks/reports/dataset_overview.ipynb \\
        --data datasets/demo --out build/reports [-p segment smb]
    python -m csworkbook.reports notebooks/reports/dataset_overview.ipynb \\
        --data EXPORT --mapping MAP.yaml [--as-of 2026-03-31]

The HTML shows outputs only: no code, no ``In [n]:`` / ``Out[n]:`` prompts. :func:`readable`
turns a result table into what a reader expects: "GRR" rather than ``grr``, ``$1,486,230``
rather than ``1486230.0``, ``91.9%`` rather than ``0.919``.

Reports are the only part of the package, with the CLI, that writes files.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

from .data.atomic import write_bytes_atomically, writer_lock


def safe_name(text: str) -> str:
    """A file-name-safe version of text that may come from customer data."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._")
    return cleaned[:80] or "report"


# Column names in result tables, as a report reader should see them.
LABELS = {
    "units": "Customers",
    "start_mrr": "MRR at start",
    "end_mrr": "MRR at end",
    "logo_churn": "Logo churn",
    "grr": "GRR",
    "nrr": "NRR",
    "mrr_churn": "MRR churn",
    "net_mrr_churn": "Net MRR churn",
    "arr": "ARR",
    "mrr": "MRR",
    "rows": "Rows",
    "columns": "Columns",
    "first_date": "First date",
    "last_date": "Last date",
    "available": "Available",
    "missing": "Missing",
    "segment": "Segment",
    "table": "Table",
    "analysis": "Analysis",
}
MONEY = {"start_mrr", "end_mrr", "arr", "mrr"}
PERCENT = {"logo_churn", "grr", "nrr", "mrr_churn", "net_mrr_churn"}
COUNTS = {"units", "rows", "columns"}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(value, currency: str = "USD") -> str:
    """A whole amount with thousands separators and the currency's symbol (or code).

    >>> money(1486230.0), money(-1200, "JPY"), money(5, "CHF")
    ('$1,486,230', '-¥1,200', '5 CHF')
    """
    if value is None or value != value:  # None or NaN
        return ""
    sign, amount = ("-" if value < 0 else ""), f"{abs(value):,.0f}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def readable(df, *, currency: str = "USD"):
    """Copy of a result table for people: human column labels, money as money, rates as
    percentages, counts with thousands separators, booleans as yes / no.

    Text cells stay text, so the notebook's HTML display escapes them.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"units": [1500], "start_mrr": [1486230.0], "grr": [0.9191]},
    ...                  index=pd.Index(["smb"], name="segment"))
    >>> readable(t)
            Customers MRR at start    GRR
    Segment
    smb         1,500   $1,486,230  91.9%
    """
    import pandas as pd

    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if c in MONEY:
            s = s.map(lambda v: money(v, currency))
        elif c in PERCENT:
            s = s.map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        elif c in COUNTS:
            s = s.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
        elif s.dtype == bool:
            s = s.map({True: "yes", False: "no"})
        out[LABELS.get(c, str(c).replace("_", " ").capitalize())] = s
    names = [LABELS.get(n, n) if n is not None else None for n in df.index.names]
    out.index = out.index.set_names(names)
    return out


def run_report(
    template, data, out_dir, parameters: dict | None = None, *, mapping=None, as_of=None
) -> Path:
    """Execute ``template`` on ``data`` (a dataset folder, or an export read through
    ``mapping``); returns the HTML file written.

    ``parameters`` are the template's own (``{"segment": "smb"}``), matched to its parameters
    cell whatever their case; a name the template does not take is an error. The output name
    is the template's name plus their values, sanitised.
    """
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    template, out_dir = Path(template), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    declared = {name.lower(): name for name in pm.inspect_notebook(str(template))}
    given = {}
    for key, value in (parameters or {}).items():
        name = declared.get(str(key).lower())
        if name is None or name in ("DATA", "MAPPING", "AS_OF"):
            takes = ", ".join(n for n in declared.values() if n not in ("DATA", "MAPPING", "AS_OF"))
            raise ValueError(
                f"{template.name} has no parameter {key!r} to set with -p; it takes "
                f"{takes or 'none'} (the data comes from --data, --mapping and --as-of)"
            )
        given[name] = value
    params = {"DATA": str(Path(data).resolve()), **given}
    if mapping is not None:
        params["MAPPING"] = str(Path(mapping).resolve())
    if as_of is not None:
        params["AS_OF"] = str(as_of)
    suffix = "".join(f"-{safe_name(v)}" for k, v in sorted(given.items()))
    stem = safe_name(template.stem + suffix)
    executed, html = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"
    failed = out_dir / f"{stem}.failed.ipynb"
    # Papermill writes its output after every cell: run into a hidden file and move the
    # results into place only when complete, so a killed run never leaves a partial
    # notebook beside the previous HTML. A failed run keeps its notebook, error included.
    with writer_lock(executed):
        fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".ipynb", dir=out_dir)
        os.close(fd)
        running = Path(name)
        try:
            pm.execute_notebook(
                str(template),
                str(running),
                parameters=params,
                cwd=str(template.parent),
                progress_bar=False,
                log_output=False,
            )
        except BaseException:
            if running.exists() and running.stat().st_size:
                os.replace(running, failed)
            running.unlink(missing_ok=True)
            raise
        exporter = HTMLExporter(
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
        )
        body, _ = exporter.from_notebook_node(nbformat.read(running, as_version=4))
        write_bytes_atomically(html, body.encode("utf-8"))
        os.replace(running, executed)
        failed.unlink(missing_ok=True)
    return html


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m csworkbook.reports", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("template", type=Path, help="report notebook (in notebooks/reports/)")
    p.add_argument(
        "--data",
        type=Path,
        required=True,
        help="dataset folder; with --mapping the export file or folder",
    )
    p.add_argument(
        "--mapping", type=Path, help="mapping file (YAML) for an export in its own layout"
    )
    p.add_argument("--as-of", help="with --mapping: the date the export was taken")
    p.add_argument(
        "--out", type=Path, default=Path("build/reports"), help="folder (default %(default)s)"
    )
    p.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a template parameter, e.g. -p segment smb (repeatable)",
    )
    args = p.parse_args(argv)
    html = run_report(
        args.template, args.data, args.out, dict(args.param), mapping=args.mapping, as_of=args.as_of
    )
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
