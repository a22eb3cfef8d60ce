"""Draft a mapping file from an export: one file, or a folder with one table per file.

Headers are matched to canonical columns by the spellings exports use
(:mod:`~csworkbook.exports.guess`), ids by their names and contents (a contract-type column
is never an id), value maps and date formats proposed where the contents show they are
needed. A flat churn file (one row per customer, a tenure, a churn flag, no dates) gets
dates from ``as_of`` and the tenure, end dates and churned renewals from its flag. ``as_of``
is proposed from the latest date in the export. What only the analyst can decide (the
segment, ``as_of`` when the export has no dates) is left ``TODO``, which the mapping
check reports with its line until it is filled.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import yaml

from ..data.errors import DataError
from ..data.schema import TABLES, Col
from . import guess
from .guess import MONTHLY, entity, find, is_id, norm
from .numbers import read_cell
from .parse import date_order
from .read import TEXT_SUFFIXES, read_export
from .rulecheck import fills_blank
from .shapes import SHAPES

SUFFIXES = {*TEXT_SUFFIXES, ".xlsx", ".xlsm", ".parquet"}
# Export spellings of allowed values the normalised spelling does not reach.
VALUE_SYNONYMS = {
    "priority": {"medium": "normal", "critical": "urgent", "p1": "urgent", "p2": "high",
                 "p3": "normal", "p4": "low"},
    "reason": {"competitor": "switched_to_competitor", "features": "product_gaps",
               "missing features": "product_gaps", "support": "support_experience",
               "budget": "budget_cuts", "goals met": "goals_achieved", "fit": "poor_fit",
               "adoption": "low_adoption", "low usage": "low_adoption", "roi": "roi_not_demonstrated",
               "champion": "champion_left", "priorities": "priority_change"},
    "segment": {"mid market": "mid_market", "midmarket": "mid_market", "mm": "mid_market",
                "small business": "smb", "ent": "enterprise"},
}  # fmt: skip
# Columns whose name says they may lie after the export date (so not a proposal for as_of).
FUTURE = re.compile(r"renew|next|due|expir|until|valid|end|term")
# Tables whose dates record activity up to the day the export was taken.
ACTIVITY = ("events", "tickets", "churn_events", "usage", "nps", "touchpoints")
# Required columns an export may simply not have, with a fill said in the draft.
DEFAULTS = {
    "seats": ("{value: 1}", "not in the export: one seat per contract"),
    "auto_renew": ("{value: true}", "not in the export: assumed to renew until cancelled"),
    "term_months": ("{value: 1}", "not in the export: assumed monthly"),
    "arr": ("{value: 0}", "no amounts in the export: revenue retention cannot be measured"),
}


def _flow(obj) -> str:
    return yaml.safe_dump(obj, allow_unicode=True, default_flow_style=True, width=200).strip()


def _scalar(value) -> str:
    return yaml.safe_dump(value, allow_unicode=True, width=200).splitlines()[0]


def _value_map(col: Col, values: pd.Series, key: str) -> tuple[dict, list]:
    """Spellings to allowed values; the unmatched ones TODO (or empty, for churn reasons)."""
    syn = VALUE_SYNONYMS.get(key, {})
    vmap, unknown = {}, []
    for v in values.dropna().unique()[:30]:
        if v in col.allowed:
            continue
        n = norm(v).replace(" ", "_")
        hit = n if n in col.allowed else syn.get(norm(v))
        if hit is None and col.nullable and norm(v) in ("unknown", "other", "none", "n a"):
            vmap[v] = None
        elif hit is None:
            unknown.append(v)
            vmap[v] = None if col.nullable else "TODO"
        else:
            vmap[v] = hit
    return vmap, unknown


def _rule(col: Col, header: str, values: pd.Series, key: str | None = None) -> str:
    """One column's rule: the header, plus a value map or date format when the column's
    contents show they are needed."""
    if col.allowed:
        vmap, unknown = _value_map(col, values, key or col.name)
        if vmap:
            note = f"  # allowed: {', '.join(col.allowed)}"
            if unknown and col.nullable:
                note += f"; {', '.join(map(str, unknown))}: no canonical match, left empty"
            return _flow({"column": header, "values": vmap}) + note
    if col.dtype in ("int", "float"):
        kinds = {read_cell(v).kind for v in values.dropna().unique()[:500]}
        if "," in kinds and "." not in kinds:
            return _flow({"column": header, "decimal": ","})
        if "," in kinds:
            return _flow({"column": header}) + "  # TODO: mixes 1,234.56 and 1.234,56"
    if col.dtype in ("date", "datetime"):
        try:
            order = date_order(values)
        except DataError:
            order = "ambiguous"
        if order in ("dmy", "mdy"):
            return _flow(
                {"column": header, "date_format": "%d/%m/%Y" if order == "dmy" else "%m/%d/%Y"}
            )
        if order in ("ambiguous", "mixed"):
            return _flow({"column": header, "date_format": "TODO"}) + (
                '  # day/month order cannot be told: "%d/%m/%Y" or "%m/%d/%Y"?'
            )
    return _scalar(header)


class _File:
    """One export file, read and profiled once."""

    def __init__(self, path: Path, sheet=None):
        self.path, self.raw = path, read_export(path, sheet=sheet)
        self.cols = guess.profile(self.raw.frame)
        self.flag, self.tenure = guess.churn_flag(self.cols), guess.tenure(self.cols)

    @property
    def flat(self) -> bool:
        """One row per customer with a churn flag or a tenure instead of dates."""
        return bool(self.flag or self.tenure) and find(self.cols, "start_date") is None

    def id_for(self, what: str) -> str | None:
        """The id column of an entity (account, contract, ticket) by name and contents."""
        header = find(self.cols, f"{what}_id")
        if header is not None and is_id(self.cols[header]):
            return header
        ids = [h for h, c in self.cols.items() if is_id(c)]
        named = [h for h in ids if entity(h) == what]
        if named:
            return named[0]
        if what == "account" and self.flat:  # a flat file's one unique id is the customer
            return next((h for h in ids if self.cols[h].unique and entity(h) is None), None)
        return None

    def latest(self) -> tuple[pd.Timestamp, str] | None:
        found = [
            (c.dates.max(), f"{self.path.name} {h}")
            for h, c in self.cols.items()
            if c.dates is not None and c.dates.notna().any() and not FUTURE.search(norm(h))
        ]
        return max(found, key=lambda x: x[0]) if found else None


def _lookup(f: _File, files: list[_File]) -> dict | None:
    """An account id reached through another file: usage keyed by subscription id, looked
    up in the subscriptions file that names each subscription's account."""
    for h, c in f.cols.items():
        if not is_id(c) or entity(h) == "account":
            continue
        keys = set(c.values.dropna())
        for g in files:
            account = g.id_for("account") if g is not f else None
            match = next((k for k in g.cols if norm(k) == norm(h) and g.cols[k].unique), None)
            if (
                account
                and match
                and len(keys & set(g.cols[match].values.dropna())) >= 0.9 * len(keys)
            ):
                lookup = {"file": g.path.name, "match": match, "take": account}
                return {"column": h, "lookup": lookup}
    return None


