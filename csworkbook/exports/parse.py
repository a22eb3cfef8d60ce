"""Cell parsers for exports: numbers, booleans and dates as spreadsheets write them.

Every parser maps a column of text to typed values and leaves NA where a cell cannot be
read, so the caller can give that row a reason instead of failing the file.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from ..data.errors import DataError

TRUE = {"true", "t", "yes", "y", "1", "はい", "有", "○"}
FALSE = {"false", "f", "no", "n", "0", "いいえ", "無", "×"}
_NUM_JUNK = re.compile(r"[,\s¥$€£円]")
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_number(s: pd.Series) -> pd.Series:
    t = s.map(lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v).astype(
        "string"
    )
    neg = t.str.match(r"^\(.*\)$").fillna(False)
    t = t.str.replace(r"[()]", "", regex=True).str.replace(_NUM_JUNK, "", regex=True)
    out = pd.to_numeric(t, errors="coerce")
    return out.where(~neg, -out)


def parse_bool(s: pd.Series) -> pd.Series:
    low = s.str.lower()
    return pd.Series(
        np.where(low.isin(TRUE), True, np.where(low.isin(FALSE), False, None)),
        index=s.index,
        dtype="boolean",
    )


def date_order(values: pd.Series) -> str | None:
    """'dmy' or 'mdy' when slashed dates reveal their order, None when they are not slashed.

    Raises DataError when every value fits both orders or the values contradict each other."""
    m = values.dropna().astype(str).str.extract(_SLASHED).dropna().astype(int)
    if m.empty:
        return None
    first_big, second_big = (m[0] > 12).any(), (m[1] > 12).any()
    if first_big and not second_big:
        return "dmy"
    if second_big and not first_big:
        return "mdy"
    return "ambiguous" if not first_big else "mixed"


# 2024/1/15, 2024.01.15, 2024年1月15日: year first, any separator, time may follow
_YMD = re.compile(r"^\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})(?:\s*日)?")


def _iso_date(m: re.Match) -> str:
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


# Analytics APIs (Mixpanel, Stripe) write time as seconds or milliseconds since 1970 (UTC).
EPOCH_UNITS = {"unix": "s", "unix_ms": "ms"}


def parse_date(s: pd.Series, fmt: str | None, where: str) -> pd.Series:
    """Dates and times; ``fmt`` is a strftime format, ``"unix"`` or ``"unix_ms"``, or None
    to accept ISO, Japanese (2024年1月15日) and slashed dates whose day/month order the
    column itself reveals."""
    if fmt in EPOCH_UNITS:
        return pd.to_datetime(parse_number(s), unit=EPOCH_UNITS[fmt], errors="coerce")
    if fmt:
        return pd.to_datetime(s, format=fmt, errors="coerce")
    order = date_order(s)
    if order in ("ambiguous", "mixed"):
        example = s.dropna().astype(str).str.extract(_SLASHED).dropna().index[:3]
        shown = ", ".join(repr(s[i]) for i in example)
        what = "fit both day/month orders" if order == "ambiguous" else "mix day/month orders"
        raise DataError(
            f"{where}: dates such as {shown} {what}; the order cannot be told from the data. "
            'State it in the mapping, e.g. `date_format: "%d/%m/%Y"` or `"%m/%d/%Y"`.'
        )
    # ISO and Japanese (2024年1月15日, 2024/01/15) first; slashed day-first or month-first dates
    # in the order the column revealed.
    norm = s.str.replace(_YMD, _iso_date, regex=True)
    # times with an offset are converted to UTC; times without one are taken as UTC already
    # (parsed apart: pandas would apply one value's offset to the naive ones)
    zoned = norm.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    out[~zoned] = pd.to_datetime(norm[~zoned], format="ISO8601", errors="coerce")
    if zoned.any():
        aware = pd.to_datetime(norm[zoned], format="ISO8601", errors="coerce", utc=True)
        out[zoned] = aware.dt.tz_localize(None)
    if order in ("dmy", "mdy"):
        fmt = "%d/%m/%Y" if order == "dmy" else "%m/%d/%Y"
        slashed = pd.to_datetime(
            s.str.replace(r"[.-]", "/", regex=True), format=fmt, errors="coerce"
        )
        out = out.fillna(pd.Series(slashed, index=s.index))
    return out
