"""Numbers as exports write them, read under a stated decimal convention, never guessed.

``1,234.56`` and ``1.234,56`` are the same amount in two conventions; ``1,234`` is 1234 in
one and 1.234 in the other. Every cell is read under both and classified: some values only
make sense with a decimal point (``12.5``, ``1,234.56``, ``1,234,567``), some only with a
decimal comma (``12,5``, ``1.234,56``, ``1 234,56``), some fit both with the same value
(``1234``, ``1 234``) and some fit both with different values (``1,234``, ``1.500``). A column
is read under the mapping's ``decimal:`` (default ``"."``); when its values only make sense
with the other convention, or mix both, loading stops and asks for ``decimal:`` instead of
reading ``1.234,56`` as 1.23456.

Currency symbols and codes (``$ ¥ € £ 円``, ``USD``) are accepted only when they match the
dataset's ``currency:``; ``inf`` and ``nan`` spelled out are not numbers.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..data.errors import DataError

# Symbol -> the currencies it can mean (a "$" fits any of the dollars).
SYMBOLS = {
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD"),
    "US$": ("USD",),
    "¥": ("JPY", "CNY"),
    "円": ("JPY",),
    "元": ("CNY",),
    "€": ("EUR",),
    "£": ("GBP",),
    "₩": ("KRW",),
    "₹": ("INR",),
}
# ISO 4217 codes in use: a three-letter word next to an amount is a currency only if listed.
_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
ZWL
"""
CURRENCIES = frozenset(_ISO_4217.split())
CONVENTION = {".": "a decimal point (1,234.56)", ",": "a decimal comma (1.234,56)"}
NONFINITE = {"inf", "infinity", "nan"}
_CUR = r"US\$|[A-Z]{3}|[$¥€£₩₹円元]"
_CELL = re.compile(
    rf"^(?P<tri>[▲△])?\s*(?P<s1>[-+−])?\s*(?P<c1>{_CUR})?\s*(?P<s2>[-+−])?\s*"
    r"(?P<body>\d[\d.,' ’]*|[.,]\d+)(?:[eE](?P<exp>[-+]?\d{1,4}))?\s*"
    rf"(?P<c2>{_CUR})?$"
)


class Parsed(NamedTuple):
    """A parsed column: values (NaN / NaT where unusable), a reason per row or None, notes."""

    values: pd.Series
    reasons: pd.Series
    notes: list


def example_rows(rows: pd.Series, mask, n: int = 5) -> str:
    """Row numbers as the analyst sees them, the first ``n`` where ``mask`` holds."""
    picked = list(rows[np.asarray(mask, dtype=bool)])
    return ", ".join(str(r) for r in picked[:n]) + (", …" if len(picked) > n else "")


def _under(body: str, dec: str) -> str | None:
    """``body`` as plain digits with a '.' decimal point, read with ``dec`` as the decimal
    separator; None if it is not a number in that convention."""
    groups_by = {",", " ", "'", "’"} if dec == "." else {".", " ", "'", "’"}
    if body.count(dec) > 1:
        return None
    whole, has_dec, frac = body.partition(dec)
    if has_dec and not (frac.isascii() and frac.isdigit()):
        return None
    tail = f".{frac}" if has_dec else ""
    if not whole:
        return f"0{tail}" if has_dec else None
    if whole.isascii() and whole.isdigit():
        return whole + tail
    seps = {ch for ch in whole if not ch.isdigit()}
    if len(seps) != 1 or not seps <= groups_by:
        return None
    groups = whole.split(seps.pop())
    first_ok = 1 <= len(groups[0]) <= 3 and groups[0].isdigit() and groups[0][0] != "0"
    rest_ok = all(len(g) == 3 and g.isascii() and g.isdigit() for g in groups[1:])
    return "".join(groups) + tail if first_ok and rest_ok else None


class Cell(NamedTuple):
    kind: str  # neutral, ".", ",", "amb.", "amb,", "bad", "nonfinite"
    point: float | None  # value with a decimal point
    comma: float | None  # value with a decimal comma
    token: str | None  # currency symbol or code as written


