"""Customer companies and their hidden drivers.

Every observable table is driven by the latent z-scores drawn here: fit, outcome,
relationship, champion stability, excitement, price sensitivity and adoption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.schema import SEGMENTS
from .calendar import Calendar, numbered, sigmoid
from .config import HEAVY_SCENARIOS, LIGHT_SCENARIOS, WorldConfig

INDUSTRIES = np.array(
    [
        "software",
        "financial_services",
        "manufacturing",
        "retail",
        "healthcare",
        "professional_services",
        "media",
        "logistics",
    ]
)
REGIONS = np.array(["Japan", "APAC", "North America", "EMEA"])
CHANNELS = np.array(["inbound", "outbound", "partner", "self_serve"])
# Partners bring well-qualified customers; outbound pushes bring more poor fits.
CHANNEL_FIT = np.array([0.2, -0.35, 0.45, -0.2])
CHANNEL_P = {
    "enterprise": [0.25, 0.5, 0.25, 0.0],
    "mid_market": [0.4, 0.35, 0.15, 0.1],
    "smb": [0.45, 0.1, 0.05, 0.4],
}
SIZE_BANDS = {
    "enterprise": (["1000-4999", "5000+"], [0.6, 0.4]),
    "mid_market": (["200-999"], [1.0]),
    "smb": (["1-49", "50-199"], [0.55, 0.45]),
}
TOUCH_P = {"enterprise": [0.9, 0.1, 0.0], "mid_market": [0.15, 0.75, 0.1], "smb": [0.0, 0.15, 0.85]}
ACCOUNTS_PER_CSM = {"high": 20, "low": 70}
# Parts of invented company names.
_NAME_A = np.array(
    "Aozora Hikari Kaze Midori Sakura Tsubasa Yama Umi Hoshi Kumo Nami Mori Sora Taiyo "  # noqa: SIM905
    "Northwind Bluebird Granite Harbor Juniper Lumen Meridian Orchid Pioneer Quartz Summit".split()
)
_NAME_B = np.array(
    "Systems Foods Logistics Works Labs Partners Holdings Retail Health Media Finance "  # noqa: SIM905
    "Robotics Energy Design Trading Networks".split()
)


def make_accounts(cfg: WorldConfig, cal: Calendar, rng: np.random.Generator) -> pd.DataFrame:
    """Draw accounts with observable attributes and latent drivers (internal frame)."""
    n = cfg.n_accounts
    seg_i = rng.choice(3, size=n, p=list(cfg.segment_mix))
    segment = np.array(SEGMENTS)[seg_i]

    # Acquisition grows over time (a company scaling up).
    m = np.arange(cal.n_months)
    w = 1.0 + 1.5 * m / cal.n_months
    first_month = rng.choice(m, size=n, p=w / w.sum())

    channel_i = np.empty(n, dtype=np.int64)
    touch_i = np.empty(n, dtype=np.int64)
    size_band = np.empty(n, dtype=object)
    for s in SEGMENTS:
        idx = np.flatnonzero(segment == s)
        channel_i[idx] = rng.choice(4, size=len(idx), p=CHANNEL_P[s])
        touch_i[idx] = rng.choice(3, size=len(idx), p=TOUCH_P[s])
        bands, p = SIZE_BANDS[s]
        size_band[idx] = rng.choice(bands, size=len(idx), p=p)
    touch = np.array(["high", "low", "tech"])[touch_i]

    fit = CHANNEL_FIT[channel_i] + rng.normal(0, 1, n)
    outcome = 0.4 * fit + rng.normal(0, 0.9, n)
    relationship = rng.normal(0, 1, n) + np.select(
        [touch == "high", touch == "tech"], [0.3, -0.2], 0
    )
    champion_stability = rng.normal(0, 1, n)
    excitement = rng.normal(0, 1, n)
    price_sensitivity = rng.normal(0, 1, n) + np.select(
        [segment == "smb", segment == "enterprise"], [0.4, -0.4], 0.0
    )
    adoption = 0.45 * fit + 0.35 * outcome + 0.25 * excitement + rng.normal(0, 0.75, n)

    # Sales' ICP score sees fit through noise.
    icp_fit = np.round(sigmoid(1.1 * fit + rng.normal(0, 0.7, n)), 2)

    csm = np.full(n, None, dtype=object)
    for t, per in ACCOUNTS_PER_CSM.items():
        idx = np.flatnonzero(touch == t)
        if idx.size == 0:  # a tiny world may have no account of this touch model
            continue
        n_csm = max(1, int(np.ceil(len(idx) / per)))
        prefix = "H" if t == "high" else "L"
        csm[idx] = numbered(f"CSM-{prefix}", rng.integers(0, n_csm, len(idx)) + 1, 2)

    width = max(5, len(str(n)))
    ids = numbered("A", np.arange(n) + 1, width)
    names = np.char.add(np.char.add(rng.choice(_NAME_A, n), " "), rng.choice(_NAME_B, n))

    return pd.DataFrame(
        {
            "idx": np.arange(n),
            "account_id": ids,
            "name": names,
            "industry": rng.choice(INDUSTRIES, n),
            "region": rng.choice(REGIONS, n, p=[0.4, 0.15, 0.3, 0.15]),
            "size_band": size_band.astype(str),
            "segment": segment,
            "touch_model": touch,
            "csm_id": csm,
            "icp_fit": icp_fit,
            "acquisition_channel": CHANNELS[channel_i],
            "first_month": first_month,
            "first_day": cal.month_day[first_month],
            "fit": fit,
            "outcome": outcome,
            "relationship": relationship,
            "champion_stability": champion_stability,
            "excitement": excitement,
            "price_sensitivity": price_sensitivity,
            "adoption": adoption,
        }
    )


def assign_scenarios(acc: pd.DataFrame, cfg: WorldConfig, rng: np.random.Generator) -> np.ndarray:
    """Draw each account's blind-spot scenario and shift its latent drivers to match.

    Heavy-usage scenarios push adoption up (the account looks healthy on usage);
    light-usage ones push it down. What each scenario does to the other drivers is
    the story of seed text 003.
    """
    names = ["none", *HEAVY_SCENARIOS, *LIGHT_SCENARIOS]
    rates = np.array([cfg.scenario_rates.get(s, 0.0) for s in names[1:]])
    p = np.concatenate([[1 - rates.sum()], rates])
    scen = np.array(names)[rng.choice(len(names), size=len(acc), p=p)]

    heavy = np.isin(scen, HEAVY_SCENARIOS)
    light = np.isin(scen, LIGHT_SCENARIOS)
    acc.loc[heavy, "adoption"] = np.maximum(acc.loc[heavy, "adoption"], 0) + 1.2
    acc.loc[light, "adoption"] = np.minimum(acc.loc[light, "adoption"], 0) - 1.0
    shifts = {
        "heavy_goals_met": {"outcome": 1.2},
        "heavy_roi_unproven": {"outcome": -1.0},
        "light_excellent_relationship": {"relationship": 1.8},
        "light_category_leader": {"excitement": 1.2},
        "light_knows_must_use_more": {"outcome": 0.3},
    }
    for s, cols in shifts.items():
        for col, d in cols.items():
            acc.loc[scen == s, col] += d
    return scen
