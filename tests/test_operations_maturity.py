"""Maturity self-assessment and the CS team's own KPIs (notebook 09): every figure checked by
hand on a few customers."""

import numpy as np
import pandas as pd
import pytest

from csworkbook.operations import maturity as mt
from csworkbook.stats import wilson_interval

ALL = [k for level in mt.STATEMENTS.values() for k in level]


# ---- the self-assessment (what the ipywidgets form of notebook 09 calls) ---------------


def test_assess_scores_points_per_level_and_a_level_needs_every_level_below_it():
    answers = {"r1": "yes", "r2": "yes", "r3": "no"}  # 2 of 3: exactly two thirds
    answers |= {"d1": "yes", "d2": "yes", "d3": "partly"}  # 2.5 of 3
    answers |= {"m1": "partly", "m2": "no"}  # m3 left out: 0.5 of 3
    answers |= {"o1": "yes", "o2": "yes", "o3": "yes"}  # 3 of 3, but measured is missing
    a = mt.assess(answers)
    assert list(a.index) == list(mt.LEVELS)
    assert a["statements"].tolist() == [3, 3, 3, 3]
    assert a["answered"].tolist() == [3, 3, 2, 3]
    assert a["points"].tolist() == [2.0, 2.5, 0.5, 3.0]
    assert a["score"].tolist() == pytest.approx([2 / 3, 2.5 / 3, 0.5 / 3, 1.0])
    # two thirds is enough; optimized scores 1 but stands on a level not reached
    assert a["reached"].tolist() == [True, True, False, False]
    assert a.attrs["level"] == "defined"


def test_assess_levels_from_nothing_to_everything():
    assert mt.assess({}).attrs["level"] == "ad hoc"
    assert mt.assess({}).points.sum() == 0
    assert mt.assess(dict.fromkeys(ALL, "yes")).attrs["level"] == "optimized"
    # the first level at exactly two thirds holds the others up
    shaky = dict.fromkeys(ALL, "yes") | {"r1": "partly", "r2": "partly"}
    a = mt.assess(shaky)
    assert a.loc["repeatable", "score"] == pytest.approx(2 / 3)  # 0.5 + 0.5 + 1 = 2
    assert a.attrs["level"] == "optimized"
    # the top three levels perfect, the first below two thirds: nothing is reached
    shakier = shaky | {"r3": "partly"}  # 1.5 of 3
    assert mt.assess(shakier).attrs["level"] == "ad hoc"
    assert not mt.assess(shakier)["reached"].any()
    # a stricter threshold moves the level
    assert mt.assess(shaky, threshold=0.7).attrs["level"] == "ad hoc"


def test_assess_reads_answers_as_the_form_gives_them_and_rejects_others():
    a = mt.assess({"r1": " Yes ", "r2": "PARTLY", "r3": None})
    assert a.loc["repeatable", ["answered", "points"]].tolist() == [2, 1.5]
    with pytest.raises(ValueError, match=r"no statement \['x9'\]"):
        mt.assess({"x9": "yes"})
    with pytest.raises(ValueError, match="answers must be one of"):
        mt.assess({"r1": "maybe"})


def test_answers_from_data_at_the_marks():
    assert mt.answers_from_data({"coverage": 0.9, "answered": 0.8, "scored": 0.95}) == {
        "r2": "yes",
        "d2": "yes",
        "m1": "yes",
    }
    assert mt.answers_from_data({"coverage": 0.6, "answered": 0.5, "scored": 0.75}) == {
        "r2": "partly",
        "d2": "partly",
        "m1": "partly",
    }
    low = {"coverage": 0.5999, "answered": 0.4999, "scored": 0.7499}
    assert mt.answers_from_data(low) == {"r2": "no", "d2": "no", "m1": "no"}
    # missing evidence answers nothing; other evidence is ignored
    assert mt.answers_from_data({"scored": np.nan, "rank_agreement": 0.9}) == {}
    assert mt.answers_from_data({"coverage": None}) == {}


def test_the_data_overrides_the_teams_answers_as_notebook_09_does():
    team = {"r1": "yes", "r2": "yes", "r3": "yes", "d1": "yes", "d2": "yes", "d3": "partly"}
    assert mt.assess(team).attrs["level"] == "defined"
    data = mt.answers_from_data({"coverage": 0.7, "answered": 0.2})  # r2 partly, d2 no
    revised = mt.assess(team | data)
    assert revised["points"].tolist()[:2] == [2.5, 1.5]
    assert revised.attrs["level"] == "repeatable"


