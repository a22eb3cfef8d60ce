"""Exercises for notebook 09 · CS maturity and the team's own KPIs (principle 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..operations import coverage, maturity
from .core import Mistake, Question, memo

# The self-assessment of q1: measured falls short, optimized is answered "yes" throughout.
TEAM = {
    "r1": "yes",
    "r2": "yes",
    "r3": "partly",
    "d1": "yes",
    "d2": "partly",
    "d3": "partly",
    "m1": "yes",
    "m2": "partly",
    "m3": "no",
    "o1": "yes",
    "o2": "yes",
    "o3": "yes",
}
LEVELS = ("ad hoc", *maturity.LEVELS)
OWNED = ("high", "low")  # the touch models with a named CSM
DECISIONS = ("yes", "no")
MIN_AGREEMENT = 0.5  # a ranking worth using keeps most of its order from one half to the next


def _loose_level(answers) -> str:
    """The mistake of q1: the highest level scoring two thirds, whatever lies below it."""
    a = maturity.assess(answers)
    ok = a.index[a["score"] >= 2 / 3]
    return str(ok[-1]) if len(ok) else "ad hoc"


def _owned_share(d, *, channels=None, models=OWNED, mean_of_shares=False) -> float:
    t = coverage.coverage(d, by="touch_model", channels=channels)
    last = t.xs(t.index.get_level_values("period").max(), level="period")
    last = last.loc[[m for m in models if m in last.index]]
    if mean_of_shares:
        return float(last["touched"].mean())
    return float((last["touched"] * last["accounts"]).sum() / last["accounts"].sum())


def _months(d):
    end = d.as_of.to_period("M").to_timestamp()
    return end - pd.DateOffset(months=12), end - pd.DateOffset(months=6), end


def _halves(d, metric="grr") -> pd.DataFrame:
    start, middle, end = _months(d)
    return maturity.split_half(d.mrr_monthly, d.accounts, start, middle, end, metric=metric)


def _high(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["touch_model"] == "high"]


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 09, bound to ``cs``."""
    halves = memo(_halves)
    owners = memo(
        lambda d: maturity.retention_by_owner(d.mrr_monthly, d.accounts, *_months(d)[::2])
    )

    q1 = Question(
        name="q1",
        kind="choice",
        options=LEVELS,
        prompt=(
            "A team answered the twelve statements as in TEAM (no 0, partly ½, yes 1). A level "
            "is reached when it and every level below it score two thirds or more. Which level "
            "has the team reached?"
        ),
        expected=lambda d: maturity.assess(TEAM).attrs["level"],
        solution=(
            "from csworkbook.exercises.ex09 import TEAM\n"
            "from csworkbook.operations import maturity\n"
            "answer = maturity.assess(TEAM).attrs['level']"
        ),
        hint=(
            "Add up each level's points out of 3, then walk up from 'repeatable' and stop at "
            "the first level below two thirds (2 of 3 points is enough)."
        ),
        mistakes=[
            Mistake(
                lambda d: _loose_level(TEAM),
                "optimized scores 3 of 3, but measured is below two thirds: a level stands on "
                "every level below it, so a team that measures little cannot be optimized by "
                "its measurements.",
            ),
            Mistake(
                lambda d: maturity.assess(TEAM, threshold=0.7).attrs["level"],
                "two thirds is enough: 'defined' scores exactly 2 of 3 points, and 'two thirds "
                "or more' includes it.",
            ),
        ],
        data=cs,
    )

    q2 = Question(
        name="q2",
        prompt=(
            "In the last complete quarter, what share of the paying high- and low-touch "
            "customers (those with a named CSM) had at least one one-to-one touchpoint "
            "(coverage.coverage, touched)? Give it as a share."
        ),
        expected=lambda d: _owned_share(d),
        solution=(
            "from csworkbook.operations import coverage\n"
            "t = coverage.coverage(cs, by='touch_model')\n"
            "last = t.xs(t.index.get_level_values('period').max(), level='period')\n"
            "last = last.loc[['high', 'low']]\n"
            "answer = (last.touched * last.accounts).sum() / last.accounts.sum()"
        ),
        hint=(
            "coverage.coverage(cs, by='touch_model') has one row per touch model and quarter: "
            "keep the last quarter's high and low rows and weight each share by its accounts."
        ),
        mistakes=[
            Mistake(
                lambda d: _owned_share(d, mean_of_shares=True),
                "that averages the two shares as if both touch models held as many customers: "
                "weight each by its accounts (touched customers over all customers).",
            ),
            Mistake(
                lambda d: _owned_share(d, models=("high", "low", "tech")),
                "that includes the tech-touch customers, who have no CSM to meet: the statement "
                "is about customers with a named CSM.",
            ),
            Mistake(
                lambda d: _owned_share(
                    d, channels=dict.fromkeys(coverage.CHANNELS, "one-to-one"), models=OWNED
                ),
                "that counts every touchpoint, webinars and e-mails included: only a one-to-one "
                "meeting (onboarding call, check-in, QBR, EBR) covers a customer.",
            ),
        ],
        data=cs,
    )

    def rho(d, *, pooled=False) -> float:
        h = halves(d)
        if pooled:
            return float(maturity.rank_agreement(h.assign(touch_model="all")).iloc[0])
        return float(maturity.rank_agreement(h)["high"])

    q3 = Question(
        name="q3",
        prompt=(
            "Rank the high-touch CSMs by GRR in each half of the last twelve months (6 months "
            "each, maturity.split_half). What is the Spearman rank correlation between the two "
            "halves (maturity.rank_agreement)?"
        ),
        expected=lambda d: rho(d),
        solution=(
            "from csworkbook.operations import maturity\n"
            "end = cs.as_of.to_period('M').to_timestamp()\n"
            "start, middle = end - pd.DateOffset(months=12), end - pd.DateOffset(months=6)\n"
            "halves = maturity.split_half(cs.mrr_monthly, cs.accounts, start, middle, end)\n"
            "answer = maturity.rank_agreement(halves)['high']"
        ),
        hint=(
            "split_half gives each CSM's GRR in both halves with the touch model; "
            "rank_agreement correlates the ranks within each touch model."
        ),
        mistakes=[
            Mistake(
                lambda d: rho(d, pooled=True),
                "that pools the touch models: it ranks high touch against low touch (different "
                "customers, different churn), not the people. Rank within a touch model.",
            ),
            Mistake(
                lambda d: float(_high(halves(d))[["first", "second"]].corr().iloc[0, 1]),
                "that is the Pearson correlation of the GRR values: one CSM with a large churn "
                "drives it. A ranking is judged by its ranks (Spearman).",
            ),
            Mistake(
                lambda d: float(
                    _high(_halves(d, "nrr"))[["first", "second"]].rank().corr().iloc[0, 1]
                ),
                "that ranks NRR, which adds expansion; the question is about GRR.",
            ),
        ],
        data=cs,
    )

    def decision(d) -> str:
        r = rho(d)
        overlap = float(maturity.interval_overlap(owners(d))["high"])
        return "yes" if np.isfinite(r) and r >= MIN_AGREEMENT and overlap < 0.5 else "no"

    q4 = Question(
        name="q4",
        kind="choice",
        options=DECISIONS,
        prompt=(
            "The head of CS wants to rank the high-touch CSMs by their GRR of the last twelve "
            "months in this year's performance review. Look at two numbers: the rank "
            f"correlation of q3 (a ranking worth using keeps it at {MIN_AGREEMENT} or more) "
            "and the share of pairs of high-touch CSMs whose 95% GRR intervals overlap "
            "(maturity.interval_overlap on maturity.retention_by_owner; under half, if the "
            "ranking tells people apart). Should the review rank them by GRR: 'yes' or 'no'?"
        ),
        expected=decision,
        solution=(
            "from csworkbook.operations import maturity\n"
            "end = cs.as_of.to_period('M').to_timestamp()\n"
            "start, middle = end - pd.DateOffset(months=12), end - pd.DateOffset(months=6)\n"
            "halves = maturity.split_half(cs.mrr_monthly, cs.accounts, start, middle, end)\n"
            "rho = maturity.rank_agreement(halves)['high']\n"
            "owners = maturity.retention_by_owner(cs.mrr_monthly, cs.accounts, start, end)\n"
            "overlap = maturity.interval_overlap(owners)['high']\n"
            f"answer = 'yes' if rho >= {MIN_AGREEMENT} and overlap < 0.5 else 'no'"
        ),
        hint=(
            "Compute both numbers. A ranking that reshuffles from one half-year to the next, "
            "or intervals that mostly overlap, measure the luck of a small book, not the CSM."
        ),
        mistakes=[
            Mistake(
                lambda d: "yes",
                "a league table always has a first and a last, but here the ranking does not "
                "survive from one half-year to the next, or the intervals overlap for most "
                "pairs: the GRR of a few dozen customers cannot tell these CSMs apart. Judge "
                "them on what they control (coverage, calls answered).",
            ),
            Mistake(
                lambda d: "no",
                "on this data the ranking holds from one half to the next and most intervals "
                "are apart: it does tell the CSMs apart.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex09 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
