"""Contracts, renewals and monthly recurring revenue.

Each contract renews every ``term`` months. At each renewal the account's drivers, the
recent stakeholder changes, bad support experiences, onboarding speed and its blind-spot
scenario set the odds of churn; survivors expand, contract or renew flat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calendar import Calendar, count_in_window, sigmoid
from .config import HEAVY_REASON, HEAVY_SCENARIOS, LIGHT_SCENARIOS

DEPARTMENTS = np.array(["Sales", "Marketing", "Support", "Finance", "Operations", "HR"])
ARR_MEDIAN = {"enterprise": 90_000.0, "mid_market": 24_000.0, "smb": 5_000.0}
ARR_SIGMA = {"enterprise": 0.6, "mid_market": 0.5, "smb": 0.5}
PRICE_PER_SEAT = {"enterprise": 1500.0, "mid_market": 900.0, "smb": 480.0}
# Base churn log-odds per renewal, before the account's drivers (calibrated in README).
BASE_LOGIT = {"enterprise": -3.9, "mid_market": -3.3, "smb": -1.75}
MONTHLY_BASE_LOGIT = -3.7


@dataclass
class Risk:
    """What the renewal decision can see about an account at a given day."""

    acc: pd.DataFrame
    scenario: np.ndarray
    scenario_day: np.ndarray
    ttv_ratio: np.ndarray
    champion_left: tuple[np.ndarray, np.ndarray]
    sponsor_or_reorg: tuple[np.ndarray, np.ndarray]
    bad_tickets: tuple[np.ndarray, np.ndarray]
    play: object = None  # a plays.PlayState when the world runs a save play

    def logit(self, a: np.ndarray, day: np.ndarray, k: np.ndarray, monthly: np.ndarray):
        acc = self.acc
        seg = acc["segment"].to_numpy()[a]
        base = np.where(monthly, MONTHLY_BASE_LOGIT, pd.Series(seg).map(BASE_LOGIT).to_numpy())
        x = (
            base
            - 0.55 * acc["fit"].to_numpy()[a]
            - 0.70 * acc["outcome"].to_numpy()[a]
            - 0.60 * acc["relationship"].to_numpy()[a]
            - 0.35 * acc["excitement"].to_numpy()[a]
            - 0.30 * acc["adoption"].to_numpy()[a]
            + 0.35 * acc["price_sensitivity"].to_numpy()[a]
        )
        # Slow onboarding hurts the first renewal most (principle 7).
        x += np.where(k == 1, 0.6, 0.2) * np.clip(self.ttv_ratio[a] - 1, -0.7, 2.5)
        scale = np.where(monthly, 0.5, 1.0)
        x += scale * 1.6 * (count_in_window(*self.champion_left, a, day - 240, day) > 0)
        x += scale * 0.5 * (count_in_window(*self.sponsor_or_reorg, a, day - 240, day) > 0)
        x += scale * 0.45 * np.minimum(count_in_window(*self.bad_tickets, a, day - 180, day), 3)
        sc = self.scenario[a]
        s_day = self.scenario_day[a]
        heavy = np.isin(sc, HEAVY_SCENARIOS) & (day > s_day) & (day - s_day <= 400)
        x += np.where(heavy, np.where(monthly, 2.2, 4.0), 0.0)
        x -= np.where(np.isin(sc, LIGHT_SCENARIOS), 2.6, 0.0)
        return x


def initial_contracts(acc: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The contracts each account signs when it is acquired."""
    seg = acc["segment"].to_numpy()
    n_first = np.select(
        [seg == "enterprise", seg == "mid_market"],
        [1 + np.minimum(rng.poisson(0.6, len(acc)), 2), 1 + rng.binomial(1, 0.25, len(acc))],
        1,
    )
    a = np.repeat(acc["idx"].to_numpy(), n_first)
    j = np.arange(n_first.sum()) - np.repeat(np.cumsum(n_first) - n_first, n_first)
    s = seg[a]
    u = rng.random(len(a))
    term = np.select(
        [s == "enterprise", s == "mid_market"],
        [np.where(u < 0.7, 12, np.where(u < 0.9, 24, 36)), np.where(u < 0.9, 12, 24)],
        np.where(u < 0.6, 1, 12),
    )
    # Monthly-billed SMB accounts keep every contract monthly.
    first_is_monthly = pd.Series(term == 1).groupby(a).transform("first").to_numpy()
    term = np.where((s == "smb") & first_is_monthly, 1, np.where(s == "smb", 12, term))
    dept_offset = rng.integers(0, len(DEPARTMENTS), len(acc))[a]
    return _contract_frame(
        rng,
        acc_idx=a,
        department=DEPARTMENTS[(dept_offset + j) % len(DEPARTMENTS)],
        product=np.full(len(a), "Core"),
        start_month=acc["first_month"].to_numpy()[a],
        term=term,
        segment=s,
        size=np.where(j == 0, 1.0, 0.6),
    )


