"""Read exports as they come: CSV/TSV in UTF-8, UTF-8 with BOM or CP932, Excel, Parquet.

Everything is read as text first. Types are decided later, column by column, by the
mapping (:mod:`csworkbook.mapping`), so a bad cell becomes a rejected row with a reason
instead of a failed file. Each row remembers the line or sheet row it came from.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import DataError

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
# Cells that look filled in a spreadsheet but hold nothing.
BLANKS = {"", "-", "—", "n/a", "N/A", "NA", "#N/A", "null", "NULL", "None", "nan", "NaN"}


@dataclass
class RawTable:
    """An export read as text, with where each row came from."""

    frame: pd.DataFrame  # every cell a string or NA; headers cleaned
    source: str  # file name (and sheet) for messages
    row_numbers: pd.Series  # row number as the analyst sees it in the file
    notes: list[str] = field(default_factory=list)  # what was detected (encoding, header row…)


def clean_header(h) -> str:
    """Headers as the mapping will name them: NFKC (full-width to ASCII), trimmed, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", str(h)).split())


def _clean_cells(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype("string")
    out = out.apply(lambda s: s.str.strip())
    return out.mask(out.isin(BLANKS) | out.isna())


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as such, else the best guess of
    charset-normalizer restricted to Japanese encodings analysts meet (CP932, Shift_JIS, EUC-JP)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp932", "shift_jis", "euc_jp", "latin_1"]).best()
    if best is None:
        return "cp932"
    return {"shift_jis": "cp932"}.get(best.encoding, best.encoding)


def detect_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        return "\t" if sample.count("\t") > sample.count(",") else ","


def _read_text(path: Path, encoding: str | None, delimiter: str | None) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise DataError(
            f"{path.name}: the file is empty. Export it again with a header row and data."
        )
    enc = encoding or detect_encoding(data)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as e:
        raise DataError(
            f"{path.name}: cannot be read as {enc} ({e.__class__.__name__}). "
            "Set `encoding:` in the mapping file (utf-8, utf-8-sig or cp932)."
        ) from None
    text = text.lstrip("\ufeff")
    sep = delimiter or (("\t" if path.suffix == ".tsv" else None) or detect_delimiter(text))
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except pd.errors.ParserError as e:
        raise DataError(
            f"{path.name}: the rows do not split into columns consistently ({e})."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: no header row found.") from None
    df.columns = [clean_header(c) for c in df.columns]
    notes = [f"encoding {enc}", f"delimiter {sep!r}"]
    # line numbers: the header is line 1; blank lines are skipped by the reader
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip()][1:]
    rows = pd.Series(
        lines[: len(df)] if len(lines) >= len(df) else range(2, len(df) + 2), index=df.index
    )
    return RawTable(_clean_cells(df), path.name, rows, notes)


def _header_row(sheet: pd.DataFrame) -> int:
    """The first row that is as wide as the widest row: titles above a table are narrower."""
    filled = sheet.notna().sum(axis=1)
    if filled.max() == 0:
        return 0
    return int((filled >= max(2, filled.max() * 0.8)).idxmax())


def _read_excel(path: Path, sheet: str | None) -> RawTable:
    try:
        book = pd.ExcelFile(path)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise DataError(
            f"{path.name}: not a readable Excel workbook ({e.__class__.__name__})."
        ) from None
    name = sheet if sheet is not None else book.sheet_names[0]
    if name not in book.sheet_names:
        raise DataError(
            f"{path.name}: no sheet named {name!r}; the workbook has {book.sheet_names}. "
            "Set `sheet:` in the mapping file to one of them."
        )
    raw = book.parse(name, header=None, dtype=str)
    if raw.empty:
        raise DataError(f"{path.name} [{name}]: the sheet is empty.")
    h = _header_row(raw)
    df = raw.iloc[h + 1 :].copy()
    df.columns = [
        clean_header(c) if pd.notna(c) else f"column_{i + 1}" for i, c in enumerate(raw.iloc[h])
    ]
    df = df.dropna(how="all")
    notes = [f"sheet {name!r}"] + (
        [f"header found on sheet row {h + 1} (rows above skipped)"] if h else []
    )
    rows = pd.Series(df.index + 1, index=df.index)  # 0-based sheet index -> Excel row number
    df = df.reset_index(drop=True)
    rows.index = df.index
    return RawTable(_clean_cells(df), f"{path.name} [{name}]", rows, notes)


def read_export(
    path, *, sheet: str | None = None, encoding: str | None = None, delimiter: str | None = None
) -> RawTable:
    """Read one export file as text cells with source row numbers.

    Examples
    --------
    >>> raw = read_export("datasets/private/crm.csv")  # doctest: +SKIP
    >>> raw.notes                                       # doctest: +SKIP
    ['encoding cp932', "delimiter ','"]
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file. Check the path (or `file:` in the mapping).")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, encoding, delimiter)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet)
    if suffix == ".parquet":
        df = pd.read_parquet(path)
        df.columns = [clean_header(c) for c in df.columns]
        return RawTable(
            _clean_cells(df.astype(object)),
            path.name,
            pd.Series(range(1, len(df) + 1)),
            ["parquet"],
        )
    if suffix == ".xls":
        raise DataError(
            f"{path.name}: old .xls workbooks are not supported; save it as .xlsx or CSV."
        )
    raise DataError(
        f"{path.name}: unknown file type {suffix!r}; use CSV, TSV, Excel (.xlsx) or Parquet."
    )
