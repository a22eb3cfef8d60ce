"""Where a mapped column's cells come from, before they are parsed.

A rule's cells are the export's column as written, a constant (``value:``; ``as_of`` in a
date column), a date computed from ``as_of`` and a tenure column (``before_as_of:``) or the
value of another file of the same export (``lookup:``). Then, per column, extra blank
spellings (``blank:``) are emptied and ``values:`` maps spellings, the ones the reader
takes as blank (``-``, ``None``) and the empty cell itself (``""``). Every cell that cannot
be used gets a reason naming the column and the value; only problems of a whole file or
column raise :class:`~csworkbook.data.errors.DataError`.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..data.errors import DataError
from ..data.schema import Col
from .numbers import example_rows, parse_numbers
from .read import RawTable, clean_header
from .rulecheck import fills_blank

# Touch model usually follows the segment when an export does not carry it.
TOUCH_BY_SEGMENT = {"enterprise": "high", "mid_market": "low", "smb": "tech"}
# A tenure beyond this is not a customer's (a date pasted into the column, a unit mix-up).
MAX_TENURE = {"months": 1200, "years": 100, "weeks": 5300, "days": 36600}


class Source(NamedTuple):
    text: pd.Series  # cell text (string dtype), NA where empty
    reasons: pd.Series  # per row: why the cell cannot be used, or None
    header: str | None  # the export header read, if one
    used: tuple  # every header the rule read


def none(index) -> pd.Series:
    return pd.Series(None, index=index, dtype=object)


def header_of(raw: RawTable, wanted, table: str, column: str, fix: str) -> str:
    """The frame column for a header the mapping names (cleaned as headers are), or a
    DataError naming the file, the header, its near misses and the mapping line to fix."""
    header = clean_header(wanted)
    if header in raw.duplicates:
        where = ", ".join(f"column {p} {h!r}" for p, h in raw.duplicates[header])
        raise DataError(
            f"{raw.source}: {len(raw.duplicates[header])} columns are named {header!r} once "
            f"spaces and full-width letters are cleaned ({where}), and {table}.{column} uses it. "
            "Rename or remove the extra one in the export so the mapping can tell them apart."
        )
    if header in raw.frame.columns:
        return header
    near = difflib.get_close_matches(header, list(raw.frame.columns), n=3, cutoff=0.5)
    hint = f" Did you mean {near}?" if near else ""
    raise DataError(
        f"{raw.source}: column {wanted!r} for {table}.{column} is not in the file.{hint} "
        f"Its columns are {list(raw.frame.columns)}; {fix}."
    )


def condition(cond: dict, raw: RawTable, table: str, column: str) -> tuple[np.ndarray, str]:
    """Rows meeting ``{column: Status, in: [Churned]}`` (or ``not_in:``); ``""`` in the list
    stands for an empty cell. ``column`` is the rule's column, or ``where`` for a table's
    row filter."""
    what = f"`where:` of {table}" if column == "where" else f"`when:` of {table}.{column}"
    header = header_of(raw, cond.get("column"), table, column, f"fix {what}")
    cells = raw.frame[header].fillna("")
    if "in" in cond:
        return cells.isin([str(v) for v in cond["in"]]).to_numpy(dtype=bool), header
    return ~cells.isin([str(v) for v in cond["not_in"]]).to_numpy(dtype=bool), header


def tenure_dates(raw: RawTable, header: str, unit: str, as_of, column: str, decimal=None):
    """``before_as_of: tenure``: the date ``tenure`` months (days, weeks, years) before
    ``as_of``, as ISO text, with a reason for tenures that are not whole, negative or absurd.

    Examples
    --------
    >>> frame = pd.DataFrame({"tenure": ["0", "1", "13", "x"]}, dtype="string")
    >>> raw = RawTable(frame, "t.csv", pd.Series([2, 3, 4, 5]))
    >>> text, why = tenure_dates(raw, "tenure", "months", pd.Timestamp("2025-12-31"), "start_date")
    >>> text.tolist()[:3], why.tolist()[3]
    (['2025-12-31', '2025-11-30', '2024-11-30'], "start_date: tenure 'x' is not a number of months")
    """
    cells = raw.frame[header].astype("string")
    where = f"{raw.source}: column {header!r}"
    parsed = parse_numbers(
        cells, decimal=decimal, native=raw.native.get(header), where=where, rows=raw.row_numbers
    )
    n = parsed.values
    reasons = none(cells.index)
    bad = cells.notna().to_numpy() & n.isna().to_numpy()
    reasons[bad] = [f"{column}: {header} {v!r} is not a number of {unit}" for v in cells[bad]]
    odd = (n.notna() & ((n < 0) | (n != np.round(n)) | (n > MAX_TENURE[unit]))).to_numpy()
    reasons[odd] = [
        f"{column}: {header} {v!r} is not a whole number of {unit} from 0 to {MAX_TENURE[unit]}"
        for v in cells[odd]
    ]
    good = n.where(~odd).dropna().astype(int)
    stamp = pd.Timestamp(as_of)
    if unit in ("months", "years"):
        k = 12 if unit == "years" else 1
        back = {v: stamp - pd.DateOffset(months=int(v) * k) for v in good.unique()}
    else:
        k = 7 if unit == "weeks" else 1
        back = {v: stamp - pd.Timedelta(days=int(v) * k) for v in good.unique()}
    text = pd.Series(pd.NA, index=cells.index, dtype="string")
    text[good.index] = [back[v].strftime("%Y-%m-%d") for v in good]
    return text, reasons


def looked_up(raw: RawTable, key_header: str, spec: dict, other: RawTable, table: str, column: str):
    """``lookup:``: for each row, the ``take`` cell of the row of ``other`` whose ``match``
    cell equals this row's key; a reason when no row or rows that disagree match."""
    fix = f"fix `lookup:` of {table}.{column}"
    match = header_of(other, spec["match"], table, column, fix)
    take = header_of(other, spec["take"], table, column, fix)
    pairs = other.frame[[match, take]].dropna(subset=[match]).drop_duplicates()
    clash = set(pairs.loc[pairs[match].duplicated(), match])
    found = pairs.drop_duplicates(match).set_index(match)[take]
    key = raw.frame[key_header]
    text = key.map(found).astype("string")
    reasons = none(key.index)
    missing = (key.notna() & ~key.isin(found.index)).to_numpy()
    reasons[missing] = [
        f"{column}: {key_header} {v!r} is not in {other.source} (column {match!r})"
        for v in key[missing]
    ]
    double = key.isin(clash).to_numpy()
    reasons[double] = [
        f"{column}: {key_header} {v!r} matches rows of {other.source} with different {take!r}"
        for v in key[double]
    ]
    text[double] = pd.NA
    return text, reasons


