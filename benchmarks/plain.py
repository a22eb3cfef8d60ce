"""The plain-pandas yardstick for the health frame: the same signals, written the obvious way.

One merge per event table of the observations with the rows some window can see, then a
date mask and a ``groupby`` per window; ``merge_asof`` for the last active week; one merge
with the contracts for seats, ARR and the next renewal. ``bench_speed.py`` asserts that it
gives a frame identical to :func:`csworkbook.health.health_frame` before timing either.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csworkbook.retention.features import BEHAVIOUR_EXTRAS, OTHER_FEATURES, USAGE_FEATURES
from csworkbook.retention.observations import account_churn_dates


def _windows(obs, table, date_col, specs):
    """``specs``: (days, lead_days, {output: (column, aggregation)}) per window."""
    o = obs[["account_id", "obs_date"]].assign(_obs=np.arange(len(obs)))
    reach = max(days + lead for days, lead, _ in specs)
    t = table[
        (table[date_col] >= obs["obs_date"].min() - pd.Timedelta(days=reach))
        & (table[date_col] < obs["obs_date"].max())
    ]
    m = o.merge(t, on="account_id")
    out = []
    for days, lead, aggs in specs:
        hi = m["obs_date"] - pd.Timedelta(days=lead)
        w = m[(m[date_col] < hi) & (m[date_col] >= hi - pd.Timedelta(days=days))]
        r = w.groupby("_obs").agg(**aggs).reindex(range(len(obs)))
        for k, (_, f) in aggs.items():
            if f in ("count", "size", "sum"):
                r[k] = r[k].fillna(0)
        r.index = obs.index
        out.append(r)
    return out


def _trend(recent, base):
    return (np.log1p(recent) - np.log1p(base)).round(9)


def plain_health_frame(ds, dates, *, horizon_days: int = 90) -> pd.DataFrame:
    """What :func:`csworkbook.health.health_frame` computes, in plain pandas."""
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
    n = len(obs)

    # contracts in force on each date: seats, ARR and the next term boundary
    c = (
        obs[["account_id", "obs_date"]]
        .assign(_obs=np.arange(n))
        .merge(
            ds.contracts[["account_id", "start_date", "end_date", "term_months", "seats", "arr"]]
        )
    )
    c = c[
        (c["start_date"] <= c["obs_date"])
        & (c["end_date"].isna() | (c["end_date"] > c["obs_date"]))
    ]
    seats = c.groupby("_obs")["seats"].sum().reindex(range(n), fill_value=0).to_numpy(dtype=float)
    arr = c.groupby("_obs")["arr"].sum().reindex(range(n), fill_value=0).to_numpy(dtype=float)
    start_m = c["start_date"].to_numpy().astype("datetime64[M]")
    day = (c["start_date"].dt.day - 1).to_numpy().astype("timedelta64[D]")
    term = c["term_months"].to_numpy(dtype=int)
    k = (c["obs_date"].to_numpy().astype("datetime64[M]") - start_m).astype(int) // term
    due = (start_m + (k * term).astype("timedelta64[M]")).astype("datetime64[D]") + day
    later = (start_m + ((k + 1) * term).astype("timedelta64[M]")).astype("datetime64[D]") + day
    c = c.assign(due=pd.to_datetime(np.where(due <= c["obs_date"].to_numpy(), later, due)))
    renewal = c.groupby("_obs")["due"].min().reindex(range(n)).to_numpy()

    weeks = ds.usage.assign(week=ds.usage["week"] + pd.Timedelta(days=6))
    means = {c: (c, "mean") for c in ["active_users", "sessions", "key_actions", "features_used"]}
    recent, base = _windows(obs, weeks, "week", [(28, 0, means), (84, 28, means)])
    nps = ds.nps.assign(detractor=ds.nps["score"] <= 6)
    (voice,) = _windows(
        obs,
        nps,
        "date",
        [(365, 0, {"recommend_mean": ("score", "mean"), "nps_detractors": ("detractor", "sum")})],
    )
    tix = ds.tickets.assign(
        date=ds.tickets["opened_at"],
        low=ds.tickets["csat"] <= 2,
        urgent=ds.tickets["priority"] == "urgent",
    )
    (support,) = _windows(
        obs,
        tix,
        "date",
        [(180, 0, {"low_csat_tickets": ("low", "sum"), "urgent_tickets": ("urgent", "sum")})],
    )
    ev = ds.stakeholder_events
    st = ev.assign(champ=ev["event"] == "champion_left", other=ev["event"] != "champion_left")
    (stake,) = _windows(
        obs,
        st,
        "date",
        [(240, 0, {"champion_left": ("champ", "sum"), "sponsor_or_reorg": ("other", "sum")})],
    )
    tp = ds.touchpoints.assign(
        review=ds.touchpoints["kind"].isin(["qbr", "ebr"]),
        neg=ds.touchpoints["sentiment"] == "negative",
        pos=ds.touchpoints["sentiment"] == "positive",
    )
    reviews, mood = _windows(
        obs,
        tp,
        "date",
        [
            (365, 0, {"business_reviews": ("review", "sum")}),
            (180, 0, {"negative_touches": ("neg", "sum"), "positive_touches": ("pos", "sum")}),
        ],
    )

    # the last active week strictly before each date (and within ten years)
    active = weeks.loc[weeks["active_users"] > 0, ["account_id", "week"]]
    active = active.astype({"account_id": object}).sort_values("week")
    q = obs[["account_id", "obs_date"]].assign(_obs=np.arange(n)).sort_values("obs_date")
    q = q.astype({"account_id": object})
    last = pd.merge_asof(
        q, active, left_on="obs_date", right_on="week", by="account_id", allow_exact_matches=False
    )
    last = last.set_index("_obs")["week"].reindex(range(n))
    last = last.where(last >= obs["obs_date"] - pd.Timedelta(days=3650))
    last.index = obs.index

    acc = ds.accounts.set_index("account_id")
    first = acc["first_contract_date"].reindex(obs["account_id"]).to_numpy()
    fv = ds.milestones[ds.milestones["milestone"] == "first_value"].set_index("account_id")
    reached = pd.to_datetime(fv["achieved_date"].reindex(obs["account_id"]).to_numpy())
    cutoff = obs["obs_date"]
    seen = reached.where(reached <= cutoff.to_numpy(), cutoff.to_numpy())

    X = pd.DataFrame(index=obs.index)
    X["active_share"] = recent["active_users"] / pd.Series(seats, index=obs.index).clip(lower=1)
    X["sessions_per_user"] = recent["sessions"] / recent["active_users"].replace(0, np.nan)
    X["key_actions_per_week"] = recent["key_actions"]
    X["features_used"] = recent["features_used"]
    X["key_actions_pct_change"] = recent["key_actions"] / base["key_actions"].replace(0, np.nan) - 1
    X["active_users_trend"] = _trend(recent["active_users"], base["active_users"])
    X["key_actions_trend"] = _trend(recent["key_actions"], base["key_actions"])
    X = pd.concat([X, voice, support, stake, reviews, mood], axis=1)
    X["days_to_first_value"] = np.asarray(
        (pd.DatetimeIndex(seen) - pd.DatetimeIndex(first)).days, dtype=float
    )
    X["icp_fit"] = acc["icp_fit"].reindex(obs["account_id"]).to_numpy()
    X["days_since_active"] = (cutoff - last).dt.days.astype(float)
    X["tenure_days"] = (cutoff.to_numpy() - first).astype("timedelta64[D]").astype(float)
    exposure = np.clip(X["tenure_days"].to_numpy(dtype=float), 1, 365)
    X["business_reviews_per_year"] = X["business_reviews"] * 365 / exposure
    X = X[USAGE_FEATURES + OTHER_FEATURES + BEHAVIOUR_EXTRAS]

    out = pd.concat([obs[["account_id", "obs_date", "churn_date", "churned"]], X], axis=1)
    out["segment"] = obs["account_id"].map(acc["segment"]).to_numpy()
    out["touch_model"] = obs["account_id"].map(acc["touch_model"]).to_numpy()
    out["arr"] = pd.Series(arr, index=obs.index, name="arr")
    out["next_renewal"] = pd.Series(renewal, index=obs.index, name="next_renewal")
    return out