# ---- calls to action and what follows them ----------------------------------------------

W = pd.date_range("2025-01-06", periods=6, freq="7D")  # six weekly scoring dates


def _history():
    """a falls into red at W2 (and keeps falling at W3); b is yellow with a renewal close all
    along; c's renewal rule fires at W1, stops while c is green at W2, and fires again."""
    far, near = pd.Timestamp("2027-01-01"), W[3] + pd.Timedelta(days=30)
    rows = []
    bands = {
        "a": ["green", "green", "red", "red", "yellow", "green"],
        "b": ["yellow"] * 6,
        "c": ["yellow", "yellow", "green", "yellow", "yellow", "yellow"],
    }
    scores = {"a": [80, 80, 60, 55, 58, 80], "b": [70] * 6, "c": [70] * 6}
    for acc in "abc":
        for i, d in enumerate(W):
            rows.append(
                {
                    "account_id": acc,
                    "obs_date": d,
                    "score": float(scores[acc][i]),
                    "band": bands[acc][i],
                    "arr": 100.0,
                    "next_renewal": far if acc == "a" else near,
                    "touch_model": "high" if acc == "a" else "low",
                }
            )
    return pd.DataFrame(rows)


def test_cta_episodes_counts_a_rule_that_keeps_firing_once_dated_when_it_first_fired():
    c = mt.cta_episodes(_history(), days=14)
    got = [(r.account_id, r.rule, r.date) for r in c.itertuples()]
    renewal = "renewal within 90 days, not green"
    assert got == [
        ("a", "dropped 15+ points in 14 days", W[2]),  # -20 at W2 and -25 at W3: one episode
        ("a", "entered red", W[2]),
        ("b", renewal, W[1]),  # fires W1..W5: one episode (W0 has no date before it)
        ("c", renewal, W[1]),
        ("c", renewal, W[3]),  # green at W2 broke the run: a second episode
    ]
    assert c["touch_model"].tolist() == ["high", "high", "low", "low", "low"]
    one = _history()[lambda h: h.obs_date == W[0]]
    assert mt.cta_episodes(one).empty  # a single date: nothing to compare


def _touchpoints():
    return pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "b", "b", "d", "e", "f"],
            "kind": ["qbr", "check_in", "check_in", "email", "check_in", "ebr", "check_in", "qbr"],
            "date": pd.to_datetime(
                [
                    "2025-01-05",
                    "2025-02-20",
                    "2025-04-15",
                    "2025-01-02",
                    "2025-01-31",
                    "2025-12-22",
                    "2025-06-01",
                    "2026-01-02",  # after as_of: not known yet
                ]
            ),
        }
    )


def _calls():
    return pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "c", "d", "e", "f"],
            "rule": ["red", "drop", "red", "red", "drop", "drop", "red"],
            "date": pd.to_datetime(
                [
                    "2025-01-01",
                    "2025-03-01",
                    "2025-01-01",
                    "2025-12-20",
                    "2025-12-20",
                    "2025-06-01",
                    "2025-12-25",
                ]
            ),
        }
    )


def test_response_times_waits_for_the_next_one_to_one_touchpoint_within_the_window():
    r = mt.response_times(_calls(), _touchpoints(), "2025-12-31", within=30)
    # a: qbr after 4 days; then its next check-in is 45 days later (too late); b: the e-mail
    # is not one-to-one, the check-in 30 days later is just in time; c: unanswered and its
    # window runs past as_of (dropped); d: 2 days; e: the same day; f: the touchpoint comes
    # after as_of, so at as_of f is unanswered with its window open (dropped)
    assert r["account_id"].tolist() == ["a", "a", "b", "d", "e"]
    assert r["days"].tolist() == pytest.approx([4, np.nan, 30, 2, 0], nan_ok=True)
    assert r["answered"].tolist() == [True, False, True, True, True]
    assert r["rule"].tolist() == ["red", "drop", "red", "drop", "drop"]  # columns carried
    shorter = mt.response_times(_calls(), _touchpoints(), "2025-12-31", within=7)
    # a week: b's check-in is late, and c's window is over by as_of (kept, unanswered)
    assert shorter["account_id"].tolist() == ["a", "a", "b", "c", "d", "e"]
    assert shorter["answered"].tolist() == [True, False, False, False, True, True]
    every_kind = mt.response_times(_calls(), _touchpoints(), "2025-12-31", kinds=("email",))
    assert every_kind.loc[every_kind.account_id == "b", "days"].tolist() == [1]


