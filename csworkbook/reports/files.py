"""Files a report writes from customer data: names that are safe on every file system, and
tables that cannot run as spreadsheet formulas."""

from __future__ import annotations

import io
import re
from pathlib import Path


def safe_name(text: str) -> str:
    """A file-name-safe version of text that may come from customer data."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._")
    return cleaned[:80] or "report"


# Spreadsheets run a cell as a formula when it starts with one of these; Excel in Japanese
# also takes the full-width forms typed with an IME.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise_formulas(df):
    """Copy of ``df`` whose text cells cannot run as spreadsheet formulas when the CSV is
    opened in Excel: cells starting with = + - @ (their full-width forms ＝ ＋ － ＠, or tab /
    CR) get a leading apostrophe.

    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"name": ["=HYPERLINK(1)", "＝1+1", "Aozora"]})).name.tolist()
    ["'=HYPERLINK(1)", "'＝1+1", 'Aozora']
    """
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) == "string":
            s = out[c].astype("string")
            risky = s.str.startswith(_FORMULA_START).fillna(False)
            out[c] = s.where(~risky, "'" + s)
    return out


def write_action_list(df, folder, name: str) -> tuple[Path, Path]:
    """Write an action list (calls to action, renewals to work) as CSV and Excel for the
    people who act on it: text cells formula-neutralised, each file written atomically.
    Returns the two paths."""
    from ..data.atomic import write_bytes_atomically

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    safe = neutralise_formulas(df.reset_index() if df.index.name else df)
    csv, xlsx = folder / f"{safe_name(name)}.csv", folder / f"{safe_name(name)}.xlsx"
    # utf-8-sig: Excel on Japanese Windows opens it without garbling the names
    write_bytes_atomically(csv, safe.to_csv(index=False).encode("utf-8-sig"))
    buffer = io.BytesIO()
    safe.to_excel(buffer, index=False, sheet_name=safe_name(name)[:31])
    write_bytes_atomically(xlsx, buffer.getvalue())
    return csv, xlsx
