"""Account features computed strictly from data before an observation date.

Every function takes ``obs``, a frame with ``account_id`` and ``obs_date`` (one row per
observation), and returns a frame aligned to ``obs``'s index. Only rows dated before
``obs_date - lead_days`` are seen, so labels after the observation date cannot leak in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Features the workbook's models use: usage alone, then everything else a CS team can see.
USAGE_FEATURES = [
    "active_share",
    "sessions_per_user",
    "key_actions_per_week",
    "features_used",
    "active_users_trend",
    "key_actions_trend",
]
# More behaviour, kept out of the two lists above so README's AUC comparison stays as defined.
BEHAVIOUR_EXTRAS = [
    "days_since_active",
    "tenure_days",
    "key_actions_pct_change",
    "business_reviews_per_year",
]
OTHER_FEATURES = [
    "recommend_mean",
    "nps_detractors",
    "low_csat_tickets",
    "urgent_tickets",
    "champion_left",
    "sponsor_or_reorg",
    "business_reviews",
    "negative_touches",
    "positive_touches",
    "days_to_first_value",
    "icp_fit",
]


def window_agg(
    obs: pd.DataFrame,
    table: pd.DataFrame,
    date_col: str,
    aggs: dict[str, tuple[str, str]],
    *,
    days: int,
    lead_days: int = 0,
) -> pd.DataFrame:
    """Aggregate ``table`` rows of each observation's account dated in
    ``[obs_date - lead_days - days, obs_date - lead_days)``.

    Parameters
    ----------
    obs : DataFrame
        ``account_id`` and ``obs_date`` columns.
    table : DataFrame
        Rows with ``account_id`` and ``date_col``.
    aggs : dict
        Output column -> (input column, pandas aggregation name), as for ``DataFrame.agg``.
    days, lead_days : int
        Window length and the gap left before the observation date.

    Returns
    -------
    DataFrame indexed like ``obs``; observations with no rows get NaN (counts get 0).

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"account_id": ["a"], "obs_date": pd.to_datetime(["2025-03-01"])})
    >>> t = pd.DataFrame({"account_id": ["a", "a"], "date": pd.to_datetime(["2025-01-15", "2025-02-27"])})
    >>> window_agg(obs, t, "date", {"n": ("date", "count")}, days=60, lead_days=7)["n"].tolist()
    [1]
    """
    o = obs[["account_id", "obs_date"]].reset_index(drop=True)
    o["_obs"] = np.arange(len(o))
    m = o.merge(table, on="account_id", how="inner")
    hi = m["obs_date"] - pd.Timedelta(days=lead_days)
    m = m[(m[date_col] < hi) & (m[date_col] >= hi - pd.Timedelta(days=days))]
    out = m.groupby("_obs").agg(**{k: pd.NamedAgg(c, f) for k, (c, f) in aggs.items()})
    out = out.reindex(range(len(obs)))
    for k, (_, f) in aggs.items():
        if f in ("count", "size", "sum"):
            out[k] = out[k].fillna(0)
    out.index = obs.index
    return out


def completed_weeks(usage: pd.DataFrame) -> pd.DataFrame:
    """Weekly rows dated by the week's last day (Sunday): a week counts before a date only
    once it is over, so a Wednesday observation never sees that week's Thursday."""
    return usage.assign(week=usage["week"] + pd.Timedelta(days=6))


def usage_features(
    obs: pd.DataFrame, usage: pd.DataFrame, seats: pd.Series, *, lead_days: int = 30
) -> pd.DataFrame:
    """Level, breadth and trend of product usage before each observation.

    ``seats`` gives licensed seats per observation (aligned to ``obs``).
    """
    aggs = {
        "active_users": ("active_users", "mean"),
        "sessions": ("sessions", "mean"),
        "key_actions": ("key_actions", "mean"),
        "features_used": ("features_used", "mean"),
    }
    usage = completed_weeks(usage)
    recent = window_agg(obs, usage, "week", aggs, days=28, lead_days=lead_days)
    base = window_agg(obs, usage, "week", aggs, days=84, lead_days=lead_days + 28)
    out = pd.DataFrame(index=obs.index)
    out["active_share"] = recent["active_users"] / seats.clip(lower=1)
    out["sessions_per_user"] = recent["sessions"] / recent["active_users"].replace(0, np.nan)
    out["key_actions_per_week"] = recent["key_actions"]
    out["features_used"] = recent["features_used"]
    out["key_actions_pct_change"] = (
        recent["key_actions"] / base["key_actions"].replace(0, np.nan) - 1
    )
    out["active_users_trend"] = log_ratio(recent["active_users"], base["active_users"])
    out["key_actions_trend"] = log_ratio(recent["key_actions"], base["key_actions"])
    return out


# numpy's log, exp and friends are vectorised per CPU (AVX-512, AVX2, NEON) and may differ in
# the last bit between machines; tree models bin features at quantiles, so one bit can move a
# customer across a bin edge and grow another tree. Rounding far below any meaningful
# difference makes such features identical on every machine.
STABLE_DECIMALS = 9


def log_ratio(recent: pd.Series, base: pd.Series) -> pd.Series:
    """``log(1 + recent) - log(1 + base)``: the trend of a count, symmetric for rises and
    falls, rounded to :data:`STABLE_DECIMALS` so it is the same on every machine.

    >>> import pandas as pd
    >>> log_ratio(pd.Series([3.0, 1.0]), pd.Series([1.0, 3.0])).round(3).tolist()
    [0.693, -0.693]
    """
    return (np.log1p(recent) - np.log1p(base)).round(STABLE_DECIMALS)


