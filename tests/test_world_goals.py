"""What ``csworkbook.synth.success`` plants in the synthetic world (goals and goal reviews),
one test per effect, on the demo dataset and on a small world with more of the heavy-usage
scenarios the goals react to."""

import numpy as np
import pandas as pd
import pytest

from csworkbook import synth
from csworkbook.operations import outcomes
from csworkbook.stats import wilson_interval
from csworkbook.synth import success as su

SCENARIOS = {
    "heavy_goals_met": 0.1,
    "heavy_roi_unproven": 0.1,
    "heavy_priority_dropped": 0.06,
    "heavy_roadmap_stale": 0.06,
    "heavy_sponsor_left_new_tool": 0.06,
}


@pytest.fixture(scope="module")
def scenarios():
    """800 customers, a tenth of them heavy users whose goals were met, a tenth whose ROI was
    never shown, and more stalled projects than the default rates give."""
    return synth.generate(800, seed=3, scenario_rates=SCENARIOS)


def _reviews(ds):
    """Goal reviews in order, with the change since the goal's previous review and the
    account's touch model and truth."""
    r = ds.goal_reviews.sort_values(["goal_id", "date"], kind="stable").copy()
    r["change"] = r["progress"] - r.groupby("goal_id")["progress"].shift()
    truth = ds.truth.set_index("account_id")
    r["touch_model"] = r["account_id"].map(ds.accounts.set_index("account_id")["touch_model"])
    for col in ("scenario", "scenario_date", "disengaged_from"):
        r[col] = r["account_id"].map(truth[col])
    return r


def _goals(ds):
    g = ds.goals.copy()
    truth = ds.truth.set_index("account_id")
    g["segment"] = g["account_id"].map(ds.accounts.set_index("account_id")["segment"])
    g["touch_model"] = g["account_id"].map(ds.accounts.set_index("account_id")["touch_model"])
    g["scenario"] = g["account_id"].map(truth["scenario"])
    g["scenario_date"] = g["account_id"].map(truth["scenario_date"])
    g["reviews"] = g["goal_id"].map(ds.goal_reviews.groupby("goal_id").size()).fillna(0)
    return g


def test_every_kickoff_writes_a_success_plan_of_one_to_four_goals_by_segment(demo):
    g = _goals(demo)
    kickoff = demo.milestones[demo.milestones["milestone"] == "kickoff"]
    kickoff = kickoff.dropna(subset=["achieved_date"]).set_index("account_id")["achieved_date"]
    assert set(g["account_id"]) == set(kickoff.index)  # a plan per kickoff, none without
    assert (g["stated_date"] == g["account_id"].map(kickoff)).all()  # stated at the kickoff
    per = g.groupby("account_id").agg(n=("goal_id", "size"), segment=("segment", "first"))
    top = per.groupby("segment")["n"].agg(["min", "max", "mean"])
    # one goal plus binomial(3, 2 or 1, one half) more
    assert top["min"].eq(1).all()
    assert top["max"].to_dict() == {"enterprise": 4, "mid_market": 3, "smb": 2}
    assert top.loc["enterprise", "mean"] > top.loc["mid_market", "mean"] > top.loc["smb", "mean"]
    assert not g.duplicated(["account_id", "goal"]).any()  # drawn without replacement


def test_segments_want_different_goals(demo):
    g = _goals(demo)
    mix = pd.crosstab(g["goal"], g["segment"], normalize="columns")
    assert mix["smb"].idxmax() == "reduce_reporting_time"  # small companies want hours back
    for goal in ("executive_visibility", "consolidate_tools"):  # enterprises want one view
        assert mix.loc[goal, "enterprise"] > 1.5 * mix.loc[goal, "smb"]