def read_cell(text: str) -> Cell:
    """Classify one cell; see the module docstring.

    Examples
    --------
    >>> read_cell("1.234,56")
    Cell(kind=',', point=None, comma=1234.56, token=None)
    >>> read_cell("(¥1,200)")
    Cell(kind='amb,', point=-1200.0, comma=-1.2, token='¥')
    """
    t = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()
    if t.lower().lstrip("+-") in NONFINITE:
        return Cell("nonfinite", None, None, None)
    negative = False
    if t.count("(") == 1 and t.count(")") == 1 and t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1].strip()
    m = _CELL.match(t)
    if not m or (m["c1"] and m["c2"]):
        return Cell("bad", None, None, None)
    signs = [x for x in (m["tri"], m["s1"], m["s2"]) if x]
    if len(signs) + negative > 1:
        return Cell("bad", None, None, None)
    negative = negative or any(x in "▲△-−" for x in signs)
    body = m["body"].rstrip(" '’")
    point, comma = _under(body, "."), _under(body, ",")
    if m["exp"] is not None:  # scientific notation is written by programs: a point, no groups
        if not body.replace(".", "").isdigit():
            return Cell("bad", None, None, None)
        point = f"{point}e{m['exp']}" if point is not None else None
        comma = comma if "." not in body and comma is not None else None
        comma = f"{comma}e{m['exp']}" if comma is not None else None
    sign = -1.0 if negative else 1.0
    p = sign * float(point) if point is not None else None
    c = sign * float(comma) if comma is not None else None
    token = m["c1"] or m["c2"]
    if token is not None and token not in SYMBOLS and token not in CURRENCIES:
        return Cell("bad", None, None, token)
    if p is None and c is None:
        return Cell("bad", None, None, token)
    if p is not None and c is not None:
        kind = "neutral" if p == c else ("amb," if "," in body else "amb.")
    else:
        kind = "." if p is not None else ","
    return Cell(kind, p, c, token)


def _currencies(token: str) -> tuple[str, ...]:
    return SYMBOLS.get(token, (token,))


