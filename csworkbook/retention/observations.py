"""Leakage-safe observation datasets for churn analysis and prediction.

An *observation* is one account on one date. Its features use only data dated before
the observation date; its label says whether the account churns in a window that
starts ``lead_days`` after it (the time a CSM needs to act). Observations whose account
churns inside the lead time are left out and counted, never silently dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset, empty_table
from .features import USAGE_FEATURES, account_signals, seats_at
from .survival import lifetimes

# The signal columns each optional table feeds. Data without the table (or with no rows in
# it) has no such signal: the columns are NA, never a count of 0, so scorecards apply their
# missing-data policy and models their imputation.
SIGNAL_TABLES = {
    "usage": [*USAGE_FEATURES, "days_since_active", "key_actions_pct_change"],
    "nps": ["recommend_mean", "nps_detractors"],
    "tickets": ["low_csat_tickets", "urgent_tickets"],
    "stakeholder_events": ["champion_left", "sponsor_or_reorg"],
    "touchpoints": [
        "business_reviews",
        "negative_touches",
        "positive_touches",
        "business_reviews_per_year",
    ],
    "milestones": ["days_to_first_value"],
}


def signals(ds, obs: pd.DataFrame, *, lead_days: int = 0) -> pd.DataFrame:
    """:func:`~csworkbook.retention.features.account_signals` on whatever the dataset holds:
    the signals of a table it lacks (see :data:`SIGNAL_TABLES`) are NA.

    >>> crm = Dataset({t: ds[t] for t in ("accounts", "contracts", "mrr_monthly")}, ds.as_of)  # doctest: +SKIP
    >>> signals(crm, obs)["recommend_mean"].isna().all()  # no survey table: NA   # doctest: +SKIP
    True
    """
    ds.require("accounts", "contracts", to="account signals")
    absent = [t for t in SIGNAL_TABLES if t not in ds.tables or ds.tables[t].empty]
    if absent:
        ds = Dataset({**ds.tables, **{t: empty_table(t) for t in absent}}, ds.as_of, ds.meta)
    X = account_signals(ds, obs, lead_days=lead_days)
    for t in absent:
        X[SIGNAL_TABLES[t]] = np.nan
    return X


def account_churn_dates(ds) -> pd.DataFrame:
    """First paid month and churn date (first month paying nothing; NaT if still paying)."""
    ds.require("mrr_monthly", to="churn dates (they come from monthly revenue)")
    lt = lifetimes(ds.mrr_monthly)
    churn = (
        pd.PeriodIndex(lt["start"], freq="M") + lt["months"].astype(int).to_numpy()
    ).to_timestamp()
    return pd.DataFrame(
        {
            "account_id": lt["account_id"].to_numpy(),
            "start": lt["start"].to_numpy(),
            "churn_date": churn.where(lt["churned"].to_numpy()),
        }
    )


def observation_dates(
    ds,
    *,
    every_days: int = 28,
    first=None,
    lead_days: int = 28,
    horizon_days: int = 91,
    min_tenure_days: int = 28,
) -> pd.DataFrame:
    """One row per account and observation date while the account is a customer.

    Parameters
    ----------
    ds : Dataset
    every_days : int, default 28
        Interval between observation dates.
    first : date-like, optional
        First observation date (default: a year after the data starts).
    lead_days, horizon_days : int
        The label is churn within ``(obs_date + lead_days, obs_date + lead_days + horizon_days]``.
        Dates too late for the whole window to be observed before ``as_of`` are not produced.
    min_tenure_days : int
        Skip accounts younger than this on the date (too little behaviour to judge).

    Returns
    -------
    DataFrame with ``account_id``, ``obs_date``, ``churned`` and ``seats``;
    ``attrs["left_out"]`` counts observations whose account churned inside the lead time.
    """
    life = account_churn_dates(ds)
    data_start = ds.mrr_monthly["month"].min()
    first = pd.Timestamp(first) if first is not None else data_start + pd.DateOffset(years=1)
    last = ds.as_of - pd.Timedelta(days=lead_days + horizon_days)
    if last < first:
        raise ValueError(
            f"no observation date fits: the label window of {lead_days}+{horizon_days} days needs "
            f"data after {first.date()}; the data ends {ds.as_of.date()}"
        )
    dates = pd.date_range(first, last, freq=f"{every_days}D")
    obs = life.merge(pd.DataFrame({"obs_date": dates}), how="cross")
    alive = (obs["start"] + pd.Timedelta(days=min_tenure_days) <= obs["obs_date"]) & (
        obs["churn_date"].isna() | (obs["churn_date"] > obs["obs_date"])
    )
    obs = obs[alive]
    until = obs["churn_date"] - obs["obs_date"]
    too_soon = until <= pd.Timedelta(days=lead_days)
    obs = obs[~too_soon].copy()
    obs["churned"] = (until[~too_soon] <= pd.Timedelta(days=lead_days + horizon_days)).to_numpy()
    obs = obs[["account_id", "obs_date", "churned"]].sort_values(["obs_date", "account_id"])
    obs = obs.reset_index(drop=True)
    obs["seats"] = seats_at(ds.contracts, obs)
    obs.attrs["left_out"] = {"churned_within_lead_time": int(too_soon.sum())}
    return obs


def observation_dataset(ds, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observations and their features (all computed from data before each date)."""
    obs = observation_dates(ds, **kwargs)
    X = signals(ds, obs, lead_days=0)
    seg = ds.accounts.set_index("account_id")["segment"]
    X["segment"] = obs["account_id"].map(seg).to_numpy()
    return obs, X


def current_observations(ds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every account paying in the last month, observed on ``as_of`` (no label: the future
    is unknown), with the same features as :func:`observation_dataset`: what to score today."""
    ds.require("mrr_monthly", to="today's customers (those paying in the last month)")
    last = ds.mrr_monthly["month"].max()
    live = ds.mrr_monthly.loc[ds.mrr_monthly["month"] == last, "account_id"].drop_duplicates()
    obs = pd.DataFrame(
        {"account_id": live.sort_values().to_numpy(), "obs_date": ds.as_of + pd.Timedelta(days=1)}
    )
    obs["seats"] = seats_at(ds.contracts, obs)
    X = signals(ds, obs, lead_days=0)
    X["segment"] = obs["account_id"].map(ds.accounts.set_index("account_id")["segment"]).to_numpy()
    return obs, X


def decile_churn(X: pd.DataFrame, y, *, metric: str, q: int = 10) -> pd.DataFrame:
    """Churn rate by decile of ``metric`` (ties share a bin); missing values get their own row."""
    y = pd.Series(np.asarray(y, dtype=bool), index=X.index)
    v = X[metric]
    bins = pd.qcut(v.rank(method="first"), q, labels=False) + 1
    out = y.groupby(bins).agg(observations="size", churn_rate="mean")
    out["metric_low"] = v.groupby(bins).min()
    out["metric_high"] = v.groupby(bins).max()
    if v.isna().any():
        out.loc["missing"] = [int(v.isna().sum()), float(y[v.isna()].mean()), np.nan, np.nan]
    out.index.name = f"{metric}_decile"
    return out