def test_targets_lie_in_each_goals_range_in_steps_of_five_points(demo):
    g = demo.goals
    steps = g["target"] * 20
    assert np.allclose(steps, steps.round())
    lo = g["goal"].map({k: v[0] for k, v in su.TARGET.items()})
    hi = g["goal"].map({k: v[1] for k, v in su.TARGET.items()})
    assert (g["target"] >= lo - 1e-9).all() and (g["target"] <= hi + 1e-9).all()


def test_reviews_follow_the_touch_models_cadence_and_tech_touch_often_goes_unreviewed(demo):
    r, g = _reviews(demo), _goals(demo)
    gap = r.assign(gap=r.groupby("goal_id")["date"].diff().dt.days).groupby("touch_model")["gap"]
    median = gap.median()
    for model, days in su.REVIEW_EVERY.items():  # a skipped review doubles a gap: the median holds
        assert abs(median[model] - days) < 10, (model, median[model])
    never = g.groupby("touch_model")["reviews"].apply(lambda s: (s == 0).mean())
    assert never["tech"] > 2 * never["low"] and never["low"] > never["high"]


def test_nothing_moves_before_first_value(demo):
    r = _reviews(demo)
    fv = demo.milestones[demo.milestones["milestone"] == "first_value"]
    fv = fv.set_index("account_id")["achieved_date"]
    before = r[r["date"] < r["account_id"].map(fv)]
    assert len(before) > 50
    assert before["progress"].max() <= 0.2  # only the review's noise
    assert before["progress"].median() == 0


def test_a_goal_is_achieved_at_the_first_review_that_meets_it_and_reviews_stop(demo):
    r = _reviews(demo)
    achieved = r["goal_id"].map(demo.goals.set_index("goal_id")["achieved_date"])
    assert (r.loc[r["date"] == achieved, "progress"] >= 1).all()
    assert (r.loc[r["date"] < achieved, "progress"] < 1).all()
    assert (r.loc[achieved.isna(), "progress"] < 1).all()
    assert not (r["date"] > achieved).any()
    reached = demo.goals.dropna(subset=["achieved_date"])
    assert reached["goal_id"].isin(r.loc[r["date"] == achieved, "goal_id"]).all()


def test_reviews_happen_only_while_the_customer_pays(demo):
    m = demo.mrr_monthly
    paying = set(zip(m.loc[m["mrr"] > 0, "account_id"], m.loc[m["mrr"] > 0, "month"], strict=True))
    r = demo.goal_reviews
    month = r["date"].dt.to_period("M").dt.to_timestamp()
    assert all(pair in paying for pair in zip(r["account_id"], month, strict=True))
    assert r["date"].max() <= demo.as_of


def test_goal_progress_follows_outcome_attainment_and_fit_not_the_relationship(demo):
    axes = outcomes.outcome(
        demo,
        demo.goals[["account_id"]]
        .drop_duplicates()
        .assign(renewal_date=demo.as_of, obs_date=demo.as_of),
    )
    truth = demo.truth.set_index("account_id")
    p = axes.set_index("account_id")["progress"].dropna()
    rho = {
        d: p.corr(truth.loc[p.index, d], method="spearman")
        for d in ("outcome", "fit", "relationship")
    }
    assert rho["outcome"] > 0.6 and rho["fit"] > 0.45
    assert abs(rho["relationship"]) < 0.1  # goals react to the outcome, not to the mood


def test_customers_reaching_their_goals_renew_more_often(demo):
    axes = outcomes.two_axes(demo).dropna(subset=["progress"])
    reach = axes[axes["progress"] >= outcomes.REACHED]
    short = axes[axes["progress"] < outcomes.REACHED]
    lo_reach, _ = wilson_interval(int((~reach["churned"]).sum()), len(reach))
    _, hi_short = wilson_interval(int((~short["churned"]).sum()), len(short))
    assert lo_reach > hi_short  # the intervals separate, on one row per customer
    power = outcomes.predictive_power(axes, {"outcome": "progress"}, baseline="outcome")
    assert power.loc["outcome", "low"] > 0.55


