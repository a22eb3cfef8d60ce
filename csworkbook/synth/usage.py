"""Users, weekly product usage and onboarding milestones.

Usage follows the account's adoption driver after an onboarding ramp set by its time to
value. Ordinary churners disengage for weeks before they leave (the early warning of
principle 2); accounts in a heavy-usage blind-spot scenario keep using the product at full
speed right up to the day they churn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, count_in_window, sigmoid
from .config import HEAVY_SCENARIOS

N_FEATURES = 12


def users(acc, max_users, end_day, ttv, events, cal: Calendar, rng) -> pd.DataFrame:
    """Named users: admin, champion, executive sponsor and end users, with replacements
    when a champion leaves or the sponsor changes."""
    n = np.maximum(max_users, 1)
    a = np.repeat(acc["idx"].to_numpy(), n)
    j = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    seg = acc["segment"].to_numpy()[a]
    role = np.select(
        [j == 0, j == 1, (j == 2) & (seg != "smb")],
        ["admin", "champion", "exec_sponsor"],
        "end_user",
    )
    first = acc["first_day"].to_numpy()[a]
    late = (role == "end_user") & (rng.random(len(a)) > 0.4)
    created = first + np.where(late, np.round(rng.exponential(2 * ttv[a])), 0)
    created = np.minimum(created, cal.last_day)
    end = end_day[a]
    leaves = first + np.round(rng.exponential(3 * 365, len(a)))
    deact = np.where(
        (role == "end_user") & (leaves < np.minimum(end, cal.last_day + 1)), leaves, end
    )
    deact = np.where(deact > cal.last_day, np.nan, np.maximum(deact, created))
    base = pd.DataFrame({"acc_idx": a, "j": j, "role": role, "created": created, "deact": deact})

    # Each departure ends the current holder of the role and brings in a successor.
    extra = []
    next_j = pd.Series(n, index=acc["idx"].to_numpy())
    for event, r in (("champion_left", "champion"), ("sponsor_changed", "exec_sponsor")):
        ev = events[events["event"] == event].sort_values(["acc_idx", "day"], kind="stable")
        if r == "exec_sponsor":  # small companies have no executive sponsor on record
            ev = ev[acc["segment"].to_numpy()[ev["acc_idx"].to_numpy()] != "smb"]
        if ev.empty:
            continue
        nth = ev.groupby("acc_idx").cumcount().to_numpy()
        succ = pd.DataFrame(
            {
                "acc_idx": ev["acc_idx"].to_numpy(),
                "j": next_j.reindex(ev["acc_idx"]).to_numpy() + nth,
                "role": r,
                "created": np.minimum(
                    ev["day"].to_numpy() + rng.integers(14, 45, len(ev)), cal.last_day
                ),
                "deact": np.nan,
            }
        )
        # successor i leaves at departure i+1, the original holder at departure 0
        leave_day = ev["day"].to_numpy().astype(float)
        same_next = np.r_[ev["acc_idx"].to_numpy()[1:] == ev["acc_idx"].to_numpy()[:-1], False]
        succ["deact"] = np.where(
            same_next, np.r_[leave_day[1:], np.nan], end_day[succ["acc_idx"].to_numpy()]
        )
        succ.loc[succ["deact"] > cal.last_day, "deact"] = np.nan
        first_dep = ev.groupby("acc_idx")["day"].min()
        holder = (base["role"] == r) & base["acc_idx"].isin(first_dep.index)
        base.loc[holder, "deact"] = base.loc[holder, "acc_idx"].map(first_dep).to_numpy()
        next_j = next_j.add(ev.groupby("acc_idx").size(), fill_value=0).astype(np.int64)
        extra.append(succ)
    out = pd.concat([base, *extra], ignore_index=True).sort_values(["acc_idx", "j"], kind="stable")
    out["deact"] = np.where(out["deact"] < out["created"], out["created"], out["deact"])
    return out.reset_index(drop=True)


def weekly_usage(
    acc, active, ttv, scenario, scenario_day, disengaged, churn_day, champ, cal: Calendar, rng
):
    """One row per account and week with an active contract."""
    mondays = np.arange((7 - cal.start.dayofweek) % 7, cal.last_day - 5, 7)
    wk_month = cal.month_of_day(mondays)
    lo = np.searchsorted(wk_month, active["month"].to_numpy(), side="left")
    hi = np.searchsorted(wk_month, active["month"].to_numpy(), side="right")
    n = hi - lo
    r = np.repeat(np.arange(len(active)), n)
    w = np.repeat(lo, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    a = active["acc_idx"].to_numpy()[r]
    day = mondays[w]
    seats = active["seats"].to_numpy()[r]
    g = lambda col: acc[col].to_numpy()[a]  # noqa: E731

    weeks_in = np.maximum(day - acc["first_day"].to_numpy()[a], 0) / 7
    ramp = 1 - np.exp(-(weeks_in + 0.5) / np.maximum(ttv[a] / 7 / 1.5, 0.5))
    s_day = scenario_day[a]
    # scenario tests per account, then spread to the weeks: comparing millions of strings
    # row by row costs more than everything else here
    in_scen = lambda names: np.isin(scenario, names)[a]  # noqa: E731
    eff = g("adoption") + np.where(
        in_scen(["light_cultural_pace"]), 1.8 * np.minimum(weeks_in / 104, 1), 0.0
    )
    dip = (count_in_window(*champ, a, day - 84, day) > 0) & ~in_scen(HEAVY_SCENARIOS)
    eff = eff - 0.5 * dip
    dis = disengaged[a]
    frac = np.clip((day - dis) / np.maximum(churn_day[a] - dis, 1), 0, 1)
    decline = np.where(np.isnan(dis), 1.0, 1 - 0.7 * np.nan_to_num(frac))
    p = sigmoid(-0.2 + eff) * ramp * cal.seasonal_factor(day) * decline
    p = np.clip(p * np.exp(rng.normal(0, 0.12, len(a))), 0, 0.98)
    n_users = np.maximum(np.round(0.8 * seats), 1).astype(np.int64)
    active_users = rng.binomial(n_users, p)
    sessions = rng.poisson(active_users * (2.0 + 2.0 * sigmoid(eff)))
    key_actions = rng.poisson(sessions * 0.9 * sigmoid(0.8 * g("outcome") + 0.5 * eff))
    narrowed = in_scen(["heavy_goals_met"]) & (day > s_day)
    breadth = sigmoid(-0.6 + 0.6 * g("excitement") + 0.5 * eff - 1.6 * narrowed)
    features = np.where(active_users > 0, rng.binomial(N_FEATURES, breadth), 0)
    minutes = np.round(sessions * rng.gamma(4.0, 4.5, len(a)), 1)
    # An active user has at least one session. Raised after every draw, so the random
    # stream (and every other column and table) is what it was before this floor existed.
    sessions = np.maximum(sessions, active_users)
    return pd.DataFrame(
        {
            "acc_idx": a,
            "day": day,
            "active_users": active_users,
            "sessions": sessions,
            "key_actions": key_actions,
            "features_used": features,
            "minutes": minutes,
        }
    )


def milestones(acc, ttv, scenario, end_day, cal: Calendar, rng) -> pd.DataFrame:
    """Kickoff, integration, first value and team roll-out dates (empty when not reached)."""
    first = acc["first_day"].to_numpy().astype(float)
    n = len(acc)
    kickoff = first + rng.integers(2, 12, n)
    integrated = kickoff + np.round(0.5 * ttv * rng.uniform(0.7, 1.3, n))
    first_value = first + ttv
    rolls = (rng.random(n) < sigmoid(0.5 + acc["adoption"].to_numpy())) & (
        scenario != "light_knows_must_use_more"
    )
    rollout = np.where(
        rolls,
        first_value + np.round(rng.gamma(2.0, 30 * (1 + np.exp(-acc["adoption"].to_numpy())))),
        np.nan,
    )
    limit = np.minimum(end_day, cal.last_day)
    rows = []
    for name, d in (
        ("kickoff", kickoff),
        ("integrated", integrated),
        ("first_value", first_value),
        ("team_rollout", rollout),
    ):
        rows.append(
            pd.DataFrame(
                {
                    "acc_idx": acc["idx"].to_numpy(),
                    "milestone": name,
                    "day": np.where(d <= limit, d, np.nan),
                }
            )
        )
    return pd.concat(rows, ignore_index=True).sort_values(["acc_idx"], kind="stable")
