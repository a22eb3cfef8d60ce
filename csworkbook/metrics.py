"""Retention metrics on canonical tables: pure functions, DataFrames in and out.

Revenue retention is measured per account between two months: the accounts paying in
the start month form the cohort; GRR caps each account's end MRR at its start MRR (no
credit for expansion, full debit for contraction and churn), NRR does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _month(x) -> pd.Timestamp:
    return pd.Timestamp(x).to_period("M").to_timestamp()


def account_mrr(mrr_monthly: pd.DataFrame) -> pd.DataFrame:
    """MRR per account and month (contracts summed), as a wide month × account frame."""
    return mrr_monthly.pivot_table(
        index="month", columns="account_id", values="mrr", aggfunc="sum", fill_value=0.0
    )


def revenue_retention(
    mrr_monthly: pd.DataFrame,
    start,
    end,
    *,
    accounts: pd.DataFrame | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Gross and net revenue retention and logo churn of the start month's paying accounts.

    Parameters
    ----------
    mrr_monthly : DataFrame
        Canonical ``mrr_monthly`` table.
    start, end : date-like
        Months compared (any day in the month).
    accounts : DataFrame, optional
        Canonical ``accounts`` table, needed when ``by`` is given.
    by : str, optional
        An ``accounts`` column to break the figures down by (e.g. ``"segment"``).

    Returns
    -------
    DataFrame with one row per group (or one row ``all``): ``accounts`` in the cohort,
    ``start_mrr``, ``end_mrr``, ``grr``, ``nrr``, ``logo_churn``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"contract_id": ["c1", "c2", "c1", "c2"],
    ...                   "account_id": ["a", "b", "a", "b"],
    ...                   "month": pd.to_datetime(["2024-01-01"] * 2 + ["2025-01-01"] * 2),
    ...                   "mrr": [100.0, 100.0, 150.0, 0.0]})
    >>> revenue_retention(m, "2024-01", "2025-01")[["grr", "nrr", "logo_churn"]].round(2)
          grr   nrr  logo_churn
    all   0.5  0.75         0.5
    """
    s, e = _month(start), _month(end)
    if e <= s:
        raise ValueError(f"end month {e.date()} must come after start month {s.date()}")
    m = mrr_monthly[mrr_monthly["month"].isin([s, e])]
    wide = m.pivot_table(
        index="account_id", columns="month", values="mrr", aggfunc="sum", fill_value=0.0
    )
    wide = wide.reindex(columns=[s, e], fill_value=0.0)
    wide.columns = ["start_mrr", "end_mrr"]
    cohort = wide[wide["start_mrr"] > 0].copy()
    cohort["kept"] = np.minimum(cohort["end_mrr"], cohort["start_mrr"])
    cohort["lost"] = cohort["end_mrr"] <= 0
    if by is None:
        groups = pd.Series("all", index=cohort.index, name="group")
    else:
        if accounts is None:
            raise ValueError("pass accounts= to break retention down by an account column")
        groups = accounts.set_index("account_id")[by].reindex(cohort.index)
    g = cohort.groupby(groups, observed=True)
    out = pd.DataFrame(
        {
            "accounts": g.size(),
            "start_mrr": g["start_mrr"].sum(),
            "end_mrr": g["end_mrr"].sum(),
        }
    )
    out["grr"] = g["kept"].sum() / out["start_mrr"]
    out["nrr"] = out["end_mrr"] / out["start_mrr"]
    out["logo_churn"] = g["lost"].mean()
    out.index.name = by
    return out


def trailing_year(mrr_monthly: pd.DataFrame, as_of, **kwargs) -> pd.DataFrame:
    """:func:`revenue_retention` over the twelve months ending in the month of ``as_of``."""
    end = _month(as_of)
    return revenue_retention(mrr_monthly, end - pd.DateOffset(months=12), end, **kwargs)
