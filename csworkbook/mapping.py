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
order, unreadable file) raise :class:`~csworkbook.errors.DataError`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import DataError
from .ingest import RawTable, read_export
from .schema import TABLES, Col, pandas_dtype

TRUE = {"true", "t", "yes", "y", "1", "はい", "有", "○"}
FALSE = {"false", "f", "no", "n", "0", "いいえ", "無", "×"}
_NUM_JUNK = re.compile(r"[,\s¥$€£円]")
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def read_mapping(path) -> dict:
    """Load and check a mapping file (YAML, as data only)."""
    path = Path(path)
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
    spec["_dir"] = path.parent
    spec["_name"] = path.name
    return spec


def _rule(rule) -> dict:
    return {"column": rule} if isinstance(rule, str) else dict(rule or {})


def _parse_number(s: pd.Series) -> pd.Series:
    t = s.map(lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v).astype(
        "string"
    )
    neg = t.str.match(r"^\(.*\)$").fillna(False)
    t = t.str.replace(r"[()]", "", regex=True).str.replace(_NUM_JUNK, "", regex=True)
    out = pd.to_numeric(t, errors="coerce")
    return out.where(~neg, -out)


def _parse_bool(s: pd.Series) -> pd.Series:
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


def _parse_date(s: pd.Series, fmt: str | None, where: str) -> pd.Series:
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
    norm = s.str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
    out = pd.Series(pd.to_datetime(norm, format="ISO8601", errors="coerce"), index=s.index)
    if order in ("dmy", "mdy"):
        fmt = "%d/%m/%Y" if order == "dmy" else "%m/%d/%Y"
        slashed = pd.to_datetime(
            s.str.replace(r"[.-]", "/", regex=True), format=fmt, errors="coerce"
        )
        out = out.fillna(pd.Series(slashed, index=s.index))
    return out


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
        out = _parse_number(s)
        if "multiply" in rule:
            out = out * float(rule["multiply"])
        if col.dtype == "int":
            out = out.where(out.isna() | (out == np.round(out)))
    elif col.dtype == "bool":
        out = _parse_bool(s)
    else:
        out = _parse_date(s, rule.get("date_format"), where)
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


def apply_table(
    name: str, raw: RawTable, rules: dict, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Map one raw export onto a canonical table.

    Returns accepted rows, rejected rows (source row, reason, original cells) and the export
    header each canonical column came from."""
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
        if "value" in rule:
            source = pd.Series(str(rule["value"]), index=raw.frame.index, dtype="string")
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
        headers[col.name] = rule.get("column") or ("(constant)" if "value" in rule else None)
        values, why = _convert(
            source, col, rule, f"{raw.source}: column {rule.get('column', col.name)!r}"
        )
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
    if spec.key:
        dup = out.duplicated(list(spec.key), keep="first") & out[list(spec.key)].notna().all(axis=1)
        why["dup"] = _flag(dup, f"duplicate {'/'.join(spec.key)}: an earlier row has the same")
    reason = why.apply(lambda r: "; ".join(x for x in r if isinstance(x, str)), axis=1)
    bad = reason != ""
    rejected = raw.frame[bad].copy()
    rejected.insert(0, "reason", reason[bad])
    rejected.insert(0, "source_row", raw.row_numbers[bad].to_numpy())
    return out[~bad].reset_index(drop=True), rejected.reset_index(drop=True), headers


# Common export spellings of canonical columns (CRM, billing and analytics tools).
SYNONYMS = {
    "account_id": ["account id", "company id", "customer id", "accountid", "顧客id", "取引先id"],
    "name": ["account name", "company name", "company", "customer", "取引先名", "会社名"],
    "industry": ["industry", "業種"],
    "region": ["region", "billing country", "country", "地域"],
    "segment": ["segment", "customer segment", "tier"],
    "first_contract_date": ["customer since", "created date", "close date", "契約開始日"],
    "contract_id": ["subscription id", "contract id", "opportunity id", "契約id"],
    "start_date": ["start date", "current period start", "contract start", "開始日"],
    "end_date": ["end date", "canceled at", "ended at", "contract end", "終了日"],
    "arr": ["arr", "annual recurring revenue", "acv", "amount", "年額"],
    "seats": ["seats", "quantity", "licenses", "ライセンス数"],
}


def draft_mapping(export, *, sheet: str | None = None) -> str:
    """A mapping file draft for an export: its headers matched to canonical columns of
    ``accounts`` and ``contracts`` where the match is clear, ``TODO`` elsewhere."""
    raw = read_export(export, sheet=sheet)
    headers = list(raw.frame.columns)
    low = {h.lower(): h for h in headers}

    def guess(col: str):
        for cand in [col.replace("_", " "), *SYNONYMS.get(col, [])]:
            if cand in low:
                return low[cand]
        near = difflib.get_close_matches(col.replace("_", " "), list(low), n=1, cutoff=0.8)
        return low[near[0]] if near else None

    lines = [
        f"# Draft mapping for {raw.source} ({'; '.join(raw.notes)}).",
        f"# Its columns: {headers}",
        "# Complete every TODO, then: csworkbook validate EXPORT --mapping THIS_FILE",
        "as_of: TODO  # the date the export was taken, YYYY-MM-DD",
        f"file: {Path(export).name}",
        "tables:",
    ]
    for table in ("accounts", "contracts"):
        lines += [f"  {table}:", "    columns:"]
        for col in TABLES[table].columns:
            g = guess(col.name)
            opt = "  # optional" if col.nullable else ""
            allowed = (
                f"  # allowed: {', '.join(col.allowed)} (map others under values:)"
                if col.allowed
                else ""
            )
            value = yaml.safe_dump(g, allow_unicode=True).splitlines()[0] if g else "TODO"
            lines.append(f"      {col.name}: {value}{opt}{allowed}")
    return "\n".join(lines) + "\n"
