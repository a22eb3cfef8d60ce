"""Exercises for notebook 02 · customers and vendors drift apart (principle 2)."""

from __future__ import annotations

import pandas as pd

from ..retention import observations
from ..retention import warning as ew
from .core import Mistake, Question, memo

DROP = 0.3  # the alert of notebook 02: the last 4 weeks below 70% of the 12 before
NOTICE = 4  # weeks of notice that count as warned
HORIZON = 26  # an alert week is followed by churn when it comes within 26 weeks
METRICS = ("active_users", "key_actions")

_churn = memo(observations.account_churn_dates)
_ALERTS = {m: memo(lambda cs, m=m: ew.usage_alerts(cs.usage, metric=m, drop=DROP)) for m in METRICS}


def _alerts(cs, metric: str = "active_users") -> pd.DataFrame:
    return _ALERTS[metric](cs)


def _lead(cs, metric: str = "active_users") -> pd.DataFrame:
    return ew.lead_times(_alerts(cs, metric), _churn(cs), window_weeks=HORIZON)


def _warned(cs, *, seasoned: bool = True, notice: float = NOTICE, metric="active_users") -> float:
    """Share of churners alerted at least ``notice`` weeks ahead (NaN lead: never alerted)."""
    lead = _lead(cs, metric)
    if seasoned:
        keep = ew.observable_churners(_churn(cs))["account_id"]
        lead = lead.loc[lead.index.isin(keep)]
    return float((lead["lead_weeks"] >= notice).mean())


def _rates(cs, *, metric: str = "active_users", as_of="data") -> tuple[float, float]:
    """Precision (share of alert weeks followed by churn) and base rate (all weeks judged)."""
    if as_of == "data":
        as_of = cs.as_of
    elif as_of == "never":  # judge every week, also those whose 26 weeks are not over yet
        as_of = _alerts(cs, metric)["week"].max() + pd.Timedelta(weeks=HORIZON + 1)
    judged = ew.followed_by_churn(
        _alerts(cs, metric), _churn(cs), horizon_weeks=HORIZON, as_of=as_of
    )
    return (
        float(judged.loc[judged["alert"], "churn_within"].mean()),
        float(judged["churn_within"].mean()),
    )


def _lift(cs, **kw) -> float:
    precision, base = _rates(cs, **kw)
    return precision / base


