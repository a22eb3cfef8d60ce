"""Exercises for notebook 15 · renewals and expansion: what is following up worth? (principle 2)."""

from __future__ import annotations

import pandas as pd

from .. import synth
from ..value import acting, expansion, renewals
from .core import Mistake, Question, memo

WINDOW_DAYS = 180  # the desk looks this far ahead
N_CSMS, HOURS_PER_CSM_WEEK, HOURS_PER_PLAY, WEEKS = 4, 6, 8, 13  # notebook 15's team, a quarter
SAVE_RATE_BELIEVED = 0.5
LAB = {"n_accounts": 4000, "seed": 15, "save_play": {"months": 24}}  # notebook 15's experiment
VARIANT = {"utilisation": 0.7, "breadth": 0.4}  # the rule set of notebook 15's "now you try"
RULE_SETS = ("default", "variant")


def _due(cs, *, days: int | None = WINDOW_DAYS, min_term: int = 12) -> pd.DataFrame:
    """Open contracts of at least ``min_term`` months renewing after as_of (within ``days``)."""
    c = cs.contracts
    keep = c["end_date"].isna() & (c["term_months"] >= min_term) & (c["renewal_date"] > cs.as_of)
    if days is not None:
        keep &= c["renewal_date"] <= cs.as_of + pd.Timedelta(days=days)
    return c[keep]


