"""Early warning (principle 2): usage drops that precede churn, and how much notice they give.

An alert fires in a week when an account's recent usage (mean of the last ``recent_weeks``)
falls below ``1 - drop`` times its baseline (mean of the ``baseline_weeks`` before that).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def usage_alerts(
    usage: pd.DataFrame,
    *,
    metric: str = "active_users",
    recent_weeks: int = 4,
    baseline_weeks: int = 12,
    drop: float = 0.4,
) -> pd.DataFrame:
    """Per account and week: recent and baseline usage, their ratio and the alert flag."""
    u = (
        usage[["account_id", "week", metric]]
        .sort_values(["account_id", "week"])
        .reset_index(drop=True)
    )
    g = u.groupby("account_id")[metric]
    recent = g.transform(lambda s: s.rolling(recent_weeks, min_periods=recent_weeks).mean())
    base = g.transform(
        lambda s: s.shift(recent_weeks).rolling(baseline_weeks, min_periods=baseline_weeks).mean()
    )
    u["recent"] = recent
    u["baseline"] = base
    u["ratio"] = recent / base.where(base > 0)
    u["alert"] = (u["ratio"] < 1 - drop).fillna(False).astype(bool)
    return u


def lead_times(
    alerts: pd.DataFrame, churn_dates: pd.DataFrame, *, window_weeks: int = 26
) -> pd.DataFrame:
    """For each churned account: weeks between its first alert in the ``window_weeks`` before
    churn and the churn date (NaN if no alert came)."""
    churned = churn_dates.dropna(subset=["churn_date"])[["account_id", "churn_date"]]
    a = alerts[alerts["alert"]].merge(churned, on="account_id")
    weeks = (a["churn_date"] - a["week"]).dt.days / 7
    a = a[(weeks > 0) & (weeks <= window_weeks)].assign(weeks_before=weeks)
    first = a.groupby("account_id")["weeks_before"].max()
    out = churned.set_index("account_id")
    out["lead_weeks"] = first.reindex(out.index)
    return out


def threshold_table(
    usage: pd.DataFrame,
    churn_dates: pd.DataFrame,
    *,
    drops=(0.2, 0.3, 0.4, 0.5, 0.6),
    min_lead_weeks: int = 4,
    horizon_weeks: int = 26,
    **alert_kwargs,
) -> pd.DataFrame:
    """How the alert threshold trades warning against false alarms.

    Columns: ``churners_warned`` (share of churned accounts alerted at least
    ``min_lead_weeks`` ahead), ``median_lead_weeks`` among them, ``alert_precision`` (share
    of alert weeks followed by churn within ``horizon_weeks``) and ``alert_weeks_share``
    (how often the alert is on at all).
    """
    rows = {}
    observable = churn_dates.dropna(subset=["churn_date"])
    observable = observable[
        observable["churn_date"] - observable["start"] >= pd.Timedelta(weeks=20)
    ]
    for drop in drops:
        al = usage_alerts(usage, drop=drop, **alert_kwargs)
        lt = lead_times(al, observable, window_weeks=horizon_weeks)
        warned = lt["lead_weeks"] >= min_lead_weeks
        on = al[al["alert"]].merge(
            churn_dates[["account_id", "churn_date"]], on="account_id", how="left"
        )
        ahead = (on["churn_date"] - on["week"]).dt.days / 7
        followed = (ahead > 0) & (ahead <= horizon_weeks)
        rows[drop] = {
            "churners_warned": float(warned.mean()),
            "median_lead_weeks": float(lt.loc[warned, "lead_weeks"].median())
            if warned.any()
            else np.nan,
            "alert_precision": float(followed.mean()) if len(on) else np.nan,
            "alert_weeks_share": float(al["alert"].mean()),
        }
    return pd.DataFrame(rows).T.rename_axis("drop")


def trajectory_before(
    usage: pd.DataFrame, churn_dates: pd.DataFrame, *, metric: str = "active_users", weeks: int = 26
) -> pd.DataFrame:
    """Usage of churned accounts in the ``weeks`` before churn, relative to each account's
    own mean over weeks ``weeks``–``weeks - 7`` before churn (so 1.0 = its usual level).

    Returns a long frame: ``account_id``, ``weeks_before`` (1 = the last week) and ``relative``.
    """
    c = churn_dates.dropna(subset=["churn_date"])[["account_id", "churn_date"]]
    u = usage[["account_id", "week", metric]].merge(c, on="account_id")
    u["weeks_before"] = np.ceil((u["churn_date"] - u["week"]).dt.days / 7).astype(int)
    u = u[(u["weeks_before"] >= 1) & (u["weeks_before"] <= weeks)]
    base = u[u["weeks_before"] > weeks - 8].groupby("account_id")[metric].mean()
    u["relative"] = u[metric] / u["account_id"].map(base.where(base > 0))
    return u.dropna(subset=["relative"])[["account_id", "weeks_before", "relative"]].reset_index(
        drop=True
    )
