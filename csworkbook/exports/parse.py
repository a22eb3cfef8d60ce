"""Cell parsers for exports: booleans and dates as spreadsheets write them.

Every parser maps a column of text to typed values and leaves NA where a cell cannot be
read, with the reason, so the caller can reject that row instead of failing the file. Only
a column whose meaning is in doubt as a whole (day/month order, mixed UTC offsets) stops the
load with a request to state it in the mapping. Numbers are in :mod:`.numbers`.

Time: a mapping may name the dataset's ``timezone:`` (an IANA name such as Asia/Tokyo).
Times that carry a UTC offset (``2024-01-15T01:00:00+09:00``, ``…Z``) are converted to it,
and times without one are taken to be in it already. Without ``timezone:``, times are taken
**as written**: the offset is dropped and the clock time kept, so the date is the one the
export shows (2024-01-15 above); a column whose offsets differ stops and asks for a
``timezone:``. Epoch seconds (``date_format: unix``) are UTC instants, shown in the dataset's
time zone (UTC without one).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..data.errors import DataError
from .numbers import Parsed, example_rows, parse_numbers

TRUE = {"true", "t", "yes", "y", "1", "はい", "有", "○"}
FALSE = {"false", "f", "no", "n", "0", "いいえ", "無", "×"}
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
# 2024/1/15, 2024.01.15, 2024年1月15日: year first, any separator, time may follow
_YMD = re.compile(r"^\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})(?:\s*日)?")
# a year, or a year and month, without a day: 2024, 2024-01, 2024年1月, 01/2024
_PARTIAL = re.compile(r"^\s*(?:\d{4}(?:\s*[-/.年]\s*\d{1,2}\s*月?)?|\d{1,2}\s*[-/.]\s*\d{4})\s*$")
_SERIAL = re.compile(r"^\s*\d{5}(?:\.\d+)?\s*$")  # Excel's day number, 45306 = 2024-01-15
_OFFSET = re.compile(r"\s*(?:Z|[+-]\d\d:?\d\d)$")
_OFFSET_TEXT = re.compile(r"(Z|[+-]\d\d:?\d\d)$")
# Analytics APIs (Mixpanel, Stripe) write time as seconds or milliseconds since 1970 (UTC).
EPOCH_UNITS = {"unix": "s", "unix_ms": "ms"}


def parse_number(s: pd.Series) -> pd.Series:
    """Numbers with a decimal point (see :func:`.numbers.parse_numbers`); NaN if unreadable.

    >>> parse_number(pd.Series(["1,234.5", "(50)", "x"])).tolist()
    [1234.5, -50.0, nan]
    """
    return parse_numbers(s, decimal=".").values


def parse_bool(s: pd.Series) -> pd.Series:
    low = s.str.lower()
    return pd.Series(
        np.where(low.isin(TRUE), True, np.where(low.isin(FALSE), False, None)),
        index=s.index,
        dtype="boolean",
    )


def date_order(values: pd.Series) -> str | None:
    """'dmy' or 'mdy' when slashed dates reveal their order, None when they are not slashed,
    'ambiguous' when every value fits both orders and 'mixed' when they contradict."""
    m = values.dropna().astype(str).str.extract(_SLASHED).dropna().astype(int)
    if m.empty:
        return None
    first_big, second_big = (m[0] > 12).any(), (m[1] > 12).any()
    if first_big and not second_big:
        return "dmy"
    if second_big and not first_big:
        return "mdy"
    return "ambiguous" if not first_big else "mixed"


def _iso_date(m: re.Match) -> str:
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def _offset_name(text: str) -> str:
    if text == "Z":
        return "+00:00"
    return text if ":" in text else f"{text[:3]}:{text[3:]}"


def _instants(text: pd.Series, tz, where: str, rows: pd.Series) -> pd.Series:
    """ISO dates and times, with or without a UTC offset, as naive times in ``tz`` (or as
    written without one)."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if text.empty:
        return out
    zoned = text.str.contains(_OFFSET).fillna(False).to_numpy(dtype=bool)
    out[~zoned] = pd.to_datetime(text[~zoned], format="ISO8601", errors="coerce")
    if not zoned.any():
        return out
    if tz is not None:
        aware = pd.to_datetime(text[zoned], format="ISO8601", errors="coerce", utc=True)
        out[zoned] = aware.dt.tz_convert(tz).dt.tz_localize(None)
        return out
    offsets = text[zoned].str.extract(_OFFSET_TEXT)[0].map(_offset_name)
    if offsets.nunique() > 1:
        zrows = rows[text.index[zoned]]
        listed = " and ".join(
            f"{o!r} (rows {example_rows(zrows, (offsets == o).to_numpy())})"
            for o in pd.unique(offsets)[:3]
        )
        raise DataError(
            f"{where}: times with different UTC offsets: {listed}. State the dataset's time "
            "zone in the mapping, e.g. `timezone: Asia/Tokyo` or `timezone: UTC`, and every "
            "time is converted to it before its date is taken."
        )
    plain = text[zoned].str.replace(_OFFSET, "", regex=True)
    out[zoned] = pd.to_datetime(plain, format="ISO8601", errors="coerce")
    return out


