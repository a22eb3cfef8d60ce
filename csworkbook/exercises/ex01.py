"""Exercises for notebook 01 · sell to the right customer (principle 1)."""

from __future__ import annotations

import pandas as pd

from ..operations import fit
from .core import Mistake, Question, memo

POOR = fit.CUTS[0]  # below this fit score a deal is a poor fit, as in notebook 01
THRESHOLD = 0.3  # q3's rule: decline every deal scored below it


def _ties(shares: pd.Series, *, highest: bool = True):
    """Every label at the top (or bottom) of ``shares``, by name: any of a tie is right (a
    mistake takes the first)."""
    target = shares.max() if highest else shares.min()
    return tuple(str(k) for k in shares.index[shares == target])


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 01, bound to ``cs``."""
    ledger = memo(lambda d: fit.account_ledger(d))

    def followed(d) -> pd.DataFrame:
        return ledger(d)[ledger(d)["followed"]]

    def channels(d) -> pd.DataFrame:
        scored = ledger(d).dropna(subset=["icp_fit", "acquisition_channel"])
        poor = scored["icp_fit"] < POOR
        return pd.DataFrame(
            {
                "share": poor.groupby(scored["acquisition_channel"]).mean(),
                "count": poor.groupby(scored["acquisition_channel"]).sum(),
            }
        )

    def churn_by_channel(d) -> pd.Series:
        f = followed(d).dropna(subset=["acquisition_channel"])
        return f.groupby("acquisition_channel")["churned_in_horizon"].mean()

    curve = memo(lambda d: fit.threshold_tradeoff(ledger(d), [THRESHOLD]).loc[THRESHOLD])

    q1 = Question(
        name="q1",
        prompt=(
            f"Of the customers the data follows for a full year after their first payment, "
            f"those scored below {POOR} at signing: what share left within that first year?"
        ),
        expected=lambda d: float(
            followed(d).loc[followed(d)["icp_fit"] < POOR, "churned_in_horizon"].mean()
        ),
        solution=(
            "from csworkbook.operations import fit\n"
            "ledger = fit.account_ledger(cs)\n"
            "followed = ledger[ledger.followed]\n"
            f"answer = followed[followed.icp_fit < {POOR}].churned_in_horizon.mean()"
        ),
        hint=(
            "fit.account_ledger(cs) has one row per customer; keep the rows with followed "
            "True, then those with icp_fit below the cut, and average churned_in_horizon."
        ),
        mistakes=[
            Mistake(
                lambda d: float(
                    ledger(d).loc[ledger(d)["icp_fit"] < POOR, "churned_in_horizon"].mean()
                ),
                "that counts customers signed less than a year ago too: they have not had a "
                "year to leave, so they pull the rate down. Keep the followed ones only.",
            ),
            Mistake(
                lambda d: float(followed(d).loc[followed(d)["icp_fit"] < POOR, "churned"].mean()),
                "that counts customers who left at any time, also years later; the question "
                "asks about the first year (churned_in_horizon).",
            ),
            Mistake(
                lambda d: float(
                    (followed(d).loc[followed(d)["churned_in_horizon"], "icp_fit"] < POOR).mean()
                ),
                "that is the share of first-year churners who were poor fits: the wrong "
                "denominator. The question divides by the poor fits.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        kind="choice",
        options=sorted(str(c) for c in cs.accounts["acquisition_channel"].dropna().unique()),
        prompt=(
            f"Which acquisition channel brings the largest share of poor fits (scored below "
            f"{POOR}) among the customers it brought? Answer with its name."
        ),
        expected=lambda d: _ties(channels(d)["share"]),
        solution=(
            "from csworkbook.operations import fit\n"
            "ledger = fit.account_ledger(cs)\n"
            f"answer = fit.wrong_fit_by(ledger, threshold={POOR}).index[0]"
        ),
        hint=(
            "Per acquisition_channel, the share of scored customers with icp_fit below the "
            "cut (fit.wrong_fit_by sorts the channels by it)."
        ),
        mistakes=[
            Mistake(
                lambda d: _ties(channels(d)["count"])[0],
                "that channel brings the most poor fits in number, because it brings the most "
                "customers; the question asks for the share of its own customers.",
            ),
            Mistake(
                lambda d: _ties(churn_by_channel(d))[0],
                "that channel loses the most customers in the first year, partly because of "
                "the segments it sells to; the question asks about fit at signing.",
            ),
            Mistake(
                lambda d: _ties(channels(d)["share"], highest=False)[0],
                "that channel brings the smallest share of poor fits: sort the other way.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            f"Suppose sales had declined every deal scored below {THRESHOLD} (over the "
            "customers followed for a year). For each dollar of first-year churned ARR the "
            "rule avoids, how many dollars of ARR do the declined customers still pay at the "
            "end of the data? (ARR still paid ÷ churned ARR avoided)"
        ),
        expected=lambda d: float(curve(d)["arr_now_given_up"] / curve(d)["churned_arr_avoided"]),
        solution=(
            "from csworkbook.operations import fit\n"
            "ledger = fit.account_ledger(cs)\n"
            f"r = fit.threshold_tradeoff(ledger, [{THRESHOLD}]).loc[{THRESHOLD}]\n"
            "answer = r.arr_now_given_up / r.churned_arr_avoided"
        ),
        hint=(
            "fit.threshold_tradeoff(ledger, [threshold]) has one row per threshold: divide "
            "arr_now_given_up by churned_arr_avoided."
        ),
        mistakes=[
            Mistake(
                lambda d: float(curve(d)["churned_arr_avoided"] / curve(d)["arr_now_given_up"]),
                "that is the ratio upside down: churned ARR avoided per dollar still paid.",
            ),
            Mistake(
                lambda d: float(curve(d)["new_arr"] / curve(d)["churned_arr_avoided"]),
                "that uses the new ARR at signing; the question asks what the declined "
                "customers still pay at the end of the data (arr_now_given_up).",
            ),
            Mistake(
                lambda d: float(curve(d)["avoided_share"] / curve(d)["new_arr_share"]),
                "that compares shares (how much better than chance the score ranks), not "
                "amounts of ARR.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3}


# `from csworkbook.exercises.ex01 import cs, q1, q2, q3, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