def test_a_departure_or_reorganisation_stalls_progress(demo):
    r = _reviews(demo).dropna(subset=["change"])
    s = demo.stakeholder_events
    calm = r[
        ~r["account_id"].isin(s["account_id"])
        & r["disengaged_from"].isna()
        & (r["scenario"] == "none")
    ]

    def within(events):  # reviews in the stall that follows one of these events
        e = s.loc[s["event"].isin(events), ["account_id", "date", "event"]]
        m = r.reset_index().merge(
            e.rename(columns={"date": "on", "event": "kind"}), on="account_id"
        )
        since = (m["date"] - m["on"]).dt.days
        stalled = (since > 0) & (since <= m["kind"].map(su.STALL_DAYS))
        return m[stalled].drop_duplicates("index")

    champion = within(["champion_left"])
    assert len(champion) >= 100
    # months lost and what the champion ran slipping back: progress falls on average
    assert champion["change"].mean() < 0 < calm["change"].mean() - 0.1
    others = within(["sponsor_changed", "reorg"])  # a few months lost, nothing slips
    assert len(others) >= 50
    assert champion["change"].mean() < others["change"].mean() < calm["change"].mean() - 0.03


def test_disengaging_before_an_ordinary_churn_stops_progress_and_slips_back(demo):
    r = _reviews(demo).dropna(subset=["change"])
    r = r[r["disengaged_from"].notna()]
    after, before = r[r["date"] > r["disengaged_from"]], r[r["date"] <= r["disengaged_from"]]
    assert len(after) >= 10 and len(before) >= 100
    fell_after = int((after["change"] < 0).sum())
    fell_before = int((before["change"] < 0).sum())
    low_after, _ = wilson_interval(fell_after, len(after))
    _, high_before = wilson_interval(fell_before, len(before))
    assert low_after > high_before  # falling is the rule after disengaging, the exception before
    assert after["change"].mean() < 0 < before["change"].mean()


def test_heavy_users_whose_goals_were_met_met_them_before_they_left(scenarios):
    g = _goals(scenarios)
    met, others = g[g["scenario"] == "heavy_goals_met"], g[g["scenario"] == "none"]
    assert len(met) >= 50
    share_met = met["achieved_date"].notna().mean()
    assert share_met > 0.6 and share_met > 3 * others["achieved_date"].notna().mean()
    r = _reviews(scenarios)
    late = r[(r["scenario"] == "heavy_goals_met")]
    late = late[late["date"] >= late["scenario_date"] - pd.Timedelta(days=45)]
    assert (late["progress"] >= 1).mean() > 0.8  # met by then, up to the review's noise


def test_roi_never_shown_means_goals_rarely_reviewed(scenarios):
    g = _goals(scenarios)
    per = g[g["scenario"].isin(["none", "heavy_roi_unproven"])]
    rate = per.groupby(["touch_model", "scenario"])["reviews"].mean().unstack()
    assert (rate["heavy_roi_unproven"] < 0.8 * rate["none"]).all(), rate


def test_stalled_projects_stop_moving_at_their_trigger(scenarios):
    r = _reviews(scenarios).dropna(subset=["change"])
    r = r[r["scenario"].isin(su.STALLED_SCENARIOS)]
    after = r[r["date"] > r["scenario_date"]]
    before = r[r["date"] <= r["scenario_date"]]
    assert len(after) >= 50 and len(before) >= 30
    assert after["change"].mean() < 0.02 < before["change"].mean() - 0.1


def test_goals_come_from_their_own_random_stream(monkeypatch):
    base = synth.generate(200, seed=11)
    monkeypatch.setattr(su, "GOAL_STREAM", su.GOAL_STREAM + 1)
    other = synth.generate(200, seed=11)
    assert not base.goals["goal"].equals(other.goals["goal"])  # the goals moved...
    for name, table in base.tables.items():  # ...and nothing else did
        if name not in ("goals", "goal_reviews"):
            pd.testing.assert_frame_equal(table, other.tables[name], obj=name)