def _best(score) -> str:
    """The metric with the higher score (ties: the first listed)."""
    values = {m: score(m) for m in METRICS}
    return max(METRICS, key=lambda m: values[m])


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 02, bound to ``cs``."""
    q1 = Question(
        name="q1",
        prompt=(
            "How many customers have churned at least once: accounts with a month where they "
            "paid nothing after having paid?"
        ),
        expected=lambda d: int(_churn(d)["churn_date"].notna().sum()),
        solution=(
            "from csworkbook.retention import observations\n"
            "churn = observations.account_churn_dates(cs)\n"
            "answer = churn.churn_date.notna().sum()"
        ),
        hint=(
            "observations.account_churn_dates(cs) gives one row per account with its churn "
            "date (NaT while it still pays); count the dates."
        ),
        mistakes=[
            Mistake(
                lambda d: int((d.renewals["outcome"] == "churned").sum()),
                "that counts renewal rows with outcome 'churned': one per contract, and a "
                "customer can lose several. Count customers, once each.",
            ),
            Mistake(
                lambda d: int(
                    d.renewals.loc[d.renewals["outcome"] == "churned", "account_id"].nunique()
                ),
                "that counts accounts that lost a contract, but some kept paying on another "
                "one: a customer churns when it pays nothing at all.",
            ),
        ],
        rel=0,
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            f"With the alert of notebook 02 (the last 4 weeks' active users more than "
            f"{DROP:.0%} below the 12 weeks before), what share of the churners who could have "
            f"been warned, those with at least {ew.MIN_TENURE_WEEKS} weeks of tenure, got an "
            f"alert at least {NOTICE} weeks before churning? (as a share)"
        ),
        expected=lambda d: _warned(d),
        solution=(
            "from csworkbook.retention import observations, warning as ew\n"
            "churn = observations.account_churn_dates(cs)\n"
            "lead = ew.lead_times(ew.usage_alerts(cs.usage, drop=0.3), churn)\n"
            "seasoned = lead[lead.churn_date - lead.start >= pd.Timedelta(weeks=20)]\n"
            "answer = (seasoned.lead_weeks >= 4).mean()"
        ),
        hint=(
            "ew.lead_times(ew.usage_alerts(cs.usage, drop=0.3), churn) gives each churner's "
            "weeks of notice (NaN: no alert). Keep the churners with churn_date - start of at "
            "least 20 weeks, then take the share with lead_weeks >= 4 (ew.warned_share shows "
            "both denominators)."
        ),
        mistakes=[
            Mistake(
                lambda d: _warned(d, seasoned=False),
                f"that divides by every churner, also those who left within "
                f"{ew.MIN_TENURE_WEEKS} weeks of starting, whom no alert could have warned "
                f"(it needs 16 weeks of usage plus the notice). Keep the churners with at least "
                f"{ew.MIN_TENURE_WEEKS} weeks of tenure.",
            ),
            Mistake(
                lambda d: _warned(d, notice=0),
                f"that counts every churner with an alert in the last {HORIZON} weeks, also "
                f"those alerted less than {NOTICE} weeks ahead: too late to act. Ask for "
                f"lead_weeks >= {NOTICE}.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            f"Judge the same alert on customer-weeks: of the weeks it was on, the share followed "
            f"by churn within {HORIZON} weeks (precision), divided by the same share among all "
            f"the weeks judged, alert or not (the base rate). What is this lift? Judge only weeks "
            f"whose next {HORIZON} weeks end by cs.as_of."
        ),
        expected=lambda d: _lift(d),
        solution=(
            "from csworkbook.retention import observations, warning as ew\n"
            "churn = observations.account_churn_dates(cs)\n"
            "alerts = ew.usage_alerts(cs.usage, drop=0.3)\n"
            "judged = ew.followed_by_churn(alerts, churn, horizon_weeks=26, as_of=cs.as_of)\n"
            "precision = judged[judged.alert].churn_within.mean()\n"
            "base_rate = judged.churn_within.mean()\n"
            "answer = precision / base_rate"
        ),
        hint=(
            "ew.followed_by_churn(alerts, churn, as_of=cs.as_of) marks every week that can be "
            "judged with churn_within. Precision is its mean over the alert weeks, the base "
            "rate its mean over all of them."
        ),
        mistakes=[
            Mistake(
                lambda d: _rates(d)[0],
                "that is the precision alone. On its own it means little: divide it by the base "
                "rate, the same share among all weeks judged.",
            ),
            Mistake(
                lambda d: _lift(d, as_of="never"),
                f"that judges the last {HORIZON} weeks too, whose outcome is not known yet: an "
                f"alert there counts as a false alarm before the customer had time to churn. "
                f"Pass as_of=cs.as_of.",
            ),
            Mistake(
                lambda d: _lift(d, as_of=None),
                "pass as_of=cs.as_of: without it the judged weeks run to the end of the last "
                "usage week, a few days past the date the data was taken.",
            ),
            Mistake(
                lambda d: _rates(d)[1] / _rates(d)[0],
                "that is the base rate over the precision: divide the other way round.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        kind="choice",
        options=METRICS,
        prompt=(
            "Your CSMs can follow up only so many alerts a week, so each alert should be worth "
            f"their time. At the same {DROP:.0%} drop, which metric would you alert on, "
            "'active_users' or 'key_actions': the one whose alert weeks are followed by churn "
            "more often relative to the base rate (the higher lift)?"
        ),
        expected=lambda d: _best(lambda m: _lift(d, metric=m)),
        solution=(
            "from csworkbook.retention import observations, warning as ew\n"
            "churn = observations.account_churn_dates(cs)\n"
            "lift = {}\n"
            "for metric in ['active_users', 'key_actions']:\n"
            "    alerts = ew.usage_alerts(cs.usage, metric=metric, drop=0.3)\n"
            "    judged = ew.followed_by_churn(alerts, churn, as_of=cs.as_of)\n"
            "    lift[metric] = (judged[judged.alert].churn_within.mean()\n"
            "                    / judged.churn_within.mean())\n"
            "answer = max(lift, key=lift.get)"
        ),
        hint=(
            "Repeat q3 with ew.usage_alerts(cs.usage, metric='key_actions', drop=0.3) and "
            "compare the two lifts."
        ),
        mistakes=[
            Mistake(
                lambda d: _best(lambda m: _warned(d, metric=m)),
                "that metric warns more churners; the question is what each alert is worth. "
                "Compare lifts (precision over the base rate), not shares warned.",
            ),
            Mistake(
                lambda d: _best(lambda m: _lead(d, m)["lead_weeks"].median()),
                "that metric warns earlier, but the question is what each alert is worth: "
                "compare lifts, precision over the base rate.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex02 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
