"""What customers set out to achieve and how far they got: the ``goals`` and ``goal_reviews``
tables (principle 3: customers expect big success, CS = CX + CO).

At kickoff each customer states one to four business goals with a target (a success plan).
Business reviews (every quarter for high touch, every half year otherwise; a self-service
survey for tech touch, often unanswered) then record the share of each target reached. How
far a customer gets is its latent *outcome attainment*, helped by fit and adoption, the same
drivers that set its renewal odds; so goals reached go with renewals because the world made
them so, not because a column was copied from the outcome.

- Progress starts at first value and approaches a ceiling drawn per goal around the drivers.
- A customer that disengages before an ordinary churn stops progressing and slips back.
- *heavy_goals_met* customers reach their targets before their trigger: they leave because
  the job is done. *heavy_roi_unproven* customers rarely review their goals at all.
- A goal counts as achieved at the first review that finds its target met; reviews of it stop.

Everything random comes from its own stream (``[seed, GOAL_STREAM]``), drawn after the world
has been played, so no other table of any world changed when these were added.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, pairs_in, schedule, sigmoid

GOAL_STREAM = 0x60A1
GOALS = np.array(
    [
        "reduce_reporting_time",
        "improve_forecast_accuracy",
        "consolidate_tools",
        "self_serve_analytics",
        "faster_decisions",
        "executive_visibility",
    ]
)
# How often each goal is chosen, by segment (enterprises want visibility and one toolset;
# small companies want their reporting time back).
GOAL_WEIGHTS = {
    "enterprise": [0.8, 1.0, 1.2, 0.8, 0.6, 1.2],
    "mid_market": [1.0, 1.0, 0.8, 1.0, 0.8, 0.6],
    "smb": [1.6, 0.6, 0.6, 0.8, 1.0, 0.3],
}
TARGET = {  # improvement aimed for, as a share of the starting point (low, high)
    "reduce_reporting_time": (0.3, 0.6),
    "improve_forecast_accuracy": (0.1, 0.3),
    "consolidate_tools": (0.3, 0.7),
    "self_serve_analytics": (0.2, 0.5),
    "faster_decisions": (0.2, 0.5),
    "executive_visibility": (0.3, 0.8),
}
EXTRA_GOALS = {"enterprise": 3, "mid_market": 2, "smb": 1}  # binomial(n, 0.5) on top of one
REVIEW_EVERY = {"high": 91.3, "low": 121.75, "tech": 182.6}  # days
REVIEW_KEPT = {"high": 0.9, "low": 0.8, "tech": 0.5}  # share of reviews that take place
RAMP_DAYS = 120.0  # progress time constant after first value
STALL_DAYS = {"champion_left": 180, "sponsor_changed": 90, "reorg": 90}
STALLED_SCENARIOS = ("heavy_priority_dropped", "heavy_sponsor_left_new_tool", "heavy_roadmap_stale")


def success_plans(
    acc: pd.DataFrame,
    scen: np.ndarray,
    scen_day: np.ndarray,
    ttv: np.ndarray,
    mil: pd.DataFrame,
    stake: pd.DataFrame,
    disengaged: np.ndarray,
    churn_day: np.ndarray,
    active: pd.DataFrame,
    cal: Calendar,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Goals (``acc_idx, g, day, goal, target, achieved``) and their reviews
    (``g, acc_idx, day, progress``), ``g`` numbering the goals in order."""
    rng = np.random.default_rng([seed, GOAL_STREAM])
    n = len(acc)
    seg = acc["segment"].to_numpy()
    kick_rows = mil[mil["milestone"] == "kickoff"]
    kickoff = np.full(n, np.nan)
    kickoff[kick_rows["acc_idx"].to_numpy()] = kick_rows["day"].to_numpy()

    # Which goals each customer states: weighted draws without replacement (the largest
    # u ** (1 / weight) win), as many as its segment tends to set.
    weights = np.array([GOAL_WEIGHTS[s] for s in seg]).reshape(n, len(GOALS))
    keys = rng.random((n, len(GOALS))) ** (1 / weights)
    ranked = np.argsort(-keys, axis=1, kind="stable")
    count = 1 + rng.binomial(pd.Series(seg).map(EXTRA_GOALS).to_numpy(dtype=np.int64), 0.5)
    count = np.where(np.isnan(kickoff), 0, count)  # no kickoff yet: no success plan yet
    a = np.repeat(np.arange(n), count)
    rank = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    goal = GOALS[ranked[a, rank]] if len(a) else np.array([], dtype=str)
    lo = np.array([TARGET[x][0] for x in goal])
    hi = np.array([TARGET[x][1] for x in goal])
    target = np.round((lo + rng.random(len(a)) * (hi - lo)) * 20) / 20  # in steps of 5 points

    # How far each goal can get: the outcome the customer attains, helped by fit and adoption.
    # The goals of one customer are one project, so they move largely together.
    g_ = lambda col: acc[col].to_numpy()[a]  # noqa: E731
    drive = 1.2 * g_("outcome") + 0.6 * g_("fit") + 0.3 * g_("adoption")
    ceiling = 1.4 * sigmoid(drive + 0.45 + rng.normal(0, 0.25, len(a)))
    tau = RAMP_DAYS * np.exp(rng.normal(0, 0.25, len(a)))
    start = kickoff[a] + ttv[a]  # nothing moves before first value

    touch = acc["touch_model"].to_numpy()[a]
    every = pd.Series(touch).map(REVIEW_EVERY).to_numpy()
    kept = pd.Series(touch).map(REVIEW_KEPT).to_numpy()
    kept = np.where(scen[a] == "heavy_roi_unproven", 0.25, kept)  # ROI is never reviewed
    last = np.minimum(churn_day[a] - 1, cal.last_day)
    parts = []
    for e in np.unique(every):  # one cadence at a time: schedule takes a scalar period
        idx = np.flatnonzero(every == e)
        gi, day = schedule(rng, idx, kickoff[a][idx] + e, last[idx], e, kept[idx], jitter=6)
        parts.append(pd.DataFrame({"g": gi, "day": day}))
    rev = pd.concat([pd.DataFrame({"g": [], "day": []}, dtype=np.int64), *parts], ignore_index=True)
    rev = rev.sort_values(["g", "day"], kind="stable")
    g = rev["g"].to_numpy()
    day = rev["day"].to_numpy().astype(float)
    ra = a[g]

    # Progress is the project's momentum: the days it stood still are lost. A champion who
    # leaves stalls it for months, a new sponsor or a re-organisation for a few; a customer
    # whose priority dropped, whose sponsor brought another tool or whose roadmap went stale
    # stops moving at its trigger; one disengaging before an ordinary churn stops and slips.
    lost = np.zeros(len(g))
    slip = np.ones(len(g))
    for event, days in STALL_DAYS.items():
        ev = stake[stake["event"] == event]
        for k, e_day in zip(ev["acc_idx"].to_numpy(), ev["day"].to_numpy(), strict=True):
            rows = np.flatnonzero(ra == k)
            since = day[rows] - e_day
            lost[rows] += np.clip(since, 0, days)
            # what the departed champion ran slips back until a successor picks it up
            if event == "champion_left":
                slip[rows] *= np.where((since > 0) & (since <= days), 0.75, 1.0)
    stops = np.isin(scen[ra], STALLED_SCENARIOS) & (day > scen_day[ra])
    lost = np.where(stops, lost + (day - scen_day[ra]), lost)
    dis = disengaged[ra]
    slipping = ~np.isnan(dis) & (day > dis)
    lost = np.where(slipping, lost + (day - dis), lost)
    t = np.maximum(day - lost - start[g], 0)
    progress = ceiling[g] * (1 - np.exp(-t / tau[g]))
    progress = slip * np.where(slipping, 0.75, 1.0) * progress
    # Customers whose goals were met (seed 003) met them before their trigger.
    met = (scen[ra] == "heavy_goals_met") & (day >= scen_day[ra] - 45)
    progress = np.where(met, np.maximum(progress, 1.0 + 0.1 * rng.random(len(g))), progress)
    noise = rng.normal(0, 0.05, len(g))
    progress = np.round(np.maximum(progress + noise, 0), 2)
    # Fewer reviews happen once a customer has disengaged.
    keep = ~(slipping & (rng.random(len(g)) < 0.5))
    keep &= pairs_in(ra, cal.month_of_day(day.astype(np.int64)), active["acc_idx"], active["month"])
    rev = pd.DataFrame({"g": g, "acc_idx": ra, "day": day.astype(np.int64), "progress": progress})
    rev = rev[keep]

    # The first review that finds the target met achieves the goal; its reviews stop there.
    done = rev["progress"].to_numpy() >= 1
    first_done = rev[done].groupby("g")["day"].min()
    achieved = np.full(len(a), np.nan)
    achieved[first_done.index.to_numpy()] = first_done.to_numpy()
    rev = rev[rev["day"].to_numpy() <= np.nan_to_num(achieved[rev["g"].to_numpy()], nan=np.inf)]

    goals = pd.DataFrame(
        {
            "acc_idx": a,
            "g": np.arange(len(a)),
            "day": kickoff[a],
            "goal": goal,
            "target": target,
            "achieved": achieved,
        }
    )
    return goals, rev.reset_index(drop=True)
