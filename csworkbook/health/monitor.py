"""Health over time: weekly history, trend arrows, movers and calls to action."""

from __future__ import annotations

import numpy as np
import pandas as pd


def trend(history: pd.DataFrame, *, days: int = 28, step: float = 5.0) -> pd.DataFrame:
    """Each row's score change against the same account ``days`` earlier, and an arrow:
    ↑ when it rose by ``step`` points or more, ↓ when it fell by as much, → otherwise.

    ``history`` needs ``account_id``, ``obs_date`` and ``score`` (one row per account and
    date). Rows without an earlier score get no arrow.

    Examples
    --------
    >>> h = pd.DataFrame({"account_id": ["A"] * 3, "score": [80.0, 70.0, 60.0],
    ...     "obs_date": pd.to_datetime(["2025-01-01", "2025-01-29", "2025-02-26"])})
    >>> trend(h)["arrow"].tolist()
    ['', '↓', '↓']
    """
    h = history[["account_id", "obs_date", "score"]]
    earlier = h.assign(obs_date=h["obs_date"] + pd.Timedelta(days=days)).rename(
        columns={"score": "score_before"}
    )
    out = history.merge(earlier, on=["account_id", "obs_date"], how="left")
    out["change"] = out["score"] - out["score_before"]
    out["arrow"] = np.select(
        [out["change"] >= step, out["change"] <= -step, out["change"].notna()], ["↑", "↓", "→"], ""
    )
    out.index = history.index
    return out


def movers(history: pd.DataFrame, as_of, *, days: int = 28, drop: float = 10.0) -> pd.DataFrame:
    """Accounts whose score fell by at least ``drop`` points in ``days`` up to ``as_of``,
    largest fall first."""
    t = trend(history, days=days)
    now = t[t["obs_date"] == pd.Timestamp(as_of)]
    out = now[now["change"] <= -drop].sort_values("change")
    return out.reset_index(drop=True)


def calls_to_action(
    history: pd.DataFrame,
    as_of,
    *,
    drop: float = 15.0,
    days: int = 28,
    renewal_days: int = 90,
    worst: str = "red",
    best: str = "green",
) -> pd.DataFrame:
    """The rules layer: one row per account and rule that fires on ``as_of``.

    Rules: the account **entered the worst band** since the previous scoring date; its score
    **dropped** by ``drop`` points or more in ``days``; its **renewal** falls within
    ``renewal_days`` and it is not in the best band. ``history`` needs ``account_id``,
    ``obs_date``, ``score``, ``band``, ``arr`` and ``next_renewal``. Sorted by ARR at stake.
    """
    as_of = pd.Timestamp(as_of)
    t = trend(history, days=days)
    earlier = t.loc[t["obs_date"] < as_of, "obs_date"]
    now = t[t["obs_date"] == as_of].set_index("account_id")
    rows = []
    if len(earlier):
        prev_date = earlier.max()
        prev = t[t["obs_date"] == prev_date].set_index("account_id")["band"].astype(object)
        entered = (now["band"].astype(object) == worst) & (now.index.map(prev) != worst)
        rows.append(now[entered].assign(rule=f"entered {worst}", detail=""))
    fell = now["change"] <= -drop
    rows.append(
        now[fell].assign(
            rule=f"dropped {drop:g}+ points in {days} days",
            detail=now.loc[fell, "change"].map("{:+.0f} points".format),
        )
    )
    due = (now["next_renewal"] - as_of).dt.days
    soon = (due <= renewal_days) & (now["band"].astype(object) != best)
    rows.append(
        now[soon].assign(
            rule=f"renewal within {renewal_days} days, not {best}",
            detail=due[soon].map("renews in {:.0f} days".format),
        )
    )
    out = pd.concat(rows).reset_index()
    cols = ["account_id", "rule", "detail", "score", "band", "arrow", "arr", "next_renewal"]
    return out[cols].sort_values(["arr", "account_id"], ascending=[False, True], kind="stable")