def _columns(table: str, f: _File, files: list[_File]) -> list[str]:
    """The ``columns:`` lines of one table."""
    spec = {**TABLES, **SHAPES}[table]
    lines, taken = [], set()
    flag, ten = f.flag, f.tenure
    churned = {"column": flag[0], "in": [flag[1]]} if flag else None
    monthly = find(f.cols, None, MONTHLY)
    for col in spec.columns:
        name, rule, note = col.name, None, ""
        key = {"account_id": "account", "contract_id": "contract", "ticket_id": "ticket"}.get(name)
        if key:
            header = f.id_for(key)
            if (
                header is None
                and table in ("contracts", "renewals")
                and (acct := f.id_for("account"))
            ):
                header = acct if f.cols[acct].unique else None  # one row per customer
            if header is None and name == "account_id":
                found = _lookup(f, files)
                rule = _flow(found) if found else None
            elif header is not None:
                rule, taken = _scalar(header), taken | {header}
                one = key == "contract" and header == f.id_for("account")
                note = "one contract per customer" if one else ""
        elif name in ("start_date", "first_contract_date") and ten and not find(f.cols, name):
            rule = _flow({"before_as_of": ten[0], "unit": ten[1]})
        elif name == "end_date" and f.flat and churned:
            rule, note = _flow({"value": "as_of", "when": churned}), "churned rows ended by as_of"
        elif name == "term_months" and (h := find(f.cols, name)) and f.cols[h].numbers is None:
            months = guess.durations(f.cols[h])
            vals = {k: (v if v is not None else "TODO") for k, v in months.items()}
            rule = _flow({"column": h, "values": vals})
        elif name in ("arr", "arr_before") and not find(f.cols, "arr") and monthly:
            rule = _flow({"column": monthly, "multiply": 12})
        elif table == "renewals" and name in ("renewal_date", "outcome", "arr_after"):
            rule = _flow(
                {"value": {"renewal_date": "as_of", "outcome": "churned", "arr_after": 0}[name]}
            )
        if rule is None and not key:
            reuse = {find(f.cols, "event_name")} if name == "feature" else set()
            header = find(f.cols, name, taken=taken - reuse)
            if name == "arr_before":
                header = find(f.cols, "arr", taken=taken)
            if header is not None and (
                col.dtype not in ("date", "datetime") or f.cols[header].dates is not None
            ):
                rule = _rule(col, header, f.cols[header].values, name)
                taken |= {header}
        if rule is not None:
            lines.append(f"      {name}: {rule}" + (f"  # {note}" if note else ""))
        elif name == "segment":
            lines.append(
                "      segment: TODO  # business decision: one segment for all ({value: smb}) or "
                "a column with values: {…: enterprise, …: mid_market, …: smb}"
            )
        elif col.nullable:
            lines.append(f"      # {name}: not found (optional)")
        elif fills_blank(col):
            fill = "follows the segment" if name == "touch_model" else "'unknown' is used"
            lines.append(f"      # {name}: not found ({fill})")
        elif name in DEFAULTS or (name == "arr_before" and table == "renewals"):
            value, why = DEFAULTS["arr" if name == "arr_before" else name]
            lines.append(f"      {name}: {value}  # {why}")
        else:
            allowed = f"  # allowed: {', '.join(col.allowed)}" if col.allowed else ""
            lines.append(f"      {name}: TODO{allowed}")
    return lines