def _contract_frame(rng, *, acc_idx, department, product, start_month, term, segment, size):
    med = pd.Series(segment).map(ARR_MEDIAN).to_numpy()
    sig = pd.Series(segment).map(ARR_SIGMA).to_numpy()
    arr = med * size * np.exp(rng.normal(0, 1, len(acc_idx)) * sig)
    arr = np.where(term == 1, arr * 1.15, arr)  # month-to-month pays a premium
    arr = np.round(arr / 120) * 120  # whole monthly amounts in tens
    return pd.DataFrame(
        {
            "acc_idx": acc_idx,
            "department": department,
            "product": product,
            "start_month": start_month,
            "term": term,
            "arr0": np.maximum(arr, 1200.0),
            "price_per_seat": pd.Series(segment).map(PRICE_PER_SEAT).to_numpy(),
            "auto_renew": np.where(term == 1, True, rng.random(len(acc_idx)) < 0.45),
        }
    )


def simulate(con: pd.DataFrame, risk: Risk, cal: Calendar, rng: np.random.Generator):
    """Play every renewal of every contract up to ``as_of``.

    Returns the contracts with ``end_month`` (-1 while active) and final ``arr``, the
    renewals that happened, and the ARR of each term as ``(contract row, term k, arr)``.
    """
    con = con.reset_index(drop=True)
    last = cal.n_months - 1
    n_ren = np.maximum((last - con["start_month"].to_numpy()) // con["term"].to_numpy(), 0)
    c = np.repeat(np.arange(len(con)), n_ren)
    k = np.arange(n_ren.sum()) - np.repeat(np.cumsum(n_ren) - n_ren, n_ren) + 1
    a = con["acc_idx"].to_numpy()[c]
    term = con["term"].to_numpy()[c]
    month = con["start_month"].to_numpy()[c] + k * term
    day = cal.month_day[month]
    monthly = term == 1
    x = risk.logit(a, day, k, monthly) + rng.normal(0, 0.35, len(con))[c]
    churn = rng.random(len(c)) < sigmoid(x)
    if risk.play is not None:  # its own random stream: the draws above are the same either way
        churn = risk.play.apply(c, k, a, term, day, x, churn)

    # Only the first churn of a contract counts; later renewals never happen.
    first_churn = pd.Series(np.where(churn, k, np.iinfo(np.int64).max)).groupby(c).transform("min")
    happened = k <= first_churn.to_numpy()
    c, k, a, term, month, day, churn, x = (
        v[happened] for v in (c, k, a, term, month, day, churn, x)
    )

    acc = risk.acc
    seg = acc["segment"].to_numpy()[a]
    drive = (
        0.6 * acc["outcome"].to_numpy()[a]
        + 0.4 * acc["excitement"].to_numpy()[a]
        + 0.3 * acc["adoption"].to_numpy()[a]
    )
    p_exp = sigmoid(-0.9 + drive + np.where(seg == "enterprise", 0.5, 0.0))
    p_con = sigmoid(
        -3.2 + 0.5 * acc["price_sensitivity"].to_numpy()[a] - 0.4 * acc["outcome"].to_numpy()[a]
    )
    p_exp = np.where(monthly_at(term), p_exp / 8, p_exp)
    p_con = np.where(monthly_at(term), p_con / 8, p_con)
    u = rng.random(len(c))
    outcome = np.where(
        churn,
        "churned",
        np.where(u < p_exp, "expanded", np.where(u < p_exp + p_con, "contracted", "renewed")),
    )
    mult = np.select(
        [outcome == "expanded", outcome == "contracted", outcome == "churned"],
        [rng.uniform(1.1, 1.7, len(c)), rng.uniform(0.7, 0.92, len(c)), 0.0],
        1.0,
    )
    arr0 = con["arr0"].to_numpy()[c]
    cum = pd.Series(np.where(mult == 0, 1.0, mult)).groupby(c).cumprod().to_numpy()
    arr_after = np.where(mult == 0, 0.0, np.round(arr0 * cum / 120) * 120)
    # Rows are ordered by contract then renewal, so the previous row holds the term that ended.
    arr_before = np.where(k == 1, arr0, np.roll(arr_after, 1))

    ren = pd.DataFrame(
        {
            "c": c,
            "acc_idx": a,
            "k": k,
            "month": month,
            "day": day,
            "outcome": outcome,
            "arr_before": arr_before,
            "arr_after": arr_after,
            "logit": x,
        }
    )
    ren["churn_reason"] = _churn_reasons(ren, risk, rng)

    path = pd.concat(
        [
            pd.DataFrame({"c": np.arange(len(con)), "k": 0, "arr": con["arr0"].to_numpy()}),
            ren.loc[~churn, ["c", "k"]].assign(arr=arr_after[~churn]),
        ],
        ignore_index=True,
    ).sort_values(["c", "k"], kind="stable")
    con["end_month"] = -1
    con.loc[ren.loc[churn, "c"].to_numpy(), "end_month"] = month[churn]
    con["arr"] = path.groupby("c")["arr"].last().to_numpy()
    con.loc[con["end_month"] >= 0, "arr"] = pd.Series(
        arr_before[churn], index=ren.loc[churn, "c"].to_numpy()
    )
    return con, ren.drop(columns="logit"), path.reset_index(drop=True)


def monthly_at(term: np.ndarray) -> np.ndarray:
    return term == 1


def _churn_reasons(ren: pd.DataFrame, risk: Risk, rng: np.random.Generator) -> np.ndarray:
    """Reason a CSM records: the scenario's reason, else a noisy pick among the drivers."""
    acc = risk.acc
    a = ren["acc_idx"].to_numpy()
    day = ren["day"].to_numpy()
    g = lambda col: acc[col].to_numpy()[a]  # noqa: E731
    names = np.array(
        [
            "poor_fit",
            "low_adoption",
            "roi_not_demonstrated",
            "switched_to_competitor",
            "budget_cuts",
            "champion_left",
            "support_experience",
        ]
    )
    score = np.column_stack(
        [
            -g("fit"),
            -g("adoption"),
            -g("outcome"),
            -g("excitement"),
            g("price_sensitivity"),
            2.0 * (count_in_window(*risk.champion_left, a, day - 240, day) > 0) - 0.5,
            0.8 * count_in_window(*risk.bad_tickets, a, day - 180, day) - 0.5,
        ]
    ) + rng.gumbel(0, 0.7, (len(a), len(names)))
    reason = names[score.argmax(axis=1)]
    sc = risk.scenario[a]
    s_day = risk.scenario_day[a]
    in_scen = np.isin(sc, HEAVY_SCENARIOS) & (day > s_day) & (day - s_day <= 400)
    reason = np.where(in_scen, pd.Series(sc).map(HEAVY_REASON).fillna("").to_numpy(), reason)
    return np.where(ren["outcome"].to_numpy() == "churned", reason, None)


def mrr_rows(con: pd.DataFrame, path: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """One row per contract and month of service, with the MRR of the term in force."""
    last = cal.n_months - 1
    end = np.where(con["end_month"].to_numpy() >= 0, con["end_month"].to_numpy(), last + 1)
    n = np.maximum(end - con["start_month"].to_numpy(), 0)
    c = np.repeat(np.arange(len(con)), n)
    month = con["start_month"].to_numpy()[c] + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    k = (month - con["start_month"].to_numpy()[c]) // con["term"].to_numpy()[c]
    offsets = np.searchsorted(path["c"].to_numpy(), np.arange(len(con)))
    arr = path["arr"].to_numpy()[offsets[c] + k]
    return pd.DataFrame(
        {
            "c": c,
            "acc_idx": con["acc_idx"].to_numpy()[c],
            "month": month,
            "mrr": np.round(arr / 12, 2),
        }
    )