def test_response_summary_counts_calls_customers_median_and_share_answered():
    r = mt.response_times(_calls(), _touchpoints(), "2025-12-31", within=30)
    s = mt.response_summary(r, by="rule", n_boot=200)
    assert list(s.columns) == ["calls", "customers", "median_days", "answered", "low", "high"]
    # drop: a (unanswered), d (2 days), e (0 days); red: a (4 days), b (30 days)
    assert s.loc["drop", ["calls", "customers", "median_days"]].tolist() == [3, 3, 1.0]
    assert s.loc["drop", "answered"] == pytest.approx(2 / 3)
    assert s.loc["red", ["calls", "customers", "median_days", "answered"]].tolist() == [
        2,
        2,
        17.0,
        1.0,
    ]
    assert (s["low"] <= s["answered"]).all() and (s["answered"] <= s["high"]).all()
    everyone = mt.response_summary(r, n_boot=200).loc["all"]
    assert everyone[["calls", "customers", "median_days"]].tolist() == [5, 4, 3.0]
    assert everyone["answered"] == pytest.approx(4 / 5)


def test_health_adoption_shares_of_customers_scored_and_calls_answered():
    today = pd.DataFrame({"account_id": list("vwxyz"), "coverage": [1.0, 0.8, 0.75, 0.5, np.nan]})
    r = mt.response_times(_calls(), _touchpoints(), "2025-12-31", within=30)
    h = mt.health_adoption(today, r, min_coverage=0.75, n_boot=200)
    lo, hi = wilson_interval(3, 5)
    assert h.loc["scored", ["rows", "customers", "rate"]].tolist() == [5, 5, 0.6]
    assert h.loc["scored", ["low", "high"]].tolist() == pytest.approx([float(lo), float(hi)])
    assert h.loc["answered", ["rows", "customers", "rate"]].tolist() == [5, 4, 0.8]
    # a stricter scorecard, and no calls at all: only the scored row
    strict = mt.health_adoption(today, r.iloc[:0], min_coverage=0.9)
    assert list(strict.index) == ["scored"] and strict.loc["scored", "rate"] == 0.2


# ---- retention per CSM ------------------------------------------------------------------


def _mrr(rows):
    """rows: (account, contract, {month: mrr})."""
    out = []
    for acc, contract, paid in rows:
        for month, mrr in paid.items():
            out.append(
                {
                    "contract_id": contract,
                    "account_id": acc,
                    "month": pd.Timestamp(month),
                    "mrr": float(mrr),
                }
            )
    return pd.DataFrame(out)


J24, J25 = "2024-01-01", "2025-01-01"
BOOKS = _mrr(
    [
        ("a", "a1", {J24: 60, J25: 150}),  # a holds two contracts: 100 -> 150
        ("a", "a2", {J24: 40, J25: 0}),
        ("b", "b1", {J24: 100, J25: 0}),  # churned
        ("c", "c1", {J24: 100, J25: 100}),
        ("d", "d1", {J24: 100, J25: 80}),  # contracted
        ("e", "e1", {"2024-06-01": 50, J25: 50}),  # not paying at the start: not in a book
        ("f", "f1", {J24: 100, J25: 100}),  # no CSM
        ("g", "g1", {J24: 200, J25: 200}),
    ]
)
OWNERS = pd.DataFrame(
    {
        "account_id": list("abcdefg"),
        "csm_id": ["X", "X", "Y", "Y", "Y", None, "Z"],
        "touch_model": ["high", "high", "low", "low", "low", "tech", "low"],
    }
)


