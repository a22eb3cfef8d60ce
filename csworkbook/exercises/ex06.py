"""Exercises for notebook 06 · the product is the differentiator (principle 6)."""

from __future__ import annotations

import pandas as pd

from ..operations import feedback, outcomes
from .core import Mistake, Question, memo


def _current(cs) -> pd.Series:
    arr = feedback.account_arr(cs.contracts, cs.as_of)
    return arr.drop(feedback.churn_dates(cs.contracts, cs.as_of).index)


def _asks(cs) -> pd.DataFrame:
    current = _current(cs)
    f = cs.feedback[cs.feedback["date"] <= cs.as_of]
    f = f.assign(arr=f["account_id"].map(current))
    return f[f["arr"].notna()]


def _top(s: pd.Series) -> tuple[str, ...]:
    """The labels sharing the largest value (a tie accepts any of them)."""
    return tuple(sorted(str(i) for i in s.index[s == s.max()]))


def _first(s: pd.Series) -> str:
    """What a mistake hands in: one label, the first of a tie."""
    return _top(s)[0]


def _themes_by_arr(cs) -> tuple[str, ...]:
    return _top(feedback.demand(cs.feedback, _current(cs), as_of=cs.as_of)["arr"])


def _lost(cs) -> pd.DataFrame:
    return feedback.churned_asks(cs.feedback, cs.contracts, cs.as_of, days=365)


def _lost_customers_who_asked(cs) -> float:
    churn = feedback.churn_dates(cs.contracts, cs.as_of)
    lost = churn[churn > cs.as_of - pd.Timedelta(days=365)]
    f = cs.feedback.assign(churn_date=cs.feedback["account_id"].map(lost))
    asked = f.loc[f["date"] < f["churn_date"], "account_id"].nunique()
    return asked / len(lost)


def _kept_who_asked(cs) -> float:
    current = _current(cs)
    return float(current.reindex(_asks(cs)["account_id"].unique()).sum() / current.sum())


_risk = memo(feedback.churn_risk)


def _plan(cs) -> pd.DataFrame:
    arr = feedback.account_arr(cs.contracts, cs.as_of)
    return feedback.priorities(cs.feedback, arr, _risk(cs), cs.as_of)


def _plan_with_shipped(cs) -> pd.DataFrame:
    arr = feedback.account_arr(cs.contracts, cs.as_of)
    everything = cs.feedback.assign(shipped_date=pd.NaT)  # shipped requests not taken out
    return feedback.priorities(everything, arr, _risk(cs), cs.as_of)


