"""Load real exports through a mapping file, accounting for every row.

``strict`` mode stops with the report when any row cannot be used; ``lenient`` mode keeps
the good rows and hands back the rest with their reasons. Either way, for every table,
rows read = rows accepted + merged + left out by ``where:`` + rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.errors import DataError
from ..data.schema import TABLES
from ..data.validate import validate
from . import bigevents
from .derive import DERIVABLE, fill_zero_weeks, mrr_from_contracts, usage_from_events
from .mapping import apply_table, cells, read_mapping
from .read import read_export
from .shapes import SHAPES, apply_churn_events, replace_by_next
from .sources import condition


@dataclass
class LoadReport:
    """What happened to every row of every mapped table."""

    accounting: pd.DataFrame
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # table -> canonical -> export header

    @property
    def ok(self) -> bool:
        return int(self.accounting["rejected"].sum()) == 0

    def problems(self) -> pd.DataFrame:
        """One row per table and kind of problem: how many rows, example source rows, the fix."""
        rows = []
        for table, rej in self.rejected.items():
            if rej.empty:
                continue
            long = (
                rej[["source_row", "reason"]]
                .assign(reason=rej["reason"].str.split(_NEXT_REASON, regex=True))
                .explode("reason")
            )
            long["column"] = long["reason"].str.split(":").str[0].str.split(" ").str[-1]
            # "arr: 'abc' is not a float" -> "'…' is not a float": the column has its own field
            kind = long["reason"].str.replace(r"^\w+: ", "", regex=True)
            # the offending value varies by row; the limit it broke does not
            long["kind"] = kind.str.replace(r"'[^']*'", "…", regex=True).str.replace(
                r"^-?\d[\d.:-]*(?= )", "…", regex=True
            )
            for (column, kind), g in long.groupby(["column", "kind"], sort=True):
                shown = ", ".join(str(r) for r in g["source_row"].head(5)) + (
                    ", …" if len(g) > 5 else ""
                )
                header = self.headers.get(table, {}).get(column)
                column = f"{header!r} ({column})" if header and header != column else repr(column)
                rows.append(
                    {
                        "table": table,
                        "source": self.accounting.set_index("table").at[table, "source"],
                        "column": column,
                        "problem": kind,
                        "rows": len(g),
                        "example_rows": shown,
                        "fix": _fix(kind),
                    }
                )
        return pd.DataFrame(
            rows, columns=["table", "source", "column", "problem", "rows", "example_rows", "fix"]
        )

    def __str__(self) -> str:
        lines = []
        for r in self.accounting.itertuples(index=False):
            left = getattr(r, "filtered", 0)
            lines.append(
                f"{r.table} from {r.source}: {r.rows_read} rows read = {r.accepted} accepted"
                + (f" + {r.merged} merged" if r.merged else "")
                + (f" + {left} left out (where:)" if left else "")
                + f" + {r.rejected} rejected"
            )
        for table, said in self.notes.items():
            lines += [f"  {table}: {n}" for n in said]
        for p in self.problems().itertuples(index=False):
            lines.append(
                f"- {p.source}, column {p.column}: {p.problem} in {p.rows} row(s) (rows {p.example_rows}); fix: {p.fix}"
            )
        return "\n".join(lines)


# Reasons of one row are joined with "; "; a value shown in a reason may hold "; " too, so
# split only where the next reason starts ("arr: …", "duplicate …", "end_date is before …").
_NEXT_REASON = r"; (?=[\w/]+: |duplicate |end_date is before)"
FIXES = {
    "control character": "remove the control character at the source (a damaged export, or "
    "text pasted from another program); the cell was not cut",
    "nested data": "flatten lists and structs into plain columns before exporting",
    "binary data": "export the column as text",
    "cells but the header has": "quote values that contain the delimiter, or export again",
    "does not fit decimal": "write the amount in the column's decimal convention, or state "
    "the convention of this column with `decimal:` in its rule",
    "not a finite number": "write a number, or leave the cell empty",
    "dataset's currency": "convert the amount to the dataset's currency at the source, or "
    "load those rows with a mapping of their own",
    "beyond any real amount": "check the amount: a misplaced exponent or a wrong unit?",
    "has no day": 'state what the partial date means with `date_format:` (e.g. "%Y-%m")',
    "spreadsheet day number": "format the column as a date in the spreadsheet before exporting",
    "is not a whole number of": "correct the tenure: whole months (or days, as `unit:` says) "
    "from 0",
    "is not a number of": "correct the tenure, or say what the spelling means with `values:`",
    "matches rows of": "make the key unique in the looked-up file, or look up another column",
    "is not in": "add the missing row to the looked-up file, or correct the key",
    "no contract of account": "check the churn date, or map the account's contracts (an event "
    "ends the contracts running on its date)",
}


def _fix(kind: str) -> str:
    for key, fix in FIXES.items():
        if key in kind:
            return fix
    if "is not a" in kind:
        return "correct the value, or describe its format in the mapping (date_format, values)"
    if "is not one of" in kind:
        return "map this spelling to an allowed value under `values:` in the mapping"
    if "empty" in kind:
        return "fill the cell in the export, or drop the row at the source"
    if "duplicate" in kind:
        return "remove the repeated row or make the id unique"
    if "after as_of" in kind:
        return "check the date, or set a later `as_of:` if the export was taken later"
    if "before start_date" in kind:
        return "swap or correct start and end dates"
    if "has no row in" in kind:
        return "include the parent row (e.g. the account) or remove this row"
    if "below" in kind:
        return "negative amounts are refunds or credits: remove them or net them off at the source"
    if "above" in kind:
        return "check the scale (a 0-1 score written as a percentage?)"
    return "correct these rows"


def _reject(name, bad, reasons, tables, rejected, sources) -> None:
    """Move accepted rows of a table (``bad``, a boolean array) to its rejected rows."""
    df = tables[name]
    moved = sources[name].loc[df.index[bad]].copy()
    moved.insert(0, "reason", list(reasons))
    rejected[name] = pd.concat([rejected[name], moved.reset_index(drop=True)], ignore_index=True)
    tables[name] = df[~bad]


def _orphans(tables: dict[str, pd.DataFrame], rejected: dict[str, pd.DataFrame], sources) -> None:
    """Move rows whose parent key is missing into the rejected rows, with the reason."""
    for name in list(tables):
        for column, target in {**TABLES, **SHAPES}[name].references.items():
            df = tables[name]
            parent, parent_col = target.split(".")
            if parent not in tables or column not in df:
                continue
            bad = (df[column].notna() & ~df[column].isin(tables[parent][parent_col])).to_numpy()
            if bad.any():
                why = [f"{column}: {v!r} has no row in {parent}" for v in df.loc[bad, column]]
                _reject(name, bad, why, tables, rejected, sources)


def load_export(mapping, data=None, *, mode: str = "strict", as_of=None) -> Dataset:
    """Load the exports a mapping describes as a :class:`Dataset`.

    Parameters
    ----------
    mapping : path-like or dict
        The mapping file (YAML), or the same mapping as a dict.
    data : path-like, optional
        The export file, or the folder holding the files the mapping names. When the mapping
        reads a single file, ``data`` may be that file under any name. Default: files are
        relative to the mapping.
    mode : {"strict", "lenient"}
        ``strict`` raises :class:`DataError` with the report if any row is rejected;
        ``lenient`` keeps the good rows. The report is ``dataset.load_report`` either way.
    as_of : date-like, optional
        The date the export was taken, overriding the mapping's ``as_of:``.

    Examples
    --------
    >>> ds = load_export("datasets/mappings/salesforce_accounts.yaml", mode="lenient")  # doctest: +SKIP
    >>> print(ds.load_report)                                                    # doctest: +SKIP
    """
    if mode not in ("strict", "lenient"):
        raise ValueError(f"mode must be 'strict' or 'lenient', not {mode!r}")
    spec = read_mapping(mapping)
    try:
        as_of = pd.Timestamp(as_of if as_of is not None else spec["as_of"]).normalize()
    except (ValueError, TypeError):
        raise DataError(f"as_of {as_of!r} is not a date; give it as YYYY-MM-DD.") from None
    files = {(t or {}).get("file", spec.get("file")) for t in spec["tables"].values()} - {None}
    data_path = Path(data) if data is not None else None
    cache, tables, rejected, sources, notes, headers, acct = {}, {}, {}, {}, {}, {}, []
    big, pandas_why = None, None  # an events export read by DuckDB, or why it is not
    for name, tspec in spec["tables"].items():
        tspec = tspec or {}
        base = (
            data_path
            if data_path is not None and data_path.is_dir()
            else Path(tspec.get("_dir", spec["_dir"]))
        )
        file = tspec.get("file", spec.get("file"))
        if data_path is not None and not data_path.is_dir() and len(files) <= 1:
            path = data_path
        elif file:
            path = base / file
        else:
            raise DataError(
                f"{spec['_name']}: table {name!r} needs `file:` (the export it comes from)."
            )

        if name == "events" and "usage" in (spec.get("derive") or []):
            pandas_why = bigevents.why_not(path, tspec.get("columns") or {}, tspec, spec)
            if pandas_why is None:
                big = (path, tspec)
                continue

        def read(path, sheet, tspec=tspec):
            key = (str(path), sheet)
            if key not in cache:
                cache[key] = read_export(
                    path,
                    sheet=sheet,
                    encoding=tspec.get("encoding", spec.get("encoding")),
                    delimiter=tspec.get("delimiter", spec.get("delimiter")),
                )
            return cache[key]

        raw = read(path, tspec.get("sheet", spec.get("sheet")))
        filtered, said = 0, []
        if tspec.get("where"):
            raw, filtered, said = _where(raw, tspec["where"], name)
        options = {
            "decimal": tspec.get("decimal", spec.get("decimal")),
            "timezone": tspec.get("timezone", spec.get("timezone")),
            "currency": spec.get("currency"),
            "lookup": lambda one, base=base: read(base / one["file"], one.get("sheet")),
        }
        mapped = apply_table(
            name,
            raw,
            tspec.get("columns") or {},
            as_of,
            distinct=bool(tspec.get("distinct")),
            options=options,
            table=SHAPES.get(name),
        )
        tables[name], rejected[name], headers[name] = (
            mapped.accepted,
            mapped.rejected,
            mapped.headers,
        )
        notes[name] = (
            list(raw.notes)
            + said
            + [f"{col} {how}" for col, how in mapped.headers.items() if how and how.startswith("(")]
            + list(mapped.notes)
        )
        if mapped.merged_rows:
            notes[name].append(
                f"{len(mapped.merged_rows)} row(s) repeat an earlier row exactly and were merged "
                f"(rows {_examples(mapped.merged_rows)})"
            )
        # keep the source row and cells of accepted rows, for orphans found later
        keep = ~raw.row_numbers.isin(set(rejected[name]["source_row"]) | set(mapped.merged_rows))
        sources[name] = cells(raw.frame.loc[keep.to_numpy()]).reset_index(drop=True)
        sources[name].insert(0, "source_row", raw.row_numbers[keep].to_numpy())
        acct.append(
            {
                "table": name,
                "source": raw.source,
                "rows_read": len(raw.frame) + filtered,
                "merged": len(mapped.merged_rows),
                "filtered": filtered,
            }
        )
    _orphans(tables, rejected, sources)
    _shapes(spec, tables, rejected, sources, notes)
    counted = {t: len(tables[t]) for t in tables}
    if big is not None:
        big = _big_events(big, spec, tables, as_of)
        rejected["events"], headers["events"], counted["events"] = (
            big.rejected,
            big.headers,
            big.accepted,
        )
        notes["events"] = big.notes
        if big.events is not None:
            tables["events"] = big.events
        acct.append({"table": "events", "source": big.source, "rows_read": big.rows_read})
        acct[-1].update(merged=0, filtered=0)
    elif pandas_why is not None and "events" in tables:
        notes["events"].append(f"read with pandas, in memory: {pandas_why}")
    order = {t: i for i, t in enumerate(spec["tables"])}  # the mapping's order of tables
    accounting = pd.DataFrame(sorted(acct, key=lambda row: order[row["table"]]))
    accounting["accepted"] = [counted[t] for t in accounting["table"]]
    accounting["rejected"] = [len(rejected[t]) for t in accounting["table"]]
    columns = ["table", "source", "rows_read", "accepted", "merged", "rejected"]
    if any((t or {}).get("where") for t in spec["tables"].values()):
        columns.insert(-1, "filtered")  # rows left out by `where:`
    balance = accounting[["accepted", "merged", "filtered", "rejected"]].sum(axis=1)
    assert (accounting["rows_read"] == balance).all(), "a row was lost: please report this bug"
    report = LoadReport(accounting[columns], rejected, notes, headers)
    missing = [n for n, t in TABLES.items() if t.required and n not in tables]
    if missing:
        raise DataError(
            f"{spec['_name']}: map the required table(s) {missing} too (they may come from the same export)."
        )
    if mode == "strict" and not report.ok:
        raise DataError(
            f"{spec['_name']}: some rows cannot be used (strict mode):\n{report}", report
        )
    tables = {k: v.reset_index(drop=True) for k, v in tables.items() if k not in SHAPES}
    for name in spec.get("derive") or []:
        if name == "usage" and big is not None:
            tables[name] = fill_zero_weeks(big.usage, tables.get("contracts"), as_of)
            report.notes.setdefault(name, []).append("derived from events (DuckDB), contracts")
            continue
        tables[name] = _derive(name, tables, as_of, spec)
        report.notes.setdefault(name, []).append(
            f"derived from {', '.join(t for t in DERIVABLE[name] if t in tables)}"
        )
    check = validate(tables)
    if not check.ok:  # a mapping rule produced something the contract forbids
        raise DataError(f"{spec['_name']}: the mapped tables break the data contract:\n{check}")
    meta = {k: v for k, v in spec.items() if k in ("currency",)}
    meta["source"] = f"mapping {spec['_name']}"
    ds = Dataset(tables=tables, as_of=as_of, meta=meta)
    ds.load_report = report
    return ds


def _big_events(big, spec: dict, tables: dict, as_of) -> bigevents.BigEvents:
    path, tspec = big
    if "accounts" not in tables:
        raise DataError(f"{spec['_name']}: events need the accounts table mapped.")
    return bigevents.load_events(
        path,
        tspec.get("columns") or {},
        accounts=tables["accounts"]["account_id"],
        as_of=as_of,
        key_events=spec.get("key_events"),
        timezone=tspec.get("timezone", spec.get("timezone")),
        delimiter=tspec.get("delimiter", spec.get("delimiter")),
    )


def _where(raw, conditions: list, name: str):
    """``where:``: the rows meeting every condition, how many were left out, and a note."""
    keep = np.ones(len(raw.frame), dtype=bool)
    for cond in conditions:
        keep &= condition(cond, raw, name, "where")[0]
    said = [
        f"where: {int(keep.sum())} of {len(keep)} row(s) kept ("
        + "; ".join(
            f"{c['column']} {'in' if 'in' in c else 'not in'} {c.get('in', c.get('not_in'))}"
            for c in conditions
        )
        + f"); {int((~keep).sum())} left out"
    ]
    return raw.subset(keep), int((~keep).sum()), said


def _shapes(spec: dict, tables: dict, rejected: dict, sources: dict, notes: dict) -> None:
    """Subscriptions replaced by the next one, then churn events ending contracts."""
    if (spec["tables"].get("contracts") or {}).get("replaced_by_next") and "contracts" in tables:
        tables["contracts"], n = replace_by_next(tables["contracts"])
        notes["contracts"].append(
            f"replaced_by_next: {n} contract(s) end when the account's next one starts"
        )
    if "churn_events" not in tables:
        return
    if "contracts" not in tables:
        raise DataError(f"{spec['_name']}: churn_events need the contracts table mapped.")
    events = tables["churn_events"]
    done = apply_churn_events(events, tables["contracts"])
    bad = done.reasons.notna().to_numpy()
    if bad.any():
        _reject("churn_events", bad, done.reasons[bad], tables, rejected, sources)
    tables["contracts"] = done.contracts.set_index(tables["contracts"].index)
    tables["renewals"] = done.renewals
    notes["churn_events"] += done.notes
    notes.setdefault("renewals", []).append("made from churn_events")


def _derive(name: str, tables: dict, as_of, spec: dict) -> pd.DataFrame:
    if name in tables:
        raise DataError(f"{spec['_name']}: {name!r} is both mapped and listed under `derive:`.")
    need = [t for t in DERIVABLE[name][:1] if t not in tables]
    if need:
        raise DataError(f"{spec['_name']}: deriving {name!r} needs the {need[0]!r} table mapped.")
    if name == "mrr_monthly":
        return mrr_from_contracts(tables["contracts"], as_of)
    # `engine: pandas` keeps the events in memory end to end, aggregation included
    engine = (spec["tables"].get("events") or {}).get("engine", "duckdb")
    return usage_from_events(
        tables["events"],
        tables.get("contracts"),
        as_of=as_of,
        key_events=spec.get("key_events"),
        engine=engine,
    )


def _examples(rows: list, n: int = 5) -> str:
    return ", ".join(str(r) for r in rows[:n]) + (", …" if len(rows) > n else "")
