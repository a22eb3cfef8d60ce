"""Account features computed strictly from data before an observation date.

Every function takes ``obs``, a frame with ``account_id`` and ``obs_date`` (one row per
observation), and returns a frame aligned to ``obs``'s index. Only rows dated before
``obs_date - lead_days`` are seen, so labels after the observation date cannot leak in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .windows import Timeline, window_reach

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


def completed_weeks(usage: pd.DataFrame) -> pd.DataFrame:
    """Weekly rows dated by the week's last day (Sunday): a week counts before a date only
    once it is over, so a Wednesday observation never sees that week's Thursday."""
    return usage.assign(week=usage["week"] + pd.Timedelta(days=6))


_USAGE_MEANS = {
    c: (c, "mean") for c in ["active_users", "sessions", "key_actions", "features_used"]
}


def usage_features(
    obs: pd.DataFrame, usage, seats: pd.Series, *, lead_days: int = 30
) -> pd.DataFrame:
    """Level, breadth and trend of product usage before each observation.

    ``usage`` is the weekly usage table (or a :class:`Timeline` of its completed weeks);
    ``seats`` gives licensed seats per observation (aligned to ``obs``).
    """
    weeks = usage if isinstance(usage, Timeline) else Timeline(completed_weeks(usage), "week")
    weeks = weeks.around(obs, 112, lead_days)
    recent = weeks.agg(obs, _USAGE_MEANS, days=28, lead_days=lead_days)
    base = weeks.agg(obs, _USAGE_MEANS, days=84, lead_days=lead_days + 28)
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

    # every window looks the observations' accounts up: categories make that one lookup per
    # account instead of one per observation
    keyed = obs.assign(account_id=pd.Categorical.from_codes(*pd.factorize(obs["account_id"])))
    # each table is ordered once for all of its windows; usage keeps its whole history for
    # the last active week. Weeks are dated by their last day, as in completed_weeks.
    u = ds.usage
    weeks = {"account_id": u["account_id"], "week": u["week"] + pd.Timedelta(days=6)}
    weeks = Timeline(pd.DataFrame(weeks | {c: u[c] for c in _USAGE_MEANS}, copy=False), "week")
    out = [usage_features(keyed, weeks, obs["seats"], lead_days=lead_days)]
    n, t, e, tp = ds.nps, ds.tickets, ds.stakeholder_events, ds.touchpoints
    # fmt: off
    events = [  # table, its date, columns the windows read, then (days, aggregations) per window
        (n, n["date"], {"score": n["score"], "detractor": n["score"] <= 6},
         [(365, {"recommend_mean": ("score", "mean"), "nps_detractors": ("detractor", "sum")})]),
        (t, t["opened_at"], {"low": t["csat"] <= 2, "urgent": t["priority"] == "urgent"},
         [(180, {"low_csat_tickets": ("low", "sum"), "urgent_tickets": ("urgent", "sum")})]),
        (e, e["date"], {"champ": e["event"] == "champion_left",
                        "other": e["event"] != "champion_left"},
         [(240, {"champion_left": ("champ", "sum"), "sponsor_or_reorg": ("other", "sum")})]),
        (tp, tp["date"], {"review": tp["kind"].isin(["qbr", "ebr"]),
                          "neg": tp["sentiment"] == "negative",
                          "pos": tp["sentiment"] == "positive"},
         [(365, {"business_reviews": ("review", "sum")}),
          (180, {"negative_touches": ("neg", "sum"), "positive_touches": ("pos", "sum")})]),
    ]
    # fmt: on
    for table, date, cols, windows in events:
        # only the columns the windows read, uncopied: event tables can be large
        rows = pd.DataFrame({"account_id": table["account_id"], "date": date, **cols}, copy=False)
        tl = Timeline(rows, "date", window_reach(obs, max(d for d, _ in windows), lead_days))
        out += [tl.agg(keyed, aggs, days=d, lead_days=lead_days) for d, aggs in windows]
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
    out = pd.concat(out, axis=1)
    out["days_to_first_value"] = np.asarray(ttv, dtype=float)
    out["icp_fit"] = acc["icp_fit"].reindex(obs["account_id"]).to_numpy()
    last = weeks.subset(ds.usage["active_users"] > 0).agg(
        keyed, {"last": ("week", "max")}, days=3650, lead_days=lead_days
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


def in_force(contracts: pd.DataFrame, obs: pd.DataFrame, column: str, *, live=None) -> pd.Series:
    """Sum of ``column`` (seats, ARR) over each observation's contracts in force on its date;
    ``live``, the rows of :func:`contracts_in_force` if already joined, saves joining again."""
    c = contracts_in_force(contracts, obs, [column]) if live is None else live
    total = c.groupby("_obs")[column].sum().reindex(range(len(obs)), fill_value=0)
    return pd.Series(total.to_numpy(dtype=float), index=obs.index, name=column)


def seats_at(contracts: pd.DataFrame, obs: pd.DataFrame) -> pd.Series:
    """Licensed seats of each observation's account on its date (contracts in force)."""
    return in_force(contracts, obs, "seats")