def _effect(cs, *, latest: bool = True) -> pd.DataFrame:
    decisions = outcomes.renewal_decisions(cs, days=None, latest=latest)
    return feedback.shipped_effect(feedback.loop_closed(decisions, cs.feedback), n_boot=10)


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 06, bound to ``cs``."""
    q1 = Question(
        name="q1",
        kind="choice",
        prompt=(
            "Among current customers, which theme has the most ARR behind it (each asking "
            "customer's ARR counted once per theme)?"
        ),
        expected=_themes_by_arr,
        solution=(
            "from csworkbook.operations import feedback\n"
            "arr = feedback.account_arr(cs.contracts, cs.as_of)\n"
            "current = arr.drop(feedback.churn_dates(cs.contracts, cs.as_of).index)\n"
            "answer = feedback.demand(cs.feedback, current, as_of=cs.as_of).arr.idxmax()"
        ),
        hint=(
            "Map each ask to its customer's current ARR, drop the former customers, keep one "
            "row per theme and customer, and sum the ARR per theme (or: feedback.demand)."
        ),
        mistakes=[
            Mistake(
                lambda d: _first(_asks(d).groupby("theme").size()),
                "that theme has the most asks: a customer filing ten tickets counts ten times. "
                "Weigh each customer by its ARR, once.",
            ),
            Mistake(
                lambda d: _first(_asks(d).groupby("theme")["account_id"].nunique()),
                "that theme has the most customers asking, each weighing the same: weigh them "
                "by their ARR.",
            ),
            Mistake(
                lambda d: _first(_asks(d).groupby("theme")["arr"].sum()),
                "that sums ARR once per ask, so a customer who asked five times counts five "
                "times: keep one row per theme and customer first.",
            ),
        ],
        options=sorted(cs.feedback["theme"].dropna().unique()),
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            "Of the ARR lost in the 365 days to as_of, what share belonged to customers who "
            "had asked the product for something before they left?"
        ),
        expected=lambda d: float(_lost(d).attrs["asked_share"]),
        solution=(
            "from csworkbook.operations import feedback\n"
            "lost = feedback.churned_asks(cs.feedback, cs.contracts, cs.as_of, days=365)\n"
            "answer = lost.attrs['asked_share']"
        ),
        hint=(
            "feedback.churned_asks(...).attrs holds the ARR lost and the share of it whose "
            "customer asked first; or weigh each leaver by the ARR it left with."
        ),
        mistakes=[
            Mistake(
                _lost_customers_who_asked,
                "that is the share of the customers lost, each counted once: the question "
                "weighs them by the ARR they left with.",
            ),
            Mistake(
                _kept_who_asked,
                "that is the share of the ARR still here whose customers asked: the question "
                "is about the ARR that left.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        kind="choice",
        prompt=(
            "Which request, not shipped by as_of, has the most ARR at risk among the current "
            "customers asking for it (each customer's ARR times its churn risk)?"
        ),
        expected=lambda d: _top(_plan(d)["arr_at_risk"]),
        solution=(
            "from csworkbook.operations import feedback\n"
            "arr = feedback.account_arr(cs.contracts, cs.as_of)\n"
            "plan = feedback.priorities(cs.feedback, arr, feedback.churn_risk(cs), cs.as_of)\n"
            "answer = plan.arr_at_risk.idxmax()"
        ),
        hint="feedback.churn_risk(cs) gives the risks; feedback.priorities ranks the open requests.",
        options=sorted(cs.feedback["request"].dropna().unique()),
        mistakes=[
            Mistake(
                lambda d: _first(_plan(d)["asks"]),
                "that request has the most asks, not the most ARR at risk behind it.",
            ),
            Mistake(
                lambda d: _first(_plan(d)["arr"]),
                "that request has the most ARR asking for it; weigh each customer's ARR by its "
                "churn risk.",
            ),
            Mistake(
                lambda d: _first(_plan_with_shipped(d)["arr_at_risk"]),
                "that request has already shipped: the roadmap ranks what is still open.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        prompt=(
            "Customers with an open request before their latest annual renewal: the difference "
            "in churn (request shipped minus not shipped), pooled within segments. Then read "
            "its interval: can you tell it from no difference, and would that make it an effect?"
        ),
        expected=lambda d: float(_effect(d).loc["within segment", "difference"]),
        solution=(
            "from csworkbook.operations import feedback, outcomes\n"
            "decisions = outcomes.renewal_decisions(cs, days=None)\n"
            "rows = feedback.loop_closed(decisions, cs.feedback)\n"
            "effect = feedback.shipped_effect(rows, by='segment')\n"
            "answer = effect.loc['within segment', 'difference']"
        ),
        hint=(
            "outcomes.renewal_decisions(cs, days=None) keeps each customer's latest decision; "
            "feedback.loop_closed marks whose request shipped; feedback.shipped_effect compares."
        ),
        mistakes=[
            Mistake(
                lambda d: float(_effect(d).loc["all decisions", "difference"]),
                "that is the raw difference over all customers: the roadmap ships what larger "
                "customers ask for, and larger customers churn less anyway. Compare within "
                "segments.",
            ),
            Mistake(
                lambda d: -float(_effect(d).loc["within segment", "difference"]),
                "the sign is reversed: shipped minus not shipped.",
            ),
            Mistake(
                lambda d: float(_effect(d, latest=False).loc["within segment", "difference"]),
                "that counts every renewal decision, several per customer: keep each customer's "
                "latest decision (one row per customer).",
            ),
        ],
        rel=1e-3,
        abs=1e-6,
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex06 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
