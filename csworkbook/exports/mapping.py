"""Mapping files: turn an export's columns into canonical tables, cell by cell, with reasons.

A mapping file is YAML read as data (``yaml.safe_load`` semantics), never code, and checked
as a whole before any row is read (:mod:`~csworkbook.exports.spec`)::

    as_of: 2025-12-31            # the date the export was taken (required)
    currency: JPY                # amounts marked with another currency are rejected
    encoding: cp932              # optional; detected (and said in the report) when omitted
    decimal: ","                 # optional; "." by default: 1.234,56 needs ","
    timezone: Asia/Tokyo         # optional; times are taken as written without it
    tables:
      accounts:
        file: crm_accounts.csv   # relative to the mapping file
        columns:
          account_id: Account ID                 # canonical: export header
          segment:
            column: Segment
            values: {Enterprise: enterprise, Mid-Market: mid_market, SMB: smb}
          first_contract_date: {column: Customer Since, date_format: "%d/%m/%Y"}
          touch_model: {value: low}              # a constant
      contracts:
        file: crm_accounts.csv   # one flat export can feed several tables
        columns:
          arr: {column: MRR, multiply: 12}       # derived: ARR from MRR

Parsing never raises on a bad cell: the row is rejected with a reason naming the column
and the value. Only problems with the file as a whole (missing column, ambiguous day/month
order or decimal convention, unreadable file) raise :class:`~csworkbook.data.errors.DataError`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..data.errors import DataError
from ..data.schema import TABLES, Col, Table, pandas_dtype
from .mapfile import read_mapping  # noqa: F401  (the mapping API lives here too)
from .numbers import Parsed, example_rows, parse_numbers
from .parse import parse_bool, parse_dates
from .read import NAN_WORDS, RawTable, clean_header
from .sources import (
    TOUCH_BY_SEGMENT,
    blanks_and_values,
    condition,
    header_of,
    looked_up,
    none,
    optional,
    tenure_dates,
)  # fmt: skip

# Beyond this no amount, count or duration in a CS dataset is real (1e308 ARR, a shifted
# exponent): the row is rejected rather than carried into every sum.
LIMIT = 1e15


def _rule(rule) -> dict:
    return {"column": rule} if isinstance(rule, str) else dict(rule or {})


class Ctx(NamedTuple):
    """Where a column comes from and how to read it."""

    where: str  # "crm.csv: column 'MRR'", for messages
    rows: pd.Series  # source row numbers
    decimal: str | None
    currency: str | None
    timezone: str | None
    native: pd.Series | None  # cells typed in the file (Excel, Parquet)


def _convert(raw: pd.Series, col: Col, rule: dict, ctx: Ctx, factor=None, preset=None):
    """Parse one column; returns (values, reason per row or None, notes). ``preset`` holds
    reasons known before parsing (a control character in the cell): they are the row's
    reason for this column, rather than a follow-on "is not a float"."""
    s = raw.astype("string")  # spellings already mapped (sources.blanks_and_values)
    nan = s.isin(NAN_WORDS).to_numpy(dtype=bool)
    if col.dtype not in ("int", "float") and nan.any():
        s = s.mask(nan)  # "nan" is a blank everywhere but in numbers
    native = ctx.native
    parsed = Parsed(s, pd.Series(None, index=s.index, dtype=object), [])
    if col.dtype in ("int", "float"):
        parsed = parse_numbers(
            s,
            decimal=ctx.decimal,
            currency=ctx.currency,
            native=native,
            where=ctx.where,
            rows=ctx.rows,
        )
    elif col.dtype == "bool":
        parsed = parsed._replace(values=parse_bool(s))
    elif col.dtype in ("date", "datetime"):
        parsed = parse_dates(
            s,
            rule.get("date_format"),
            tz=ctx.timezone,
            native=native,
            where=ctx.where,
            rows=ctx.rows,
        )
    out = parsed.values
    reason = parsed.reasons
    if reason.notna().any():
        reason = reason.map(lambda r: f"{col.name}: {r}" if isinstance(r, str) else None)
    if preset is not None:
        reason = preset.where(preset.notna(), reason)

    def flag(mask, texts):
        m = np.asarray(mask, dtype=bool) & reason.isna().to_numpy()
        if m.any():
            reason[m] = texts(out[m], s[m]) if callable(texts) else texts

    numeric = col.dtype in ("int", "float")
    if numeric:
        out = out * float(rule.get("multiply", 1.0))
        if col.dtype == "int":
            out = out.where(out.isna() | (out == np.round(out)))
    if col.dtype == "date":  # a timestamp in a date column keeps its day in the dataset's zone
        out = out.dt.normalize()
    flag(
        out.isna().to_numpy() & s.notna().to_numpy(),
        lambda o, r: [f"{col.name}: {v!r} is not a {col.dtype}" for v in r],
    )
    if numeric:
        out = out * factor if factor is not None else out  # unknown factors have their reason
        huge = (out.notna() & ~(out.abs() < LIMIT)).to_numpy()
        flag(
            huge,
            lambda o, r: [f"{col.name}: {v!r} is beyond any real amount (over 1e15)" for v in r],
        )
        out = out.mask(huge)
    if not col.nullable:
        flag(s.isna().to_numpy(), f"{col.name}: empty")
    if col.allowed is not None:
        off = out.notna().to_numpy() & ~out.isin(col.allowed).to_numpy(dtype=bool)
        flag(
            off,
            lambda o, r: [f"{col.name}: {v!r} is not one of {', '.join(col.allowed)}" for v in o],
        )
    if numeric:
        for limit, below in ((col.min_value, True), (col.max_value, False)):
            if limit is not None:
                bad = (out < limit) if below else (out > limit)
                word = "below" if below else "above"
                flag(
                    bad.fillna(False).to_numpy(dtype=bool),
                    lambda o, r, w=word, x=limit: [f"{col.name}: {v:g} is {w} {x:g}" for v in o],
                )
    values = out.astype(pandas_dtype(col)) if col.dtype != "int" else out.round().astype("Int64")
    return values, reason, parsed.notes


def _flag(mask: pd.Series, text) -> pd.Series:
    """A reason column: ``text`` (one string, or one per flagged row) where ``mask`` holds."""
    out = pd.Series(None, index=mask.index, dtype=object)
    out[mask.to_numpy()] = text
    return out


def _default_rule(col: Col, out: pd.DataFrame) -> dict:
    """What fills a required column that neither the mapping nor the export has.

    Descriptive text columns become 'unknown' and the touch model follows the segment;
    both are listed in the load report, so the analyst sees what was assumed."""
    if col.name == "touch_model" and "segment" in out:
        return {
            "from_segment": True,
            "_label": "(from segment: enterprise→high, mid_market→low, smb→tech)",
        }
    if col.dtype == "string" and col.allowed is None:
        return {"value": "unknown", "_label": "(not in export: 'unknown')"}
    return {}


def _factor(specs: list, raw: RawTable, table: str, column: str, ctx: Ctx):
    """``multiply_by:`` a factor per row read from other columns: a number column
    (``{column: Quantity}``) or a lookup (``{column: Interval, values: {month: 12, year: 1}}``),
    or a list of these, multiplied together (ARR = unit price x quantity x intervals a year)."""
    total = pd.Series(1.0, index=raw.frame.index)
    reason = pd.Series(None, index=raw.frame.index, dtype=object)
    headers = []
    for one in specs:
        header = header_of(
            raw, one["column"], table, column, f"fix `multiply_by:` of {table}.{column}"
        )
        headers.append(header)
        other = raw.frame[header]
        if "values" in one:
            factors = {str(k): float(v) for k, v in one["values"].items()}
            factor = other.map(factors.get).astype("float")
            expected, bad = f"one of {', '.join(factors)}", pd.Series(None, index=other.index)
        else:
            where = f"{raw.source}: column {header!r}"
            parsed = parse_numbers(
                other.astype("string"), decimal=ctx.decimal, native=raw.native.get(header),
                where=where, rows=raw.row_numbers,
            )  # fmt: skip
            factor, expected, bad = parsed.values, "a number", parsed.reasons
        unknown = (factor.isna() & other.notna() & reason.isna()).to_numpy()
        reason[unknown] = [
            f"{column}: {one['column']} {v!r} is not {expected}"
            if not isinstance(b, str)
            else f"{column}: {one['column']} {b}"
            for v, b in zip(other[unknown], bad[unknown], strict=True)
        ]
        total = total * factor
    return total, reason, headers


def cells(frame: pd.DataFrame) -> pd.DataFrame:
    """An export's cells beside ``source_row`` and ``reason``: a header of the same name is
    kept as ``reason (export)``."""
    taken = {"source_row", "reason"}
    return frame.rename(columns={c: f"{c} (export)" for c in frame.columns if c in taken})


class MappedTable(NamedTuple):
    accepted: pd.DataFrame
    rejected: pd.DataFrame  # source_row, reason, then the row's original cells
    headers: dict  # canonical column -> export header (or how it was filled)
    merged_rows: list  # source rows that repeated an earlier row exactly (``distinct: true``)
    notes: list = []  # what the reading said about this table's columns


def _cells(col: Col, rule: dict, raw: RawTable, out: pd.DataFrame, name: str, as_of, ctx_opts):
    """The text of one canonical column before parsing, with reasons known beforehand, the
    export header it reads (if one) and every header the rule used."""
    index = raw.frame.index
    fix = f"fix `{col.name}:` under `tables: {name}: columns:` in the mapping"
    header, used, early = None, set(), none(index)
    if "value" in rule:
        value = str(rule["value"])
        if value == "as_of" and col.dtype in ("date", "datetime"):
            value = as_of.strftime("%Y-%m-%d")
        text = pd.Series(value, index=index, dtype="string")
    elif "from_segment" in rule:
        text = out["segment"].map(TOUCH_BY_SEGMENT).astype("string")
    elif "before_as_of" in rule:
        tenure = header_of(raw, rule["before_as_of"], name, col.name, fix)
        used.add(tenure)
        text, early = tenure_dates(
            raw, tenure, rule["unit"], as_of, col.name, rule.get("decimal", ctx_opts["decimal"])
        )
    elif rule.get("column") is None and col.nullable:
        text = pd.Series(pd.NA, index=index, dtype="string")
    else:
        header = header_of(raw, rule.get("column") or col.name, name, col.name, fix)
        used.add(header)
        text = raw.frame[header]
        if "lookup" in rule:
            other = ctx_opts["lookup"](rule["lookup"])
            text, early = looked_up(raw, header, rule["lookup"], other, name, col.name)
    text = blanks_and_values(text, rule, raw.blanked.get(header) if header else None)
    if "when" in rule:
        keep, other = condition(rule["when"], raw, name, col.name)
        text = text.where(keep)
        used.add(other)
    if header in raw.issues:  # a control character is the row's reason for this column
        issue = raw.issues[header].map(
            lambda r, c=col.name: f"{c}: {r}" if isinstance(r, str) else None
        )
        early = issue.where(text.notna().to_numpy()).fillna(early)  # `when:` may leave it out
    return text, early, header, used


def apply_table(
    name: str,
    raw: RawTable,
    rules: dict,
    as_of: pd.Timestamp,
    *,
    distinct: bool = False,
    options: dict | None = None,
    table: Table | None = None,
) -> MappedTable:
    """Map one raw export onto a canonical table, giving every unusable row its reasons.

    With ``distinct``, rows that repeat an earlier row exactly (after mapping) merge into
    it, so one flat contract-level export can feed the accounts table. ``options`` holds
    the table's ``decimal``, ``currency`` and ``timezone`` (a column rule may override the
    first and the last) and ``lookup``, which reads another file of the export for
    ``lookup:`` rules. ``table`` is the table's spec when it is an export shape rather than
    a canonical table (:data:`~csworkbook.exports.shapes.SHAPES`)."""
    spec = table or TABLES[name]
    options = {"decimal": None, "lookup": None, **(options or {})}
    unknown = [c for c in rules if c not in spec.column_names]
    if unknown:
        raise DataError(
            f"{raw.source}: table {name!r} has no column(s) {unknown}; its columns are {spec.column_names}."
        )
    out = pd.DataFrame(index=raw.frame.index)
    headers, reasons, notes, used = {}, [], [], set()
    for col in spec.columns:
        present = clean_header(col.name) in raw.frame.columns  # a clash is named below
        rule = _rule(rules.get(col.name, col.name if present else None))
        if col.name not in rules and not present and not col.nullable:
            rule = _default_rule(col, out)
        source, preset, header, read = _cells(col, rule, raw, out, name, as_of, options)
        used |= read
        source, filled = optional(col, rule, source, out, raw)
        notes += [filled] if filled else []
        headers[col.name] = (
            rule.get("column")
            or rule.get("_label")
            or ("(constant)" if "value" in rule else None)
            or (f"({rule['before_as_of']} {rule['unit']} before as_of)" if "unit" in rule else None)
        )
        ctx = Ctx(
            f"{raw.source}: column {rule.get('column', col.name)!r}",
            raw.row_numbers,
            rule.get("decimal", options.get("decimal")),
            options.get("currency"),
            rule.get("timezone", options.get("timezone")),
            raw.native.get(header) if header and not {"values", "lookup"} & set(rule) else None,
        )
        factor = None
        if "multiply_by" in rule:
            factor, bad_factor, others = _factor(rule["multiply_by"], raw, name, col.name, ctx)
            reasons.append(bad_factor)
            used.update(others)
        preset = preset if preset.notna().any() else None
        values, why, said = _convert(source, col, rule, ctx, factor, preset)
        notes += said
        if "from_segment" in rule:
            why[:] = None  # a row without a usable segment is rejected for the segment already
        out[col.name] = values
        reasons.append(why)
    for header in sorted(set(raw.issues) - used):
        mask = raw.issues[header].notna()
        if not mask.any():
            continue
        first = raw.issues[header][mask].iloc[0]
        notes.append(
            f"column {header!r} (not used by {name}) has {int(mask.sum())} problem cell(s) "
            f"(rows {example_rows(raw.row_numbers, mask)}), e.g. {first}"
        )
    if raw.row_issues is not None:
        reasons.append(raw.row_issues.map(lambda r: f"row: {r}" if isinstance(r, str) else None))
    why = pd.concat(reasons, axis=1, ignore_index=True)
    for c in spec.columns:
        if c.dtype in ("date", "datetime") and c.name != "renewal_date":
            late = out[c.name] > as_of + pd.Timedelta(days=1)
            why[f"late_{c.name}"] = _flag(
                late,
                [
                    f"{c.name}: {d.date()} is after as_of {as_of.date()}"
                    for d in out.loc[late, c.name]
                ],
            )
    if {"start_date", "end_date"} <= set(out.columns):
        why["order"] = _flag(
            out["end_date"].notna() & (out["end_date"] < out["start_date"]),
            "end_date is before start_date",
        )
    reason = pd.Series("", index=out.index, dtype=object)
    for c in why.columns[why.notna().any().to_numpy()]:  # only columns with a reason
        text, has = why[c], why[c].notna().to_numpy()
        first = has & (reason == "").to_numpy()
        reason[first] = text[first]
        reason[has & ~first] = reason[has & ~first] + "; " + text[has & ~first]
    merged = np.zeros(len(out), dtype=bool)
    if spec.key:
        keys = list(spec.key)
        clean = (reason == "").to_numpy()
        if distinct:
            # a flat export repeats the account on every contract row: identical repeats merge
            merged[clean] = out[clean].duplicated(keep="first").to_numpy()
        live = clean & ~merged
        dup = np.zeros(len(out), dtype=bool)
        dup[live] = out[live].duplicated(keys, keep="first").to_numpy()
        dup &= out[keys].notna().all(axis=1).to_numpy()
        text = f"duplicate {'/'.join(keys)}: an earlier row has the same" + (
            " key with different values" if distinct else ""
        )
        reason = reason.where(~dup, text)
    bad = (reason != "").to_numpy()
    rejected = cells(raw.frame[bad])
    rejected.insert(0, "reason", reason[bad])
    rejected.insert(0, "source_row", raw.row_numbers[bad].to_numpy())
    return MappedTable(
        out[~bad & ~merged].reset_index(drop=True),
        rejected.reset_index(drop=True),
        headers,
        raw.row_numbers[merged].tolist(),
        notes,
    )
