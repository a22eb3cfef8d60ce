"""Exercises for notebook 13 · the usage-data blind spot (principle 4)."""

from __future__ import annotations

import pandas as pd

from ..health import Group, Scorecard, blindspots, health_frame, profiles, scoring_dates
from ..health import validation as val
from .core import Mistake, Question, memo

QUARTILES = ["lightest", "light", "heavy", "heaviest"]
KEEP = ["account_id", "obs_date", "churn_date", "churned", "arr"]
USAGE_WEIGHT, EXTRA_WEIGHT = 50, 50


def _frame(cs) -> pd.DataFrame:
    return health_frame(cs, scoring_dates(cs.as_of, weeks=104, every_days=14), horizon_days=90)


def _scored(frame: pd.DataFrame, card) -> pd.DataFrame:
    return pd.concat([frame[KEEP], card.score(frame)], axis=1)


def _quartiles(frame: pd.DataFrame):
    """Notebook 13's usage quartiles over every customer-date with a known outcome."""
    known = frame.dropna(subset=["churned", "active_share"])
    quartile, edges = pd.qcut(known["active_share"], 4, labels=QUARTILES, retbins=True)
    return known.assign(usage=quartile, churn=known["churned"].astype(bool)), edges


def _usage_then(rows: pd.DataFrame, edges) -> pd.Series:
    return pd.cut(rows["active_share"], edges, labels=QUARTILES, include_lowest=True)


def _arr_share(rows: pd.DataFrame, edges, *, value=None) -> float:
    """Share of the heavy and heaviest quartiles in ``value`` (ARR, or 1 per row)."""
    v = rows["arr"] if value is None else value
    by = v.groupby(_usage_then(rows, edges), observed=False).sum()
    return float(by[["heavy", "heaviest"]].sum() / by.sum())


def _heavy(accounts, scenario: pd.Series) -> pd.Series:
    return pd.Series(accounts).map(scenario).str.startswith("heavy", na=False).to_numpy()


