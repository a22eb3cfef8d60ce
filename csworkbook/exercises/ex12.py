"""Exercises for notebook 12 · does the health score predict anything? (principle 4)."""

from __future__ import annotations

import pandas as pd

from ..health import health_frame, profiles, scoring_dates
from ..health import validation as val
from .core import Mistake, Question, memo

SPLIT = "2025-01-01"  # notebook 12 fits learned weights before this date, judges from it on
CANDIDATES = (
    "usage only",
    "per segment",
    "weighted 0-100",
    "good/average/poor",
    "point tiers",
    "base 5 ± factors",
)


def _past(cs) -> pd.DataFrame:
    """Every customer every 14 days for two years, the dates whose 90 days are known."""
    frame = health_frame(cs, scoring_dates(cs.as_of, weeks=104, every_days=14), horizon_days=90)
    return frame.dropna(subset=["churned"]).reset_index(drop=True)


def _backtest(past: pd.DataFrame, card) -> pd.DataFrame:
    keep = past[["account_id", "obs_date", "churn_date", "churned", "arr"]]
    return pd.concat([keep, card.score(past)], axis=1)


def _summaries(past: pd.DataFrame) -> pd.DataFrame:
    """Notebook 12's section 4: every candidate scorecard, one summary line each."""
    holistic = profiles.holistic_scorecard()
    prof = profiles.Profiles(
        default=holistic,
        by_touch={"tech": profiles.tech_touch_scorecard()},
        onboarding=profiles.onboarding_scorecard(),
        onboarding_days=90,
    )
    keep = past[["account_id", "obs_date", "churn_date", "churned"]]
    candidates = {
        "usage only": _backtest(past, profiles.usage_scorecard()),
        "per segment": pd.concat([keep, prof.score(past)], axis=1),
    }
    candidates |= {n: _backtest(past, c) for n, c in profiles.commercial_styles(holistic).items()}
    return pd.DataFrame({n: val.summary(s) for n, s in candidates.items()}).T


