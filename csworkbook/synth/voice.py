"""What customers say and what CSMs record: NPS responses and CSM touchpoints."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, count_in_window, schedule

COMMENTS = {
    "promoter": [
        "Easy to roll out to new teams.",
        "Support answers fast and knows our setup.",
        "We can show the time it saves us every month.",
        "Clearly the leader in this space.",
    ],
    "passive": [
        "Does the job, nothing more.",
        "Price is getting hard to justify.",
        "Missing a few reports we need.",
        "We should be using more of it.",
    ],
    "detractor": [
        "Too many bugs lately.",
        "Tickets take too long to resolve.",
        "Too expensive for what we get.",
        "Hard to see the value.",
        "Looking at other tools.",
    ],
}
SCENARIO_COMMENTS = {
    "heavy_goals_met": "We have done what we set out to do with it.",
    "heavy_sponsor_left_new_tool": "Our new director prefers the tool from her last company.",
    "heavy_roadmap_stale": "The roadmap has not moved in a year.",
    "heavy_bad_last_interaction": "The outage last month and how it was handled hurt.",
    "heavy_roi_unproven": "Management keeps asking what the return is.",
    "heavy_priority_dropped": "This is no longer a priority for leadership.",
    "light_category_leader": "Everyone in our industry uses it; it is the standard.",
    "light_knows_must_use_more": "We know we need to roll it out further.",
    "light_cultural_pace": "Adoption is slow here but it is growing.",
    "light_excellent_relationship": "Our CSM is a real partner.",
}
# Score shift of each scenario once it has happened.
SCENARIO_NPS = {
    "heavy_roadmap_stale": -2.5,
    "heavy_bad_last_interaction": -2.5,
    "heavy_roi_unproven": -1.0,
    "heavy_priority_dropped": -1.0,
    "heavy_sponsor_left_new_tool": -0.5,
    "light_category_leader": 1.5,
    "light_excellent_relationship": 1.2,
}


def _disengaged_at(disengaged, a, day):
    d = disengaged[a]
    return ~np.isnan(d) & (day >= d)


def nps(acc, n_users, scenario, scenario_day, disengaged, champ, end_day, cal: Calendar, rng):
    """Twice-yearly surveys; each of up to three users answers with probability 0.35."""
    first = acc["first_day"].to_numpy() + 90
    last = np.minimum(end_day - 1, cal.last_day)
    sa, sd = schedule(rng, acc["idx"].to_numpy(), first, last, 182.5, 1.0, jitter=5)
    a = np.repeat(sa, 3)
    day = np.clip(np.repeat(sd, 3) + rng.integers(0, 10, len(a)), 0, cal.last_day)
    keep = rng.random(len(a)) < 0.35
    a, day = a[keep], day[keep]
    g = lambda col: acc[col].to_numpy()[a]  # noqa: E731
    sc = scenario[a]
    after = day >= scenario_day[a]
    # Light scenarios hold from the start; heavy ones only once their trigger has happened.
    shift = np.where(after, pd.Series(sc).map(SCENARIO_NPS).fillna(0).to_numpy(), 0.0)
    latent = (
        7.3
        + 1.1 * g("outcome")
        + 0.8 * g("relationship")
        + 0.5 * g("excitement")
        - 0.4 * g("price_sensitivity")
        + shift
        - 2.0 * _disengaged_at(disengaged, a, day)
        - 1.0 * (count_in_window(*champ, a, day - 180, day) > 0)
        + rng.normal(0, 1.4, len(a))
    )
    score = np.clip(np.round(latent), 0, 10).astype(np.int64)
    bucket = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    comment = np.full(len(a), None, dtype=object)
    for b, texts in COMMENTS.items():
        idx = np.flatnonzero(bucket == b)
        comment[idx] = np.array(texts, dtype=object)[rng.integers(0, len(texts), len(idx))]
    scen_text = pd.Series(sc).map(SCENARIO_COMMENTS).to_numpy()
    use_scen = pd.notna(scen_text) & after
    use_scen &= rng.random(len(a)) < 0.6
    comment = np.where(use_scen, scen_text, comment)
    comment = np.where(rng.random(len(a)) < 0.5, comment, None)
    user_j = rng.integers(0, np.maximum(np.minimum(n_users[a], 8), 1))
    return pd.DataFrame(
        {"acc_idx": a, "day": day, "user_j": user_j, "score": score, "comment": comment}
    )


def touchpoints(acc, scenario, scenario_day, disengaged, champ, end_day, cal: Calendar, rng):
    """CSM activity by coverage model, with sentiment as the CSM read it."""
    a_all = acc["idx"].to_numpy()
    touch = acc["touch_model"].to_numpy()
    first = acc["first_day"].to_numpy()
    last = np.minimum(end_day - 1, cal.last_day)
    parts = []

    def add(mask, kind, start, every, keep, jitter=4.0):
        idx = np.flatnonzero(mask)
        k, d = schedule(
            rng,
            a_all[idx],
            start[idx],
            last[idx],
            every,
            np.asarray(keep)[idx] if np.ndim(keep) else keep,
            jitter,
        )
        parts.append(pd.DataFrame({"acc_idx": k, "day": d, "kind": kind}))

    hi, lo, tech = touch == "high", touch == "low", touch == "tech"
    ones = np.ones(len(acc))
    roi_gap = np.where(scenario == "heavy_roi_unproven", 0.05, 1.0)
    add(~tech, "onboarding_call", first + rng.integers(3, 10, len(acc)), 10_000, 1.0, 0)
    add(tech, "webinar", first + rng.integers(3, 20, len(acc)), 10_000, 1.0, 0)
    add(
        ~tech,
        "training",
        first + 20,
        35,
        np.where(scenario == "light_knows_must_use_more", 1, 0.6) * ones,
        3,
    )
    add(scenario == "light_knows_must_use_more", "training", first + 90, 60, 0.9)
    add(hi, "check_in", first + 30, 30, 0.75)
    add(hi, "qbr", first + 90, 91.3, 0.85 * roi_gap)
    add(hi & (acc["segment"].to_numpy() == "enterprise"), "ebr", first + 180, 365, 0.8 * roi_gap)
    add(lo, "check_in", first + 60, 91.3, 0.7)
    add(lo, "qbr", first + 150, 182.6, 0.5 * roi_gap)
    add(lo | tech, "email", first + 30, 30.4, 0.9)
    add(tech, "webinar", first + 60, 91.3, 0.3)
    add(scenario == "light_excellent_relationship", "check_in", first + 45, 45, 0.9)
    bad = np.flatnonzero(scenario == "heavy_bad_last_interaction")
    parts.append(
        pd.DataFrame(
            {
                "acc_idx": bad,
                "day": scenario_day[bad].astype(np.int64) + rng.integers(2, 10, len(bad)),
                "kind": "check_in",
            }
        )
    )
    tp = pd.concat(parts, ignore_index=True)
    tp = tp[tp["day"] <= last[tp["acc_idx"].to_numpy()]]

    # Once leadership deprioritises the product, most business reviews stop happening.
    a, day, kind = tp["acc_idx"].to_numpy(), tp["day"].to_numpy(), tp["kind"].to_numpy()
    priority_dropped = (scenario == "heavy_priority_dropped")[a]  # per account, then per row
    dropped = priority_dropped & (day > scenario_day[a]) & np.isin(kind, ["qbr", "ebr"])
    keep = ~(dropped & (rng.random(len(a)) < 0.7))
    tp, a, day, kind = tp[keep], a[keep], day[keep], kind[keep]
    priority_dropped = priority_dropped[keep]

    g = lambda col: acc[col].to_numpy()[a]  # noqa: E731
    latent = (
        0.8 * g("relationship")
        + 0.5 * g("outcome")
        + 0.6 * np.isin(kind, ["onboarding_call", "training"])
        - 1.5 * _disengaged_at(disengaged, a, day)
        - 0.8 * (count_in_window(*champ, a, day - 120, day) > 0)
        - 1.0 * (priority_dropped & (day > scenario_day[a]))
        + rng.normal(0, 0.9, len(a))
    )
    latent = np.where(kind == "email", 0.4 * latent, latent)
    forced_bad = (
        (scenario == "heavy_bad_last_interaction")[a]
        & (day > scenario_day[a])
        & (day <= scenario_day[a] + 12)
    )
    sentiment = np.where(latent < -0.9, "negative", np.where(latent > 0.7, "positive", "neutral"))
    sentiment = np.where(forced_bad, "negative", sentiment)
    return tp.assign(sentiment=sentiment).sort_values(["acc_idx", "day", "kind"], kind="stable")