def _tables(f: _File, single: bool) -> list[str]:
    """The canonical tables one file feeds."""
    if single:
        return ["accounts", "contracts"] + (["renewals"] if f.flat and f.flag else [])
    return [guess.file_table(f.path.name, f.cols)]


def _draft(files: list[_File], where: str) -> str:
    single = len(files) == 1
    plan = [(t, f) for f in files for t in _tables(f, single)]
    if single:
        f = files[0]
        lines = [
            f"# Draft mapping for {f.raw.source} ({'; '.join(f.raw.notes)}).",
            f"# Its columns: {list(f.cols)}",
            "# Complete every TODO, then: csworkbook validate EXPORT --mapping THIS_FILE",
        ]
    else:
        lines = [
            f"# Draft mapping for the {len(files)} files in {where}, one table each.",
            *[f"# {f.raw.source} ({'; '.join(f.raw.notes)}): {list(f.cols)}" for f in files],
            "# Complete every TODO, then: csworkbook validate FOLDER --mapping THIS_FILE",
        ]
    # activity (usage, tickets, churn) runs up to the day of the export; contract starts and
    # term ends do not tell it, so a contract list leaves as_of to the analyst
    latest = [x for t, f in plan if t in ACTIVITY and (x := f.latest())]
    if latest:
        day, col = max(latest, key=lambda x: x[0])
        lines.append(
            f"as_of: {day:%Y-%m-%d}  # proposed: the latest date in the export ({col}); "
            "make it the day the export was taken"
        )
    else:
        lines.append("as_of: TODO  # the date the export was taken, YYYY-MM-DD")
    if single:
        lines.append(f"file: {_scalar(files[0].path.name)}")
    mapped = [t for t, _ in plan]
    if "events" in mapped:
        lines.append(
            "derive: [mrr_monthly, usage]  # monthly revenue from contracts, weekly usage from events"
        )
    elif "contracts" in mapped:
        lines.append("derive: [mrr_monthly]  # monthly revenue from contract dates and ARR")
    lines.append("tables:")
    seen = set()
    for table, f in plan:
        if table in seen:
            lines.append(f"  # {f.path.name} also looks like {table}: map it by hand")
            continue
        seen.add(table)
        if table == "renewals" and "churn_events" in mapped:
            continue
        lines.append(f"  {table}:")
        if not single:
            lines.append(f"    file: {_scalar(f.path.name)}")
        acct = f.id_for("account")
        if table == "accounts" and acct and f.cols[acct].distinct < f.cols[acct].filled:
            lines.append("    distinct: true  # account ids repeat: one row per contract")
        if table == "renewals":
            lines.append(
                f"    where: {_flow({'column': f.flag[0], 'in': [f.flag[1]]})}  # churned rows only"
            )
        if table == "contracts" and (note := _overlap_note(f)):
            lines.append(note)
        lines.append("    columns:")
        lines += _columns(table, f, files)
    return "\n".join(lines) + "\n"


