"""Milestones and time to value (notebook 07): every figure checked by hand on a few
customers."""

import numpy as np
import pandas as pd
import pytest

from csworkbook import Dataset
from csworkbook.operations import onboarding as ob


def _pays(account, first, last, mrr):
    months = pd.date_range(first, last, freq="MS")
    return pd.DataFrame(
        {"contract_id": f"C-{account}", "account_id": account, "month": months, "mrr": mrr}
    )


@pytest.fixture
def tiny():
    """a and b sign annual contracts in January 2024: a leaves at its first renewal, b renews.
    c pays month to month and leaves in April. d signed in March 2025 (no renewal yet) and
    reached first value before its integration was done."""
    start = pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2025-03-01"])
    day = pd.Timedelta(days=1)
    milestones = [
        ("a", "kickoff", 5),
        ("a", "integrated", 30),
        ("a", "first_value", 40),
        ("b", "kickoff", 3),
        ("b", "integrated", 10),
        ("b", "first_value", 20),
        ("b", "team_rollout", 100),
        ("c", "kickoff", 4),
        ("c", "first_value", None),
        ("d", "kickoff", 2),
        ("d", "integrated", 20),
        ("d", "first_value", 10),
    ]
    first = dict(zip("abcd", start, strict=True))
    tables = {
        "accounts": pd.DataFrame(
            {"account_id": list("abcd"), "segment": ["smb", "smb", "smb", "mid_market"]}
        ),
        "contracts": pd.DataFrame(
            {"account_id": list("abcd"), "start_date": start, "term_months": [12, 12, 1, 12]}
        ),
        "mrr_monthly": pd.concat(
            [
                _pays("a", "2024-01-01", "2024-12-01", 100.0),
                _pays("b", "2024-01-01", "2025-06-01", 200.0),
                _pays("c", "2024-01-01", "2024-03-01", 50.0),
                _pays("d", "2025-03-01", "2025-06-01", 300.0),
            ]
        ),
        "milestones": pd.DataFrame(
            {
                "account_id": [m[0] for m in milestones],
                "milestone": [m[1] for m in milestones],
                "achieved_date": [
                    first[a] + n * day if n is not None else pd.NaT for a, _, n in milestones
                ],
            }
        ),
    }
    return Dataset(tables, as_of="2025-06-30")


def test_days_to_each_milestone_and_speed_against_the_segment(tiny):
    days = ob.milestone_days(tiny)
    assert days.loc["a", ["kickoff", "integrated", "first_value"]].tolist() == [5, 30, 40]
    assert np.isnan(days.loc["c", "first_value"]) and np.isnan(days.loc["a", "team_rollout"])
    assert days.age_days.tolist() == [546, 546, 546, 121]  # 1 Jan 2024 / 1 Mar 2025 to 30 Jun
    # smb: median of 40 and 20 (c never got there) is 30
    assert days.typical.tolist() == [30, 30, 30, 10]
    assert days.speed.tolist()[:2] == pytest.approx([4 / 3, 2 / 3])
    assert days.loc["d", "speed"] == 1


def test_funnel_by_hand(tiny):
    days = ob.milestone_days(tiny)
    f = ob.funnel(days, min_age_days=180)  # d is too young
    assert f.index.tolist() == ["kickoff", "integrated", "first_value", "team_rollout"]
    assert f.customers.tolist() == [3, 3, 3, 3] and f.reached.tolist() == [3, 2, 2, 1]
    assert f.median_days.tolist() == [4, 20, 30, 100]
    # integrated - kickoff: 25 and 7; first value - integrated: 10 and 10; rollout: 80
    assert f.median_step.tolist()[1:] == [16, 10, 80]
    assert f.before_previous.sum() == 0
    everyone = ob.funnel(days, min_age_days=0)
    assert everyone.loc["first_value", "before_previous"] == 1  # d: value on day 10, integrated 20
    assert f.loc["integrated", "share"] == pytest.approx(2 / 3)


def test_time_to_value_per_segment(tiny):
    out = ob.ttv_by(ob.milestone_days(tiny), within=(30, 200))
    smb = out.loc["smb"]
    assert (smb.customers, smb.reached, smb.days_median, smb.days_p25) == (3, 2, 30, 25)
    assert smb.within_30d == pytest.approx(1 / 3)  # b; a took 40 days, c never got there
    assert out.loc["mid_market", "within_30d"] == 1.0
    assert np.isnan(out.loc["mid_market", "within_200d"])  # d is 121 days old: too young to say


def test_speed_bands_edges():
    assert ob.speed_band([0.75, 0.76, 1.5, 1.51, np.nan]).tolist()[:4] == [
        "fast",
        "typical",
        "typical",
        "slow",
    ]