def parse_numbers(
    s: pd.Series, *, decimal=None, currency=None, native=None, where="", rows=None
) -> Parsed:
    """Read a column of numbers; stops (DataError) when the convention is in doubt.

    Parameters
    ----------
    s : Series of str
    decimal : {".", ",", None}
        The convention the mapping states; None reads with a decimal point but stops when
        the values say otherwise.
    currency : str, optional
        The dataset's ISO currency; amounts marked with another currency are rejected.
    native : Series of bool, optional
        Cells that were numbers in the file (Excel, Parquet), read as they are.
    where, rows
        The file and column, and the row numbers, for messages.

    Examples
    --------
    >>> parse_numbers(pd.Series(["1.234,56", "12,5"]), decimal=",").values.tolist()
    [1234.56, 12.5]
    >>> parse_numbers(pd.Series(["12,5"]), where="x.csv: column 'MRR'")
    Traceback (most recent call last):
    ...
    csworkbook.data.errors.DataError: x.csv: column 'MRR': values such as '12,5' (rows 2) only make sense with a decimal comma (1.234,56). State it in the mapping: `decimal: ","` (at the top for every file, under a table, or in this column's rule).
    """
    rows = rows if rows is not None else pd.Series(range(2, len(s) + 2), index=s.index)
    native = native if native is not None else pd.Series(False, index=s.index)
    text = s.astype("string")
    present = text.notna().to_numpy()
    typed = present & native.to_numpy(dtype=bool)
    written = present & ~typed

    # plain numbers (1200, -3.75, 1,234.50) are classified in bulk; the rest cell by cell
    def match(pattern):
        return written & text.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)

    plain = match(r"-?[0-9]+(?:\.[0-9]+)?") & ~match(r"-?[1-9][0-9]{0,2}\.[0-9]{3}")
    grouped = match(r"-?[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?")
    slow = written & ~plain & ~grouped
    cells = {v: read_cell(v) for v in pd.unique(text[slow])}
    kind = pd.Series(None, index=s.index, dtype=object)
    kind[slow] = [cells[v].kind for v in text[slow]]
    dotted = text.str.contains(".", regex=False).fillna(False).to_numpy(dtype=bool)
    commas = text.str.count(",").fillna(0).to_numpy()
    kind[(plain | grouped) & (dotted | (commas > 1))] = "."
    kind[plain & ~dotted] = "neutral"
    kind[grouped & ~dotted & (commas == 1)] = "amb,"
    conv = decimal or "."
    other = "," if conv == "." else "."
    tells = {k: (kind == k).to_numpy() for k in (".", ",", "amb.")}

    def shown(mask):
        vals = pd.unique(text[mask])[:3]
        return f"{', '.join(repr(v) for v in vals)} (rows {example_rows(rows, mask)})"

    said = f"; the mapping says {conv!r}" if decimal else ""
    fix = (
        f'State it in the mapping: `decimal: "{other}"` (at the top for every file, under a '
        "table, or in this column's rule)."
    )
    if tells[other].any() and not tells[conv].any():
        raise DataError(
            f"{where}: values such as {shown(tells[other])} only make sense with "
            f"{CONVENTION[other]}{said}. {fix}"
        )
    if decimal is None and tells["."].any() and tells[","].any():
        raise DataError(
            f"{where}: the column mixes {CONVENTION['.']} {shown(tells['.'])} and "
            f"{CONVENTION[',']} {shown(tells[','])}. Correct them at the source, or state "
            'the one most rows use with `decimal: "."` or `decimal: ","`; rows in the other '
            "convention are then rejected."
        )
    if decimal is None and tells["amb."].any() and not tells["."].any():
        raise DataError(
            f"{where}: values such as {shown(tells['amb.'])} are thousands with {CONVENTION[',']} "
            f"but fractions with {CONVENTION['.']}; nothing in the column tells which. State it: "
            '`decimal: ","` or `decimal: "."` (at the top, under a table, or in this rule).'
        )
    values = pd.Series(np.nan, index=s.index, dtype="float64")
    reasons = pd.Series(None, index=s.index, dtype=object)
    pick = "point" if conv == "." else "comma"
    if slow.any():
        got = [getattr(cells[v], pick) for v in text[slow]]
        values[slow] = np.array([np.nan if g is None else g for g in got], dtype="float64")
    if conv == ".":
        bulk = plain | grouped
        values[bulk] = pd.to_numeric(text[bulk].str.replace(",", "")).to_numpy(dtype="float64")
    else:  # only "1200" and "1,234" (1.234) read with a decimal comma
        values[plain & ~dotted] = pd.to_numeric(text[plain & ~dotted]).to_numpy(dtype="float64")
        amb = grouped & ~dotted & (commas == 1)
        values[amb] = pd.to_numeric(text[amb].str.replace(",", ".")).to_numpy(dtype="float64")
    if typed.any():
        values[typed] = pd.to_numeric(text[typed], errors="coerce").to_numpy(dtype="float64")
    misfit = (kind == other).to_numpy() & written
    reasons[misfit] = [f"{v!r} does not fit decimal {conv!r}" for v in text[misfit]]
    odd = ((kind == "nonfinite").to_numpy() & written) | (typed & ~np.isfinite(values.to_numpy()))
    reasons[odd] = [f"{v!r} is not a finite number" for v in text[odd]]
    values[odd] = np.nan
    notes = _check_currency(text, cells, slow, currency, reasons, where, rows)
    values[reasons.notna().to_numpy()] = np.nan
    return Parsed(values, reasons, notes)


def _check_currency(text, cells, written, currency, reasons, where, rows) -> list:
    token = text.map(lambda v: cells[v].token if v in cells else None).where(written, None)
    marked = token.notna().to_numpy()
    if not marked.any():
        return []
    seen = {t: (token == t).to_numpy() for t in pd.unique(token[marked])}
    if currency is not None:
        for t, mask in seen.items():
            if currency not in _currencies(t):
                label = t if t in _currencies(t) else f"{t} ({'/'.join(_currencies(t))})"
                reasons[mask & reasons.isna().to_numpy()] = [
                    f"{v!r} is in {label}, not the dataset's currency {currency}"
                    for v in text[mask & reasons.isna().to_numpy()]
                ]
        return []
    common = set.intersection(*(set(_currencies(t)) for t in seen))
    listed = " and ".join(f"{t!r} (rows {example_rows(rows, m)})" for t, m in seen.items())
    if not common:
        raise DataError(
            f"{where}: amounts in different currencies: {listed}. State the dataset's "
            "`currency:` (e.g. `currency: USD`) in the mapping; rows in another currency are "
            "then rejected with their reason. Convert them at the source to keep them."
        )
    codes = "/".join(c for c in _currencies(next(iter(seen))) if c in common)
    return [
        f"{where}: amounts marked {', '.join(map(repr, seen))} ({codes}); state `currency:` "
        "in the mapping to check every row against it"
    ]
