"""What customers ask the product for, and what the product team shipped: the ``feedback``
table (principle 6: the product is the scalable differentiator).

Feedback is read from what the world already recorded, never added beside it:

- every support ticket filed as a ``feature_request`` is one piece of feedback (``ticket``);
- survey comments that name a product gap (``nps_comment``): "Missing a few reports we
  need." and "The roadmap has not moved in a year.";
- CSM notes at check-ins and business reviews (``csm_note``): heavy users ask more, customers
  the product does not excite report more gaps, and a customer whose roadmap went stale
  (seed 003) raises it at most meetings after its trigger.

Each piece is filed under a theme and a request (a roadmap item). What a customer asks for
depends on its segment (enterprises ask for single sign-on and integrations, small companies
for reports and a mobile app); a customer asks for the same thing again and again more often
than not; and customers whose roadmap went stale ask for what the roadmap had promised (AI
insights, integrations, automation).

**Shipping.** The product team ships a request with a probability that rises with the ARR of
the customers who asked for it, as real roadmaps are weighted, some months after the first
ask. Renewals were decided before any of this was drawn: in this world shipping a request
changes nobody's renewal. Customers whose requests shipped renew more often only because
they are larger, and larger customers churn less (an analysis must say so).

Everything random comes from its own stream (``[seed, FEEDBACK_STREAM]``), drawn after the
world has been played, so no other table of any world changed when feedback was added.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, sigmoid

FEEDBACK_STREAM = 0xFEED
# Roadmap items: theme, and how often enterprise, mid-market and small customers ask for each,
# then customers whose roadmap went stale (what the roadmap had promised).
REQUESTS = {
    "scheduled_pdf_reports": ("reporting", 1, 4, 8, 0),
    "custom_report_builder": ("reporting", 3, 4, 2, 0),
    "pivot_tables": ("reporting", 0, 1, 4, 0),
    "salesforce_sync": ("integrations", 6, 5, 1, 1),
    "snowflake_connector": ("integrations", 6, 2, 0, 1),
    "slack_alerts": ("integrations", 1, 3, 4, 0),
    "hubspot_sync": ("integrations", 0, 2, 5, 0),
    "sso_saml": ("permissions", 8, 2, 0, 0),
    "row_level_security": ("permissions", 5, 1, 0, 0),
    "audit_log": ("permissions", 4, 2, 0, 0),
    "faster_large_dashboards": ("performance", 5, 2, 0, 0),
    "bulk_data_import": ("performance", 3, 2, 1, 0),
    "mobile_app": ("mobile", 1, 2, 6, 0),
    "offline_dashboards": ("mobile", 0, 1, 3, 0),
    "workflow_triggers": ("automation", 2, 4, 2, 1),
    "api_write_access": ("automation", 4, 2, 0, 1),
    "alert_rules": ("automation", 0, 2, 3, 0),
    "revenue_forecasting": ("ai_insights", 2, 2, 1, 6),
    "anomaly_detection": ("ai_insights", 1, 1, 1, 4),
    "natural_language_query": ("ai_insights", 1, 1, 1, 4),
}
NAMES = np.array(list(REQUESTS), dtype=object)
THEME = {name: spec[0] for name, spec in REQUESTS.items()}
WEIGHTS = {
    who: np.array([spec[i] for spec in REQUESTS.values()], dtype=float)
    for i, who in enumerate(("enterprise", "mid_market", "smb", "stale"), start=1)
}
COMMENT_THEME = {
    "Missing a few reports we need.": "reporting",
    "The roadmap has not moved in a year.": None,  # the stale roadmap's requests
}
REPEAT = 0.55  # chance a piece of feedback repeats the customer's own favourite request
NOTE_KINDS = ("check_in", "qbr", "ebr")


def _draw(rng, p: np.ndarray) -> np.ndarray:
    """One request index per row of weights ``p`` (rows need not sum to 1)."""
    c = np.cumsum(p, axis=1)
    u = rng.random(len(p))[:, None] * c[:, -1:]
    return np.minimum((u >= c).sum(axis=1), p.shape[1] - 1)


def feedback(
    acc: pd.DataFrame,
    scen: np.ndarray,
    scen_day: np.ndarray,
    tix: pd.DataFrame,
    nps: pd.DataFrame,
    tps: pd.DataFrame,
    mrr: pd.DataFrame,
    cal: Calendar,
    seed: int,
) -> pd.DataFrame:
    """One row per piece of feedback: ``acc_idx, day, source, src`` (the row label in the
    source frame), ``theme``, ``request`` and ``shipped`` (day, NaN if not shipped)."""
    rng = np.random.default_rng([seed, FEEDBACK_STREAM])
    n = len(acc)
    stale = scen == "heavy_roadmap_stale"
    seg_w = np.array([WEIGHTS[s] for s in acc["segment"].to_numpy()]).reshape(n, len(NAMES))
    own_w = np.where(stale[:, None], WEIGHTS["stale"][None, :], seg_w)
    favourite = _draw(rng, own_w)

    parts = []
    t = tix[tix["category"] == "feature_request"]
    parts.append(
        pd.DataFrame(
            {"acc_idx": t["acc_idx"].to_numpy(), "day": t["day"].to_numpy(), "source": "ticket"}
        ).assign(src=t.index.to_numpy(), forced="")
    )
    r = nps[nps["comment"].isin(list(COMMENT_THEME))]
    parts.append(
        pd.DataFrame(
            {
                "acc_idx": r["acc_idx"].to_numpy(),
                "day": r["day"].to_numpy(),
                "source": "nps_comment",
                "src": r.index.to_numpy(),
                "forced": r["comment"].map(COMMENT_THEME).fillna("").to_numpy(),
            }
        )
    )
    m = tps[tps["kind"].isin(NOTE_KINDS)]
    ma = m["acc_idx"].to_numpy()
    g = lambda col: acc[col].to_numpy()[ma]  # noqa: E731
    rate = 0.05 * np.exp(0.5 * g("adoption") - 0.35 * g("excitement"))
    after = stale[ma] & (m["day"].to_numpy() > scen_day[ma])
    rate = np.where(after, 0.6, np.minimum(rate, 0.5))
    m = m[rng.random(len(m)) < rate]
    parts.append(
        pd.DataFrame(
            {"acc_idx": m["acc_idx"].to_numpy(), "day": m["day"].to_numpy(), "source": "csm_note"}
        ).assign(src=m.index.to_numpy(), forced="")
    )
    fb = pd.concat(parts, ignore_index=True)
    fb = fb.sort_values(["day", "acc_idx", "source", "src"], kind="stable").reset_index(drop=True)
    a = fb["acc_idx"].to_numpy()
    day = fb["day"].to_numpy()

    # Each piece repeats the customer's favourite request or asks for something else; a stale
    # roadmap turns every ask after its trigger towards what the roadmap promised.
    stale_now = stale[a] & (day > scen_day[a])
    w = np.where(stale_now[:, None], WEIGHTS["stale"][None, :], seg_w[a])
    reporting = fb["forced"].to_numpy() == "reporting"
    w = np.where(reporting[:, None], w * (pd.Series(THEME).to_numpy() == "reporting"), w)
    w = np.where(w.sum(axis=1, keepdims=True) > 0, w, WEIGHTS["mid_market"][None, :])
    fresh = _draw(rng, w)
    repeat = (rng.random(len(fb)) < REPEAT) & ~reporting
    repeat |= stale[a] & stale_now
    request = NAMES[np.where(repeat, favourite[a], fresh)]
    fb["theme"] = pd.Series(request).map(THEME).to_numpy()
    fb["request"] = request

    # Roadmap weighted by ARR: a request ships with a probability rising with the ARR of the
    # customers who asked for it (each counted once), months after its first ask.
    acc_arr = mrr.groupby(["acc_idx", "month"])["mrr"].sum().groupby("acc_idx").max() * 12
    askers = fb.drop_duplicates(["request", "acc_idx"])
    weight = (
        askers.assign(arr=askers["acc_idx"].map(acc_arr).fillna(0).to_numpy())
        .groupby("request")["arr"]
        .sum()
        .sort_index()
    )
    first_ask = fb.groupby("request")["day"].min().reindex(weight.index)
    z = np.log1p(weight.to_numpy())
    z = (z - z.mean()) / z.std() if len(z) > 1 and z.std() > 0 else np.zeros(len(z))
    ships = rng.random(len(weight)) < sigmoid(-0.3 + 2.0 * z)
    ship_day = np.floor(first_ask.to_numpy() + rng.uniform(90, 1000, len(weight)))
    shipped_on = pd.Series(
        np.where(ships & (ship_day <= cal.last_day), ship_day, np.nan), index=weight.index
    )

    # Asks keep coming after a request shipped (follow-ups, customers who missed the news):
    # whether an ask came before or after its request shipped is for the analysis to read.
    fb["shipped"] = fb["request"].map(shipped_on).to_numpy(dtype=float)
    return fb.drop(columns="forced")
