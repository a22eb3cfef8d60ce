"""Exercises for notebook 10 · one customer dataset for the whole company (principle 10)."""

from __future__ import annotations

import pandas as pd

from ..health import health_frame, profiles, scoring_dates
from ..operations import company
from .core import Mistake, Question, memo

HALF = 182  # days: the half-year of the support and executive questions
DECISIONS = ("yes", "no")


def _voice(d, *, days: int = 365) -> pd.DataFrame:
    return company.account_voice(d.nps, d.as_of, days=days)


def _year(d):
    """The paying customers of the last twelve months and the tickets of the last 365 days."""
    start = d.as_of - pd.Timedelta(days=365)
    m = d.mrr_monthly
    first = d.as_of.to_period("M").to_timestamp() - pd.DateOffset(months=12)
    months = (m["month"] > first) & (m["month"] <= d.as_of)
    paying = pd.Index(m.loc[months & (m["mrr"] > 0), "account_id"].unique())
    t = d.tickets
    t = t[(t["opened_at"] > start) & (t["opened_at"] <= d.as_of)]
    return paying, t


def _no_ticket(d, *, denominator=None, all_time=False) -> float:
    paying, t = _year(d)
    if all_time:
        t = d.tickets[d.tickets["opened_at"] <= d.as_of]
    n = len(paying) if denominator is None else denominator(d)
    return 1 - t.loc[t["account_id"].isin(paying), "account_id"].nunique() / n


def _persistence(d) -> pd.DataFrame:
    half = d.as_of - pd.Timedelta(days=HALF)
    m = d.mrr_monthly
    paying = m[(m["month"] == half.to_period("M").to_timestamp()) & (m["mrr"] > 0)]
    return company.ticket_persistence(d.tickets, paying["account_id"].unique(), half, days=HALF)


