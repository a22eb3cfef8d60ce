"""Exercises for notebook 00 · welcome and data tour (principle 8)."""

from __future__ import annotations

import pandas as pd

from .core import Mistake, Question


def _active(cs) -> pd.DataFrame:
    """Contracts still running at as_of (no end date), with the account's industry."""
    active = cs.contracts[cs.contracts["end_date"].isna()]
    return active.merge(cs.accounts[["account_id", "industry"]], on="account_id")


def _industry_arr(cs, *, ended_too: bool = False) -> pd.Series:
    """ARR by industry, least first: of running contracts, or of every contract ever."""
    k = cs.contracts if ended_too else cs.contracts[cs.contracts["end_date"].isna()]
    k = k.merge(cs.accounts[["account_id", "industry"]], on="account_id")
    return k.groupby("industry")["arr"].sum().sort_values()


def _tickets_per_account(cs, denominator: str = "accounts") -> pd.Series:
    seg = cs.accounts.set_index("account_id")["segment"]
    t = cs.tickets.assign(segment=cs.tickets["account_id"].map(seg))
    tickets = t.groupby("segment").size()
    if denominator == "accounts":
        n = cs.accounts.groupby("segment").size()
    elif denominator == "with tickets":
        n = t.groupby("segment")["account_id"].nunique()
    else:  # no denominator: raw ticket counts
        n = 1
    return tickets / n


def _ratio(per: pd.Series) -> float:
    return float(per["enterprise"] / per["smb"])


def _mean_over_median(arr: pd.Series) -> float:
    return float(arr.mean() / arr.median())


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 00, bound to ``cs``."""
    q1 = Question(
        name="q1",
        prompt=(
            "How many customers does the company have at cs.as_of: distinct accounts with at "
            "least one contract still running (no end_date)?"
        ),
        expected=lambda d: int(_active(d)["account_id"].nunique()),
        solution=(
            "active = cs.contracts[cs.contracts.end_date.isna()]\n"
            "answer = active.account_id.nunique()"
        ),
        hint=(
            "Keep the contracts whose end_date is missing, then count accounts, not rows: "
            "a customer can hold several contracts."
        ),
        mistakes=[
            Mistake(
                lambda d: int(d.contracts["end_date"].isna().sum()),
                "that counts running contracts, not customers: some customers hold several. "
                "Count distinct account_id.",
            ),
            Mistake(
                lambda d: len(d.accounts),
                "that is every account in the data, including those that have left. Keep the "
                "accounts with a contract still running.",
            ),
        ],
        rel=0,
        data=cs,
    )
    q2 = Question(
        name="q2",
        kind="choice",
        options=sorted(str(i) for i in cs.accounts["industry"].dropna().unique()),
        prompt=(
            "Which industry brings in the most ARR from contracts still running? Answer with "
            "the industry as written in cs.accounts (e.g. 'retail')."
        ),
        expected=lambda d: str(_industry_arr(d).index[-1]),
        solution=(
            "active = cs.contracts[cs.contracts.end_date.isna()]\n"
            "arr = active.merge(cs.accounts[['account_id', 'industry']], on='account_id')"
            ".groupby('industry').arr.sum()\n"
            "answer = arr.idxmax()"
        ),
        hint=(
            "Reuse the `book` cell of notebook 00: merge the running contracts with the "
            "accounts' industry, group by industry and sum arr."
        ),
        mistakes=[
            Mistake(
                lambda d: str(_industry_arr(d).index[0]),
                "that industry has the least ARR: sort the other way.",
            ),
            Mistake(
                lambda d: str(
                    _active(d).groupby("industry")["account_id"].nunique().sort_values().index[-1]
                ),
                "that industry has the most customers, not the most ARR: sum arr instead of "
                "counting accounts.",
            ),
            Mistake(
                lambda d: str(_industry_arr(d, ended_too=True).index[-1]),
                "that sums every contract ever signed, including those that ended: keep the "
                "contracts without an end_date.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            "Per account of its segment, how many times as many support tickets did enterprise "
            "accounts open as SMB accounts? (tickets per enterprise account ÷ tickets per SMB "
            "account)"
        ),
        expected=lambda d: _ratio(_tickets_per_account(d)),
        solution=(
            "seg = cs.accounts.set_index('account_id').segment\n"
            "tickets = cs.tickets.account_id.map(seg).value_counts()\n"
            "accounts = cs.accounts.segment.value_counts()\n"
            "per_account = tickets / accounts\n"
            "answer = per_account['enterprise'] / per_account['smb']"
        ),
        hint=(
            "Give each ticket its account's segment, count tickets per segment, and divide by "
            "the number of accounts in that segment (cs.accounts), whether they opened a "
            "ticket or not."
        ),
        mistakes=[
            Mistake(
                lambda d: _ratio(_tickets_per_account(d, "none")),
                "that compares ticket counts, not tickets per account: there are far fewer "
                "enterprise accounts than SMB ones. Divide each count by its segment's accounts.",
            ),
            Mistake(
                lambda d: _ratio(_tickets_per_account(d, "with tickets")),
                "that divides by the accounts that opened a ticket; the quiet accounts with none "
                "belong in the denominator too (count them in cs.accounts).",
            ),
            Mistake(
                lambda d: 1 / _ratio(_tickets_per_account(d)),
                "that is SMB over enterprise: divide the other way round.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        prompt=(
            "A slide is to say what 'the average customer' pays. Sum each customer's running "
            "contracts into its ARR: how many times the median customer's ARR is the mean?"
        ),
        expected=lambda d: _mean_over_median(_active(d).groupby("account_id")["arr"].sum()),
        solution=(
            "active = cs.contracts[cs.contracts.end_date.isna()]\n"
            "per_customer = active.groupby('account_id').arr.sum()\n"
            "answer = per_customer.mean() / per_customer.median()"
        ),
        hint=(
            "Group the running contracts by account_id and sum arr: one value per customer. "
            "Then divide its mean by its median."
        ),
        mistakes=[
            Mistake(
                lambda d: _mean_over_median(_active(d)["arr"]),
                "that compares contracts, not customers: sum each customer's running contracts "
                "first (group by account_id).",
            ),
            Mistake(
                lambda d: 1 / _mean_over_median(_active(d).groupby("account_id")["arr"].sum()),
                "that is the median over the mean: divide the other way round.",
            ),
            Mistake(
                lambda d: _mean_over_median(d.contracts.groupby("account_id")["arr"].sum()),
                "that sums every contract ever signed, including ended ones and customers who "
                "have left: keep the contracts without an end_date.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex00 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
