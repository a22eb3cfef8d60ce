"""What the feedback generator plants (csworkbook/synth/feedback.py) can be found in the demo's
tables, one test per effect, without reading how it was drawn."""

import numpy as np
import pandas as pd
import pytest

from csworkbook.operations import feedback as fb
from csworkbook.operations import outcomes
from csworkbook.synth import feedback as sf


@pytest.fixture(scope="module")
def asks(demo):
    seg = demo.accounts.set_index("account_id")["segment"]
    return demo.feedback.assign(segment=demo.feedback["account_id"].map(seg))


def test_every_feature_request_ticket_is_one_piece_of_feedback(demo, asks):
    requests = demo.tickets[demo.tickets["category"] == "feature_request"]
    from_tickets = asks[asks["source"] == "ticket"]
    assert len(from_tickets) == len(requests)
    m = from_tickets.merge(requests, left_on="source_id", right_on="ticket_id", validate="1:1")
    assert (m["account_id_x"] == m["account_id_y"]).all()
    assert (m["date"] == m["opened_at"].dt.normalize()).all()


def test_survey_comments_that_name_a_gap_are_feedback_and_reports_mean_reporting(demo, asks):
    gaps = demo.nps[demo.nps["comment"].isin(list(sf.COMMENT_THEME))]
    said = asks[asks["source"] == "nps_comment"]
    assert set(said["source_id"]) == set(gaps["response_id"]) and len(said) == len(gaps)
    m = said.merge(demo.nps, left_on="source_id", right_on="response_id")
    reports = m[m["comment"] == "Missing a few reports we need."]
    assert len(reports) > 50 and (reports["theme"] == "reporting").all()


def test_csm_notes_come_from_meetings_and_heavy_users_raise_more(demo, asks):
    notes = asks[asks["source"] == "csm_note"]
    meetings = demo.touchpoints[demo.touchpoints["kind"].isin(sf.NOTE_KINDS)]
    assert notes["source_id"].isin(meetings["touchpoint_id"]).all()
    truth = demo.truth.set_index("account_id")
    m = meetings.assign(
        note=meetings["touchpoint_id"].isin(notes["source_id"]),
        adoption=meetings["account_id"].map(truth["adoption"]),
        excitement=meetings["account_id"].map(truth["excitement"]),
        stale=meetings["account_id"].map(truth["scenario"]) == "heavy_roadmap_stale",
    )
    m = m[~m["stale"]]
    heavy = m["adoption"] > m["adoption"].median()
    excited = m["excitement"] > m["excitement"].median()
    assert m.loc[heavy, "note"].mean() > 1.5 * m.loc[~heavy, "note"].mean()
    assert m.loc[~excited, "note"].mean() > m.loc[excited, "note"].mean()


def test_a_stale_roadmap_is_raised_at_most_meetings_and_asks_for_what_it_promised(demo, asks):
    truth = demo.truth.set_index("account_id")
    stale = truth.index[truth["scenario"] == "heavy_roadmap_stale"]
    meetings = demo.touchpoints[
        demo.touchpoints["kind"].isin(sf.NOTE_KINDS) & demo.touchpoints["account_id"].isin(stale)
    ]
    after = meetings[meetings["date"] > meetings["account_id"].map(truth["scenario_date"])]
    noted = after["touchpoint_id"].isin(asks.loc[asks["source"] == "csm_note", "source_id"])
    assert len(after) >= 30 and noted.mean() > 0.45
    since = asks[
        asks["account_id"].isin(stale)
        & (asks["date"] > asks["account_id"].map(truth["scenario_date"]))
    ]
    others = asks[~asks["account_id"].isin(stale)]
    assert (since["theme"] == "ai_insights").mean() > 0.6
    assert (others["theme"] == "ai_insights").mean() < 0.15


def test_what_customers_ask_depends_on_their_segment(asks):
    mix = pd.crosstab(asks["theme"], asks["segment"], normalize="columns")
    assert mix.loc["permissions", "enterprise"] > 3 * mix.loc["permissions", "mid_market"]
    assert mix.loc["permissions", "smb"] < 0.02
    assert mix.loc["mobile", "smb"] > 3 * mix.loc["mobile", "mid_market"]
    assert mix.loc["reporting", "smb"] > 3 * mix.loc["reporting", "enterprise"]


def test_customers_ask_for_their_own_favourite_again_and_again(asks):
    n = asks.groupby("account_id").size()
    many = asks[asks["account_id"].isin(n.index[n >= 3])]
    top = many.groupby("account_id")["request"].agg(lambda r: r.value_counts().iloc[0] / len(r))
    # drawing each ask from the segment's mix gives about a third (simulated: 0.34)
    assert len(top) > 200 and top.mean() > 0.55


def test_the_roadmap_ships_what_the_larger_revenue_asked_for_months_later(demo, asks):
    arr = fb.account_arr(demo.contracts, demo.as_of)
    once = asks.drop_duplicates(["request", "account_id"])
    weight = once.assign(arr=once["account_id"].map(arr)).groupby("request")["arr"].sum()
    shipped = asks.groupby("request")["shipped_date"].first().notna()
    assert 3 <= shipped.sum() <= len(shipped) - 3
    # shipped requests hold more of the asking ARR: the AUC of weight for shipped
    w1, w0 = weight[shipped].to_numpy(), weight[~shipped].to_numpy()
    auc = (w1[:, None] > w0[None, :]).mean()
    assert auc > 0.85
    # one ship date per request, at least 90 days after its first ask
    per = asks.groupby("request")["shipped_date"].nunique(dropna=True)
    assert (per <= 1).all()
    lag = asks.groupby("request")["shipped_date"].first() - asks.groupby("request")["date"].min()
    assert (lag.dropna().dt.days >= 90).all()


def test_shipping_changes_no_renewal_beyond_who_the_customers_are(demo):
    rows = fb.loop_closed(outcomes.renewal_decisions(demo, days=None), demo.feedback)
    assert rows["account_id"].is_unique and len(rows) > 300
    # the customers whose requests shipped are larger, and larger customers renew more
    median = rows.groupby("group")["arr"].median()
    assert median[fb.SHIPPED] > 1.5 * median[fb.NOT_SHIPPED]
    effect = fb.shipped_effect(rows, n_boot=400)
    raw, within = effect.loc["all decisions"], effect.loc["within segment"]
    assert raw["difference"] < within["difference"] < 0.05
    assert within["low"] < 0 < within["high"]  # within segments: no effect to find
    assert np.isfinite(effect["difference"]).all()
