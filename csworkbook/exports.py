"""Load real exports through a mapping file, accounting for every row.

``strict`` mode stops with the report when any row cannot be used; ``lenient`` mode keeps
the good rows and hands back the rest with their reasons. Either way, for every table,
rows read = rows accepted + rows rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .dataset import Dataset
from .errors import DataError
from .ingest import read_export
from .mapping import apply_table, read_mapping
from .schema import TABLES


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
                .assign(reason=rej["reason"].str.split("; "))
                .explode("reason")
            )
            long["column"] = long["reason"].str.split(":").str[0].str.split(" ").str[-1]
            # "arr: 'abc' is not a float" -> "'…' is not a float": the column has its own field
            kind = long["reason"].str.replace(r"^\w+: ", "", regex=True)
            long["kind"] = kind.str.replace(
                r"'[^']*'|\d{4}-\d\d-\d\d|-?\d+(\.\d+)?", "…", regex=True
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
            lines.append(
                f"{r.table} from {r.source}: {r.rows_read} rows read = {r.accepted} accepted + {r.rejected} rejected"
            )
        for p in self.problems().itertuples(index=False):
            lines.append(
                f"- {p.source}, column {p.column}: {p.problem} in {p.rows} row(s) (rows {p.example_rows}); fix: {p.fix}"
            )
        return "\n".join(lines)


def _fix(kind: str) -> str:
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
    return "correct these rows"


def _orphans(tables: dict[str, pd.DataFrame], rejected: dict[str, pd.DataFrame], sources) -> None:
    """Move rows whose parent key is missing into the rejected rows, with the reason."""
    for name in list(tables):
        for column, target in TABLES[name].references.items():
            df = tables[name]
            parent, parent_col = target.split(".")
            if parent not in tables or column not in df:
                continue
            bad = df[column].notna() & ~df[column].isin(tables[parent][parent_col])
            if bad.any():
                moved = sources[name].loc[df.index[bad]].copy()
                moved.insert(
                    0,
                    "reason",
                    [f"{column}: {v!r} has no row in {parent}" for v in df.loc[bad, column]],
                )
                rejected[name] = pd.concat(
                    [rejected[name], moved.reset_index(drop=True)], ignore_index=True
                )
                tables[name] = df[~bad]


def load_export(mapping, data=None, *, mode: str = "strict") -> Dataset:
    """Load the exports a mapping file describes as a :class:`Dataset`.

    Parameters
    ----------
    mapping : path-like
        The mapping file (YAML).
    data : path-like, optional
        The export file, or the folder holding the files the mapping names. A table
        without ``file:`` reads this file. Default: files are relative to the mapping.
    mode : {"strict", "lenient"}
        ``strict`` raises :class:`DataError` with the report if any row is rejected;
        ``lenient`` keeps the good rows. The report is ``dataset.load_report`` either way.
    """
    if mode not in ("strict", "lenient"):
        raise ValueError(f"mode must be 'strict' or 'lenient', not {mode!r}")
    spec = read_mapping(mapping)
    as_of = pd.Timestamp(spec["as_of"])
    cache, tables, rejected, sources, notes, headers, acct = {}, {}, {}, {}, {}, {}, []
    for name, tspec in spec["tables"].items():
        tspec = tspec or {}
        data_path = Path(data) if data is not None else None
        base = data_path if data_path is not None and data_path.is_dir() else Path(spec["_dir"])
        file = tspec.get("file", spec.get("file"))
        if file:
            path = base / file
        elif data_path is not None and not data_path.is_dir():
            path = data_path
        else:
            raise DataError(
                f"{spec['_name']}: table {name!r} needs `file:` (the export it comes from)."
            )
        sheet = tspec.get("sheet", spec.get("sheet"))
        key = (str(path), sheet)
        if key not in cache:
            cache[key] = read_export(
                path,
                sheet=sheet,
                encoding=tspec.get("encoding", spec.get("encoding")),
                delimiter=tspec.get("delimiter", spec.get("delimiter")),
            )
        raw = cache[key]
        ok, bad, headers[name] = apply_table(name, raw, tspec.get("columns") or {}, as_of)
        tables[name], rejected[name], notes[name] = ok, bad, raw.notes
        # keep the source row and cells of accepted rows, for orphans found later
        sources[name] = raw.frame.loc[~raw.frame.index.isin(_bad_index(raw, bad))].reset_index(
            drop=True
        )
        sources[name].insert(
            0, "source_row", raw.row_numbers[~raw.frame.index.isin(_bad_index(raw, bad))].to_numpy()
        )
        acct.append({"table": name, "source": raw.source, "rows_read": len(raw.frame)})
    _orphans(tables, rejected, sources)
    accounting = pd.DataFrame(acct)
    accounting["accepted"] = [len(tables[t]) for t in accounting["table"]]
    accounting["rejected"] = [len(rejected[t]) for t in accounting["table"]]
    assert (accounting["rows_read"] == accounting["accepted"] + accounting["rejected"]).all()
    report = LoadReport(accounting, rejected, notes, headers)
    missing = [n for n, t in TABLES.items() if t.required and n not in tables]
    if missing:
        raise DataError(
            f"{spec['_name']}: map the required table(s) {missing} too (they may come from the same export)."
        )
    if mode == "strict" and not report.ok:
        raise DataError(
            f"{spec['_name']}: some rows cannot be used (strict mode):\n{report}", report
        )
    meta = {k: v for k, v in spec.items() if k in ("currency",)}
    meta["source"] = f"mapping {spec['_name']}"
    ds = Dataset(
        tables={k: v.reset_index(drop=True) for k, v in tables.items()}, as_of=as_of, meta=meta
    )
    ds.load_report = report
    return ds


def _bad_index(raw, bad: pd.DataFrame) -> pd.Index:
    rows = set(bad["source_row"])
    return raw.frame.index[raw.row_numbers.isin(rows).to_numpy()]
