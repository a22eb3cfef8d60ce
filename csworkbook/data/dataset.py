"""The Dataset: one object holding the canonical tables a notebook or report works on, and
the one declaration of what each analysis needs (:data:`ANALYSES`), which notebook sections,
reports and commands check with :meth:`Dataset.supports` and :meth:`Dataset.capabilities` lists."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .errors import DataError
from .schema import TABLES, pandas_dtype

# ---- what each analysis needs ----------------------------------------------------------
#
# One declaration per analysis: the tables and columns it reads, and the notebooks that teach
# it. Notebook sections, report sections and CLI commands check them with
# ``Dataset.supports(name)``; ``Dataset.capabilities()`` lists them all. A requirement is
#
#   "usage"                   the table, with at least one row
#   "renewals.churn_reason"   the column, with at least one value
#   "mrr_monthly.mrr>0"       the column, with at least one value above 0
#   "renewals.outcome=renewed"  at least one row with that value
#   "tickets|nps|touchpoints"   any one of these
#
# Adding an analysis is one line here, e.g.
#   "lifetime value": Analysis("contracts.arr>0 mrr_monthly", "14"),


@dataclass(frozen=True)
class Analysis:
    """What one analysis needs (space-separated requirements) and where it is taught.

    ``notebooks`` and ``planned`` are comma-separated notebook numbers ("04, 12").
    """

    needs: str
    notebooks: str = ""
    planned: str = ""

    @property
    def requirements(self) -> list[str]:
        return self.needs.split()

    @property
    def taught_in(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.notebooks.split(",") if n.strip())

    @property
    def planned_in(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.planned.split(",") if n.strip())


ANALYSES: dict[str, Analysis] = {
    "data tour": Analysis("accounts contracts", "00, 10"),
    "signals at a glance": Analysis("usage|nps|milestones|tickets|touchpoints|renewals", "00"),
    "logo churn, tenure and survival": Analysis("accounts mrr_monthly", "08, 11"),
    "revenue retention GRR / NRR and MRR movements": Analysis(
        "accounts mrr_monthly.mrr>0", "03, 08, 10"
    ),
    "churn rate per renewal": Analysis("renewals.outcome=renewed contracts", "08"),
    "renewal outcomes and churn reasons": Analysis("renewals.churn_reason", "03, 11"),
    "time to value": Analysis("milestones contracts", "07"),
    "onboarding speed and the first renewal": Analysis(
        "milestones contracts.term_months>11 mrr_monthly", "07"
    ),
    "what reaching value sooner is worth": Analysis(
        "milestones contracts.term_months>11 mrr_monthly.mrr>0", "07"
    ),
    "early warning from usage": Analysis("usage.active_users>0 mrr_monthly", "02"),
    "health score": Analysis("usage mrr_monthly tickets|nps|touchpoints", "04, 09, 10, 12"),
    "people's health rolled up to their company": Analysis("users nps.user_id", "04"),
    "churn prediction that does not cheat": Analysis("usage.active_users>0 mrr_monthly", "11"),
    "usage blind spots": Analysis("usage mrr_monthly nps|touchpoints|stakeholder_events", "13"),
    "usage only vs all signals": Analysis(
        "accounts contracts renewals.outcome=renewed usage nps tickets touchpoints "
        "stakeholder_events milestones",
        "11",
    ),
    "the planted stories in synthetic data": Analysis("truth", "00, 01, 02, 07, 11, 13"),
    "voice of the customer": Analysis("nps", "08, 10"),
    # principle 1: whom to sign
    "ICP fit and first-year churn": Analysis("accounts.icp_fit mrr_monthly", "01"),
    "what a poor fit costs in onboarding and support": Analysis(
        "accounts.icp_fit mrr_monthly milestones|tickets|touchpoints", "01"
    ),
    "LTV / CAC and acquisition cost written off by fit": Analysis(
        "accounts.icp_fit contracts.arr>0 mrr_monthly.mrr>0 account_costs", "01"
    ),
    "poor fits by sales channel": Analysis(
        "accounts.icp_fit accounts.acquisition_channel mrr_monthly", "01"
    ),
    "a fit threshold at signing": Analysis("accounts.icp_fit mrr_monthly.mrr>0", "01"),
    # principle 3: experience and outcome
    "customer goals": Analysis("goals goal_reviews", "03"),
    "experience and outcome": Analysis(
        "renewals.outcome=renewed contracts goals goal_reviews nps", "03"
    ),
    # principle 5: segments and touch models
    "touch models and the book": Analysis("accounts mrr_monthly.mrr>0", "05"),
    "CSM books and capacity": Analysis("accounts.csm_id mrr_monthly.mrr>0", "05"),
    "touchpoint coverage": Analysis("accounts mrr_monthly.mrr>0 touchpoints", "05"),
    "relationships at renewal": Analysis(
        "renewals.outcome=renewed contracts nps.user_id|stakeholder_events", "05"
    ),
    "adoption after programmes": Analysis("usage.active_users>0 contracts.seats touchpoints", "05"),
    # principle 6: the product
    "product feedback by ARR": Analysis("feedback contracts.arr>0", "06"),
    "roadmap by ARR at risk": Analysis(
        "feedback contracts.arr>0 contracts.renewal_date renewals.outcome=renewed "
        "renewals.outcome=churned mrr_monthly "
        "usage|nps|tickets|touchpoints|stakeholder_events|milestones",
        "06",
    ),
    "the feedback loop closed": Analysis(
        "feedback.shipped_date contracts renewals.outcome=renewed", "06"
    ),
    # principle 9: the CS team on hard numbers
    "CS coverage and touch frequency": Analysis("accounts mrr_monthly.mrr>0 touchpoints", "09"),
    "calls to action answered": Analysis("usage mrr_monthly touchpoints", "09"),
    "GRR / NRR per CSM": Analysis("accounts.csm_id mrr_monthly.mrr>0", "09"),
    # principle 10: one dataset for the whole company
    "support: tickets foreseen and repeated": Analysis("tickets mrr_monthly.mrr>0", "10"),
    "customer success beside support": Analysis("usage mrr_monthly tickets touchpoints", "10"),
    "lifetime value and its levers": Analysis("accounts contracts.arr>0 mrr_monthly.mrr>0", "14"),
    "how long customers stay (sBG)": Analysis("accounts contracts mrr_monthly", "14"),
    "renewal desk": Analysis(
        "contracts.renewal_date renewals.outcome=renewed renewals.outcome=churned mrr_monthly "
        "usage|nps|tickets|touchpoints|stakeholder_events|milestones",
        "15",
    ),
    "expansion candidates": Analysis(
        "usage.active_users>0 contracts.seats mrr_monthly.mrr>0", "10, 15"
    ),
    "expansion MRR by segment": Analysis("accounts mrr_monthly.mrr>0", "15"),
    "save play uplift": Analysis("experiments renewals", "15"),
}

# How a missing table is named to an analyst, and how to get it.
TABLE_HINTS: dict[str, tuple[str, str]] = {
    "accounts": ("customer accounts", "map the CRM's accounts"),
    "contracts": ("contracts", "map the CRM's contracts or subscriptions"),
    "mrr_monthly": (
        "monthly revenue",
        "map invoice-level MRR, or add `derive: [mrr_monthly]` to the mapping",
    ),
    "renewals": ("renewal outcomes", "map renewals, or churn events (`churn_events:`)"),
    "users": ("users (the people at each customer)", "map a users or contacts export"),
    "usage": (
        "weekly usage",
        "map an events or usage export (`derive: [usage]` builds weekly usage from events)",
    ),
    "events": ("product events", "map a product-analytics export"),
    "tickets": ("support tickets", "map a help-desk export"),
    "nps": ("survey answers (NPS)", "map a survey export"),
    "touchpoints": ("CSM touchpoints", "map CSM activities (calls, business reviews)"),
    "milestones": ("onboarding milestones", "map onboarding milestones"),
    "stakeholder_events": (
        "stakeholder changes",
        "map champion and sponsor changes from the CRM",
    ),
    "goals": (
        "customers' stated goals (success plans)",
        "map the goals recorded at kickoff in the CS platform (`goal`, `stated_date`, "
        "`achieved_date` under `goals`)",
    ),
    "goal_reviews": (
        "reviews of goal progress",
        "map the progress recorded at business reviews (`progress` under `goal_reviews`)",
    ),
    "feedback": (
        "product feedback (feature requests, product gaps)",
        "map the feature requests from the product board or the ticket system (`theme`, "
        "`request`, `shipped_date` under `feedback`)",
    ),
    "account_costs": (
        "costs per customer (CAC and cost to serve)",
        "map what winning and serving each customer cost (`acquisition_cost`, `cost_to_serve` "
        "under `account_costs`), or pass `cac=` and `cost_to_serve=` to `ltv.ltv_table`",
    ),
    "experiments": (
        "a randomised CS play (who was enrolled, when, in which arm)",
        "record each customer enrolled in a play with the arm drawn at random, and map it",
    ),
    "truth": ("the synthetic `truth` table", "generate data with `csworkbook generate`"),
}


# Hints for a column that is there but does not hold what an analysis needs.
COLUMN_HINTS: dict[str, str] = {
    "mrr_monthly.mrr": "map amounts (ARR, MRR or invoices): without them revenue is undefined",
    "renewals.outcome": "map every renewal, renewed ones included (a churn flag or churn "
    "events record only the departures)",
    "renewals.churn_reason": "map the churn reason (`churn_reason` under `renewals`, or "
    "`reason` under `churn_events`)",
    "usage.active_users": "map the events' user id (`user_id`): active users are counted from it",
    "nps.user_id": "map the respondent of each survey answer",
    "contracts.arr": "map the contract amounts (ARR or MRR): without them revenue is undefined",
    "contracts.renewal_date": "map each open contract's next renewal date (`renewal_date` "
    "under `contracts`)",
    "contracts.seats": "map the seats each contract pays for (`seats` under `contracts`)",
}


def _analysis(name: str) -> Analysis:
    """The declaration of ``name``; older (all_of, one_of, notebooks, planned) tuples are read too."""
    try:
        a = ANALYSES[name]
    except KeyError:
        raise KeyError(f"no analysis {name!r}; declared analyses are {sorted(ANALYSES)}") from None
    if isinstance(a, Analysis):
        return a
    all_of, one_of, ready, planned = a
    needs = [*all_of, *(["|".join(one_of)] if one_of else [])]
    return Analysis(" ".join(needs), ", ".join(ready), ", ".join(planned))


def analysis_label(name: str) -> str:
    """An analysis with its notebooks, planned ones marked: ``"time to value (07 planned)"``."""
    a = _analysis(name)
    parts = [", ".join(a.taught_in)] if a.taught_in else []
    if a.planned_in:
        parts.append(f"{', '.join(a.planned_in)} planned")
    return f"{name} ({'; '.join(parts)})"


def _atom(req: str) -> tuple[str, str | None, str | None, str | None]:
    """``"renewals.outcome=renewed"`` -> (table, column, operator, value)."""
    for op in (">", "="):
        if op in req:
            left, value = req.split(op, 1)
            table, column = left.split(".", 1)
            return table, column, op, value
    table, _, column = req.partition(".")
    return table, column or None, None, None


def _fits(table, column, op, value, tables) -> tuple[str, str]:
    """("", "") when the requirement holds; otherwise how the data falls short of it, said
    briefly (for the capabilities table) and in words (for the note)."""
    what = TABLE_HINTS.get(table, (table,))[0]
    df = tables.get(table)
    if df is None:
        return table, f"{what} (`{table}`)"
    if df.empty:
        return f"{table} (no rows)", f"{what} (`{table}` has no rows)"
    if column is None:
        return "", ""
    name = f"{table}.{column}"
    if column not in df.columns or df[column].isna().all():
        return f"{name} (empty)", f"`{name}` with values (empty in your data)"
    if op == ">" and not (pd.to_numeric(df[column], errors="coerce") > float(value)).any():
        return f"{name} > {value}", f"`{name}` above {value} (it is {value} or less everywhere)"
    if op == "=" and not (df[column].astype("string") == value).any():
        seen = ", ".join(sorted(map(str, df[column].dropna().unique()))[:4])
        return (
            f"{name} = {value}",
            f"`{table}` rows with `{column}` = {value!r} (yours hold only {seen})",
        )
    return "", ""


def _shortfalls(requirements, tables) -> tuple[list[str], list[str], list[str]]:
    """What each unmet requirement lacks (briefly, in words) and how to get it."""
    brief, words, hints = [], [], []
    for req in requirements:
        atoms = [_atom(r) for r in req.split("|")]
        gaps = [_fits(*a, tables) for a in atoms]
        if all(short for short, _ in gaps):
            brief.append(" or ".join(short for short, _ in gaps))
            words.append(" or ".join(long for _, long in gaps))
            for table, column, *_ in atoms:
                present = table in tables and not tables[table].empty
                hint = COLUMN_HINTS.get(f"{table}.{column}") if present else None
                hints.append(hint or TABLE_HINTS.get(table, (table, f"map `{table}`"))[1])
    return brief, words, hints


def _join(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class Support:
    """Whether a dataset holds what an analysis needs: true or false in an ``if``, and the
    note to show in place of the analysis when it does not.

    In a notebook, the object displays as that note (and as nothing when the data is
    complete), so a section reads::

        usage_ok = cs.supports("early warning from usage")
        usage_ok                  # the note if the data lacks it, else nothing
        ...
        if usage_ok:
            ...                   # the section's code

    ``require()`` raises :class:`~csworkbook.data.errors.DataError` with the note instead.
    """

    analysis: str
    missing: tuple[str, ...]  # what the data lacks, in words
    has: tuple[str, ...]  # the tables it has, with rows
    hints: tuple[str, ...]  # how to get what it lacks
    brief: tuple[str, ...] = ()  # what it lacks, in table.column terms

    def __bool__(self) -> bool:
        return not self.missing

    @property
    def note(self) -> str:
        """One sentence: what is missing, what the data has, how to get the rest."""
        if not self.missing:
            return f"{self.analysis}: the data holds everything it needs."
        if self.missing == (_TRUTH,):
            return (
                f"{self.analysis}: left out. It needs the synthetic `truth` table, where the "
                "generator wrote down the story each customer lives; only generated data has "
                "one, never a real export. What does not need it runs without it."
            )
        has = _join(self.has) if self.has else "no tables with rows"
        return (
            f"{self.analysis}: skipped. This section needs {_join(self.missing)}; "
            f"your data has {has}. To see it: {'; '.join(self.hints)}."
        )

    def require(self) -> None:
        """Raise :class:`DataError` with the note unless the data holds what is needed."""
        if self.missing:
            raise DataError(self.note)

    def __str__(self) -> str:
        return self.note

    def __repr__(self) -> str:
        return f"<Support {self.analysis!r}: {'available' if self else 'missing data'}>"

    def _ipython_display_(self) -> None:
        if not self.missing:
            return  # nothing to say: the section runs
        from IPython.display import display

        display(
            {"text/markdown": f"> **Note.** {self.note}", "text/plain": f"Note. {self.note}"},
            raw=True,
        )


_TRUTH = "the synthetic `truth` table (`truth`)"


class MissingTable(DataError, AttributeError):
    """A table the dataset does not have was asked for (``ds.usage``): a :class:`DataError`
    naming it, and an ``AttributeError`` so ``hasattr`` and ``getattr`` defaults still work."""


def empty_table(name: str) -> pd.DataFrame:
    """A canonical table with its columns and dtypes and no rows."""
    return pd.DataFrame({c.name: pd.Series(dtype=pandas_dtype(c)) for c in TABLES[name].columns})


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
            what, hint = TABLE_HINTS.get(name, (name, f"map `{name}`"))
            raise MissingTable(
                f"this dataset has no {name!r} table ({what}); it has {sorted(tables)}. "
                f"To add it: {hint}. Dataset.capabilities() lists what runs without it."
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

    def supports(self, analysis: str) -> Support:
        """Whether the tables hold what ``analysis`` (a name in :data:`ANALYSES`) needs.

        The result is true or false in an ``if`` and displays in a notebook as a one-line
        note saying what is missing and how to get it (nothing when the data is complete).

        Examples
        --------
        >>> ds = Dataset({"accounts": pd.DataFrame({"account_id": ["a"]}),
        ...               "contracts": pd.DataFrame({"account_id": ["a"]})}, as_of="2025-12-31")
        >>> bool(ds.supports("data tour")), bool(ds.supports("early warning from usage"))
        (True, False)
        >>> print(ds.supports("early warning from usage"))  # doctest: +NORMALIZE_WHITESPACE
        early warning from usage: skipped. This section needs weekly usage (`usage`) and
        monthly revenue (`mrr_monthly`); your data has accounts and contracts. To see it: map
        an events or usage export (`derive: [usage]` builds weekly usage from events); map
        invoice-level MRR, or add `derive: [mrr_monthly]` to the mapping.
        """
        return self._check(analysis, _analysis(analysis).requirements)

    def require(self, *requirements: str, to: str) -> None:
        """Raise :class:`DataError` unless the tables meet ``requirements`` (written as in
        :data:`ANALYSES`): what package functions call before reading optional tables.

        >>> ds = Dataset({"accounts": pd.DataFrame({"account_id": ["a"]})}, as_of="2025-12-31")
        >>> ds.require("mrr_monthly", to="churn dates")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        csworkbook.data.errors.DataError: churn dates: skipped. This section needs monthly revenue...
        """
        self._check(to, requirements).require()

    def _check(self, analysis: str, requirements) -> Support:
        brief, words, hints = _shortfalls(requirements, self.tables)
        has = tuple(t for t in TABLES if t in self.tables and not self.tables[t].empty)
        return Support(analysis, tuple(words), has, tuple(dict.fromkeys(hints)), tuple(brief))

    def capabilities(self) -> pd.DataFrame:
        """Which workbook analyses the tables support, and what is missing otherwise: one
        row per analysis declared in :data:`ANALYSES`, the same checks the notebooks,
        reports and ``csworkbook`` commands make before each section.

        A table counts only when it has rows; notebooks not written yet are marked *planned*.

        Examples
        --------
        >>> import pandas as pd
        >>> ds = Dataset({"accounts": pd.DataFrame({"account_id": ["a"]}),
        ...               "contracts": pd.DataFrame({"account_id": ["a"]}),
        ...               "mrr_monthly": pd.DataFrame({"account_id": ["a"]}),
        ...               "usage": pd.DataFrame({"account_id": []})}, as_of="2025-12-31")
        >>> cap = ds.capabilities().loc["early warning from usage (02)"]
        >>> bool(cap.available), cap.missing
        (False, 'usage (no rows)')
        """
        rows = []
        for analysis in ANALYSES:
            s = self._check(analysis, _analysis(analysis).requirements)
            rows.append(
                {
                    "analysis": analysis_label(analysis),
                    "available": bool(s),
                    "missing": ", ".join(s.brief),
                }
            )
        return pd.DataFrame(rows).set_index("analysis")

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
