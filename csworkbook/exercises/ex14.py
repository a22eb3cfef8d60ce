"""Exercises for notebook 14 · what is a customer worth, and which lever moves it? (principle 8)."""

from __future__ import annotations

import pandas as pd
from scipy.optimize import brentq

from ..retention import metrics
from ..value import levers, lifetime, ltv
from .core import Mistake, Question, memo

GROSS_MARGIN, DISCOUNT_RATE = 0.85, 0.10  # notebook 14's parameters
MORE_CUSTOMERS = 10  # % more customers won a month, the move the churn cut has to match
ARR = "ARR in 3 years"


def _paying(cs) -> pd.DataFrame:
    """Contracts in force on ``as_of``, one row per contract."""
    c = cs.contracts
    return c[(c["start_date"] <= cs.as_of) & (c["end_date"].isna() | (c["end_date"] > cs.as_of))]


def _year(cs) -> pd.Series:
    return metrics.trailing_year(cs.mrr_monthly, cs.as_of).iloc[0]


def _arpa(cs) -> float:
    return float(_paying(cs).groupby("account_id")["arr"].sum().mean())


def _fitted(fits: pd.DataFrame) -> pd.DataFrame:
    return fits[fits["note"] == ""]


def _longest(fits: pd.DataFrame) -> str:
    """The group the sBG fits that has been followed for the most periods (notebook 14)."""
    return str(_fitted(fits)["periods_seen"].idxmax())


def both_churn(x: float) -> dict:
    """Churn cut by ``x`` % in every year: first-year churn x % lower (lever 6) and established
    customers' churn x % lower too (lever 7 lengthens their stay by 1 / (1 - x / 100))."""
    return {"churn_rate": -x, "retention_length": 100 * (1 / (1 - x / 100) - 1)}


def _matching_cut(inputs: pd.DataFrame, move, *, outcome: str = ARR, high: float = 99.0) -> float:
    """The ``x`` at which ``move(x)`` changes ``outcome`` as much as winning
    :data:`MORE_CUSTOMERS` % more customers does; NaN when no x up to ``high`` gets there."""
    target = levers.simulate_levers(inputs, {"customers_won": MORE_CUSTOMERS}).loc[
        outcome, "change"
    ]

    def gap(x):
        return levers.simulate_levers(inputs, move(x)).loc[outcome, "change"] - target

    if gap(0.0) >= 0:
        return 0.0
    if gap(high) < 0:
        return float("nan")
    return float(brentq(gap, 0.0, high, xtol=1e-6))