def _lab(_cs):
    """The synthetic company that ran the randomised save play (independent of ``cs``)."""
    return synth.generate(LAB["n_accounts"], seed=LAB["seed"], save_play=LAB["save_play"])


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 15, bound to ``cs``."""
    desk = memo(lambda d: renewals.renewal_desk(d, within_days=WINDOW_DAYS))
    year_ago = cs.as_of - pd.DateOffset(years=1)
    judged = memo(lambda d: expansion.backtest(d, year_ago, days=365))
    variant = memo(lambda d: expansion.backtest(d, year_ago, days=365, **VARIANT))
    lab = memo(_lab)
    outcomes = memo(lambda d: acting.play_outcomes(lab(d)))
    effect = memo(lambda d: acting.uplift(outcomes(d)))
    naive = memo(lambda d: acting.naive_before_after(outcomes(d)))
    capacity = acting.capacity(N_CSMS, HOURS_PER_CSM_WEEK, WEEKS, HOURS_PER_PLAY)

    q1 = Question(
        name="q1",
        prompt=(
            "How many customers does the renewal desk hold: customers with an open contract of "
            f"12 months or more renewing within {WINDOW_DAYS} days after as_of?"
        ),
        expected=lambda d: int(_due(d)["account_id"].nunique()),
        solution=(
            "c = cs.contracts\n"
            "due = c[c.end_date.isna() & (c.term_months >= 12) & (c.renewal_date > cs.as_of)\n"
            f"        & (c.renewal_date <= cs.as_of + pd.Timedelta(days={WINDOW_DAYS}))]\n"
            "answer = due.account_id.nunique()"
        ),
        hint=(
            "Filter cs.contracts: still open (no end_date), term_months >= 12, renewal_date "
            f"after as_of and at most {WINDOW_DAYS} days after it; then count customers."
        ),
        mistakes=[
            Mistake(
                lambda d: len(_due(d)),
                "that counts contracts: a customer renewing two contracts counts twice. Count "
                "distinct account_id values.",
            ),
            Mistake(
                lambda d: int(_due(d, days=None)["account_id"].nunique()),
                f"that counts every upcoming renewal, not only those in the next {WINDOW_DAYS} "
                "days: add the upper end of the window.",
            ),
            Mistake(
                lambda d: int(_due(d, min_term=0)["account_id"].nunique()),
                "that includes month-to-month contracts: they 'renew' every month and belong to "
                "the health monitor, not the desk. Keep term_months >= 12.",
            ),
        ],
        data=cs,
    )

    def renewing(d, weight=None) -> float:
        x = desk(d)
        w = 1.0 if weight is None else weight(x)
        return float((x["arr_renewing"] * w).sum())

    q2 = Question(
        name="q2",
        prompt=(
            f"Of the ARR renewing on the desk in the next {WINDOW_DAYS} days, how much is "
            "expected to renew, given each customer's churn risk (renewals.renewal_desk)?"
        ),
        expected=lambda d: renewing(d, lambda x: 1 - x["churn_risk"]),
        solution=(
            "from csworkbook.value import renewals\n"
            "desk = renewals.renewal_desk(cs)\n"
            "answer = (desk.arr_renewing * (1 - desk.churn_risk)).sum()"
        ),
        hint=(
            "Each renewal is kept with probability 1 - churn_risk: weight its ARR by that and "
            "add up."
        ),
        mistakes=[
            Mistake(
                renewing,
                "that is all the ARR renewing, as if every customer renewed for sure: weight "
                "each renewal by its chance of renewing, 1 - churn_risk.",
            ),
            Mistake(
                lambda d: renewing(d, lambda x: x["churn_risk"]),
                "that weights by the churn risk: it is the ARR expected to be lost, not kept.",
            ),
            Mistake(
                lambda d: renewing(d, lambda x: 1 - renewals.renewal_history(d)["churned"].mean()),
                "that applies last year's average churn to every renewal: the desk's risks "
                "differ by customer, and the large renewals are not average.",
            ),
        ],
        data=cs,
    )

    def row(d, group: str, column: str, *, table=judged) -> float:
        return float(table(d).loc[group, column])

    q3 = Question(
        name="q3",
        prompt=(
            f"Read the expansion candidates on {year_ago:%Y-%m-%d} (expansion.backtest, 365 "
            "days): how many times the base rate (how often any customer expanded) is the "
            "share of candidates who expanded within the year (the lift)?"
        ),
        expected=lambda d: row(d, "any candidate", "lift"),
        solution=(
            "from csworkbook.value import expansion\n"
            "judged = expansion.backtest(cs, cs.as_of - pd.DateOffset(years=1), days=365)\n"
            "rate = judged.loc['any candidate', 'rate']\n"
            "answer = rate / judged.loc['everyone (base rate)', 'rate']"
        ),
        hint=(
            "The lift divides the candidates' expansion rate by the rate of everyone (the base "
            "rate); backtest has both rows."
        ),
        mistakes=[
            Mistake(
                lambda d: row(d, "any candidate", "rate"),
                "that is the candidates' hit rate alone: without the base rate it cannot say "
                "whether the rules find anything (many customers expand anyway). Divide by it.",
            ),
            Mistake(
                lambda d: row(d, "any candidate", "rate") / row(d, "not a candidate", "rate"),
                "that divides by the non-candidates' rate, not everyone's: it compares the two "
                "ends and looks more impressive than the lift.",
            ),
            Mistake(
                lambda d: row(d, "any candidate", "rate") - row(d, "everyone (base rate)", "rate"),
                "that is a difference in rates (points); the lift is their ratio.",
            ),
        ],
        data=cs,
    )

    def per_called(d, table, column: str = "expansion_arr_per_account") -> float:
        return row(d, "any candidate", column, table=table)

    def better(d, column: str = "expansion_arr_per_account", *, total: bool = False):
        def value(t):
            v = per_called(d, t, column)
            return v * per_called(d, t, "accounts") if total else v

        a, b = value(judged), value(variant)
        if abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0):
            return RULE_SETS
        return RULE_SETS[0] if a > b else RULE_SETS[1]

    q4 = Question(
        name="q4",
        kind="choice",
        options=RULE_SETS,
        prompt=(
            "Two rule sets for expansion candidates, judged on the same past date as q3: "
            "'default' (the notebook's rules, utilisation=0.6 and breadth=0.5) and 'variant' "
            "(utilisation=0.7, breadth=0.4). A sales team pays for every call: which finds "
            "more expansion ARR per candidate called in the year after?"
        ),
        expected=lambda d: better(d),
        solution=(
            "from csworkbook.value import expansion\n"
            "then = cs.as_of - pd.DateOffset(years=1)\n"
            "per_call = {\n"
            "    'default': expansion.backtest(cs, then, days=365),\n"
            "    'variant': expansion.backtest(cs, then, days=365, utilisation=0.7, "
            "breadth=0.4),\n"
            "}\n"
            "per_call = pd.Series({k: t.loc['any candidate', 'expansion_arr_per_account']\n"
            "                      for k, t in per_call.items()})\n"
            "answer = per_call.idxmax()"
        ),
        hint=(
            "expansion.backtest takes the rules as keywords (utilisation=..., breadth=...); "
            "compare expansion_arr_per_account of 'any candidate'."
        ),
        mistakes=[
            Mistake(
                lambda d: better(d, total=True),
                "that rule set finds more expansion ARR in total, because it calls more "
                "customers; per candidate called it finds less.",
            ),
            Mistake(
                lambda d: better(d, "rate"),
                "that rule set has the higher hit rate (share who expanded), but it finds less "
                "expansion ARR per candidate called, which is what the calls cost.",
            ),
        ],
        data=cs,
    )

    def arm(d, name: str, column: str = "estimate") -> float:
        return float(effect(d).loc[name, column])

    lab_code = (
        "from csworkbook import synth\n"
        "from csworkbook.value import acting\n"
        f"lab = synth.generate({LAB['n_accounts']}, seed={LAB['seed']}, "
        f"save_play={LAB['save_play']!r})\n"
        "outcomes = acting.play_outcomes(lab)\n"
    )
    q5 = Question(
        name="q5",
        prompt=(
            "In the synthetic company that ran a randomised save play (synth.generate(4000, "
            "seed=15, save_play={'months': 24})), what share of would-be churns does the play "
            "prevent: the save rate, 1 - churn of the treated / churn of the control group?"
        ),
        expected=lambda d: arm(d, "save rate"),
        solution=lab_code + "churn = outcomes.groupby('arm').churned.mean()\n"
        "answer = 1 - churn['treatment'] / churn['control']",
        hint=(
            "acting.play_outcomes(lab) has one row per enrolled customer with its arm and "
            "whether it churned; compare the arms (acting.uplift does it with intervals)."
        ),
        mistakes=[
            Mistake(
                lambda d: float(naive(d).loc["treatment", "naive_save_rate"]),
                "that is the before/after story on the treated alone: the churn the risk list "
                "expected against what happened. The control group fell too, with no play "
                "(regression to the mean); only the difference between the arms is the play's.",
            ),
            Mistake(
                lambda d: arm(d, "difference"),
                "that is the difference in churn in points (control - treatment); the save "
                "rate is the share of the control group's churn that the play prevents.",
            ),
            Mistake(
                lambda d: float(lab(d).meta["generator"]["save_play"]["save_rate"]),
                "that is the world's true save rate, which a real company never sees: estimate "
                "it from the two arms.",
            ),
        ],
        data=cs,
    )

    def saved(d, rate, *, k: int = capacity, weighted: bool = True) -> float:
        work = renewals.work_list(
            desk(d),
            n_csms=N_CSMS,
            hours_per_csm_week=HOURS_PER_CSM_WEEK,
            hours_per_play=HOURS_PER_PLAY,
            weeks=WEEKS,
        )
        risk = "churn_risk" if weighted else "_sure"
        work = work.assign(_sure=1.0)
        return float(acting.arr_saved(work, k=k, save_rate=rate, risk=risk)["arr_saved"])

    measured = lambda d: arm(d, "save rate")  # noqa: E731
    q6 = Question(
        name="q6",
        prompt=(
            f"Back to this company's desk. {N_CSMS} CSMs x {HOURS_PER_CSM_WEEK} h a week x "
            f"{WEEKS} weeks / {HOURS_PER_PLAY} h a play = {capacity} renewal plays, on the "
            f"customers with most ARR at risk. At the save rate q5 measured, how much ARR does "
            "one play save on average (expected ARR saved / plays)?"
        ),
        expected=lambda d: saved(d, measured(d)) / capacity,
        solution=lab_code + "from csworkbook.value import renewals\n"
        "churn = outcomes.groupby('arm').churned.mean()\n"
        "save_rate = 1 - churn['treatment'] / churn['control']\n"
        "k = acting.capacity(4, 6, 13, 8)\n"
        "work = renewals.work_list(renewals.renewal_desk(cs), n_csms=4, hours_per_csm_week=6,\n"
        "                          hours_per_play=8, weeks=13)\n"
        "answer = acting.arr_saved(work, k=k, save_rate=save_rate)['arr_saved'] / k",
        hint=(
            "acting.arr_saved(work, k=..., save_rate=...) sums risk x ARR x save rate over the "
            "top k by ARR at risk; divide by the plays."
        ),
        mistakes=[
            Mistake(
                lambda d: saved(d, SAVE_RATE_BELIEVED) / capacity,
                f"that uses the save rate the team believes in ({SAVE_RATE_BELIEVED:.0%}); the "
                "experiment measured another one. Use it.",
            ),
            Mistake(
                lambda d: saved(d, float(naive(d).loc["treatment", "naive_save_rate"])) / capacity,
                "that uses the before/after save rate, which credits the play with regression "
                "to the mean; use the randomised one.",
            ),
            Mistake(
                lambda d: saved(d, measured(d)),
                "that is the ARR all the plays save together; divide by the number of plays.",
            ),
            Mistake(
                lambda d: saved(d, measured(d), weighted=False) / capacity,
                "that saves a share of all the ARR worked, as if every customer worked would "
                "have churned: a play only saves a would-be churn, so weight by the risk.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5, "q6": q6}


# `from csworkbook.exercises.ex15 import cs, q1, q2, q3, q4, q5, q6, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
