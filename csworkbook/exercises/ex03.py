"""Exercises for notebook 03 · experience and outcome, the success gap (principle 3)."""

from __future__ import annotations

import pandas as pd

from ..operations import outcomes
from .core import Mistake, Question, memo

GAP = "happy, not reaching goals"
OPTIONS = ("outcome", "nps", "neither")


def _axes(cs) -> pd.DataFrame:
    return outcomes.two_axes(cs)


def _every_decision(cs) -> pd.DataFrame:
    """Both axes at every annual renewal decision of the two years, several per customer."""
    d = outcomes.renewal_decisions(cs, latest=False)
    keys = ["account_id", "renewal_date"]
    return d.merge(outcomes.experience(cs, d), on=keys).merge(outcomes.outcome(cs, d), on=keys)


def _verdict(power: pd.DataFrame) -> str:
    """Which axis tells renewals from churns better, read off the paired difference."""
    nps = power.loc["NPS"]
    if nps["diff_low"] > 0:
        return "nps"
    if nps["diff_high"] < 0:
        return "outcome"
    return "neither"


def _point_winner(power: pd.DataFrame) -> str:
    return (
        "nps"
        if power.loc["NPS", "auc"] > power.loc["outcome (goal progress)", "auc"]
        else "outcome"
    )


def _point_loser(power: pd.DataFrame) -> str:
    return "outcome" if _point_winner(power) == "nps" else "nps"


def _separate_intervals(power: pd.DataFrame) -> str:
    """'neither' whenever the two AUCs' own intervals overlap (ignoring the pairing)."""
    o, n = power.loc["outcome (goal progress)"], power.loc["NPS"]
    return "neither" if o["low"] <= n["high"] and n["low"] <= o["high"] else _point_winner(power)


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 03, bound to ``cs``."""
    axes, every = memo(_axes), memo(_every_decision)
    power = memo(lambda d: outcomes.predictive_power(axes(d)))

    q1 = Question(
        name="q1",
        prompt=(
            "Of all the goals customers stated at kickoff (cs.goals), what share had met its "
            "target by as_of?"
        ),
        expected=lambda d: float(d.goals["achieved_date"].notna().mean()),
        solution="answer = cs.goals.achieved_date.notna().mean()",
        hint="A goal met has an achieved_date; count them over every goal stated.",
        mistakes=[
            Mistake(
                lambda d: float(
                    d.goals.groupby("account_id")["achieved_date"].count().gt(0).mean()
                ),
                "that is the share of customers with at least one goal met: the question "
                "counts goals, and a customer states one to four.",
            ),
            Mistake(
                lambda d: float(
                    d.goals.loc[d.goals["goal_id"].isin(d.goal_reviews["goal_id"]), "achieved_date"]
                    .notna()
                    .mean()
                ),
                "that leaves out the goals never reviewed: they are stated goals nobody knows "
                "about, and they belong in the denominator.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            "The success gap: among the customers of outcomes.two_axes(cs) (each one's latest "
            "annual renewal, both axes read 90 days before), those who say they are happy "
            "(NPS above 0) but are less than 70% of the way to their goals. What share of them "
            "renewed?"
        ),
        expected=lambda d: float(outcomes.quadrants(axes(d)).loc[GAP, "renewal_rate"]),
        solution=(
            "from csworkbook.operations import outcomes\n"
            "axes = outcomes.two_axes(cs)\n"
            "gap = axes[(axes.nps > 0) & (axes.progress < 0.7)]\n"
            "answer = 1 - gap.churned.mean()"
        ),
        hint=(
            "outcomes.quadrants(axes) has a renewal rate per quadrant; or filter the axes on "
            "nps and progress and count those who did not churn."
        ),
        mistakes=[
            Mistake(
                lambda d: float(1 - outcomes.quadrants(axes(d)).loc[GAP, "renewal_rate"]),
                "that is the share that churned; the question asks how many renewed.",
            ),
            Mistake(
                lambda d: float(outcomes.quadrants(axes(d), happy=-1e-9).loc[GAP, "renewal_rate"]),
                "an NPS of 0 is not happy: as many of its people criticise as promote. Keep "
                "customers with NPS strictly above 0.",
            ),
            Mistake(
                lambda d: float(outcomes.quadrants(every(d)).loc[GAP, "renewal_rate"]),
                "that counts every renewal decision, several per customer: take each "
                "customer's latest (two_axes), so the rate and its interval count customers.",
            ),
            Mistake(
                lambda d: float(
                    outcomes.quadrants(axes(d)).loc["happy, reaching goals", "renewal_rate"]
                ),
                "that is the quadrant of happy customers who *are* reaching their goals.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        kind="choice",
        options=OPTIONS,
        prompt=(
            "On the customers measured on every signal (outcomes.predictive_power(axes)), which "
            "axis tells renewals from churns better: 'outcome' (goal progress), 'nps', or "
            "'neither' when the data cannot tell them apart (the 95% interval of the paired "
            "difference includes 0)?"
        ),
        expected=lambda d: _verdict(power(d)),
        solution=(
            "from csworkbook.operations import outcomes\n"
            "power = outcomes.predictive_power(outcomes.two_axes(cs))\n"
            "d = power.loc['NPS']\n"
            "answer = 'nps' if d.diff_low > 0 else 'outcome' if d.diff_high < 0 else 'neither'"
        ),
        hint=(
            "Row NPS holds its AUC minus goal progress's (vs_outcome (goal progress)) and that "
            "difference's interval (diff_low, diff_high): does it include 0?"
        ),
        mistakes=[
            Mistake(
                lambda d: _point_winner(power(d)),
                "that axis has the higher AUC on these customers, but the interval of the "
                "difference includes 0: the data cannot tell the two apart.",
            ),
            Mistake(
                lambda d: _separate_intervals(power(d)),
                "the two AUCs' own intervals overlap, but both are read on the same customers: "
                "the paired difference has its own, narrower interval, and it excludes 0.",
            ),
            Mistake(
                lambda d: _point_loser(power(d)),
                "that axis has the lower AUC: a higher AUC (the chance that a renewer scores "
                "above a churner) is the better one.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        prompt=(
            "Why it is decided after the sale: of everything customers who started at least two "
            "years before as_of have paid, what share came after their first twelve months "
            "(outcomes.revenue_after_first_year)?"
        ),
        expected=lambda d: float(
            outcomes.revenue_after_first_year(d.mrr_monthly, d.as_of)["share_after"]
        ),
        solution=(
            "from csworkbook.operations import outcomes\n"
            "r = outcomes.revenue_after_first_year(cs.mrr_monthly, cs.as_of, min_months=24)\n"
            "answer = r.share_after"
        ),
        hint="The function counts each customer's months from its first paid month.",
        mistakes=[
            Mistake(
                lambda d: float(
                    outcomes.revenue_after_first_year(d.mrr_monthly, d.as_of, min_months=1)[
                        "share_after"
                    ]
                ),
                "that includes customers who started less than two years ago: they have not "
                "had the time to pay a second year, which pulls the share down.",
            ),
            Mistake(
                lambda d: float(
                    1 - outcomes.revenue_after_first_year(d.mrr_monthly, d.as_of)["share_after"]
                ),
                "that is the share paid in the first year; the question asks what came after.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex03 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
