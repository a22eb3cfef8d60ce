"""Files a report writes from customer data: names that are safe on every file system, and
tables that cannot run as spreadsheet formulas."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from pathlib import Path

# Names Windows reserves for devices, with or without an extension ("CON", "con.txt").
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{d}{i}" for d in ("COM", "LPT") for i in (*range(1, 10), "¹", "²", "³")
}
MAX_BYTES = 80


def _keep(ch: str) -> bool:
    # letters, marks and digits of any script; "-", "_" and "." as they are
    return ch in "-_." or unicodedata.category(ch)[0] in "LMN"


def _cut(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def safe_name(text, max_bytes: int = MAX_BYTES) -> str:
    """A file name (without extension) for text that may come from customer data: safe on
    every file system, readable, and distinct for distinct texts.

    Letters and digits of any script are kept (NFKC-normalised: full-width ＡＢＣ become
    ABC); anything else — path separators, spaces, control and format characters, ``..`` —
    becomes ``_``; leading dots go; at most ``max_bytes`` bytes of UTF-8. When this changed
    the text, or the text has capitals (which case-insensitive file systems would fold), a
    short hash of the original is appended, so two values never share a file:

    >>> safe_name("smb"), safe_name("営業部")
    ('smb', '営業部')
    >>> safe_name("営業部/東京")
    '営業部_東京-dd5340'
    >>> safe_name("../../etc/passwd").startswith("etc_passwd-")
    True
    >>> safe_name("CON").startswith("_CON-"), safe_name("")
    (True, 'report')
    """
    text = "" if text is None else str(text)
    cleaned = "".join(ch if _keep(ch) else "_" for ch in unicodedata.normalize("NFKC", text))
    cleaned = re.sub(r"\.{2,}", "_", cleaned)
    cleaned = re.sub(r"_{2,}", "_", cleaned).strip("._-")
    if not text:
        return "report"
    exact = cleaned == text and cleaned == cleaned.lower() and len(cleaned.encode()) <= max_bytes
    reserved = cleaned.split(".")[0].upper() in _RESERVED
    if exact and not reserved:
        return cleaned
    if reserved:  # "con.txt-1a2b3c" would still be the device CON on Windows
        cleaned = f"_{cleaned}"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{_cut(cleaned, max_bytes - 7).rstrip('._-') or 'report'}-{digest}"


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