def _leads(d) -> pd.DataFrame:
    dates = scoring_dates(d.as_of, weeks=52)
    then = dates[dates <= d.as_of - pd.Timedelta(days=HALF)].max()
    frame = health_frame(d, [then])
    keep = ["account_id", "obs_date", "churn_date", "arr"]
    history = pd.concat([frame[keep], profiles.holistic_scorecard().score(frame)], axis=1)
    return company.health_leads(history, d.as_of, lead_days=HALF)


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 10, bound to ``cs``."""
    persistence = memo(_persistence)
    leads = memo(_leads)

    def promoters(d, **kw) -> int:
        return int((_voice(d, **kw)["advocacy"] == "promoters").sum())

    def mean_nine(d) -> int:
        n = d.nps[(d.nps["date"] <= d.as_of) & (d.nps["date"] > d.as_of - pd.Timedelta(days=365))]
        return int((n.groupby("account_id")["score"].mean() >= 9).sum())

    q1 = Question(
        name="q1",
        prompt=(
            "Marketing wants its advocacy programme's audience: how many customers are "
            "promoters, with an account NPS of +50 or more over the 365 days to as_of "
            "(promoters minus detractors among the account's answers, company.account_voice)?"
        ),
        expected=lambda d: promoters(d),
        solution=(
            "from csworkbook.operations import company\n"
            "voice = company.account_voice(cs.nps, cs.as_of)\n"
            "answer = (voice.advocacy == 'promoters').sum()"
        ),
        hint=(
            "company.account_voice gives one row per account with its NPS and advocacy group; "
            "count the promoters."
        ),
        mistakes=[
            Mistake(
                mean_nine,
                "that counts accounts whose mean answer is 9 or more: NPS is the share of "
                "promoters minus the share of detractors, not the mean score (a 10 and a 6 "
                "average 8 but make an NPS of 0).",
            ),
            Mistake(
                lambda d: promoters(d, days=100_000),
                "that reads every answer ever given: an advocacy programme needs what the "
                "customer says now. Keep the last 365 days.",
            ),
            Mistake(
                lambda d: int(
                    (
                        (d.nps["score"] >= 9)
                        & (d.nps["date"] <= d.as_of)
                        & (d.nps["date"] > d.as_of - pd.Timedelta(days=365))
                    ).sum()
                ),
                "that counts promoter answers, not customers: one customer answers several "
                "times, through several people.",
            ),
        ],
        data=cs,
    )

    q2 = Question(
        name="q2",
        prompt=(
            "Support is reactive: it hears from a customer only when the customer opens a "
            "ticket. Of the customers who paid (mrr > 0) in any of the last twelve months, "
            "what share opened no ticket in the 365 days to as_of? Give it as a share."
        ),
        expected=lambda d: _no_ticket(d),
        solution=(
            "m = cs.mrr_monthly\n"
            "first = cs.as_of.to_period('M').to_timestamp() - pd.DateOffset(months=12)\n"
            "paying = m[(m.mrr > 0) & (m.month > first) & (m.month <= cs.as_of)].account_id.unique()\n"
            "t = cs.tickets\n"
            "t = t[(t.opened_at > cs.as_of - pd.Timedelta(days=365)) & (t.opened_at <= cs.as_of)]\n"
            "answer = 1 - t[t.account_id.isin(paying)].account_id.nunique() / len(paying)"
        ),
        hint=(
            "Count the paying customers of the last twelve months, then those of them with a "
            "ticket opened in the year; the rest never called support."
        ),
        mistakes=[
            Mistake(
                lambda d: 1 - _no_ticket(d),
                "that is the share that did open a ticket; the question asks for the silent ones.",
            ),
            Mistake(
                lambda d: _no_ticket(d, denominator=lambda x: len(x.accounts)),
                "that divides by every account on record, including customers who left before "
                "the year: count only the customers who paid in it.",
            ),
            Mistake(
                lambda d: _no_ticket(d, all_time=True),
                "that counts tickets of every year: a customer who called two years ago was "
                "silent in this one. Keep the tickets of the last 365 days.",
            ),
        ],
        data=cs,
    )

    def tier(d, column: str, row: str = "6+") -> float:
        return float(persistence(d).loc[row, column])

    q3 = Question(
        name="q3",
        prompt=(
            f"Proactive support needs to know who will call. Take the customers paying "
            f"{HALF} days before as_of and group them by the tickets they opened in the "
            f"{HALF} days before that date (company.ticket_persistence, as in notebook 10). "
            "The customers with 6 or more: how many times everyone's mean number of tickets "
            f"do they open in the {HALF} days after (the lift)?"
        ),
        expected=lambda d: tier(d, "lift"),
        solution=(
            "from csworkbook.operations import company\n"
            "half = cs.as_of - pd.Timedelta(days=182)\n"
            "m = cs.mrr_monthly\n"
            "paying = m[(m.month == half.to_period('M').to_timestamp()) & (m.mrr > 0)]\n"
            "again = company.ticket_persistence(cs.tickets, paying.account_id.unique(), half, "
            "days=182)\n"
            "answer = again.loc['6+', 'lift']"
        ),
        hint=(
            "ticket_persistence has one row per group of tickets before; the lift column "
            "divides each group's mean tickets after by everyone's mean."
        ),
        mistakes=[
            Mistake(
                lambda d: tier(d, "tickets_after"),
                "that is their mean number of tickets after, not its ratio to everyone's mean: "
                "divide by the mean of all customers.",
            ),
            Mistake(
                lambda d: tier(d, "tickets_after") / tier(d, "tickets_after", "0"),
                "that compares with the customers who opened none, not with everyone: the lift "
                "is against the mean of all customers.",
            ),
            Mistake(
                lambda d: tier(d, "share_after"),
                "that is the share of them who opened any ticket after; most customers open "
                "one, so the share hides how many more they open.",
            ),
        ],
        data=cs,
    )

    def apart(d) -> str:
        t = leads(d)
        return "yes" if t.loc["red", "low"] > t.loc["green", "high"] else "no"

    q4 = Question(
        name="q4",
        kind="choice",
        options=DECISIONS,
        prompt=(
            "Executives want one leading number. Score every customer on the last weekly "
            f"scoring date at least {HALF} days before as_of (company.health_leads, as in "
            "notebook 10). Did the customers red then churn by as_of more often than the green "
            "ones, beyond chance: does red's 95% interval lie entirely above green's? "
            "'yes' or 'no'."
        ),
        expected=apart,
        solution=(
            "from csworkbook.health import health_frame, profiles, scoring_dates\n"
            "from csworkbook.operations import company\n"
            "dates = scoring_dates(cs.as_of, weeks=52)\n"
            "then = dates[dates <= cs.as_of - pd.Timedelta(days=182)].max()\n"
            "frame = health_frame(cs, [then])\n"
            "keep = ['account_id', 'obs_date', 'churn_date', 'arr']\n"
            "history = pd.concat([frame[keep], profiles.holistic_scorecard().score(frame)], "
            "axis=1)\n"
            "leads = company.health_leads(history, cs.as_of, lead_days=182)\n"
            "answer = 'yes' if leads.loc['red', 'low'] > leads.loc['green', 'high'] else 'no'"
        ),
        hint=(
            "health_leads gives each band's churn rate with a Wilson interval (low, high): "
            "compare red's low end with green's high end."
        ),
        mistakes=[
            Mistake(
                lambda d: "no",
                "red's whole interval lies above green's: the customers red half a year ago "
                "churned more often beyond chance. Health led the revenue, which is what makes "
                "it the executives' leading number.",
            ),
            Mistake(
                lambda d: "yes",
                "red churned more often here, perhaps, but the intervals overlap: with this few "
                "red customers the gap could be chance. Look at low and high, not only the "
                "rates.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex10 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
