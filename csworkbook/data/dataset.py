"""The Dataset: one object holding the canonical tables a notebook or report works on."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .schema import TABLES

# Which analyses a set of tables supports, and where the workbook teaches them.
# analysis -> (needs all of, needs one of, notebooks, notebooks planned but not written yet)
ANALYSES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "data tour": (("accounts", "contracts"), (), ("00",), ()),
    "logo churn, tenure and survival": (("accounts", "contracts"), (), ("08", "11"), ()),
    "revenue retention GRR / NRR and MRR movements": (
        ("contracts", "mrr_monthly"),
        (),
        ("08",),
        (),
    ),
    "renewal outcomes and churn reasons": (("renewals",), (), ("11",), ("15",)),
    "time to value": (("milestones", "contracts"), (), (), ("07",)),
    "early warning from usage": (("usage", "contracts"), (), ("02",), ()),
    "health score": (("usage", "contracts"), ("tickets", "nps", "touchpoints"), ("04", "12"), ()),
    "usage blind spots": (
        ("usage", "renewals"),
        ("nps", "touchpoints", "stakeholder_events"),
        ("13",),
        (),
    ),
    "voice of the customer": (("nps",), (), ("08",), ("10",)),
    "company-wide view": (("tickets", "nps", "touchpoints"), (), (), ("10",)),
}


def analysis_label(name: str) -> str:
    """An analysis with its notebooks, planned ones marked: ``"time to value (07 planned)"``."""
    _, _, ready, planned = ANALYSES[name]
    parts = [", ".join(ready)] if ready else []
    if planned:
        parts.append(f"{', '.join(planned)} planned")
    return f"{name} ({'; '.join(parts)})"


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
        """Which workbook analyses the tables present support, and what is missing otherwise.

        A table counts only when it has rows; notebooks not written yet are marked *planned*.

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset({"accounts": pd.DataFrame({"account_id": ["a"]}),
        ...               "contracts": pd.DataFrame({"account_id": ["a"]}),
        ...               "usage": pd.DataFrame({"account_id": []})}, as_of="2025-12-31")
        >>> cap = ds.capabilities().loc["early warning from usage (02)"]
        >>> bool(cap.available), cap.missing
        (False, 'usage (no rows)')
        """
        rows = []
        for analysis, (all_of, one_of, _, _) in ANALYSES.items():
            missing = [self._lacks(t) for t in all_of if self._lacks(t)]
            if one_of and all(self._lacks(t) for t in one_of):
                missing.append(" or ".join(self._lacks(t) for t in one_of))
            rows.append(
                {
                    "analysis": analysis_label(analysis),
                    "available": not missing,
                    "missing": ", ".join(missing),
                }
            )
        return pd.DataFrame(rows).set_index("analysis")

    def _lacks(self, table: str) -> str:
        """Empty when ``table`` is present with rows; otherwise how it falls short."""
        if table not in self.tables:
            return table
        return f"{table} (no rows)" if self.tables[table].empty else ""

    def for_accounts(self, account_ids) -> Dataset:
        """The same dataset restricted to some customers: every table keeps only the rows of
        those accounts, so counts, rates and capabilities describe them alone.

        Examples
        --------
        >>> import csworkbook
        >>> cs = csworkbook.load("datasets/demo")                               # doctest: +SKIP
        >>> smb = cs.for_accounts(cs.accounts.account_id[cs.accounts.segment == "smb"])  # doctest: +SKIP
        """
        keep = set(pd.Series(account_ids, dtype=object))
        tables = {
            name: df[df["account_id"].isin(keep)].reset_index(drop=True)
            if "account_id" in df.columns
            else df
            for name, df in self.tables.items()
        }
        return Dataset(tables, self.as_of, dict(self.meta))

    def __repr__(self) -> str:
        n = len(self.tables.get("accounts", ()))
        return (
            f"<Dataset as_of={self.as_of.date()} accounts={n} "
            f"tables=[{', '.join(t for t in TABLES if t in self.tables)}]>"
        )