def test_first_renewals_of_annual_contracts(tiny):
    r = ob.first_renewals(tiny, ob.milestone_days(tiny))
    assert r.index.tolist() == ["a", "b", "d"]  # c is month to month
    assert r.renewed_seen.tolist() == [True, True, False]  # d signed three months ago
    assert r.lost.tolist() == [True, False, False]
    assert r.arr.tolist() == [1200, 2400, 3600]
    assert r.speed_band.tolist() == ["typical", "fast", "typical"]


def test_milestone_candidates_by_hand():
    r = pd.DataFrame(
        {
            "segment": "smb",
            "typical": 10.0,
            "first_value": [5.0, 8.0, 15.0, 30.0, 1.0],
            "renewed_seen": [True, True, True, True, False],  # the last one does not count
            "lost": [False, False, True, True, True],
        },
        index=pd.Index(list("abcde"), name="account_id"),
    )
    out = ob.milestone_candidates(r, multiples=(0.5, 1, 2, 3), n_boot=100)
    assert "first_value by 3x" not in out.index  # everyone reached it by 30 days
    assert out.index[0] == "first_value by 1x"  # the one that separates them
    best = out.loc["first_value by 1x"]
    assert (best.auc, best.renewed_if_reached, best.renewed_if_not) == (1.0, 1.0, 0.0)
    assert best.reached_share == 0.5 and best.vs_best == 0
    # by 2x: a, b and c reached it; "not reached" flags d only: (1 + 1 + 0.5 + 0.5) / 4
    assert out.loc["first_value by 2x", "auc"] == 0.75
    assert out.loc["first_value by 2x", "vs_best"] == -0.25
    assert out.loc["first_value by 0.5x", "reached_share"] == 0.25  # 5 days is within 5
    quick = ob.milestone_candidates(r, multiples=(0.5, 1, 2, 3), n_boot=0)  # no intervals
    assert quick.auc.tolist() == out.auc.tolist() and quick.vs_best.tolist() == [0, -0.25, -0.25]
    assert "low" not in quick


def test_logistic_fit_matches_the_closed_form_of_two_groups():
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1.0])
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    X = np.c_[np.ones(8), g]
    b = ob.logistic_fit(X, y, ridge=0)
    assert b == pytest.approx([np.log(1 / 3), np.log(3) - np.log(1 / 3)], abs=1e-8)
    # a case weight of 2 is the same as the row twice
    rows = [0, 3, 4, 5]  # group 0 lost and kept, group 1 lost and kept
    w = ob.logistic_fit(X[rows], y[rows], np.array([3.0, 1, 1, 3]), ridge=0)
    assert w == pytest.approx(b, abs=1e-8)


def test_shave_value_by_hand():
    # typical 10 days; four customers at 1x (one of them lost), four at 2x (two lost):
    # two speeds, so the model reproduces both rates: p(1x) = 0.25, p(2x) = 0.5
    r = pd.DataFrame(
        {
            "segment": "smb",
            "typical": 10.0,
            "first_value": [10.0] * 4 + [20.0] * 4,
            "renewed_seen": True,
            "lost": [True, False, False, False, True, True, False, False],
            "arr": 100.0,
        },
        index=pd.Index(list("abcdefgh"), name="account_id"),
    )
    r["speed"] = r.first_value / r.typical
    out = ob.shave_value(r, [0, 10], n_boot=50, seed=1)
    slope = np.log(3)  # logit(0.5) - logit(0.25)
    assert out.speed_coef.iloc[0] == pytest.approx(slope, abs=1e-4)  # a tiny ridge
    assert out.loc[0, "kept_arr"] == pytest.approx(0, abs=1e-6)
    # 10 days sooner: the slow reach 1x (0.5 -> 0.25); the fast reach value on day 1 (0.1x)
    fast = 1 / (1 + np.exp(-(np.log(1 / 3) - slope + slope * 0.1)))
    assert out.loc[10, "kept_arr"] == pytest.approx(
        4 * 100 * (0.5 - 0.25) + 4 * 100 * (0.25 - fast), abs=0.01
    )
    assert out.loc[10, "arr"] == 800 and out.loc[10, "lost_arr"] == 300
    assert out.loc[10, "low"] <= out.loc[10, "kept_arr"] <= out.loc[10, "high"]


def test_on_a_generated_world(small):
    days = ob.milestone_days(small)
    r = ob.first_renewals(small, days)
    assert (r.term >= 12).all() and r.speed_band.notna().any()
    assert (ob.funnel(days).loc["kickoff", "share"]) == 1.0


def test_deadlines_are_multiples_of_each_segments_median(tiny):
    out = ob.deadlines(ob.milestone_days(tiny), multiples=(0.5, 2))
    # smb: median of 40 and 20 days is 30; mid_market: d alone, 10 days
    assert out.loc["smb"].tolist() == [15, 60] and out.loc["mid_market"].tolist() == [5, 20]
    assert out.columns.name == "multiple"
