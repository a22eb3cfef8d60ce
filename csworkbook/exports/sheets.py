"""Excel workbooks and Parquet files, read cell by cell into text with what was typed.

Cells that were numbers or dates in the file are rendered as plain text (``1200``,
``2024-01-15``) and marked *native*, so no decimal convention or ``date_format`` is applied
to them. Hidden sheets are not read unless named; hidden rows are skipped and said. Parquet
lists and structs (nested cells) cannot be a column value: they are marked as problems.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import warnings
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ..data.errors import DataError
from .mapfile import read_bytes


class Grid(NamedTuple):
    """One sheet or file before its header is cleaned: raw header cells and body cells."""

    headers: list  # header cells as written
    body: pd.DataFrame  # columns 0..n-1, cells str or None
    rows: list  # row number of each body row as the file shows it
    native: pd.DataFrame | None  # True where the cell was a number or date in the file
    issues: dict  # column position -> Series of problem text (or None) per row
    notes: list
    source: str


def float_text(v: float) -> str:
    """A float as plain text: whole values without ``.0`` (an id 1.0 is ``1``).

    >>> float_text(1.0), float_text(2.5), float_text(1e20)
    ('1', '2.5', '1e+20')
    """
    if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _excel_cell(v) -> tuple[str | None, bool]:
    if v is None:
        return None, False
    if isinstance(v, bool):
        return ("TRUE" if v else "FALSE"), False
    if isinstance(v, int):
        return str(v), True
    if isinstance(v, float):
        return float_text(v), True
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0) and v.tzinfo is None:
            return v.date().isoformat(), True
        return v.isoformat(sep=" "), True
    if isinstance(v, dt.date):
        return v.isoformat(), True
    return str(v), False


def _header_row(sheet: pd.DataFrame) -> int:
    """The first row that is as wide as the widest row: titles above a table are narrower."""
    filled = sheet.notna().sum(axis=1)
    if filled.empty or filled.max() == 0:
        return 0
    return int((filled >= max(2, filled.max() * 0.8)).to_numpy().argmax())


def _sheet_grid(ws, label: str) -> Grid | None:
    cells, native = [], []
    for row in ws.iter_rows(values_only=True):
        pairs = [_excel_cell(v) for v in row]
        cells.append([p[0] for p in pairs])
        native.append([p[1] for p in pairs])
    if not cells or not any(any(c is not None for c in r) for r in cells):
        return None
    grid = pd.DataFrame(cells, dtype=object)
    h = _header_row(grid)
    hidden = {r for r, d in ws.row_dimensions.items() if d.hidden}
    keep = [i for i in range(h + 1, len(grid)) if i + 1 not in hidden]
    skipped = [
        i + 1 for i in range(h + 1, len(grid)) if i + 1 in hidden and grid.iloc[i].notna().any()
    ]
    notes = [f"sheet {ws.title!r}"]
    if h:
        notes.append(f"header found on sheet row {h + 1} (rows above skipped)")
    if skipped:
        shown = ", ".join(map(str, skipped[:5])) + (", …" if len(skipped) > 5 else "")
        notes.append(
            f"{len(skipped)} hidden row(s) skipped (rows {shown}); unhide them in Excel to "
            "include them"
        )
    body = grid.iloc[keep].reset_index(drop=True)
    flags = pd.DataFrame(native, dtype=bool).iloc[keep].reset_index(drop=True)
    return Grid(list(grid.iloc[h]), body, [i + 1 for i in keep], flags, {}, notes, label)


def read_excel(path: Path, sheet: str | None) -> list[Grid]:
    """The grid of one sheet (default: the first visible one), or of every visible sheet
    with ``sheet="*"``."""
    import openpyxl

    data = read_bytes(path)  # a clear message for a folder, a locked or unreadable file
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as e:  # zipfile, XML and openpyxl raise many kinds for a broken file
        raise DataError(
            f"{path.name}: not a readable Excel workbook ({e.__class__.__name__}). Open it in "
            "Excel and save it again as .xlsx, or export CSV."
        ) from None
    names = book.sheetnames
    hidden = [n for n in names if book[n].sheet_state != "visible"]
    shown = [n for n in names if n not in hidden]
    said = [f"hidden sheet(s) {hidden} not read"] if hidden else []
    if sheet == "*":
        grids = [g for n in shown if (g := _sheet_grid(book[n], f"{path.name} [{n}]"))]
        if not grids:
            raise DataError(f"{path.name}: every visible sheet is empty.")
        grids[0].notes[:0] = said
        return grids
    if sheet is None:
        if not shown:
            raise DataError(f"{path.name}: every sheet is hidden; name one with `sheet:`.")
        name = shown[0]
    elif sheet in names:
        name = sheet
        said = (
            [f"sheet {name!r} is hidden in the workbook; read because the mapping names it"]
            if name in hidden
            else []
        )
    else:
        raise DataError(
            f"{path.name}: no sheet named {sheet!r}; the workbook has {names}. "
            "Set `sheet:` in the mapping file to one of them."
        )
    grid = _sheet_grid(book[name], f"{path.name} [{name}]")
    if grid is None:
        raise DataError(f"{path.name} [{name}]: the sheet is empty.")
    grid.notes[:0] = said
    return [grid]


def _arrow_column(col) -> tuple[list, bool, list | None]:
    """Cells of one Parquet column as text, whether they were typed, and problems."""
    import pyarrow as pa

    t = col.type
    if pa.types.is_dictionary(t):
        col = pa.chunked_array([c.dictionary_decode() for c in col.chunks], type=t.value_type)
        t = col.type
    values = col.to_pylist()
    nested = (
        pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
        or pa.types.is_struct(t) or pa.types.is_map(t) or pa.types.is_union(t)
    )  # fmt: skip
    if nested:
        kind = "a struct" if pa.types.is_struct(t) else "a list"
        issues = [
            None if v is None else f"{str(v)[:40]!r} is {kind} (nested data), not one value"
            for v in values
        ]
        return [None if v is None else str(v) for v in values], False, issues
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        out, issues = [], []
        for v in values:
            try:
                out.append(None if v is None else v.decode("utf-8"))
                issues.append(None)
            except UnicodeDecodeError:
                out.append(repr(v[:20]))
                issues.append(f"{v[:20]!r} is binary data, not text")
        return out, False, issues
    if pa.types.is_floating(t):
        return [None if v is None or v != v else float_text(v) for v in values], True, None
    if pa.types.is_boolean(t):
        return [None if v is None else ("TRUE" if v else "FALSE") for v in values], False, None
    if pa.types.is_decimal(t):
        return [None if v is None else format(v, "f") for v in values], True, None
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return [None if v is None else v.isoformat() for v in values], True, None
    typed = pa.types.is_integer(t)
    return [None if v is None else str(v) for v in values], typed, None


def read_parquet(path: Path) -> Grid:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = read_bytes(path)
    try:
        table = pq.ParquetFile(pa.BufferReader(data)).read()
    except (pa.ArrowException, OSError, ValueError) as e:
        raise DataError(
            f"{path.name}: not a readable Parquet file ({e.__class__.__name__}: {str(e)[:120]}). "
            "Export it again, or export CSV."
        ) from None
    body, native, issues = {}, {}, {}
    for i in range(table.num_columns):
        cells, typed, problems = _arrow_column(table.column(i))
        body[i] = cells
        native[i] = [typed and c is not None for c in cells]
        if problems is not None and any(p is not None for p in problems):
            issues[i] = pd.Series(problems, dtype=object)
    n = table.num_rows
    frame = pd.DataFrame(body, index=range(n), dtype=object)
    flags = pd.DataFrame(native, index=range(n), dtype=bool)
    return Grid(
        list(table.column_names),
        frame,
        list(range(1, n + 1)),
        flags,
        issues,
        ["parquet"],
        path.name,
    )
