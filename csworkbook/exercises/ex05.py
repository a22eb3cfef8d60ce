"""Exercises for notebook 05 · segments and touch models, loyalty built by a system
(principle 5)."""

from __future__ import annotations

import pandas as pd

from ..operations import coverage
from .core import Mistake, Question, memo

RECENT, NONE = "left 0-6 months before", "none left within the year"
OPTIONS = ("yes", "no", "cannot tell")


def _last_quarter(cov: pd.DataFrame) -> pd.DataFrame:
    return cov.xs(cov.index.get_level_values("period").max(), level="period")


def _low_on_record(cs) -> float:
    """Low-touch customers met one-to-one in the last quarter, over every low-touch customer
    on record (paying or not)."""
    now = _last_quarter(coverage.coverage(cs)).loc["low"]
    return float(now["touched"] * now["accounts"] / (cs.accounts["touch_model"] == "low").sum())


def _any_touch(cs) -> float:
    channels = dict.fromkeys(coverage.CHANNELS, "one-to-one")  # every kind counted as a meeting
    return float(_last_quarter(coverage.coverage(cs, channels=channels)).loc["low", "touched"])


def _verdict(effect: pd.DataFrame) -> str:
    d = effect.loc["difference"]
    return "yes" if d["low"] > 0 else "no" if d["high"] < 0 else "cannot tell"


def _naive(weeks: pd.DataFrame) -> str:
    """Attendees against the customers who never attended, adoption averaged per customer."""
    per = weeks.groupby("account_id").agg(attended=("attended", "any"), adoption=("before", "mean"))
    mean = per.groupby("attended")["adoption"].mean()
    return "yes" if mean.get(True, 0) > mean.get(False, 0) else "no"


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 05, bound to ``cs``."""
    book = memo(coverage.book_at)
    rel = memo(coverage.renewal_relationships)
    weeks = memo(lambda d: coverage.programme_adoption(d, "webinar", weeks=4))
    effect = memo(lambda d: coverage.programme_effect(weeks(d), seed=0))

    def rates(d):
        return rel(d).groupby("champion")["renewed"].mean()

    q1 = Question(
        name="q1",
        prompt=(
            "Of the ARR paying at as_of (this month's MRR x 12), what share sits with "
            "high-touch customers?"
        ),
        expected=lambda d: float(coverage.segment_summary(book(d)).loc["high", "arr_share"]),
        solution=(
            "from csworkbook.operations import coverage\n"
            "book = coverage.book_at(cs)\n"
            "answer = book[book.touch_model == 'high'].arr.sum() / book.arr.sum()"
        ),
        hint="coverage.book_at(cs) is one row per paying customer with its ARR and touch model.",
        mistakes=[
            Mistake(
                lambda d: float((book(d)["touch_model"] == "high").mean()),
                "that is the share of paying customers in high touch; the question asks for "
                "their share of the ARR.",
            ),
            Mistake(
                lambda d: float(
                    d.contracts.assign(
                        model=d.contracts["account_id"].map(
                            d.accounts.set_index("account_id")["touch_model"]
                        )
                    )
                    .groupby("model")["arr"]
                    .sum()
                    .pipe(lambda s: s.get("high", 0) / s.sum())
                ),
                "that sums the ARR of every contract ever signed, including the ones that "
                "ended: count only what is paying at as_of.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            "In the last complete quarter, what share of the low-touch customers paying in it "
            "were met one-to-one (onboarding call, check-in, QBR or EBR) at least once?"
        ),
        expected=lambda d: float(_last_quarter(coverage.coverage(d)).loc["low", "touched"]),
        solution=(
            "from csworkbook.operations import coverage\n"
            "cov = coverage.coverage(cs, freq='Q')\n"
            "last = cov.index.get_level_values('period').max()\n"
            "answer = cov.xs(last, level='period').loc['low', 'touched']"
        ),
        hint="coverage.coverage(cs) has one row per touch model and quarter; 'touched' is the share.",
        mistakes=[
            Mistake(
                _any_touch,
                "that counts e-mails, webinars and trainings as meetings: one-to-one means a "
                "CSM talking with this customer.",
            ),
            Mistake(
                _low_on_record,
                "that divides by every low-touch customer on record, including the ones that "
                "left: the denominator is the customers paying in the quarter.",
            ),
            Mistake(
                lambda d: float(
                    _last_quarter(coverage.coverage(d)).loc["low", "one-to-one per account"]
                ),
                "that is one-to-one touchpoints per customer (a mean count), not the share of "
                "customers met at least once.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            "Renewal decisions of annual contracts (coverage.renewal_relationships): how much "
            "lower is the renewal rate within six months after a champion left than with no "
            "departure in the year before? Give the difference as a share (0.05 for 5 points)."
        ),
        expected=lambda d: float(rates(d)[NONE] - rates(d)[RECENT]),
        solution=(
            "from csworkbook.operations import coverage\n"
            "rel = coverage.renewal_relationships(cs)\n"
            "rate = rel.groupby('champion').renewed.mean()\n"
            "answer = rate['none left within the year'] - rate['left 0-6 months before']"
        ),
        hint="Group the decisions by 'champion' and compare the mean of 'renewed'.",
        mistakes=[
            Mistake(
                lambda d: float(
                    rel(d).loc[rel(d)["champion"] != RECENT, "renewed"].mean() - rates(d)[RECENT]
                ),
                "that compares with every other decision, including those 6-12 months after "
                "a departure: compare with the decisions with no departure in the year.",
            ),
            Mistake(
                lambda d: float(rates(d)[RECENT] - rates(d)[NONE]),
                "the sign is reversed: the question asks how much *lower* the rate is after "
                "a departure.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        kind="choice",
        options=OPTIONS,
        prompt=(
            "Does attending a webinar raise adoption (weekly active users / seats) in the four "
            "weeks after? Compare like with like (coverage.programme_effect, seed=0) and answer "
            "'yes' if the difference's 95% interval lies above 0, 'no' if below, 'cannot tell' "
            "if it includes 0."
        ),
        expected=lambda d: _verdict(effect(d)),
        solution=(
            "from csworkbook.operations import coverage\n"
            "weeks = coverage.programme_adoption(cs, 'webinar', weeks=4)\n"
            "d = coverage.programme_effect(weeks, seed=0).loc['difference']\n"
            "answer = 'yes' if d.low > 0 else 'no' if d.high < 0 else 'cannot tell'"
        ),
        hint=(
            "programme_adoption gives attended and comparison weeks; programme_effect's row "
            "'difference' compares them within the same calendar weeks, with an interval."
        ),
        mistakes=[
            Mistake(
                lambda d: _naive(weeks(d)),
                "that compares the customers who attend with those who never do: it says who "
                "signs up, not what attending does.",
            ),
            Mistake(
                lambda d: "yes" if effect(d).loc["difference", "change"] > 0 else "no",
                "that reads the sign of the point estimate; its interval includes 0, so these "
                "weeks cannot tell an effect from none.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex05 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