def _learned(past: pd.DataFrame, *, shortcut: str | None = None) -> float:
    """Learned minus designed AUC on the period after the split (``shortcut=None``), on the
    period the weights were fitted on (``"in_sample"``), or with the weights fitted on every
    row dated before the split, whose outcomes run into the judging period (``"leaky"``)."""
    holistic = profiles.holistic_scorecard()
    fit, judge = val.time_split(past, SPLIT, horizon_days=90)
    if shortcut == "leaky":
        fit = past[past["obs_date"] < pd.Timestamp(SPLIT)]
    weights = val.learned_weights(fit, fit["churned"], columns=holistic.columns)
    rows = fit if shortcut == "in_sample" else judge
    learned = val.auc(rows.assign(score=val.learned_score(weights, rows)))
    return learned - val.auc(rows.assign(score=holistic.score(rows)["score"]))


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 12, bound to ``cs``."""
    past = memo(_past)
    scored = memo(lambda d: _backtest(past(d), profiles.holistic_scorecard()))
    summaries = memo(lambda d: _summaries(past(d)))
    learned = memo(lambda d: _learned(past(d)))
    in_sample = memo(lambda d: _learned(past(d), shortcut="in_sample"))
    leaky = memo(lambda d: _learned(past(d), shortcut="leaky"))

    def red(d) -> pd.DataFrame:
        s = scored(d)
        return s[s["band"] == "red"]

    def rate(rows: pd.DataFrame) -> float:
        return float(rows["churned"].astype(bool).mean())

    setup = (
        "from csworkbook.health import health_frame, profiles, scoring_dates\n"
        "frame = health_frame(cs, scoring_dates(cs.as_of, weeks=104, every_days=14), "
        "horizon_days=90)\n"
        "past = frame.dropna(subset=['churned']).reset_index(drop=True)\n"
        "holistic = profiles.holistic_scorecard()\n"
        "scored = pd.concat([past[['account_id', 'obs_date', 'churn_date', 'churned', 'arr']], "
        "holistic.score(past)], axis=1)\n"
    )
    q1 = Question(
        name="q1",
        prompt=(
            "The backtest scores every customer every 14 days. How many distinct customers "
            "were red on at least one past scoring date (one whose next 90 days are known)?"
        ),
        expected=lambda d: int(red(d)["account_id"].nunique()),
        solution=setup + "answer = scored[scored.band == 'red'].account_id.nunique()",
        hint="Filter the red rows, then count distinct account_id values (nunique).",
        mistakes=[
            Mistake(
                lambda d: len(red(d)),
                "that counts red customer-dates (rows): a customer red on ten dates counts "
                "ten times. Count distinct customers.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            "Red's lift: how many times the average churn rate within 90 days is the churn "
            "rate of red customer-dates?"
        ),
        expected=lambda d: rate(red(d)) / rate(scored(d)),
        solution=setup + "churn = scored.churned.astype(bool)\n"
        "answer = churn[scored.band == 'red'].mean() / churn.mean()",
        hint=(
            "Lift = the band's churn rate / the overall churn rate, both over customer-dates "
            "(val.band_table has a lift column)."
        ),
        mistakes=[
            Mistake(
                lambda d: rate(red(d)),
                "that is red's churn rate itself; lift divides it by the average churn rate.",
            ),
            Mistake(
                lambda d: rate(red(d)) / rate(scored(d)[scored(d)["band"] == "green"]),
                "that divides by green's churn rate, not the average: the ratio of red to "
                "green, which looks more impressive than the lift.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            "The CSMs can act on the 50 lowest holistic scores on each scoring date. What "
            "share of all churners' customer-dates (recall) do they reach?"
        ),
        expected=lambda d: float(val.capacity(scored(d), 50)["recall"]),
        solution=setup + "from csworkbook.health import validation as val\n"
        "answer = val.capacity(scored, 50)['recall']",
        hint=(
            "val.capacity(scored, per_date) takes the lowest scores on each date; recall is "
            "the churned customer-dates reached over all churned customer-dates."
        ),
        mistakes=[
            Mistake(
                lambda d: float(val.capacity(scored(d), 50)["precision"]),
                "that is precision: the share of the called who churn. Recall is the share of "
                "all churners the team reached.",
            ),
            Mistake(
                lambda d: float(val.red_precision_recall(scored(d))["recall"]),
                "that is the recall of acting on every red, however many; the question caps "
                "the team at the 50 lowest scores a date.",
            ),
            Mistake(
                lambda d: float(
                    scored(d).nsmallest(50, "score")["churned"].astype(bool).sum()
                    / scored(d)["churned"].astype(bool).sum()
                ),
                "that takes the 50 lowest scores of the whole history, not 50 on each scoring "
                "date.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        prompt=(
            "Learned weights against designed ones. Fit val.learned_weights on the rows whose "
            f"90-day outcome was known before {SPLIT}, then, on the rows scored from {SPLIT} "
            "on, take the learned score's AUC minus the designed (holistic) score's AUC. How "
            "much better (or worse) are the learned weights?"
        ),
        expected=learned,
        solution=setup + "from csworkbook.health import validation as val\n"
        f"fit, judge = val.time_split(past, '{SPLIT}', horizon_days=90)\n"
        "w = val.learned_weights(fit, fit.churned, columns=holistic.columns)\n"
        "learned_auc = val.auc(judge.assign(score=val.learned_score(w, judge)))\n"
        "designed_auc = val.auc(judge.assign(score=holistic.score(judge).score))\n"
        "answer = learned_auc - designed_auc",
        hint=(
            "val.time_split(past, at, horizon_days=90) gives the rows to fit on and the rows "
            "to judge on; val.learned_score applies the weights to new rows; val.auc(rows) "
            "reads a score column."
        ),
        mistakes=[
            Mistake(
                in_sample,
                "that compares the two on the rows the weights were fitted on (in sample): a "
                "fitted score always looks better there. Judge both on the later period.",
            ),
            Mistake(
                leaky,
                f"those weights were fitted on every row dated before {SPLIT}, including rows "
                "whose 90-day outcome falls after it: the fit saw the judging period. Use "
                "val.time_split.",
            ),
        ],
        data=cs,
    )
    q5 = Question(
        name="q5",
        kind="choice",
        options=CANDIDATES,
        prompt=(
            "Your CSMs can handle 50 accounts a fortnight. Of notebook 12's section-4 "
            "candidates (usage only, per segment and the four commercial styles of the "
            "holistic scorecard), which one reaches the most churners at that capacity?"
        ),
        expected=lambda d: _argmax(summaries(d)["recall_top_50"]),
        solution=setup.replace(
            "from csworkbook.health import health_frame, profiles, scoring_dates\n",
            "from csworkbook.health import health_frame, profiles, scoring_dates\n"
            "from csworkbook.health import validation as val\n",
        )
        + "prof = profiles.Profiles(default=holistic, by_touch={'tech': "
        "profiles.tech_touch_scorecard()},\n"
        "                         onboarding=profiles.onboarding_scorecard(), "
        "onboarding_days=90)\n"
        "keep = past[['account_id', 'obs_date', 'churn_date', 'churned', 'arr']]\n"
        "candidates = {'usage only': pd.concat([keep, "
        "profiles.usage_scorecard().score(past)], axis=1),\n"
        "              'per segment': pd.concat([keep, prof.score(past)], axis=1)}\n"
        "for name, card in profiles.commercial_styles(holistic).items():\n"
        "    candidates[name] = pd.concat([keep, card.score(past)], axis=1)\n"
        "recall = pd.Series({name: val.capacity(s, 50)['recall'] for name, s in "
        "candidates.items()})\n"
        "answer = recall.idxmax()",
        hint=(
            "Backtest each candidate as in section 4, then val.capacity(scored, 50) gives "
            "the recall of calling the 50 lowest scores each date. Which is highest?"
        ),
        mistakes=[
            Mistake(
                lambda d: str(summaries(d)["auc"].idxmax()),
                "that candidate ranks churners best overall (AUC), but the team only calls "
                "the 50 lowest each date: compare recall at that capacity.",
            ),
            Mistake(
                lambda d: str(summaries(d)["red_recall"].idxmax()),
                "that candidate's red band reaches the most churners, but red holds however "
                "many customers it holds, not 50 a date: compare the 50 lowest scores.",
            ),
            Mistake(
                lambda d: str(summaries(d)["recall_top_50"].idxmin()),
                "that candidate reaches the fewest churners at 50 a date: sort the other way.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5}


def _argmax(values: pd.Series):
    """The option with the highest value, or all of those tied for it."""
    best = values[values >= values.max() - 1e-12].index
    return str(best[0]) if len(best) == 1 else tuple(str(b) for b in best)


# `from csworkbook.exercises.ex12 import cs, q1, q2, q3, q4, q5, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
