"""Draft a mapping file from an export: headers matched to canonical columns, value maps
and date formats proposed where the contents show they are needed, TODO where they cannot."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pandas as pd
import yaml

from ..data.errors import DataError
from ..data.schema import TABLES, Col
from .numbers import read_cell
from .parse import date_order
from .read import read_export

# Common export spellings of canonical columns (CRM, billing and analytics tools).
SYNONYMS = {
    "account_id": ["account id", "company id", "customer id", "accountid", "顧客id", "取引先id"],
    "name": ["account name", "company name", "company", "customer", "取引先名", "会社名"],
    "industry": ["industry", "業種"],
    "region": ["region", "billing country", "country", "地域"],
    "segment": ["segment", "customer segment", "tier"],
    "first_contract_date": ["customer since", "created date", "close date", "契約開始日"],
    "contract_id": [
        "subscription id",
        "contract id",
        "contract number",
        "opportunity id",
        "契約id",
    ],
    "start_date": ["start date", "contract start date", "contract start", "開始日", "契約開始日"],
    "end_date": ["end date", "ended at", "contract end date", "churn date", "終了日", "解約日"],
    "renewal_date": ["renewal date", "next renewal date", "次回更新日"],
    "term_months": ["contract term (months)", "term (months)", "term", "契約期間(月)"],
    "auto_renew": ["auto renew", "auto-renew", "自動更新"],
    "acquisition_channel": ["type", "lead source", "channel"],
    "arr": ["arr", "annual recurring revenue", "acv", "amount", "年額"],
    "seats": ["seats", "quantity", "licenses", "ライセンス数"],
}


def _draft_rule(col: Col, header: str, values: pd.Series) -> str:
    """One column's rule in a draft: the header, plus a value map or date format when the
    column's contents show they are needed."""

    def flow(obj) -> str:
        return yaml.safe_dump(obj, allow_unicode=True, default_flow_style=True, width=200).strip()

    if col.allowed:
        seen = values.dropna().unique()[:30]
        odd = [v for v in seen if v not in col.allowed]
        if odd:
            norm = {v: re.sub(r"[\s-]+", "_", v.strip().lower()) for v in odd}
            vmap = {v: (n if n in col.allowed else "TODO") for v, n in norm.items()}
            return (
                flow({"column": header, "values": vmap}) + f"  # allowed: {', '.join(col.allowed)}"
            )
    if col.dtype in ("int", "float"):
        kinds = {read_cell(v).kind for v in values.dropna().unique()[:500]}
        if "," in kinds and "." not in kinds:
            return flow({"column": header, "decimal": ","})
        if "," in kinds:
            return flow({"column": header}) + "  # TODO: mixes 1,234.56 and 1.234,56"
    if col.dtype in ("date", "datetime"):
        try:
            order = date_order(values)
        except DataError:
            order = "ambiguous"
        if order in ("dmy", "mdy"):
            fmt = "%d/%m/%Y" if order == "dmy" else "%m/%d/%Y"
            return flow({"column": header, "date_format": fmt})
        if order in ("ambiguous", "mixed"):
            return flow({"column": header, "date_format": "TODO"}) + (
                '  # day/month order cannot be told: "%d/%m/%Y" or "%m/%d/%Y"?'
            )
    return yaml.safe_dump(header, allow_unicode=True).splitlines()[0]


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

    acct = guess("account_id")
    repeats = bool(acct) and raw.frame[acct].duplicated().any()
    lines = [
        f"# Draft mapping for {raw.source} ({'; '.join(raw.notes)}).",
        f"# Its columns: {headers}",
        "# Complete every TODO, then: csworkbook validate EXPORT --mapping THIS_FILE",
        "as_of: TODO  # the date the export was taken, YYYY-MM-DD",
        f"file: {Path(export).name}",
        "derive: [mrr_monthly]  # monthly revenue from contract dates and ARR",
        "tables:",
    ]
    for table in ("accounts", "contracts"):
        lines += [f"  {table}:"]
        if table == "accounts" and repeats:
            lines.append("    distinct: true  # account ids repeat: one row per contract")
        lines.append("    columns:")
        for col in TABLES[table].columns:
            g = guess(col.name)
            allowed = (
                f"  # allowed: {', '.join(col.allowed)} (map others under values:)"
                if col.allowed
                else ""
            )
            if g:
                lines.append(f"      {col.name}: {_draft_rule(col, g, raw.frame[g])}")
            elif col.nullable:
                lines.append(f"      # {col.name}: not found (optional)")
            elif col.name == "touch_model" or (col.dtype == "string" and col.allowed is None):
                fill = "follows the segment" if col.name == "touch_model" else "'unknown' is used"
                lines.append(f"      # {col.name}: not found ({fill})")
            else:
                lines.append(f"      {col.name}: TODO{allowed}")
    return "\n".join(lines) + "\n"