def _formatted(text: pd.Series, fmt: str, tz, where: str) -> pd.Series:
    """Dates in a strftime format; with ``%z`` / ``%Z`` the offsets are handled as above."""
    if "%z" not in fmt and "%Z" not in fmt:
        return pd.to_datetime(text, format=fmt, errors="coerce")
    stamps = {}
    for v in pd.unique(text):
        try:
            stamps[v] = pd.to_datetime(v, format=fmt)
        except (ValueError, TypeError):
            stamps[v] = pd.NaT
    offsets = {t.utcoffset() for t in stamps.values() if pd.notna(t) and t.tzinfo is not None}
    if tz is None and len(offsets) > 1:
        raise DataError(
            f"{where}: times with different UTC offsets; state the dataset's time zone, e.g. "
            "`timezone: Asia/Tokyo` or `timezone: UTC`."
        )

    def wall(t):
        if pd.isna(t) or t.tzinfo is None:
            return t
        return t.tz_convert(tz).tz_localize(None) if tz is not None else t.tz_localize(None)

    return pd.to_datetime(text.map(lambda v: wall(stamps[v])), errors="coerce")


def parse_dates(
    s: pd.Series, fmt: str | None = None, *, tz=None, native=None, where: str = "", rows=None
) -> Parsed:
    """Dates and times, with a reason for every cell that cannot be one.

    ``fmt`` is a strftime format, ``"unix"`` or ``"unix_ms"``, or None to accept ISO,
    Japanese (2024年1月15日) and slashed dates whose day/month order the column itself
    reveals. Without ``fmt``, a date without its day (``2024-01``) is rejected: what it
    means (the 1st? the month's end?) must be said with a ``date_format``. ``native`` marks
    cells that were dates in the file (Excel, Parquet), which need no format.

    Examples
    --------
    >>> parse_dates(pd.Series(["2024-01-15T01:00:00+09:00"])).values.tolist()
    [Timestamp('2024-01-15 01:00:00')]
    >>> parse_dates(pd.Series(["2024-01-15T01:00:00+09:00"]), tz="UTC").values.tolist()
    [Timestamp('2024-01-14 16:00:00')]
    >>> print(parse_dates(pd.Series(["2024-01"])).reasons[0])
    '2024-01' has no day: say what it means with a date_format (e.g. "%Y-%m" reads the 1st)
    """
    rows = rows if rows is not None else pd.Series(range(2, len(s) + 2), index=s.index)
    text = s.astype("string")
    native = native if native is not None else pd.Series(False, index=s.index)
    present = text.notna().to_numpy()
    typed = present & native.to_numpy(dtype=bool)
    written = present & ~typed
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    reasons = pd.Series(None, index=s.index, dtype=object)
    if typed.any():
        out[typed] = _instants(text[typed], tz, where, rows)
    if not written.any():
        return Parsed(out, reasons, [])
    t = text[written]
    if fmt in EPOCH_UNITS:
        seconds = pd.to_numeric(t.str.strip(), errors="coerce")
        when = pd.to_datetime(seconds, unit=EPOCH_UNITS[fmt], errors="coerce")
        if tz is not None:
            when = when.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
        out[written] = when
        return Parsed(out, reasons, [])
    if fmt:
        out[written] = _formatted(t, fmt, tz, where)
        return Parsed(out, reasons, [])
    partial = t.str.match(_PARTIAL).fillna(False).to_numpy(dtype=bool)
    reasons[t.index[partial]] = [
        f'{v!r} has no day: say what it means with a date_format (e.g. "%Y-%m" reads the 1st)'
        for v in t[partial]
    ]
    serial = t.str.match(_SERIAL).fillna(False).to_numpy(dtype=bool)
    reasons[t.index[serial]] = [f"{v!r} is a spreadsheet day number, not a date" for v in t[serial]]
    t = t[~partial & ~serial]
    order = date_order(t)
    if order in ("ambiguous", "mixed"):
        slashed = t.str.match(_SLASHED).fillna(False).to_numpy(dtype=bool)
        shown = ", ".join(repr(v) for v in pd.unique(t[slashed])[:3])
        what = "fit both day/month orders" if order == "ambiguous" else "mix day/month orders"
        raise DataError(
            f"{where}: dates such as {shown} (rows {example_rows(rows[t.index], slashed)}) "
            f"{what}; the order cannot be told from the data. State it in the mapping, "
            'e.g. `date_format: "%d/%m/%Y"` or `"%m/%d/%Y"`.'
        )
    # ISO and Japanese (2024年1月15日, 2024/01/15) first; slashed day-first or month-first
    # dates in the order the column revealed.
    got = _instants(t.str.replace(_YMD, _iso_date, regex=True), tz, where, rows)
    if order in ("dmy", "mdy"):
        slash_fmt = "%d/%m/%Y" if order == "dmy" else "%m/%d/%Y"
        slashed = pd.to_datetime(
            t.str.replace(r"[.-]", "/", regex=True), format=slash_fmt, errors="coerce"
        )
        got = got.fillna(slashed)
    out[t.index] = got
    return Parsed(out, reasons, [])
