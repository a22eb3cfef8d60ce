"""Exercises for notebook 07 · shorten time to value (principle 7)."""

from __future__ import annotations

import pandas as pd

from ..operations import onboarding
from .core import Mistake, Question, memo

SEGMENT = "enterprise"  # q1 asks about the slowest-onboarding segment of the demo
SOONER = 14  # q4: days sooner to first value


def _first(labels) -> str:
    return str(sorted(labels)[0])


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 07, bound to ``cs``."""
    days = memo(lambda d: onboarding.milestone_days(d))
    renewals = memo(lambda d: onboarding.first_renewals(d, days(d)))
    candidates = memo(lambda d: onboarding.milestone_candidates(renewals(d), n_boot=0))

    def seen(d) -> pd.DataFrame:
        r = renewals(d)
        return r[r["renewed_seen"]]

    def segment(d) -> pd.DataFrame:
        return days(d)[days(d)["segment"] == SEGMENT]

    def best_by(d, column: str) -> str:
        c = candidates(d)
        return _first(c.index[c[column] == c[column].max()])

    def widest_gap(d) -> str:
        c = candidates(d)
        gap = c["renewed_if_reached"] - c["renewed_if_not"]
        return _first(c.index[gap == gap.max()])

    def kept(d, adjust: bool) -> float:
        r = renewals(d)
        if not adjust:
            return float(onboarding.shave_value(r, [SOONER], n_boot=0)["kept_arr"].iloc[0])
        r = r.join(d.accounts.set_index("account_id")[["icp_fit"]])
        out = onboarding.shave_value(r, [SOONER], adjust=["icp_fit"], n_boot=0)
        return float(out["kept_arr"].iloc[0])

    def lost(d) -> float:
        out = onboarding.shave_value(renewals(d), [SOONER], n_boot=0)
        return float(out["lost_arr"].iloc[0])

    q1 = Question(
        name="q1",
        prompt=(
            f"How many days did the typical (median) {SEGMENT} customer take from its first "
            "contract to first value, among those who reached it?"
        ),
        expected=lambda d: float(segment(d)["first_value"].median()),
        solution=(
            "from csworkbook.operations import onboarding\n"
            "days = onboarding.milestone_days(cs)\n"
            f"answer = days[days.segment == {SEGMENT!r}].first_value.median()"
        ),
        hint=(
            "onboarding.milestone_days(cs) has one row per customer and a column of days per "
            "milestone; keep the segment's rows and take the median of first_value."
        ),
        mistakes=[
            Mistake(
                lambda d: float(segment(d)["first_value"].mean()),
                "that is the mean: a few very slow customers pull it up. The typical customer "
                "is the median.",
            ),
            Mistake(
                lambda d: float(days(d)["first_value"].median()),
                f"that is the median of every segment; {SEGMENT} customers onboard at their "
                "own pace.",
            ),
            Mistake(
                lambda d: float((segment(d)["first_value"] - segment(d)["kickoff"]).median()),
                "that counts from the kickoff meeting; the question counts from the first "
                "contract.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            "Among customers whose first contract runs a year or more and whose first renewal "
            "lies in the data, what share of the slow starters (the speed band 'slow', over "
            "1.5 times their segment's median time to value) renewed at it?"
        ),
        expected=lambda d: float((~seen(d).loc[seen(d)["speed_band"] == "slow", "lost"]).mean()),
        solution=(
            "from csworkbook.operations import onboarding\n"
            "renewals = onboarding.first_renewals(cs, onboarding.milestone_days(cs))\n"
            "seen = renewals[renewals.renewed_seen]\n"
            "answer = 1 - seen[seen.speed_band == 'slow'].lost.mean()"
        ),
        hint=(
            "onboarding.first_renewals(cs, days) keeps the annual-or-longer customers; keep "
            "those with renewed_seen, then the slow band, and take the share not lost."
        ),
        mistakes=[
            Mistake(
                lambda d: float(
                    (~renewals(d).loc[renewals(d)["speed_band"] == "slow", "lost"]).mean()
                ),
                "that counts customers whose first renewal has not come yet: they could not "
                "have left, so the rate looks better than it is. Keep renewed_seen.",
            ),
            Mistake(
                lambda d: float(seen(d).loc[seen(d)["speed_band"] == "slow", "lost"].mean()),
                "that is the share lost at the first renewal; the question asks how many renewed.",
            ),
            Mistake(
                lambda d: float((seen(d).loc[~seen(d)["lost"], "speed_band"] == "slow").mean()),
                "that is the share of renewing customers who were slow starters: the wrong "
                "denominator. The question divides by the slow starters.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        kind="choice",
        options=tuple(sorted(candidates(cs).index)),
        prompt=(
            "onboarding.milestone_candidates judges every 'milestone reached within k x the "
            "segment's median time to value' on the same customers. As an early warning of "
            "churn at the first renewal, which candidate tells renewals and churn apart best? "
            "Answer with its name, e.g. 'kickoff by 0.5x'."
        ),
        expected=lambda d: tuple(
            candidates(d).index[candidates(d)["auc"] == candidates(d)["auc"].max()]
        ),
        solution=(
            "from csworkbook.operations import onboarding\n"
            "renewals = onboarding.first_renewals(cs, onboarding.milestone_days(cs))\n"
            "answer = onboarding.milestone_candidates(renewals).index[0]"
        ),
        hint=(
            "The AUC of 'missed it' ranks the candidates on all the customers at once; a "
            "renewal rate alone ignores how many reached the milestone."
        ),
        mistakes=[
            Mistake(
                lambda d: best_by(d, "renewed_if_reached"),
                "its customers renew most often, but look how few reach it "
                "(reached_share): a milestone almost nobody reaches warns about almost "
                "everybody. Compare the AUCs.",
            ),
            Mistake(
                widest_gap,
                "that candidate has the widest gap between those who made it and those who "
                "did not, but nearly everyone makes it, so the gap rests on a handful of "
                "customers. Compare the AUCs.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        prompt=(
            f"onboarding.shave_value estimates the first-renewal ARR kept if every customer "
            f"had reached first value {SOONER} days sooner. Fit it twice (n_boot=0 is enough): "
            "on speed and segment, and also with the fit score sales gave at signing "
            "(adjust=['icp_fit']). What share of the first model's kept ARR does the second "
            "still credit to speed? (second ÷ first)"
        ),
        expected=lambda d: kept(d, True) / kept(d, False),
        solution=(
            "from csworkbook.operations import onboarding\n"
            "renewals = onboarding.first_renewals(cs, onboarding.milestone_days(cs))\n"
            f"first = onboarding.shave_value(renewals, [{SOONER}], n_boot=0)\n"
            "with_fit = renewals.join(cs.accounts.set_index('account_id')[['icp_fit']])\n"
            f"second = onboarding.shave_value(with_fit, [{SOONER}], adjust=['icp_fit'], "
            "n_boot=0)\n"
            "answer = second.kept_arr.iloc[0] / first.kept_arr.iloc[0]"
        ),
        hint=(
            "Join icp_fit from cs.accounts onto the renewals table, pass adjust=['icp_fit'], "
            "and divide the two kept_arr values."
        ),
        mistakes=[
            Mistake(
                lambda d: kept(d, False) / kept(d, True),
                "that is the ratio upside down: the first model over the second.",
            ),
            Mistake(
                lambda d: kept(d, True) / lost(d),
                "that is the share of the churned ARR the second model keeps; the question "
                "compares the two models.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex07 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
