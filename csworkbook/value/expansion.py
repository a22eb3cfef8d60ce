"""Expansion: who is ready to buy more, how much expansion each segment brings, and whether
last year's candidates actually expanded.

*Upsell* candidates use most of the seats they pay for (seat utilisation); *cross-sell*
candidates use many of the product's features but do not hold every product; both must be
healthy enough that a sales conversation will not land on a problem (the health band). Every
signal is computed from data before the date it is read on, so the same rules can be judged at
a past date against what happened next (:func:`backtest`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..health import health_frame
from ..health.profiles import holistic_scorecard
from ..retention.features import completed_weeks
from ..retention.metrics import mrr_movements, unit_mrr
from ..stats import wilson_interval


def _month(at) -> pd.Timestamp:
    return pd.Timestamp(at).to_period("M").to_timestamp()


def _account_mrr(ds) -> pd.DataFrame:
    """MRR per account (rows) and month (columns)."""
    return unit_mrr(ds.mrr_monthly).droplevel("unit")


def seats_at(ds, at) -> pd.Series:
    """Seats per account on ``at``. ``contracts.seats`` holds today's seats; for an earlier date
    each contract's seats are scaled by its MRR then over its latest MRR, so seats added at a
    later expansion are not read back into the past (seats priced per seat, as the demo's are)."""
    at = pd.Timestamp(at)
    ds.require("contracts.seats", "mrr_monthly", to="seats on a date")
    c = ds.contracts
    live = c[(c["start_date"] <= at) & (c["end_date"].isna() | (c["end_date"] > at))]
    m = ds.mrr_monthly[ds.mrr_monthly["mrr"] > 0]
    last = m.sort_values("month").groupby("contract_id")["mrr"].last()
    then = m[m["month"] == _month(at)].set_index("contract_id")["mrr"]
    ratio = (then.reindex(live["contract_id"]) / last.reindex(live["contract_id"])).fillna(1.0)
    seats = live["seats"].to_numpy(dtype=float) * ratio.to_numpy()
    return pd.Series(seats, index=live["account_id"].to_numpy()).groupby(level=0).sum()


def expansion_signals(ds, at=None, *, scorecard=None, weeks: int = 4) -> pd.DataFrame:
    """One row per paying account on ``at`` (default ``as_of``): ``segment``, ``arr`` (its MRR
    that month x 12), ``seats``, ``utilisation`` (mean weekly active users over the last
    ``weeks`` completed weeks / seats), ``breadth`` (features used / the most any account
    uses), ``products`` held and ``missing_products`` (of those any customer holds), health
    ``score`` and ``band``.

    Needs weekly usage, seats and monthly revenue above 0; the health score reads whatever other
    signals the data holds (those of missing tables are NA)."""
    ds.require("usage", "contracts.seats", "mrr_monthly.mrr>0", to="expansion signals")
    at = ds.as_of if at is None else pd.Timestamp(at)
    wide = _account_mrr(ds)
    month = _month(at)
    arr = wide[month] * 12 if month in wide.columns else pd.Series(dtype=float)
    arr = arr[arr > 0]
    out = pd.DataFrame({"arr": arr})
    out.index.name = "account_id"
    acc = ds.accounts.set_index("account_id")
    out["segment"] = acc["segment"].reindex(out.index)
    out["seats"] = seats_at(ds, at).reindex(out.index)
    u = completed_weeks(ds.usage)
    u = u[(u["week"] < at) & (u["week"] >= at - pd.Timedelta(weeks=weeks))]
    recent = u.groupby("account_id")[["active_users", "features_used"]].mean()
    out["utilisation"] = recent["active_users"].reindex(out.index) / out["seats"].clip(lower=1)
    top = ds.usage["features_used"].max()
    out["breadth"] = recent["features_used"].reindex(out.index) / max(top, 1)
    c = ds.contracts
    live = c[(c["start_date"] <= at) & (c["end_date"].isna() | (c["end_date"] > at))]
    held = live.groupby("account_id")["product"].agg(lambda s: ", ".join(sorted(set(s))))
    out["products"] = held.reindex(out.index)
    catalogue = set(c["product"].dropna())
    out["missing_products"] = live.groupby("account_id")["product"].nunique().reindex(out.index)
    out["missing_products"] = len(catalogue) - out["missing_products"].fillna(0)
    frame = health_frame(ds, [at])
    card = scorecard or holistic_scorecard()
    health = (
        frame[["account_id"]].join(card.score(frame)[["score", "band"]]).set_index("account_id")
    )
    out = out.join(health)
    return out.reset_index()


def expansion_candidates(
    signals: pd.DataFrame,
    *,
    utilisation: float = 0.6,
    breadth: float = 0.5,
    bands=("green", "yellow"),
) -> pd.DataFrame:
    """Flag ``upsell`` (utilisation at least ``utilisation``) and ``cross_sell`` (breadth at
    least ``breadth`` and a product not yet held) among accounts in ``bands``; ``reason`` says
    which rule fired. Sorted by ARR, largest first."""
    ok = signals["band"].astype(object).isin(bands)
    out = signals.assign(
        upsell=ok & (signals["utilisation"] >= utilisation),
        cross_sell=ok & (signals["breadth"] >= breadth) & (signals["missing_products"] > 0),
    )
    out["candidate"] = out["upsell"] | out["cross_sell"]
    out["reason"] = np.select(
        [out["upsell"] & out["cross_sell"], out["upsell"], out["cross_sell"]],
        [
            f"seats {utilisation:.0%}+ used and {breadth:.0%}+ of features",
            f"seats {utilisation:.0%}+ used",
            f"{breadth:.0%}+ of features, product missing",
        ],
        "",
    )
    return out.sort_values(["candidate", "arr"], ascending=[False, False]).reset_index(drop=True)


def expanded_after(ds, at, *, days: int = 365) -> pd.DataFrame:
    """Per account paying on ``at``: ``expansion_arr``, the MRR increases (x 12) it made in the
    months after ``at`` up to ``days`` later (while paying), and ``expanded``."""
    wide = _account_mrr(ds)
    start = _month(at)
    end = _month(pd.Timestamp(at) + pd.Timedelta(days=days))
    cols = [m for m in wide.columns if start <= m <= end]
    w = wide[cols].to_numpy()
    rise = np.where((w[:, :-1] > 0) & (w[:, 1:] > w[:, :-1]), w[:, 1:] - w[:, :-1], 0).sum(axis=1)
    out = pd.DataFrame({"expansion_arr": 12 * rise}, index=wide.index)
    out = out[w[:, 0] > 0]
    out["expanded"] = out["expansion_arr"] > 0
    out.attrs["complete"] = end <= _month(ds.as_of)
    return out


def backtest(ds, at, *, days: int = 365, scorecard=None, **rules) -> pd.DataFrame:
    """Read the candidates on a past date ``at`` and compare with what happened in the next
    ``days``: per group (upsell, cross-sell, any candidate, not a candidate, everyone), the
    accounts, how many expanded, the rate with its Wilson interval, the lift over everyone
    (the base rate) and the expansion ARR per account."""
    ds.require("usage", "contracts.seats", "mrr_monthly.mrr>0", to="the expansion backtest")
    if pd.Timestamp(at) + pd.Timedelta(days=days) > ds.as_of:
        raise ValueError(
            f"the {days} days after {pd.Timestamp(at).date()} go past as_of {ds.as_of.date()}: "
            "choose an earlier date, or fewer days"
        )
    cand = expansion_candidates(expansion_signals(ds, at, scorecard=scorecard), **rules)
    cand = cand.join(expanded_after(ds, at, days=days), on="account_id")
    groups = {
        "upsell candidates": cand["upsell"],
        "cross-sell candidates": cand["cross_sell"],
        "any candidate": cand["candidate"],
        "not a candidate": ~cand["candidate"],
        "everyone (base rate)": pd.Series(True, index=cand.index),
    }
    base = cand["expanded"].mean()
    rows = []
    for name, m in groups.items():
        part = cand[m.to_numpy()]
        k, n = int(part["expanded"].sum()), len(part)
        lo, hi = wilson_interval(k, n)
        rows.append(
            {
                "group": name,
                "accounts": n,
                "expanded": k,
                "rate": k / n if n else np.nan,
                "low": float(lo),
                "high": float(hi),
                "lift": (k / n) / base if n and base else np.nan,
                "expansion_arr_per_account": part["expansion_arr"].mean(),
            }
        )
    return pd.DataFrame(rows).set_index("group")


def expansion_by_segment(ds, *, freq: str = "Q") -> pd.DataFrame:
    """Expansion MRR per segment and period (``freq``: "M", "Q" or "Y"), from the MRR bridge
    (:func:`~csworkbook.retention.metrics.mrr_movements` per segment), with the expansion as a
    share of the MRR at the start of the period (long format)."""
    ds.require("accounts", "mrr_monthly.mrr>0", to="expansion MRR by segment")
    seg = ds.accounts.set_index("account_id")["segment"]
    m = ds.mrr_monthly
    parts = []
    for s, part in m.groupby(m["account_id"].map(seg).to_numpy()):
        mv = mrr_movements(part)
        period = mv.index.to_period(freq)
        agg = mv.groupby(period).agg(
            expansion=("expansion", "sum"),
            starting_mrr=("starting_mrr", "first"),
            months=("new", "size"),
        )
        parts.append(agg.assign(segment=s))
    out = pd.concat(parts).rename_axis("period").reset_index()
    out["expansion_share"] = out["expansion"] / out["starting_mrr"].where(out["starting_mrr"] > 0)
    return out[["period", "segment", "months", "starting_mrr", "expansion", "expansion_share"]]