def _best(values: pd.Series):
    """The option with the highest value, or all of those tied for it."""
    top = values[values >= values.max() - 1e-12].index
    return str(top[0]) if len(top) == 1 else tuple(str(k) for k in top)


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 14, bound to ``cs``."""
    table = memo(lambda d: ltv.ltv_table(d, gross_margin=GROSS_MARGIN, discount_rate=DISCOUNT_RATE))
    inputs = memo(
        lambda d: levers.lever_inputs(d, gross_margin=GROSS_MARGIN, discount_rate=DISCOUNT_RATE)
    )
    sens = memo(lambda d: levers.sensitivity(inputs(d), change=10).set_index("key"))
    fits = memo(
        lambda d: lifetime.fit_groups(
            lifetime.renewal_periods(d), discount_rate=DISCOUNT_RATE, n_boot=0
        )
    )

    def simple(d, *, arpa=None, churn=None, margin=GROSS_MARGIN) -> float:
        arpa = _arpa(d) if arpa is None else arpa
        churn = float(_year(d)["logo_churn"]) if churn is None else churn
        return arpa * margin / churn

    q1 = Question(
        name="q1",
        prompt=(
            "The textbook LTV of the company as a whole: ARPA (ARR in force on as_of per paying "
            f"customer) x gross margin {GROSS_MARGIN} / logo churn over the last year."
        ),
        expected=lambda d: simple(d),
        solution=(
            "c = cs.contracts\n"
            "paying = c[(c.start_date <= cs.as_of) & (c.end_date.isna() | (c.end_date > cs.as_of))]\n"
            "arpa = paying.groupby('account_id').arr.sum().mean()\n"
            "churn = metrics.trailing_year(cs.mrr_monthly, cs.as_of).logo_churn.iloc[0]\n"
            f"answer = arpa * {GROSS_MARGIN} / churn"
        ),
        hint=(
            "ARPA: sum the ARR of the contracts in force per account_id, then average. Churn: "
            "metrics.trailing_year(...).logo_churn, a share (0.18, not 18)."
        ),
        mistakes=[
            Mistake(
                lambda d: simple(d, churn=100 * float(_year(d)["logo_churn"])),
                "that divides by churn in percent (18 for 18%): the formula needs it as a "
                "share, 0.18, or the lifetime comes out 100 times too short.",
            ),
            Mistake(
                lambda d: simple(d, arpa=_arpa(d) / 12),
                "that puts monthly revenue (ARPA / 12) over an annual churn rate: the lifetime "
                "is in years, so the revenue must be a year's too (or both monthly).",
            ),
            Mistake(
                lambda d: simple(d, margin=1.0),
                "that leaves out the gross margin: a customer's revenue is not what it is worth; "
                "hosting, licences and fees come off first.",
            ),
            Mistake(
                lambda d: simple(d, arpa=float(_paying(d)["arr"].mean())),
                "that averages ARR over contracts, not customers: a customer with two contracts "
                "counts twice. Sum per account_id first, then average.",
            ),
            Mistake(
                lambda d: simple(d, churn=float(_year(d)["mrr_churn"])),
                "that divides by revenue churn (MRR lost); the textbook lifetime 1 / churn "
                "counts customers: logo churn.",
            ),
        ],
        data=cs,
    )

    top = str(ltv.arpa(cs)["arpa"].idxmax())  # the segment whose customers pay most

    def ratio(d, *, margin=GROSS_MARGIN, discount=DISCOUNT_RATE, serve=True) -> float:
        r = table(d).loc[top]
        value = ltv.ltv(
            r["arpa"],
            margin,
            r["churn"],
            cost_to_serve=r["cost_to_serve"] if serve else 0.0,
            discount_rate=discount,
        )
        return float(value / r["cac"])

    q2 = Question(
        name="q2",
        prompt=(
            f"LTV / CAC of the {top!r} segment, with everything the formula leaves out: margin "
            f"(gross margin {GROSS_MARGIN}) minus the cost to serve, discounted at "
            f"{DISCOUNT_RATE:.0%} a year, over the CAC (costs from the account_costs table)."
        ),
        expected=ratio,
        solution=(
            "from csworkbook.value import ltv\n"
            f"table = ltv.ltv_table(cs, gross_margin={GROSS_MARGIN}, "
            f"discount_rate={DISCOUNT_RATE})\n"
            f"answer = table.loc['{top}', 'ltv_to_cac']"
        ),
        hint=(
            "ltv.ltv_table(cs, gross_margin=..., discount_rate=...) has every step per segment; "
            "LTV / CAC divides the discounted LTV after cost to serve by the CAC."
        ),
        mistakes=[
            Mistake(
                lambda d: ratio(d, margin=1.0),
                "that ignores the gross margin: revenue minus cost to serve is not margin. "
                "Multiply ARPA by the gross margin first.",
            ),
            Mistake(
                lambda d: ratio(d, discount=0.0),
                "that is undiscounted: margin in year ten counts as much as margin today. "
                "Discount it, (1 + d) / (d + churn) instead of 1 / churn.",
            ),
            Mistake(
                lambda d: ratio(d, discount=0.0, serve=False),
                "that is the simple formula's LTV over CAC: no cost to serve, no discounting. "
                "It flatters a segment whose customers stay long.",
            ),
        ],
        data=cs,
    )

    q3 = Question(
        name="q3",
        kind="choice",
        options=levers.LEVER_KEYS,
        prompt=(
            "Each lever moved 10% for the better, one at a time (levers.sensitivity): which one "
            "adds most to the company's ARR in three years? Answer with its key."
        ),
        expected=lambda d: _best(sens(d)["arr_change_better"]),
        solution=(
            "from csworkbook.value import levers\n"
            "inputs = levers.lever_inputs(cs, gross_margin=0.85, discount_rate=0.10)\n"
            "sens = levers.sensitivity(inputs, change=10)\n"
            "answer = sens.set_index('key').arr_change_better.idxmax()"
        ),
        hint=(
            "levers.sensitivity(levers.lever_inputs(cs)) has one row per lever, its key in "
            "the key column; compare arr_change_better, not the LTV column."
        ),
        mistakes=[
            Mistake(
                lambda d: str(sens(d)["ltv_net_change_better"].idxmax()),
                "that lever adds most to one new customer's value (LTV minus CAC); ARR in three "
                "years also counts how many customers there are. Read the ARR column.",
            ),
            Mistake(
                lambda d: str(sens(d)["arr_change_better"].idxmin()),
                "that lever moves ARR in three years least of all: sort the other way.",
            ),
            Mistake(
                lambda d: "churn_rate",
                "that is the textbook's answer; measured here, a 10% cut in first-year churn "
                "moves ARR less than another lever does. Read the numbers.",
            ),
        ],
        data=cs,
    )

    group = _longest(fits(cs))

    def life(d, column: str) -> float:
        return float(fits(d).loc[group, column])

    def per_period(d) -> float:
        months = 12 if fits(d).loc[group, "period"] == "year" else 1
        return life(d, "sbg_discounted_lifetime") * 12 / months

    q4 = Question(
        name="q4",
        prompt=(
            f"How long does a new customer of the group {group!r} stay by the sBG: its "
            f"discounted expected lifetime, at {DISCOUNT_RATE:.0%} a year, in years?"
        ),
        expected=lambda d: life(d, "sbg_discounted_lifetime"),
        solution=(
            "from csworkbook.value import lifetime\n"
            "per = lifetime.renewal_periods(cs)\n"
            "fits = lifetime.fit_groups(per, discount_rate=0.10, n_boot=0)\n"
            "fitted = fits[fits.note == '']\n"
            "answer = fitted.loc[fitted.periods_seen.idxmax(), 'sbg_discounted_lifetime']"
        ),
        hint=(
            "lifetime.fit_groups(lifetime.renewal_periods(cs), discount_rate=0.10) fits the "
            "sBG per group (n_boot=0 skips the intervals); its sbg_* columns are in years."
        ),
        mistakes=[
            Mistake(
                lambda d: life(d, "naive_discounted_lifetime"),
                "that is the constant-churn model's discounted lifetime (one churn rate for "
                "everyone); the sBG lets the customers who stay renew more often than average.",
            ),
            Mistake(
                lambda d: life(d, "naive_lifetime"),
                "that is 1 / churn, undiscounted, with one churn rate for everyone: the naive "
                "lifetime, not the sBG's.",
            ),
            Mistake(
                lambda d: life(d, "sbg_lifetime_in_horizon"),
                "that is the sBG's undiscounted years within ten; the question asks for the "
                "discounted lifetime.",
            ),
            Mistake(
                per_period,
                "that is the lifetime in the group's periods (months, for month-to-month "
                "customers); give it in years.",
            ),
        ],
        data=cs,
    )

    cut = memo(lambda d: _matching_cut(inputs(d), both_churn))
    q5 = Question(
        name="q5",
        prompt=(
            f"Winning {MORE_CUSTOMERS}% more customers a month raises ARR in three years by "
            "some %. By how many % must churn fall in every year of a customer's life (first-"
            "year churn and established customers' churn both x% lower, both_churn(x)) to "
            "raise it as much? Give x in percent, to one decimal."
        ),
        expected=cut,
        solution=(
            "from scipy.optimize import brentq\n"
            "from csworkbook.value import levers\n"
            "inputs = levers.lever_inputs(cs, gross_margin=0.85, discount_rate=0.10)\n"
            "def both_churn(x):\n"
            "    return {'churn_rate': -x, 'retention_length': 100 * (1 / (1 - x / 100) - 1)}\n"
            "def arr_change(moves):\n"
            "    return levers.simulate_levers(inputs, moves).loc['ARR in 3 years', 'change']\n"
            f"target = arr_change({{'customers_won': {MORE_CUSTOMERS}}})\n"
            "answer = brentq(lambda x: arr_change(both_churn(x)) - target, 0, 99)"
        ),
        hint=(
            "levers.simulate_levers(inputs, moves).loc['ARR in 3 years', 'change'] gives the "
            "change for any moves; find the x where both_churn(x) matches customers_won +10 "
            "(scipy.optimize.brentq, or x in steps of 0.1)."
        ),
        mistakes=[
            Mistake(
                lambda d: _matching_cut(
                    inputs(d), lambda x: {"churn_rate": -x, "retention_length": x}
                ),
                "that sets both sliders to x: +x% retention length divides established churn by "
                "1 + x/100, a cut of only x / (100 + x). Use both_churn(x).",
            ),
            Mistake(
                lambda d: _matching_cut(
                    inputs(d), lambda x: {"retention_length": x}, high=10_000.0
                ),
                "that lengthens established customers' stay alone (lever 7) and leaves "
                "first-year churn where it is; cut churn in every year.",
            ),
            Mistake(
                lambda d: _matching_cut(inputs(d), both_churn, outcome="LTV minus CAC"),
                "that matches LTV minus CAC, which more customers won do not change (each new "
                "customer is worth the same): compare ARR in three years.",
            ),
        ],
        rel=0.0,
        abs=0.2,
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5}


# `from csworkbook.exercises.ex14 import cs, q1, q2, q3, q4, q5, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
