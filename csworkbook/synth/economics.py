"""What each customer cost to win and costs to serve (the ``account_costs`` table).

Drawn from their own random stream (``[seed, COST_STREAM]``) after the world has been played,
so adding them changed no other table of any world.

- **Acquisition cost** (CAC): sales and marketing spent to win the account, a multiple of its
  first-year ARR that depends on the segment (enterprise deals take longer to close) and the
  channel (outbound costs most, self-serve least), with noise.
- **Cost to serve**, per year as a customer: the CSM time its touch model buys (a CSM costs
  about 150k a year and covers 20 high-touch or 70 low-touch accounts; tech touch is a pooled
  programme), plus support at a cost per ticket. Hosting and licences are not in it: they sit
  in the gross margin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar

COST_STREAM = 0xC057
CAC_MULTIPLE = {"enterprise": 1.6, "mid_market": 1.1, "smb": 0.7}  # x first-year ARR
CHANNEL_MULTIPLE = {"inbound": 0.8, "outbound": 1.4, "partner": 1.0, "self_serve": 0.5}
CSM_COST = {"high": 7_500.0, "low": 2_150.0, "tech": 300.0}  # a year, per account
TICKET_COST = 60.0


def account_costs(
    acc: pd.DataFrame,
    con: pd.DataFrame,
    tix: pd.DataFrame,
    active: pd.DataFrame,
    cal: Calendar,
    seed: int,
) -> pd.DataFrame:
    """One row per account (internal index ``acc_idx``): acquisition cost and yearly cost to
    serve, rounded to tens."""
    rng = np.random.default_rng([seed, COST_STREAM])
    n = len(acc)
    first = (
        con["start_month"].to_numpy() == acc["first_month"].to_numpy()[con["acc_idx"].to_numpy()]
    )
    arr1 = np.bincount(con["acc_idx"].to_numpy()[first], con["arr0"].to_numpy()[first], n)
    mult = (
        acc["segment"].map(CAC_MULTIPLE).to_numpy()
        * acc["acquisition_channel"].map(CHANNEL_MULTIPLE).to_numpy()
    )
    cac = arr1 * mult * np.exp(rng.normal(0, 0.35, n))
    years = np.maximum(np.bincount(active["acc_idx"].to_numpy(), minlength=n) / 12, 0.25)
    tickets = np.bincount(tix["acc_idx"].to_numpy(), minlength=n) / years
    serve = (acc["touch_model"].map(CSM_COST).to_numpy() + TICKET_COST * tickets) * np.exp(
        rng.normal(0, 0.15, n)
    )
    return pd.DataFrame(
        {
            "acc_idx": np.arange(n),
            "acquisition_cost": np.round(cac / 10) * 10,
            "cost_to_serve": np.round(serve / 10) * 10,
        }
    )
