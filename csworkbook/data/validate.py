"""Validation of canonical tables: schema, keys and references, reported row by row.

The result is always a :class:`ValidationReport`; nothing here raises on bad data.
Row numbers are given as they appear in a CSV file with a header line (row 2 is the
first data row), so an analyst can find them in a spreadsheet.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from .schema import TABLES, pandas_dtype, pandera_schema

REPORT_COLUMNS = ["table", "column", "check", "rows", "example_rows", "fix"]


def _fix_for(check: str, column: str, table: str) -> str:
    spec = TABLES[table]
    if check == "column_in_dataframe":
        return f"add a column named {column!r} (or map your column to it in the mapping file)"
    if check == "not_nullable":
        return f"fill {column!r} in these rows or remove them from the export"
    if check in ("field_uniqueness", "multiple_fields_uniqueness"):
        return f"make {', '.join(spec.key)} unique: remove duplicated rows or fix the ids"
    if check.startswith("isin"):
        allowed = spec.col(column).allowed or ()
        return f"use one of {', '.join(allowed)} (map other spellings in the mapping file)"
    if check.startswith("greater_than") or check.startswith("less_than"):
        return f"correct the out-of-range values of {column!r}"
    if check.startswith("dtype"):
        return f"make {column!r} a {spec.col(column).dtype} column"
    if check == "reference":
        return "add the missing parent rows or remove these rows"
    return "correct these rows"


@dataclass
class ValidationReport:
    """Problems found, one row per (table, column, check), with the fix to make."""

    problems: pd.DataFrame

    @property
    def ok(self) -> bool:
        return self.problems.empty

    def __str__(self) -> str:
        if self.ok:
            return "validation passed: no problems found"
        lines = [f"validation found {len(self.problems)} problem(s):"]
        for p in self.problems.itertuples(index=False):
            lines.append(
                f"- {p.table}.{p.column}: {p.check} fails in {p.rows} row(s) "
                f"(file rows {p.example_rows}); fix: {p.fix}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.problems.to_html(escape=True)


def _rows(index_values) -> str:
    vals = sorted({int(i) + 2 for i in index_values if pd.notna(i)})
    shown = ", ".join(str(v) for v in vals[:5])
    return shown + (", ..." if len(vals) > 5 else "")


def _plainly_valid(name: str, df: pd.DataFrame) -> bool:
    """True when a vectorised pass finds nothing pandera would report.

    Clean tables are the common case and pandera's per-check overhead dominates loading a
    small dataset; anything unusual (a dtype spelled differently, a failing value) returns
    False and pandera builds the detailed report.
    """
    spec = TABLES[name]
    for c in spec.columns:
        if c.name not in df.columns or str(df[c.name].dtype) != pandas_dtype(c):
            return False
        s = df[c.name]
        present = s.notna()
        if not c.nullable and not present.all():
            return False
        values = s[present]
        if c.allowed is not None and not values.isin(c.allowed).all():
            return False
        if c.min_value is not None and not (values >= c.min_value).all():
            return False
        if c.max_value is not None and not (values <= c.max_value).all():
            return False
        if c.unique and values.duplicated().any():
            return False
    return len(spec.key) < 2 or not df.duplicated(subset=list(spec.key)).any()


def validate_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Schema problems of one table, as report rows."""
    if _plainly_valid(name, df):
        return pd.DataFrame(columns=REPORT_COLUMNS)
    try:
        pandera_schema(name).validate(df, lazy=True)
        return pd.DataFrame(columns=REPORT_COLUMNS)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
    rows = []
    for (column, check), grp in fc.groupby(
        [fc["column"].fillna("(table)"), fc["check"].astype(str)], sort=True
    ):
        check_name = check.split("(")[0]
        rows.append(
            {
                "table": name,
                "column": column,
                "check": check,
                "rows": int(grp["index"].nunique()) if grp["index"].notna().any() else len(df),
                "example_rows": _rows(grp["index"]) if grp["index"].notna().any() else "all",
                "fix": _fix_for(check_name, column, name),
            }
        )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def validate_references(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows whose foreign keys point at no parent row (orphans)."""
    rows = []
    for name, df in tables.items():
        for column, target in TABLES[name].references.items():
            parent, parent_col = target.split(".")
            if parent not in tables or column not in df or parent_col not in tables[parent]:
                continue
            bad = df[column].notna() & ~df[column].isin(tables[parent][parent_col])
            if bad.any():
                rows.append(
                    {
                        "table": name,
                        "column": column,
                        "check": f"reference to {target}",
                        "rows": int(bad.sum()),
                        "example_rows": _rows(df.index[bad]),
                        "fix": _fix_for("reference", column, name),
                    }
                )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def validate(tables: dict[str, pd.DataFrame]) -> ValidationReport:
    """Validate canonical tables against the data contract.

    Examples
    --------
    >>> import pandas as pd
    >>> from csworkbook.data.validate import validate
    >>> report = validate({"accounts": pd.DataFrame({"account_id": ["A1"]})})
    >>> report.ok
    False
    """
    parts = [validate_table(n, df) for n, df in tables.items()]
    parts.append(validate_references(tables))
    parts = [p for p in parts if not p.empty]
    problems = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REPORT_COLUMNS)
    )
    return ValidationReport(problems)
