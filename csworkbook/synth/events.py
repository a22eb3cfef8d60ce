"""Stakeholder changes and support tickets.

Both are drawn over each account's potential life (first contract to ``as_of``) before
renewals are played, because they influence renewals; rows falling in months without
an active contract are removed afterwards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, poisson_times, sigmoid

PRIORITIES = np.array(["low", "normal", "high", "urgent"])
CATEGORIES = np.array(["how_to", "bug", "billing", "integration", "feature_request", "outage"])
RESOLUTION_HOURS = np.array([96.0, 48.0, 24.0, 6.0])


def stakeholder_events(acc, scenario, scenario_day, cal: Calendar, rng) -> pd.DataFrame:
    """Champion departures, sponsor changes and re-organisations."""
    a = acc["idx"].to_numpy()
    lo = acc["first_day"].to_numpy() + 30
    hi = np.full(len(acc), cal.last_day)
    seg = acc["segment"].to_numpy()
    parts = []
    rates = {
        "champion_left": 0.16 * np.exp(-0.6 * acc["champion_stability"].to_numpy()),
        "sponsor_changed": np.where(seg == "smb", 0.03, 0.10),
        "reorg": np.full(len(acc), 0.05),
    }
    for event, rate in rates.items():
        k, d = poisson_times(rng, a, lo, hi, rate)
        parts.append(pd.DataFrame({"acc_idx": k, "day": d, "event": event}))
    # The scenarios of seed 003 leave their own trace.
    for scen, event in (
        ("heavy_sponsor_left_new_tool", "sponsor_changed"),
        ("heavy_priority_dropped", "reorg"),
    ):
        idx = np.flatnonzero(scenario == scen)
        parts.append(
            pd.DataFrame(
                {"acc_idx": idx, "day": scenario_day[idx].astype(np.int64), "event": event}
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(
        ["acc_idx", "day", "event"], kind="stable"
    )


def tickets(acc, seats, scenario, scenario_day, cal: Calendar, rng) -> pd.DataFrame:
    """Support tickets with priority, category, resolution time and CSAT."""
    a = acc["idx"].to_numpy()
    rate = (
        1.45
        * np.sqrt(0.8 * seats)
        * np.exp(-0.3 * acc["fit"].to_numpy() + 0.15 * acc["adoption"].to_numpy())
    )
    k, d = poisson_times(
        rng, a, acc["first_day"].to_numpy() + 3, np.full(len(a), cal.last_day), rate
    )
    n = len(k)
    pri = rng.choice(4, n, p=[0.3, 0.45, 0.18, 0.07])
    cat = rng.choice(6, n, p=[0.35, 0.25, 0.08, 0.12, 0.15, 0.05])
    forced = np.zeros(n, dtype=bool)

    # A roadmap gone stale shows as a run of feature requests; a bad last interaction as
    # one urgent ticket that ends with the lowest satisfaction.
    stale = np.flatnonzero(scenario == "heavy_roadmap_stale")
    sk, sd = poisson_times(
        rng,
        stale,
        scenario_day[stale].astype(np.int64),
        np.minimum(scenario_day[stale] + 300, cal.last_day).astype(np.int64),
        np.full(len(stale), 5.0),
    )
    bad = np.flatnonzero(scenario == "heavy_bad_last_interaction")
    k = np.concatenate([k, sk, bad])
    d = np.concatenate([d, sd, scenario_day[bad].astype(np.int64)])
    pri = np.concatenate([pri, np.ones(len(sk), dtype=np.int64), np.full(len(bad), 3)])
    cat = np.concatenate([cat, np.full(len(sk), 4), rng.choice([1, 5], len(bad))])
    forced = np.concatenate([forced, np.zeros(len(sk), dtype=bool), np.ones(len(bad), dtype=bool)])
    n = len(k)

    rel = acc["relationship"].to_numpy()[k]
    latent = (
        4.0 + 0.45 * rel - 0.7 * (pri >= 2) - 0.3 * np.isin(cat, [1, 5]) + rng.normal(0, 0.9, n)
    )
    csat = np.clip(np.round(latent), 1, 5)
    answered = (rng.random(n) < 0.5) | forced
    csat = np.where(forced, 1.0, np.where(answered, csat, np.nan))
    opened = d + (9 + rng.random(n) * 9) / 24
    hours = RESOLUTION_HOURS[pri] * np.exp(rng.normal(0, 0.8, n)) * np.where(forced, 6, 1)
    closed = opened + hours / 24
    return pd.DataFrame(
        {
            "acc_idx": k,
            "day": d,
            "opened": opened,
            "closed": np.where(closed <= cal.last_day + 1, closed, np.nan),
            "priority": PRIORITIES[pri],
            "category": CATEGORIES[cat],
            "csat": np.where(closed <= cal.last_day + 1, csat, np.nan),
        }
    ).sort_values(["acc_idx", "opened"], kind="stable")


def is_bad_ticket(t: pd.DataFrame) -> np.ndarray:
    return (t["csat"] <= 2).to_numpy()


def first_value_days(acc, rng) -> np.ndarray:
    """Days from first contract to first value: fit and adoption speed it, high touch helps."""
    base = acc["segment"].map({"enterprise": 75.0, "mid_market": 45.0, "smb": 21.0}).to_numpy()
    ttv = base * np.exp(
        -0.35 * acc["fit"].to_numpy()
        - 0.25 * acc["adoption"].to_numpy()
        + rng.normal(0, 0.35, len(acc))
    )
    ttv *= np.where(acc["touch_model"].to_numpy() == "high", 0.85, 1.0)
    return np.round(ttv), base


def expansion_intensity(acc) -> np.ndarray:
    seg = acc["segment"].map({"enterprise": 1.6, "mid_market": 1.0, "smb": 0.35}).to_numpy()
    return 0.22 * sigmoid(acc["outcome"].to_numpy() + acc["excitement"].to_numpy()) * seg