def test_retention_by_owner_grr_nrr_and_intervals_from_the_owners_own_accounts():
    t = mt.retention_by_owner(BOOKS, OWNERS, "2024-01-15", "2025-01", n_boot=1000)
    assert list(t.index) == ["X", "Y", "Z"] and t.index.name == "csm_id"
    assert t["touch_model"].tolist() == ["high", "low", "low"]
    assert t[["accounts", "start_mrr"]].values.tolist() == [[2, 200], [2, 200], [1, 200]]
    # X: GRR (100 + 0) / 200, NRR (150 + 0) / 200; Y: GRR = NRR = (100 + 80) / 200
    assert t["grr"].tolist() == pytest.approx([0.5, 0.9, 1.0])
    assert t["nrr"].tolist() == pytest.approx([0.75, 0.9, 1.0])
    # X's book is two accounts: a replicate draws a twice (GRR 1, NRR 1.5) with chance 1/4,
    # b twice (0, 0) with chance 1/4, so the 95% interval runs from one extreme to the other
    assert t.loc["X", ["grr_low", "grr_high", "nrr_low", "nrr_high"]].tolist() == [0, 1, 0, 1.5]
    # Y: c twice gives 1.0, d twice 0.8; Z has one account: no room to move
    assert t.loc["Y", ["grr_low", "grr_high"]].tolist() == pytest.approx([0.8, 1.0])
    assert t.loc["Z", ["grr_low", "grr_high", "nrr_low", "nrr_high"]].tolist() == [1, 1, 1, 1]
    # by another column: the touch model's own books (f, without a CSM, counts here)
    m = mt.retention_by_owner(BOOKS, OWNERS, J24, J25, by="touch_model", n_boot=10)
    assert "touch_model" not in m.columns
    assert m["grr"].to_dict() == pytest.approx({"high": 0.5, "low": 380 / 400, "tech": 1.0})


def test_split_half_ranks_within_a_touch_model_and_rank_agreement_reads_them():
    m = _mrr(
        [
            ("p", "p1", {"2024-01-01": 100, "2024-07-01": 90, "2025-01-01": 90}),
            ("q", "q1", {"2024-01-01": 100, "2024-07-01": 100, "2025-01-01": 50}),
            ("r", "r1", {"2024-01-01": 100, "2024-07-01": 80, "2025-01-01": 80}),
            ("s", "s1", {"2024-01-01": 100, "2024-07-01": 100, "2025-01-01": 100}),
            ("t", "t1", {"2024-01-01": 100, "2024-07-01": 0, "2025-01-01": 0}),
        ]
    )
    acc = pd.DataFrame(
        {
            "account_id": list("pqrst"),
            "csm_id": list("PQRST"),
            "touch_model": ["high", "high", "high", "low", "high"],
        }
    )
    h = mt.split_half(m, acc, "2024-01", "2024-07", "2025-01")
    # T's book is gone by the second half: no second figure, left out
    assert list(h.index) == ["P", "Q", "R", "S"]
    assert h["first"].tolist() == pytest.approx([0.9, 1.0, 0.8, 1.0])
    assert h["second"].tolist() == pytest.approx([1.0, 0.5, 1.0, 1.0])
    assert h["rank_first"].tolist() == [2, 1, 3, 1]  # within high: Q, P, R; S alone in low
    assert h["rank_second"].tolist() == [1.5, 3, 1.5, 1]
    rho = mt.rank_agreement(h)
    # high: ranks (2, 3, 1) against (2.5, 1, 2.5): covariance -1.5 over sqrt(2 * 1.5)
    assert rho["high"] == pytest.approx(-1.5 / np.sqrt(3))
    assert np.isnan(rho["low"])  # one owner: nothing to rank
    nrr = mt.split_half(m, acc, "2024-01", "2024-07", "2025-01", metric="nrr")
    assert nrr.loc["Q", ["first", "second"]].tolist() == [1.0, 0.5]


def test_rank_agreement_is_one_for_the_same_order_and_interval_overlap_counts_pairs():
    same = pd.DataFrame(
        {"touch_model": ["h"] * 3, "first": [0.9, 0.8, 0.7], "second": [0.99, 0.5, 0.1]}
    )
    assert mt.rank_agreement(same)["h"] == pytest.approx(1.0)
    t = pd.DataFrame(
        {
            "touch_model": ["h", "h", "h", "h", "l"],
            "grr_low": [0.5, 0.7, 0.71, 0.2, 0.5],
            "grr_high": [0.7, 0.8, 0.9, 0.3, 0.9],
        }
    )
    o = mt.interval_overlap(t)
    # h: (1,2) touch at 0.7, (2,3) overlap, (1,3) not, and the fourth overlaps nobody: 2 of 6
    assert o["h"] == pytest.approx(2 / 6)
    assert np.isnan(o["l"])  # a single owner has no pair