def account_signals(ds, obs: pd.DataFrame, *, lead_days: int = 0) -> pd.DataFrame:
    """Usage and non-usage signals known ``lead_days`` before each observation date.

    ``obs`` needs ``account_id``, ``obs_date`` and ``seats`` (licensed seats at that date).
    Returns :data:`USAGE_FEATURES` and :data:`OTHER_FEATURES` columns aligned to ``obs``."""
    out = usage_features(obs, ds.usage, obs["seats"], lead_days=lead_days)
    nps = window_agg(
        obs,
        ds.nps.assign(detractor=ds.nps["score"] <= 6),
        "date",
        {"recommend_mean": ("score", "mean"), "nps_detractors": ("detractor", "sum")},
        days=365,
        lead_days=lead_days,
    )
    t = ds.tickets.assign(
        date=ds.tickets["opened_at"],
        low=ds.tickets["csat"] <= 2,
        urgent=ds.tickets["priority"] == "urgent",
    )
    tix = window_agg(
        obs,
        t,
        "date",
        {"low_csat_tickets": ("low", "sum"), "urgent_tickets": ("urgent", "sum")},
        days=180,
        lead_days=lead_days,
    )
    st = ds.stakeholder_events.assign(
        champ=ds.stakeholder_events["event"] == "champion_left",
        other=ds.stakeholder_events["event"] != "champion_left",
    )
    stake = window_agg(
        obs,
        st,
        "date",
        {"champion_left": ("champ", "sum"), "sponsor_or_reorg": ("other", "sum")},
        days=240,
        lead_days=lead_days,
    )
    tp = ds.touchpoints.assign(
        review=ds.touchpoints["kind"].isin(["qbr", "ebr"]),
        neg=ds.touchpoints["sentiment"] == "negative",
        pos=ds.touchpoints["sentiment"] == "positive",
    )
    reviews = window_agg(
        obs, tp, "date", {"business_reviews": ("review", "sum")}, days=365, lead_days=lead_days
    )
    mood = window_agg(
        obs,
        tp,
        "date",
        {"negative_touches": ("neg", "sum"), "positive_touches": ("pos", "sum")},
        days=180,
        lead_days=lead_days,
    )
    fv = ds.milestones[ds.milestones["milestone"] == "first_value"].set_index("account_id")[
        "achieved_date"
    ]
    acc = ds.accounts.set_index("account_id")
    first = acc["first_contract_date"].reindex(obs["account_id"]).to_numpy()
    cutoff = obs["obs_date"] - pd.Timedelta(days=lead_days)
    reached = pd.to_datetime(fv.reindex(obs["account_id"]).to_numpy())
    # first value not reached by the cutoff is not known yet: count the days waited so far,
    # a lower bound that grows while the customer waits (never the future date itself)
    seen = reached.where(reached <= cutoff.to_numpy(), cutoff.to_numpy())
    ttv = (pd.DatetimeIndex(seen) - pd.DatetimeIndex(first)).days
    out = pd.concat([out, nps, tix, stake, reviews, mood], axis=1)
    out["days_to_first_value"] = np.asarray(ttv, dtype=float)
    out["icp_fit"] = acc["icp_fit"].reindex(obs["account_id"]).to_numpy()
    last = window_agg(
        obs,
        completed_weeks(ds.usage[ds.usage["active_users"] > 0]),
        "week",
        {"last": ("week", "max")},
        days=3650,
        lead_days=lead_days,
    )["last"]
    out["days_since_active"] = (cutoff - last).dt.days.astype(float)
    out["tenure_days"] = (cutoff.to_numpy() - first).astype("timedelta64[D]").astype(float)
    out["business_reviews_per_year"] = tenure_scaled(
        out["business_reviews"], out["tenure_days"], 365
    )
    return out[USAGE_FEATURES + OTHER_FEATURES + BEHAVIOUR_EXTRAS]


def tenure_scaled(counts: pd.Series, tenure_days: pd.Series, window_days: int) -> pd.Series:
    """Scale a count over a ``window_days`` window up for customers younger than the window,
    so a three-month-old account is not judged on a year's worth of opportunities.

    >>> import pandas as pd
    >>> tenure_scaled(pd.Series([2.0, 2.0]), pd.Series([91.0, 730.0]), 365).round(2).tolist()
    [8.02, 2.0]
    """
    exposure = np.clip(tenure_days.to_numpy(dtype=float), 1, window_days)
    return counts * window_days / exposure


def contracts_in_force(contracts: pd.DataFrame, obs: pd.DataFrame, columns: list) -> pd.DataFrame:
    """One row per observation and contract in force on its date; ``_obs`` is the
    observation's position in ``obs``."""
    m = obs[["account_id", "obs_date"]].reset_index(drop=True)
    m["_obs"] = np.arange(len(m))
    wanted = list(dict.fromkeys(["account_id", "start_date", "end_date", *columns]))
    c = m.merge(contracts[wanted], on="account_id")
    live = (c["start_date"] <= c["obs_date"]) & (
        c["end_date"].isna() | (c["end_date"] > c["obs_date"])
    )
    return c[live]


def in_force(contracts: pd.DataFrame, obs: pd.DataFrame, column: str) -> pd.Series:
    """Sum of ``column`` (seats, ARR) over each observation's contracts in force on its date."""
    c = contracts_in_force(contracts, obs, [column])
    total = c.groupby("_obs")[column].sum().reindex(range(len(obs)), fill_value=0)
    return pd.Series(total.to_numpy(dtype=float), index=obs.index, name=column)


def seats_at(contracts: pd.DataFrame, obs: pd.DataFrame) -> pd.Series:
    """Licensed seats of each observation's account on its date (contracts in force)."""
    return in_force(contracts, obs, "seats")
