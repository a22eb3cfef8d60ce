"""Mapping files: turn an export's columns into canonical tables, cell by cell, with reasons.

A mapping file is YAML read as data (``yaml.safe_load``), never code::

    as_of: 2025-12-31            # the date the export was taken (required)
    currency: JPY
    encoding: cp932              # optional; detected when omitted
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
order, unreadable file) raise :class:`~csworkbook.data.errors.DataError`.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import yaml

from ..data.errors import DataError
from ..data.schema import TABLES, Col, pandas_dtype
from .derive import DERIVABLE
from .parse import parse_bool, parse_date, parse_number
from .read import RawTable


def read_mapping(mapping) -> dict:
    """Load and check a mapping: a YAML file (read as data only) or the same as a dict.

    A dict is handy in a notebook, where the analyst edits one rule and reloads; its files
    are relative to the current folder."""
    if isinstance(mapping, dict):
        spec, path = copy.deepcopy(mapping), Path("mapping")
        base = Path(".")
    else:
        path = Path(mapping)
        base = path.parent
        if not path.exists():
            raise DataError(
                f"{path}: mapping file not found. Draft one with `csworkbook mapping init EXPORT`."
            )
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise DataError(f"{path}: not valid YAML ({e.__class__.__name__}: {e}).") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("tables"), dict) or not spec["tables"]:
        raise DataError(f"{path}: needs a `tables:` section naming at least one canonical table.")
    if "as_of" not in spec:
        raise DataError(f"{path}: add `as_of: YYYY-MM-DD`, the date the export was taken.")
    unknown = [t for t in spec["tables"] if t not in TABLES]
    if unknown:
        raise DataError(f"{path}: unknown table(s) {unknown}; canonical tables are {list(TABLES)}.")
    for other_file in spec.pop("include", None) or []:
        _include(spec, read_mapping(base / other_file), path)
    derive = spec.get("derive") or []
    bad = [t for t in derive if t not in DERIVABLE]
    if bad:
        raise DataError(f"{path}: cannot derive {bad}; `derive:` knows {list(DERIVABLE)}.")
    spec["_dir"] = base
    spec["_name"] = path.name
    return spec


def _include(spec: dict, other: dict, path: Path) -> None:
    """Merge the tables of an included mapping (e.g. a CRM mapping under an events one); each
    keeps its own file, encoding and folder."""
    for table, tspec in other["tables"].items():
        if table in spec["tables"]:
            raise DataError(f"{path}: table {table!r} is mapped here and in {other['_name']}.")
        tspec = dict(tspec or {})
        for key in ("file", "sheet", "encoding", "delimiter"):
            if other.get(key) is not None:
                tspec.setdefault(key, other[key])
        tspec.setdefault("_dir", other["_dir"])
        spec["tables"][table] = tspec
    spec["derive"] = list(spec.get("derive") or []) + list(other.get("derive") or [])


def _rule(rule) -> dict:
    return {"column": rule} if isinstance(rule, str) else dict(rule or {})


def _convert(raw: pd.Series, col: Col, rule: dict, where: str) -> tuple[pd.Series, pd.Series]:
    """Parse one column; returns (values, reason per row or NA)."""
    s = raw.astype("string")
    if "values" in rule:
        vmap = {clean: v for k, v in rule["values"].items() for clean in (str(k), str(k).strip())}
        mapped = s.map(lambda v: vmap.get(v, v) if isinstance(v, str) else v)
        s = mapped.astype("string")
    if col.dtype == "string":
        out = s
    elif col.dtype in ("int", "float"):
        out = parse_number(s)
        if "multiply" in rule:
            out = out * float(rule["multiply"])
        if col.dtype == "int":
            out = out.where(out.isna() | (out == np.round(out)))
    elif col.dtype == "bool":
        out = parse_bool(s)
    else:
        out = parse_date(s, rule.get("date_format"), where)
        if col.dtype == "date":  # a timestamp in a date column keeps its (UTC) day
            out = out.dt.normalize()
    reason = pd.Series(None, index=s.index, dtype=object)

    def flag(mask, texts):
        m = np.asarray(mask, dtype=bool) & reason.isna().to_numpy()
        values = texts(out[m], s[m]) if callable(texts) else texts
        reason[m] = np.asarray(values, dtype=object) if callable(texts) else values

    flag(
        out.isna().to_numpy() & s.notna().to_numpy(),
        lambda o, r: [f"{col.name}: {v!r} is not a {col.dtype}" for v in r],
    )
    if not col.nullable:
        flag(s.isna().to_numpy(), f"{col.name}: empty")
    if col.allowed is not None:
        off = out.notna().to_numpy() & ~out.isin(col.allowed).to_numpy(dtype=bool)
        flag(
            off,
            lambda o, r: [f"{col.name}: {v!r} is not one of {', '.join(col.allowed)}" for v in o],
        )
    if col.min_value is not None and col.dtype in ("int", "float"):
        flag(
            (out < col.min_value).fillna(False).to_numpy(dtype=bool),
            lambda o, r: [f"{col.name}: {v:g} is below {col.min_value:g}" for v in o],
        )
    return out.astype(pandas_dtype(col)) if col.dtype != "int" else out.round().astype(
        "Int64"
    ), reason


def _flag(mask: pd.Series, text) -> pd.Series:
    """A reason column: ``text`` (one string, or one per flagged row) where ``mask`` holds."""
    out = pd.Series(None, index=mask.index, dtype=object)
    out[mask.to_numpy()] = text
    return out


# Touch model usually follows the segment when an export does not carry it.
TOUCH_BY_SEGMENT = {"enterprise": "high", "mid_market": "low", "smb": "tech"}


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


def _column(raw: RawTable, header, table: str, column: str) -> pd.Series:
    if header not in raw.frame.columns:
        raise DataError(
            f"{raw.source}: column {header!r} used by {table}.{column} is not in the file; "
            f"its columns are {list(raw.frame.columns)}."
        )
    return raw.frame[header]


def _condition(when: dict, raw: RawTable, table: str, column: str) -> pd.Series:
    """``when: {column: Status, in: [Churned]}`` (or ``not_in:``): keep the value only on
    rows that meet it, e.g. a contract end date that is an end only for churned rows."""
    other = _column(raw, when.get("column"), table, column)
    if "in" in when:
        return other.isin([str(v) for v in when["in"]]).fillna(False)
    if "not_in" in when:
        return ~other.isin([str(v) for v in when["not_in"]]).fillna(False)
    raise DataError(f"mapping: `when:` of {table}.{column} needs `in: [...]` or `not_in: [...]`.")


def _factor(spec, raw: RawTable, table: str, column: str) -> tuple[pd.Series, pd.Series]:
    """``multiply_by:`` a factor per row read from other columns: a number column
    (``{column: Quantity}``) or a lookup (``{column: Interval, values: {month: 12, year: 1}}``),
    or a list of these, multiplied together (ARR = unit price x quantity x intervals a year)."""
    specs = spec if isinstance(spec, list) else [spec]
    total = pd.Series(1.0, index=raw.frame.index)
    reason = pd.Series(None, index=raw.frame.index, dtype=object)
    for one in specs:
        other = _column(raw, one.get("column"), table, column)
        if "values" in one:
            factors = {str(k): float(v) for k, v in one["values"].items()}
            factor = other.map(factors.get).astype("float")
            expected = f"one of {', '.join(factors)}"
        else:
            factor, expected = parse_number(other.astype("string")).astype("float"), "a number"
        unknown = factor.isna() & other.notna() & reason.isna()
        reason[unknown] = [
            f"{column}: {one['column']} {v!r} is not {expected}" for v in other[unknown]
        ]
        total = total * factor
    return total, reason


class MappedTable(NamedTuple):
    accepted: pd.DataFrame
    rejected: pd.DataFrame  # source_row, reason, then the row's original cells
    headers: dict  # canonical column -> export header (or how it was filled)
    merged_rows: list  # source rows that repeated an earlier row exactly (``distinct: true``)


def apply_table(
    name: str, raw: RawTable, rules: dict, as_of: pd.Timestamp, *, distinct: bool = False
) -> MappedTable:
    """Map one raw export onto a canonical table, giving every unusable row its reasons.

    With ``distinct``, rows that repeat an earlier row exactly (after mapping) merge into
    it, so one flat contract-level export can feed the accounts table."""
    spec = TABLES[name]
    unknown = [c for c in rules if c not in spec.column_names]
    if unknown:
        raise DataError(
            f"{raw.source}: table {name!r} has no column(s) {unknown}; its columns are {spec.column_names}."
        )
    out = pd.DataFrame(index=raw.frame.index)
    headers = {}
    reasons = []
    for col in spec.columns:
        rule = _rule(rules.get(col.name, col.name if col.name in raw.frame.columns else None))
        if col.name not in rules and col.name not in raw.frame.columns and not col.nullable:
            rule = _default_rule(col, out)
        if "value" in rule:
            source = pd.Series(str(rule["value"]), index=raw.frame.index, dtype="string")
        elif "from_segment" in rule:
            source = out["segment"].map(TOUCH_BY_SEGMENT).astype("string")
        elif rule.get("column") in raw.frame.columns:
            source = raw.frame[rule["column"]]
        elif rule.get("column") is None and col.nullable:
            source = pd.Series(pd.NA, index=raw.frame.index, dtype="string")
        else:
            wanted = rule.get("column") or col.name
            near = difflib.get_close_matches(str(wanted), list(raw.frame.columns), n=3, cutoff=0.5)
            hint = f" Did you mean {near}?" if near else ""
            raise DataError(
                f"{raw.source}: column {wanted!r} for {name}.{col.name} is not in the file.{hint} "
                f"Its columns are {list(raw.frame.columns)}; fix `{col.name}:` under `tables: {name}:` in the mapping."
            )
        if "when" in rule:
            source = source.where(_condition(rule["when"], raw, name, col.name))
        headers[col.name] = (
            rule.get("column") or rule.get("_label") or ("(constant)" if "value" in rule else None)
        )
        where = f"{raw.source}: column {rule.get('column', col.name)!r}"
        values, why = _convert(source, col, rule, where)
        if "multiply_by" in rule:
            factor, bad_factor = _factor(rule["multiply_by"], raw, name, col.name)
            values = values * factor
            reasons.append(bad_factor)
        if "from_segment" in rule:
            why[:] = None  # a row without a usable segment is rejected for the segment already
        out[col.name] = values
        reasons.append(why)
    why = pd.concat(reasons, axis=1)
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
    reason = why.apply(lambda r: "; ".join(x for x in r if isinstance(x, str)), axis=1)
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
    bad = reason != ""
    rejected = raw.frame[bad].copy()
    rejected.insert(0, "reason", reason[bad])
    rejected.insert(0, "source_row", raw.row_numbers[bad].to_numpy())
    return MappedTable(
        out[~bad & ~merged].reset_index(drop=True),
        rejected.reset_index(drop=True),
        headers,
        raw.row_numbers[merged].tolist(),
    )
