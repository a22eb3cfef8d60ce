"""Exercises for notebook 08 · customer metrics (principle 8)."""

from __future__ import annotations

import pandas as pd

from ..retention import metrics
from .core import Mistake, Question


def _ttm(cs, **kw) -> pd.DataFrame:
    return metrics.trailing_year(cs.mrr_monthly, cs.as_of, accounts=cs.accounts, **kw)


def _gap_by_segment(cs) -> pd.Series:
    t = _ttm(cs, by="segment")
    return (t["nrr"] - t["grr"]).sort_values()


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 08, bound to ``cs``."""
    q1 = Question(
        name="q1",
        prompt=(
            "What share of the MRR paying twelve months before as_of is still paid by the same "
            "customers at as_of, counting contraction and churn but no expansion (GRR)?"
        ),
        expected=lambda d: float(_ttm(d).loc["all", "grr"]),
        solution=(
            "t = metrics.trailing_year(cs.mrr_monthly, cs.as_of)\nanswer = t.loc['all', 'grr']"
        ),
        hint="metrics.trailing_year gives GRR and NRR for the twelve months up to as_of.",
        mistakes=[
            Mistake(
                lambda d: float(_ttm(d).loc["all", "nrr"]),
                "that is NRR: it credits expansion. GRR caps each customer at its starting MRR.",
            ),
            Mistake(
                lambda d: 1 - float(_ttm(d).loc["all", "logo_churn"]),
                "that is logo retention (customers kept), not revenue retained.",
            ),
            Mistake(
                lambda d: float(_ttm(d).loc["all", "mrr_churn"]),
                "that is the MRR lost (1 - GRR); the question asks what is kept.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        kind="choice",
        prompt="Which segment has the largest gap between NRR and GRR (its expansion)?",
        expected=lambda d: str(_gap_by_segment(d).index[-1]),
        solution=(
            "t = metrics.trailing_year(cs.mrr_monthly, cs.as_of, accounts=cs.accounts, "
            "by='segment')\n"
            "answer = (t['nrr'] - t['grr']).idxmax()"
        ),
        hint="Break trailing_year down with by='segment' and subtract GRR from NRR.",
        mistakes=[
            Mistake(
                lambda d: str(_gap_by_segment(d).index[0]),
                "that segment has the smallest gap: sort the other way.",
            ),
            Mistake(
                lambda d: str(_ttm(d, by="segment")["nrr"].idxmax()),
                "that segment has the highest NRR, but its gap to GRR is not the largest: "
                "subtract GRR first.",
            ),
        ],
        data=cs,
    )
    monthly = float(_ttm(cs).loc["all", "logo_churn"]) / 12
    q3 = Question(
        name="q3",
        prompt=(
            f"A team reports a monthly logo churn of {monthly:.2%}. What annual churn does it "
            "compound to if it holds every month (as a share)?"
        ),
        expected=lambda d: float(metrics.annual_from_monthly(monthly)),
        solution=f"answer = 1 - (1 - {monthly!r}) ** 12",
        hint="Each month keeps (1 - m) of the customers left; twelve months keep (1 - m) ** 12.",
        mistakes=[
            Mistake(
                lambda d: 12 * monthly,
                "12 × the monthly rate overstates it: each month only loses a share of the "
                "customers still there.",
            ),
            Mistake(
                lambda d: (1 - monthly) ** 12,
                "that is the share kept after a year; churn is 1 minus it.",
            ),
        ],
        rel=1e-4,
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3}


# `from csworkbook.exercises.ex08 import cs, q1, q2, q3, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
