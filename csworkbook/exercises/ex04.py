"""Exercises for notebook 04 · customer health (principle 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..health import health_frame, monitor, profiles, scoring_dates
from ..retention import metrics
from .core import Mistake, Question, memo

GROUPS = ("product usage", "relationship", "voice of customer", "support", "outcomes")


def _today(cs) -> pd.DataFrame:
    frame = health_frame(cs, [cs.as_of])
    return frame[frame.obs_date == cs.as_of].reset_index(drop=True)


def _history(cs) -> pd.DataFrame:
    """Five weekly scoring dates: what the three rules need (a week back, four weeks back)."""
    frame = health_frame(cs, scoring_dates(cs.as_of, weeks=5))
    card = profiles.holistic_scorecard()
    keep = frame[["account_id", "obs_date", "arr", "next_renewal"]]
    return pd.concat([keep, card.score(frame)], axis=1)


def _calls(history: pd.DataFrame, as_of) -> pd.DataFrame:
    return monitor.calls_to_action(history, as_of, drop=15, renewal_days=90)


def _people(cs) -> pd.DataFrame:
    return profiles.user_health(cs, cs.as_of)


def _answers_in_year(cs) -> pd.Series:
    n = cs.nps
    window = (n["date"] <= cs.as_of) & (n["date"] > cs.as_of - pd.Timedelta(days=365))
    return n.loc[window, "score"]


def _lost_by_group(today: pd.DataFrame) -> pd.DataFrame:
    """For the lowest score today: per group, the points it added and the points it could
    have added (its share of the scorecard), as in notebook 04's "why" table."""
    card = profiles.holistic_scorecard()
    scored = pd.concat([today[["account_id"]], card.score(today)], axis=1)
    worst = scored.sort_values(["score", "account_id"], kind="stable").index[0]
    contrib = card.contributions(today.loc[[worst]]).iloc[0]
    w = card.weights().set_index("measure")
    return pd.DataFrame(
        {
            "points": contrib.groupby(w["group"]).sum(),
            "could_be": w["pct_of_score"].groupby(w["group"]).sum(),
        }
    ).assign(lost=lambda t: t["could_be"] - t["points"])


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 04, bound to ``cs``."""
    today, history = memo(_today), memo(_history)  # computed once, when first needed
    calls = memo(lambda d: _calls(history(d), d.as_of))
    lost = memo(lambda d: _lost_by_group(today(d)))

    def active(d):
        return today(d)["active_share"]

    q1 = Question(
        name="q1",
        prompt=(
            "Score every customer's share of active seats today on a straight line from red "
            "(10%: 0 points) to green (50%: 100 points), held within 0-100. What is the mean "
            "number of points?"
        ),
        expected=lambda d: float(np.clip(100 * (active(d) - 0.10) / 0.40, 0, 100).mean()),
        solution=(
            "from csworkbook.health import health_frame\n"
            "today = health_frame(cs, [cs.as_of])\n"
            "points = np.clip(100 * (today.active_share - 0.10) / (0.50 - 0.10), 0, 100)\n"
            "answer = points.mean()"
        ),
        hint=(
            "health_frame(cs, [cs.as_of]) gives one row per customer today; its active_share "
            "column is the share of seats active in the last 28 days. Points = 100 × (value - "
            "red) / (green - red), then np.clip to 0-100."
        ),
        mistakes=[
            Mistake(
                lambda d: float((100 * (active(d) - 0.10) / 0.40).mean()),
                "the line was not held within 0-100: customers above 50% earn more than 100 "
                "points and those under 10% less than 0 (that is the 'linear' scoring).",
            ),
            Mistake(
                lambda d: float(100 * active(d).mean()),
                "that is the mean share of active seats in percent, not the points the "
                "red/green thresholds give.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            "Person-level health reads each person's latest answer (0-10) to the "
            "would-you-recommend survey in the 365 days up to as_of (profiles.user_health). "
            "What Net Promoter Score do those latest answers give (-100 to 100)?"
        ),
        expected=lambda d: float(metrics.nps(_people(d)["recommend"])),
        solution=(
            "from csworkbook.health import profiles\n"
            "people = profiles.user_health(cs, cs.as_of)\n"
            "answer = metrics.nps(people.recommend)"
        ),
        hint=(
            "NPS = % promoters (9-10) minus % detractors (0-6); metrics.nps does it. "
            "profiles.user_health keeps one answer per person, in the column recommend."
        ),
        mistakes=[
            Mistake(
                lambda d: float(_people(d)["recommend"].mean()),
                "that is the mean 0-10 answer (the recommend score), not an NPS: NPS is the "
                "% of promoters minus the % of detractors.",
            ),
            Mistake(
                lambda d: float(_people(d)["score"].mean()),
                "that is the mean person-level health (promoter 100, passive 60, detractor "
                "0), not the NPS.",
            ),
            Mistake(
                lambda d: float(metrics.nps(_answers_in_year(d))),
                "that counts every answer of the year, so people who answered twice count "
                "twice; the question takes each person's latest answer.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            "Monday's list: the calls to action on as_of (entered red; dropped 15+ points in "
            "28 days; renewal within 90 days and not green) from the holistic scorecard's "
            "weekly history. How much ARR is at stake on it, each account counted once?"
        ),
        expected=lambda d: float(calls(d).drop_duplicates("account_id")["arr"].sum()),
        solution=(
            "from csworkbook.health import health_frame, monitor, profiles, scoring_dates\n"
            "frame = health_frame(cs, scoring_dates(cs.as_of, weeks=5))  # the rules look back 4 weeks\n"
            "card = profiles.holistic_scorecard()\n"
            "history = pd.concat([frame[['account_id', 'obs_date', 'arr', 'next_renewal']], "
            "card.score(frame)], axis=1)\n"
            "ctas = monitor.calls_to_action(history, cs.as_of, drop=15, renewal_days=90)\n"
            "answer = ctas.drop_duplicates('account_id').arr.sum()"
        ),
        hint=(
            "monitor.calls_to_action gives one row per account *and rule*: an account whose "
            "renewal is near and whose score just dropped appears twice."
        ),
        mistakes=[
            Mistake(
                lambda d: float(calls(d)["arr"].sum()),
                "that sums the list's rows: accounts that fire two rules are counted twice. "
                "Keep one row per account before summing.",
            ),
            Mistake(
                lambda d: float(
                    history(d)
                    .loc[lambda h: h["account_id"].isin(calls(d)["account_id"]), "arr"]
                    .sum()
                ),
                "that sums ARR over every customer-week of the history: each account counts "
                "once per scoring date. Take the list on as_of, one row per account.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        kind="choice",
        options=GROUPS,
        prompt=(
            "The customer with the lowest holistic score today: in which group of the "
            "scorecard did it lose the most points (could have earned minus earned)? That is "
            "where its CSM should start the conversation."
        ),
        expected=lambda d: str(lost(d)["lost"].idxmax()),
        solution=(
            "from csworkbook.health import health_frame, profiles\n"
            "today = health_frame(cs, [cs.as_of])\n"
            "card = profiles.holistic_scorecard()\n"
            "worst = card.score(today).score.idxmin()\n"
            "contrib = card.contributions(today.loc[[worst]]).iloc[0]\n"
            "w = card.weights().set_index('measure')\n"
            "lost = (w.pct_of_score - contrib).groupby(w.group).sum()\n"
            "answer = lost.idxmax()"
        ),
        hint=(
            "card.contributions splits a score into the points each measure added; "
            "card.weights().pct_of_score is what each measure could add. Sum both by group."
        ),
        mistakes=[
            Mistake(
                lambda d: str(lost(d)["points"].idxmin()),
                "that group earned the fewest points, but it could only earn few: compare "
                "what each group earned with what it could have earned.",
            ),
            Mistake(
                lambda d: str(lost(d)["lost"].idxmin()),
                "that is where it lost the fewest points: sort the other way.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex04 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
