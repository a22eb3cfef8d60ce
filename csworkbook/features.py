"""Account features computed strictly from data before an observation date.

Every function takes ``obs``, a frame with ``account_id`` and ``obs_date`` (one row per
observation), and returns a frame aligned to ``obs``'s index. Only rows dated before
``obs_date - lead_days`` are seen, so labels after the observation date cannot leak in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
    recent = window_agg(obs, usage, "week", aggs, days=28, lead_days=lead_days)
    base = window_agg(obs, usage, "week", aggs, days=84, lead_days=lead_days + 28)
    out = pd.DataFrame(index=obs.index)
    out["active_share"] = recent["active_users"] / seats.clip(lower=1)
    out["sessions_per_user"] = recent["sessions"] / recent["active_users"].replace(0, np.nan)
    out["key_actions_per_week"] = recent["key_actions"]
    out["features_used"] = recent["features_used"]
    out["active_users_trend"] = np.log1p(recent["active_users"]) - np.log1p(base["active_users"])
    out["key_actions_trend"] = np.log1p(recent["key_actions"]) - np.log1p(base["key_actions"])
    return out
