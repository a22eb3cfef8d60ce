"""The measures a health score reads: one row per customer and scoring date.

Every value is computed from data dated before the scoring date (the same leakage-safe
signals as the churn models, :func:`csworkbook.retention.features.account_signals`), plus what a CS
team knows about the account on that date: segment, touch model, tenure, ARR and the next
renewal. Where the future is already in the data (backtests), ``churned`` says whether the
account churned within ``horizon_days`` after the date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..retention.features import contracts_in_force, in_force
from ..retention.observations import account_churn_dates, signals


def scoring_dates(as_of, *, weeks: int = 52, every_days: int = 7) -> pd.DatetimeIndex:
    """``weeks`` weekly dates ending on ``as_of`` (the history a scorecard builds)."""
    end = pd.Timestamp(as_of)
    n = int(weeks * 7 // every_days)
    return pd.DatetimeIndex([end - pd.Timedelta(days=every_days * k) for k in range(n)][::-1])


def next_renewal(contracts: pd.DataFrame, obs: pd.DataFrame) -> pd.Series:
    """The next term boundary after each observation date among the account's contracts in
    force (start + k x term), i.e. the renewal a CSM would be working towards."""
    return _next_renewal(contracts_in_force(contracts, obs, ["term_months"]), obs)


def _next_renewal(c: pd.DataFrame, obs: pd.DataFrame) -> pd.Series:
    start_m = c["start_date"].to_numpy().astype("datetime64[M]")
    day = (c["start_date"].dt.day - 1).to_numpy().astype("timedelta64[D]")
    term = c["term_months"].to_numpy(dtype=int)
    k = (c["obs_date"].to_numpy().astype("datetime64[M]") - start_m).astype(int) // term

    def boundary(k):
        return (start_m + (k * term).astype("timedelta64[M]")).astype("datetime64[D]") + day

    due = boundary(k)
    due = np.where(due <= c["obs_date"].to_numpy(), boundary(k + 1), due)
    c = c.assign(due=pd.to_datetime(due))
    first = c.groupby("_obs")["due"].min().reindex(range(len(obs)))
    return pd.Series(first.to_numpy(), index=obs.index, name="next_renewal")


def health_frame(ds, dates, *, horizon_days: int = 90) -> pd.DataFrame:
    """Signals, context and (where observable) the churn label per customer and date.

    Parameters
    ----------
    ds : Dataset
        Needs accounts, contracts and mrr_monthly (churn dates). Signals come from usage,
        nps, tickets, touchpoints, stakeholder_events and milestones; those of a table the
        dataset lacks are NA, and the scorecard's missing-data policy decides what that means.
    dates : list of date-like
        Scoring dates. A customer is scored on a date when it has started and not churned.
    horizon_days : int
        ``churned`` is True when the account churns within this many days after the date,
        NA when the data ends before the window does.

    Examples
    --------
    >>> frame = health_frame(ds, scoring_dates(ds.as_of, weeks=4))  # doctest: +SKIP
    """
    life = account_churn_dates(ds)
    obs = life.merge(pd.DataFrame({"obs_date": pd.DatetimeIndex(dates)}), how="cross")
    alive = (obs["start"] <= obs["obs_date"]) & (
        obs["churn_date"].isna() | (obs["churn_date"] > obs["obs_date"])
    )
    obs = obs[alive].sort_values(["obs_date", "account_id"]).reset_index(drop=True)
    until = (obs["churn_date"] - obs["obs_date"]).dt.days
    observable = obs["obs_date"] + pd.Timedelta(days=horizon_days) <= ds.as_of
    obs["churned"] = pd.array(
        np.where(observable, until.le(horizon_days).to_numpy(), pd.NA), dtype="boolean"
    )
    # one join of the observations with their contracts in force serves seats, ARR, renewal
    live = contracts_in_force(ds.contracts, obs, ["seats", "arr", "term_months"])
    obs["seats"] = in_force(ds.contracts, obs, "seats", live=live)
    X = signals(ds, obs, lead_days=0)
    acc = ds.accounts.set_index("account_id")
    out = pd.concat([obs[["account_id", "obs_date", "churn_date", "churned"]], X], axis=1)
    out["segment"] = obs["account_id"].map(acc["segment"]).to_numpy()
    out["touch_model"] = obs["account_id"].map(acc["touch_model"]).to_numpy()
    out["arr"] = in_force(ds.contracts, obs, "arr", live=live)
    out["next_renewal"] = _next_renewal(live, obs)
    return out