def _overlap_note(f: _File) -> str | None:
    """A commented ``replaced_by_next`` when an account's rows overlap in time."""
    acct, start = f.id_for("account"), find(f.cols, "start_date")
    if not acct or not start or f.cols[start].dates is None:
        return None
    d = pd.DataFrame({"a": f.cols[acct].values, "s": f.cols[start].dates}).dropna()
    end = find(f.cols, "end_date")
    d["e"] = f.cols[end].dates if end and f.cols[end].dates is not None else pd.NaT
    d = d.sort_values(["a", "s"])
    prev_end = d.groupby("a")["e"].shift()
    open_before = d.groupby("a").cumcount().gt(0) & (prev_end.isna() | (prev_end > d["s"]))
    n, total = d.loc[open_before, "a"].nunique(), d["a"].nunique()
    most = d.loc[open_before].groupby("a").size().max() + 1 if n else 0
    if n < max(1, 0.3 * total) or most < 3:
        return None
    return (
        f"    # replaced_by_next: true  # {n} of {total} accounts hold overlapping rows: "
        "uncomment if each row replaces the account's previous one (a plan change)"
    )


def draft_mapping(export, *, sheet: str | None = None) -> str:
    """A mapping file draft for an export file, or for every file in a folder.

    Examples
    --------
    >>> print(draft_mapping("tests/fixtures/exports/telecom").split("tables:")[0])  # doctest: +ELLIPSIS
    # Draft mapping for telecom_churn.csv (encoding utf-8; delimiter ',').
    ...
    as_of: TODO  # the date the export was taken, YYYY-MM-DD
    file: telecom_churn.csv
    derive: [mrr_monthly]  # monthly revenue from contract dates and ARR
    <BLANKLINE>
    >>> print(draft_mapping("tests/fixtures/exports/saas").split("derive")[0])  # doctest: +ELLIPSIS
    # Draft mapping for the 5 files in saas, one table each.
    ...
    as_of: 2024-12-30  # proposed: the latest date in the export (...); make it the day the export was taken
    <BLANKLINE>
    """
    path = Path(export)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
        if not found:
            raise DataError(f"{path}: no export files (CSV, TSV, Excel, Parquet) in this folder.")
        return _draft([_File(p) for p in found], path.name)
    return _draft([_File(path, sheet)], path.name)
