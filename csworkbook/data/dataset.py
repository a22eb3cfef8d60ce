"""The Dataset: one object holding the canonical tables a notebook or report works on."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .schema import TABLES

# Which analyses a set of tables supports. Each entry: analysis -> (needs all of, needs one of).
ANALYSES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "data tour (00)": (("accounts", "contracts"), ()),
    "logo churn, tenure and survival (08, 11)": (("accounts", "contracts"), ()),
    "revenue retention GRR / NRR and MRR movements (08)": (("contracts", "mrr_monthly"), ()),
    "renewal outcomes and churn reasons (11, 15)": (("renewals",), ()),
    "time to value (07)": (("milestones", "contracts"), ()),
    "early warning from usage (02)": (("usage", "contracts"), ()),
    "health score (04, 12)": (("usage", "contracts"), ("tickets", "nps", "touchpoints")),
    "usage blind spots (13)": (("usage", "renewals"), ("nps", "touchpoints", "stakeholder_events")),
    "voice of the customer (08, 10)": (("nps",), ()),
    "company-wide view (10)": (("tickets", "nps", "touchpoints"), ()),
}


@dataclass
class Dataset:
    """Canonical tables plus the date the data describes and its metadata.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Canonical tables by name (see :mod:`csworkbook.data.schema`); optional ones may be absent.
    as_of : Timestamp
        The date the data was extracted: nothing in it lies after this day.
    meta : dict
        Free-form metadata (currency, generator parameters, source files...).

    Examples
    --------
    >>> import csworkbook
    >>> ds = csworkbook.load("datasets/demo")  # doctest: +SKIP
    >>> ds.accounts.segment.value_counts()      # doctest: +SKIP
    """

    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.tables) - set(TABLES)
        if unknown:
            raise ValueError(
                f"unknown table name(s) {sorted(unknown)}; canonical tables are {list(TABLES)}"
            )
        self.as_of = pd.Timestamp(self.as_of).normalize()

    def __getattr__(self, name: str) -> pd.DataFrame:
        # Only called when normal lookup fails: gives ds.accounts, ds.usage, ...
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        if name in TABLES:
            raise AttributeError(
                f"this dataset has no {name!r} table; it has {sorted(tables)}. "
                "See Dataset.capabilities() for what can run without it."
            )
        raise AttributeError(name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    @property
    def currency(self) -> str:
        return self.meta.get("currency", "USD")

    def summary(self) -> pd.DataFrame:
        """Rows, columns and date range of each table, in canonical order."""
        rows = []
        for name in TABLES:
            if name not in self.tables:
                continue
            df = self.tables[name]
            date_cols = [c.name for c in TABLES[name].columns if c.dtype in ("date", "datetime")]
            first = min((df[c].min() for c in date_cols if df[c].notna().any()), default=pd.NaT)
            last = max((df[c].max() for c in date_cols if df[c].notna().any()), default=pd.NaT)
            rows.append(
                {
                    "table": name,
                    "rows": len(df),
                    "columns": df.shape[1],
                    "first_date": pd.Timestamp(first).date() if pd.notna(first) else None,
                    "last_date": pd.Timestamp(last).date() if pd.notna(last) else None,
                }
            )
        return pd.DataFrame(rows).set_index("table")

    def capabilities(self) -> pd.DataFrame:
        """Which workbook analyses the tables present support, and what is missing otherwise."""
        rows = []
        for analysis, (all_of, one_of) in ANALYSES.items():
            missing = [t for t in all_of if t not in self.tables]
            if one_of and not any(t in self.tables for t in one_of):
                missing.append(" or ".join(one_of))
            rows.append(
                {"analysis": analysis, "available": not missing, "missing": ", ".join(missing)}
            )
        return pd.DataFrame(rows).set_index("analysis")

    def __repr__(self) -> str:
        n = len(self.tables.get("accounts", ()))
        return (
            f"<Dataset as_of={self.as_of.date()} accounts={n} "
            f"tables=[{', '.join(t for t in TABLES if t in self.tables)}]>"
        )