def blanks_and_values(text: pd.Series, rule: dict, blanked: pd.Series | None) -> pd.Series:
    """Apply ``blank:`` and ``values:`` to cell text. ``blanked`` holds, for cells the reader
    took as blank, how they were written (``-``, ``None``), so a value map can name them.

    Examples
    --------
    >>> t = pd.Series(["Yes", pd.NA, "Unknown", pd.NA], dtype="string")
    >>> was = pd.Series([pd.NA, "-", pd.NA, pd.NA], dtype="string")
    >>> rule = {"blank": ["Unknown"], "values": {"Yes": "true", "-": "false", "": "false"}}
    >>> blanks_and_values(t, rule, was).tolist()
    ['true', 'false', 'false', 'false']
    """
    s = text.astype("string")
    was = blanked.astype("string") if blanked is not None else pd.Series(pd.NA, index=s.index)
    was = was.reindex(s.index).astype("string")
    if rule.get("blank"):
        tokens = set(rule["blank"])
        hit = (s.str.strip().isin(tokens) | was.isin(tokens)).fillna(False).to_numpy(dtype=bool)
        s, was = s.mask(hit), was.mask(hit)
    if "values" not in rule:
        return s
    vmap = {clean: v for k, v in rule["values"].items() for clean in (str(k), str(k).strip())}
    mapped = s.map(lambda v: vmap.get(v, v) if isinstance(v, str) else v).astype("string")
    empty = s.isna().to_numpy()
    named = empty & was.isin(list(vmap)).fillna(False).to_numpy(dtype=bool)
    mapped[named] = [vmap[w] for w in was[named]]
    if "" in vmap:
        mapped[empty & ~named] = vmap[""]
    return mapped.astype("string")


def optional(col: Col, rule: dict, text: pd.Series, out: pd.DataFrame, raw: RawTable):
    """``optional: true``: blank cells of a required column take its safe fill (descriptive
    text 'unknown', the touch model from the segment) instead of rejecting the row."""
    blank = text.isna().to_numpy()
    if not rule.get("optional") or col.nullable or not blank.any() or not fills_blank(col):
        return text, None
    if col.name == "touch_model" and "segment" in out:
        fill, how = out["segment"].map(TOUCH_BY_SEGMENT).astype("string"), "from the segment"
    else:
        fill, how = pd.Series("unknown", index=text.index, dtype="string"), "'unknown'"
    text = text.where(~blank, fill)
    note = (
        f"{col.name}: {int(blank.sum())} blank cell(s) filled with {how} (optional; rows "
        f"{example_rows(raw.row_numbers, blank)})"
    )
    return text, note