def _extra_measures(frame: pd.DataFrame, scenario: pd.Series) -> pd.DataFrame:
    """Usage plus one non-usage measure: heavy-user churners flagged in time, all churners
    flagged in time, and everyone flagged by the same rule with any day as churn date."""
    usage = profiles.usage_scorecard().groups[0]
    rows = {}
    for m in profiles.holistic_scorecard().measures:
        if m in usage.measures:
            continue
        card = Scorecard(
            f"usage + {m.name}",
            [
                Group("product usage", USAGE_WEIGHT, usage.measures),
                Group(m.name, EXTRA_WEIGHT, (m,)),
            ],
        )
        history = _scored(frame, card)
        caught = blindspots.caught(history)["caught"]
        warned = val.warned_before_churn(history, n_boot=10)["not_green"]
        rows[m.name] = {
            "heavy_churners": caught[_heavy(caught.index, scenario)].mean(),
            "churners": warned.iloc[0],
            "everyone": warned.iloc[1],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _best(values: pd.Series):
    """The option with the highest value, or all of those tied for it."""
    top = values[values >= values.max() - 1e-12].index
    return str(top[0]) if len(top) == 1 else tuple(str(t) for t in top)


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 13, bound to ``cs``."""
    frame = memo(_frame)
    quartiles = memo(lambda d: _quartiles(frame(d)))
    usage_only = memo(lambda d: _scored(frame(d), profiles.usage_scorecard()))
    scenario = memo(lambda d: d.truth.set_index("account_id")["scenario"])
    extra = memo(lambda d: _extra_measures(frame(d), scenario(d)))

    def heaviest(d) -> pd.DataFrame:
        known, _ = quartiles(d)
        return known[known["usage"] == "heaviest"]

    def churners(d) -> pd.DataFrame:
        return blindspots.churners_at(frame(d))

    def caught_heavy(d, history: pd.DataFrame, flag) -> float:
        win = blindspots.window_rows(history)
        win = win[_heavy(win["account_id"], scenario(d))]
        return float(flag(win).groupby(win["account_id"]).any().mean())

    setup = (
        "from csworkbook.health import health_frame, scoring_dates\n"
        "frame = health_frame(cs, scoring_dates(cs.as_of, weeks=104, every_days=14), "
        "horizon_days=90)\n"
    )
    quartile_code = (
        "known = frame.dropna(subset=['churned', 'active_share'])\n"
        "usage, edges = pd.qcut(known.active_share, 4, "
        "labels=['lightest', 'light', 'heavy', 'heaviest'], retbins=True)\n"
    )
    q1 = Question(
        name="q1",
        prompt=(
            "Cut every customer-date with a known 90-day outcome into quartiles of seat usage "
            "(active_share). What is the churn rate within 90 days of the heaviest quartile's "
            "customer-dates?"
        ),
        expected=lambda d: float(heaviest(d)["churn"].mean()),
        solution=setup
        + quartile_code
        + "answer = known.churned[usage == 'heaviest'].astype(bool).mean()",
        hint=(
            "pd.qcut(values, 4, labels=[...]) cuts into quartiles; the churn rate of a group "
            "of customer-dates is the mean of churned (as bool) over its rows."
        ),
        mistakes=[
            Mistake(
                lambda d: float(heaviest(d).groupby("account_id")["churn"].any().mean()),
                "that is the share of the heaviest quartile's customers who churned at some "
                "point: a rate over customers, not over customer-dates.",
            ),
            Mistake(
                lambda d: float(
                    quartiles(d)[0].loc[lambda k: k["churn"], "usage"].eq("heaviest").mean()
                ),
                "that is the heaviest quartile's share of all churned customer-dates (wrong "
                "denominator): the churn rate divides by the quartile's own customer-dates.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            "Whose revenue leaves? Take each churner once, on its last scoring date 60-90 days "
            "before it churned (blindspots.churners_at), and place its usage that day in the "
            "quartiles of q1. What share of the churners' ARR (those with a usage value) came "
            "from the two heavier quartiles?"
        ),
        expected=lambda d: _arr_share(churners(d), quartiles(d)[1]),
        solution=setup + quartile_code + "from csworkbook.health import blindspots\n"
        "last = blindspots.churners_at(frame)\n"
        "then = pd.cut(last.active_share, edges, labels=usage.cat.categories, "
        "include_lowest=True)\n"
        "arr = last.arr.groupby(then, observed=False).sum()\n"
        "answer = arr[['heavy', 'heaviest']].sum() / arr.sum()",
        hint=(
            "pd.cut(values, edges, labels=..., include_lowest=True) reuses q1's quartile "
            "edges; sum ARR by quartile, then take the heavy and heaviest part of the total."
        ),
        mistakes=[
            Mistake(
                lambda d: _arr_share(
                    churners(d), quartiles(d)[1], value=pd.Series(1.0, churners(d).index)
                ),
                "that is the share of churners (a count), not of their ARR.",
            ),
            Mistake(
                lambda d: _arr_share(blindspots.window_rows(frame(d)), quartiles(d)[1]),
                "that sums ARR over every scoring date in the 60-90-day window, so a churner "
                "counts two or three times. Take each churner once (churners_at).",
            ),
            Mistake(
                lambda d: _arr_share(
                    frame(d)
                    .dropna(subset=["churn_date"])
                    .sort_values("obs_date")
                    .drop_duplicates("account_id", keep="last"),
                    quartiles(d)[1],
                ),
                "that reads usage on the last scoring date before churn, when usage has often "
                "already collapsed and it is too late to act: take the date 60-90 days before.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            "The heavy-user stories (the truth table's scenarios starting with 'heavy'): what "
            "share of their churners did the usage-only score flag in time, i.e. not green on "
            "some scoring date 60-90 days before they churned?"
        ),
        expected=lambda d: caught_heavy(
            d, usage_only(d), lambda w: w["band"].astype(object) != "green"
        ),
        solution=setup + "from csworkbook.health import blindspots, profiles\n"
        "keep = ['account_id', 'obs_date', 'churn_date', 'churned', 'arr']\n"
        "usage_only = pd.concat([frame[keep], profiles.usage_scorecard().score(frame)], "
        "axis=1)\n"
        "caught = blindspots.caught(usage_only).caught\n"
        "scenario = caught.index.map(cs.truth.set_index('account_id').scenario)\n"
        "answer = caught[scenario.str.startswith('heavy')].mean()",
        hint=(
            "blindspots.caught(history) has one row per churner with caught = not green on "
            "some date in the window; keep the churners whose scenario starts with 'heavy'."
        ),
        mistakes=[
            Mistake(
                lambda d: float(
                    blindspots.window_rows(usage_only(d))
                    .loc[lambda w: _heavy(w["account_id"], scenario(d))]["band"]
                    .astype(object)
                    .ne("green")
                    .mean()
                ),
                "that is the share of the window's customer-dates that were not green; a "
                "churner counts as flagged when one of its two or three dates was. Count "
                "churners.",
            ),
            Mistake(
                lambda d: caught_heavy(
                    d, usage_only(d), lambda w: w["band"].astype(object) == "red"
                ),
                "that counts only red as a flag; a churner is flagged in time when it was not "
                "green (yellow counts too).",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        kind="choice",
        options=tuple(
            m.name
            for m in profiles.holistic_scorecard().measures
            if m not in profiles.usage_scorecard().groups[0].measures
        ),
        prompt=(
            "Which single non-usage measure should join the usage-only score? For each "
            "non-usage measure of the holistic scorecard, build a scorecard of two groups: "
            f"product usage (the usage-only measures, weight {USAGE_WEIGHT}) and that measure "
            f"alone (weight {EXTRA_WEIGHT}). Score the history, then take (a) the share of "
            "heavy-user churners flagged in time (as in q3) minus (b) the share of everyone "
            "the same rule flags with any day as churn date (val.warned_before_churn, second "
            "row). Which measure has the largest (a) - (b)? Answer with its name."
        ),
        expected=lambda d: _best(extra(d)["heavy_churners"] - extra(d)["everyone"]),
        solution=setup + "from csworkbook.health import Group, Scorecard, blindspots, profiles\n"
        "from csworkbook.health import validation as val\n"
        "keep = ['account_id', 'obs_date', 'churn_date', 'churned', 'arr']\n"
        "scenario = cs.truth.set_index('account_id').scenario\n"
        "usage = profiles.usage_scorecard().groups[0]\n"
        "gap = {}\n"
        "for m in profiles.holistic_scorecard().measures:\n"
        "    if m in usage.measures:\n"
        "        continue\n"
        f"    card = Scorecard(m.name, [Group('product usage', {USAGE_WEIGHT}, usage.measures),\n"
        f"                              Group(m.name, {EXTRA_WEIGHT}, (m,))])\n"
        "    history = pd.concat([frame[keep], card.score(frame)], axis=1)\n"
        "    caught = blindspots.caught(history).caught\n"
        "    heavy = caught[caught.index.map(scenario).str.startswith('heavy')].mean()\n"
        "    everyone = val.warned_before_churn(history, n_boot=10).not_green.iloc[1]\n"
        "    gap[m.name] = heavy - everyone\n"
        "answer = pd.Series(gap).idxmax()",
        hint=(
            "A measure that makes nearly everyone yellow 'flags' every churner too. Notebook "
            "12 reads what a score knows as the gap between the churners it flags and "
            "everybody it would flag by the same rule; n_boot only changes the intervals."
        ),
        mistakes=[
            Mistake(
                lambda d: str(extra(d)["heavy_churners"].idxmax()),
                "that measure flags the most heavy-user churners, but it also flags most "
                "customers who stay: subtract how often the same rule flags everybody.",
            ),
            Mistake(
                lambda d: str((extra(d)["churners"] - extra(d)["everyone"]).idxmax()),
                "that measure separates churners in general best, but the question is about "
                "the heavy-user churners that usage misses: use only their stories for (a).",
            ),
            Mistake(
                lambda d: str((extra(d)["heavy_churners"] - extra(d)["everyone"]).idxmin()),
                "that measure has the smallest gap: sort the other way.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex13 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
