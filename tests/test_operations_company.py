"""One dataset for every department (notebook 10): every figure checked by hand on a few
customers."""

import numpy as np
import pandas as pd
import pytest

from csworkbook import Dataset
from csworkbook.operations import company as co
from csworkbook.stats import wilson_interval

T = pd.to_datetime


# ---- marketing: voice, goals, adoption, segments, references ---------------------------


def test_account_voice_is_promoters_minus_detractors_over_the_window():
    n = pd.DataFrame(
        {
            "account_id": ["a"] * 4 + ["b", "b", "c", "c", "d"],
            "user_id": ["u1", "u1", "u2", "u3", "v1", "v2", "w1", "w2", "x1"],
            "date": T(
                ["2025-06-01"] * 4
                + ["2025-12-31", "2024-12-31"]  # b: as_of counts, a year before it does not
                + ["2025-03-01", "2025-03-01", "2026-01-05"]  # d answered after as_of only
            ),
            "score": [10, 7, 3, 9, 10, 0, 6, 9, 10],
        }
    )
    v = co.account_voice(n, "2025-12-31", days=365)
    assert list(v.index) == ["a", "b", "c"]
    # a: 2 promoters, 1 passive, 1 detractor of 4 answers (3 people) = +25
    assert v.loc["a", ["answers", "respondents", "nps"]].tolist() == [4, 3, 25.0]
    assert v.loc["b", ["answers", "nps"]].tolist() == [1, 100.0]  # the 0 is out of the window
    assert v.loc["c", "nps"] == 0.0  # one detractor, one promoter
    assert v["advocacy"].tolist() == ["mixed", "promoters", "mixed"]
    edge = pd.DataFrame(
        {
            "account_id": ["p", "p", "q", "q"],
            "user_id": list("wxyz"),
            "date": T(["2025-06-01"] * 4),
            "score": [10, 8, 6, 8],  # p: +50 exactly, q: -50 exactly
        }
    )
    assert co.account_voice(edge, "2025-12-31")["advocacy"].tolist() == [
        "promoters",
        "detractors",
    ]


def test_goals_met_needs_every_required_milestone_by_as_of_each_counted_once():
    m = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "b", "c", "c", "d", "e"],
            "milestone": ["first_value", "team_rollout"] * 2
            + ["first_value", "first_value", "kickoff", "first_value"],
            "achieved_date": T(
                [
                    "2025-01-01",
                    "2025-03-01",
                    "2025-01-01",
                    "2026-02-01",  # b rolls out after as_of
                    "2025-01-01",
                    "2025-02-01",  # c: first value recorded twice, no roll-out
                    "2025-01-01",
                    None,
                ]
            ),
        }
    )
    got = co.goals_met(m, "2025-12-31")
    assert got.to_dict() == {"a": True, "b": False, "c": False, "e": False}
    assert got.name == "goals_met"
    assert co.goals_met(m, "2025-12-31", required=("first_value",)).to_dict() == {
        "a": True,
        "b": True,
        "c": True,
        "e": False,
    }


def test_adoption_tier_cuts_and_missing_utilisation():
    u = pd.Series([0.0, 0.2999, 0.3, 0.5999, 0.6, 1.2, np.nan], index=list("abcdefg"))
    assert co.adoption_tier(u).tolist() == ["low", "low", "medium", "medium", "high", "high", None]
    assert co.adoption_tier(u, cuts=(0.5, 0.9)).tolist()[3:6] == ["medium", "medium", "high"]


def _signals():
    return pd.DataFrame(
        {
            "account_id": list("abcdef"),
            "segment": ["smb", "smb", "enterprise", "enterprise", "mid_market", "smb"],
            "arr": [100.0, 200.0, 1000.0, 1000.0, 300.0, 400.0],
            "utilisation": [0.1, 0.7, 0.8, 0.65, 0.4, np.nan],
            "band": ["green", "green", "yellow", "red", "green", "green"],
        }
    )


def _view():
    voice = pd.DataFrame(
        {
            "answers": [2, 1, 3, 1, 1],
            "nps": [100.0, 100.0, 60.0, 100.0, -100.0],
            "advocacy": ["promoters", "promoters", "promoters", "promoters", "detractors"],
            "respondents": [2, 1, 3, 1, 1],
        },
        index=pd.Index(list("abcde"), name="account_id"),
    )
    goals = pd.Series({"a": True, "b": True, "c": True, "d": True, "z": True})
    return co.customer_view(_signals(), voice=voice, goals=goals)


def test_customer_view_joins_adoption_voice_and_goals_per_customer():
    v = _view().set_index("account_id")
    assert v["adoption"].tolist() == ["low", "high", "high", "high", "medium", None]
    assert v["advocacy"].tolist() == [*["promoters"] * 4, "detractors", "unheard"]
    assert v["goals_met"].tolist() == [True, True, True, True, False, False]
    assert v.loc["f", "nps"] != v.loc["f", "nps"]  # NaN: nobody answered
    bare = co.customer_view(_signals())
    assert "advocacy" not in bare and "goals_met" not in bare and len(bare) == 6


def test_marketing_segments_accounts_and_arr_share_in_a_fixed_order():
    s = co.marketing_segments(_view())
    # f has no utilisation: no adoption tier, left out (ARR 2,600 in the other five)
    assert list(s.index) == [
        ("low", "promoters"),
        ("medium", "detractors"),
        ("high", "promoters"),
    ]
    assert s["accounts"].tolist() == [1, 1, 3]
    assert s["arr"].tolist() == [100, 300, 2200]
    assert s["arr_share"].tolist() == pytest.approx([100 / 2600, 300 / 2600, 2200 / 2600])


def test_reference_candidates_are_healthy_promoters_using_it_with_goals_met():
    r = co.reference_candidates(_view())
    # a uses 10% of its seats, d is red, e is a detractor, f unheard: c then b, largest first
    assert r["account_id"].tolist() == ["c", "b"]
    assert co.reference_candidates(_view(), bands=("green",))["account_id"].tolist() == ["b"]
    loose = co.reference_candidates(_view(), min_utilisation=0.05, bands=("green", "yellow", "red"))
    assert loose["account_id"].tolist() == ["c", "d", "b", "a"]  # c and d tie on ARR: by id


# ---- support: reactive, proactive, predictive ------------------------------------------

W = pd.date_range("2025-01-06", periods=5, freq="7D")


def _scores():
    """a dips at W2 and W3 (15 and 20 points in two weeks); b dips at W4."""
    scores = {"a": [80, 80, 65, 60, 70], "b": [50, 50, 50, 45, 30]}
    return pd.DataFrame(
        [
            {"account_id": acc, "obs_date": d, "score": float(s[i])}
            for acc, s in scores.items()
            for i, d in enumerate(W)
        ]
    )


def test_ticket_foresight_reads_the_score_of_the_week_before_each_ticket():
    day = pd.Timedelta(days=1)
    tickets = pd.DataFrame(
        {
            "ticket_id": [f"t{i}" for i in range(1, 8)],
            "account_id": ["a", "a", "b", "b", "b", "a", "b"],
            "category": ["bug", "how_to", "bug", "how_to", "bug", "bug", None],
            "opened_at": [
                W[3] + 2 * day,  # a in its dip of W3: foreseen
                W[4] + day,  # a recovered at W4
                W[3],  # b on a scoring day: the date before counts (W2, no dip)
                W[2] + 3 * day,  # b steady at W2
                W[4] + 20 * day,  # too long after any scoring date: left out
                W[1] + day,  # W1 has no score two weeks before it to compare: left out
                W[4] + 2 * day,  # b in its dip of W4, no category
            ],
        }
    )
    f = co.ticket_foresight(_scores(), tickets, drop=10, days=14, n_boot=200)
    # customer-dates with a change: W2..W4 for a and b, 3 of the 6 in a dip
    assert f["base_rate"].unique().tolist() == [0.5]
    assert list(f.index) == ["(none)", "bug", "how_to", "all"]
    assert f["tickets"].tolist() == [1, 2, 2, 5]
    assert f["customers"].tolist() == [1, 2, 2, 2]
    assert f["foreseen"].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.4])
    assert f["lift"].tolist() == pytest.approx([2.0, 1.0, 0.0, 0.8])
    assert f["lift_low"].tolist() == pytest.approx((f["low"] / 0.5).tolist())


def test_ticket_persistence_groups_customers_by_their_tickets_before():
    tickets = pd.DataFrame(
        {
            "account_id": ["a"] * 6 + ["b", "b", "b", "c", "e"],
            "opened_at": T(
                [
                    "2025-03-22",  # exactly 100 days before: outside
                    "2025-04-01",
                    "2025-05-01",
                    "2025-06-30",  # on `at`: before
                    "2025-07-01",
                    "2025-10-08",  # 100 days after: inside
                    "2025-06-01",
                    "2025-10-09",  # 101 days after: outside
                    "2024-01-01",
                    "2025-08-01",
                    "2025-07-01",  # e is not among the customers
                ]
            ),
        }
    )
    p = co.ticket_persistence(tickets, ["a", "b", "c", "d", "a"], "2025-06-30", days=100)
    assert list(p.index) == ["0", "1-2", "3-5", "6+"] and p.index.name == "tickets_before"
    # before: a 3, b 1, c 0, d 0; after: a 2, b 0, c 1, d 0 (mean 0.75)
    assert p["accounts"].tolist() == [2, 1, 1, 0]
    assert p["with_ticket_after"].tolist() == [1, 0, 1, 0]
    assert p["share_after"].tolist()[:3] == [0.5, 0.0, 1.0]
    assert p["tickets_after"].tolist()[:3] == [0.5, 0.0, 2.0]
    assert p["lift"].tolist()[:3] == pytest.approx([0.5 / 0.75, 0.0, 2 / 0.75])
    assert p.loc["6+"].isna()[["share_after", "low", "high", "lift"]].all()  # nobody there
    lo, hi = wilson_interval(1, 2)
    assert p.loc["0", ["low", "high"]].tolist() == pytest.approx([float(lo), float(hi)])
    assert p.loc["1-2", "low"] == 0.0  # clipped, never -1e-18


# ---- executives ---------------------------------------------------------------------------


def test_health_leads_reads_the_bands_half_a_year_ago_against_churn_since():
    rows = []
    bands = {"a": "red", "b": "red", "c": "green", "d": "green", "e": "yellow"}
    arr = {"a": 100.0, "b": 300.0, "c": 1000.0, "d": 500.0, "e": 200.0}
    churn = {"a": "2025-08-01", "d": "2026-02-01", "e": "2025-10-01"}
    for date in T(["2025-01-01", "2025-06-01", "2025-09-01"]):
        for acc, band in bands.items():
            rows.append(
                {
                    "account_id": acc,
                    "obs_date": date,
                    # the bands of other dates must not be read
                    "band": band if date == T("2025-06-01") else "green",
                    "arr": arr[acc],
                    "churn_date": T(churn[acc]) if acc in churn else pd.NaT,
                }
            )
    h = co.health_leads(pd.DataFrame(rows), "2025-12-31", lead_days=182)
    assert h.attrs["date"] == T("2025-06-01")  # the last scoring date by 2025-07-02
    assert list(h.index) == ["red", "yellow", "green"]
    assert h["customers"].tolist() == [2, 1, 2]
    assert h["arr"].tolist() == [400, 200, 1500]
    assert h["churned"].tolist() == [1, 1, 0]  # d leaves after as_of: still a customer
    assert h["churn_rate"].tolist() == [0.5, 1.0, 0.0]
    assert h["arr_share"].tolist() == pytest.approx([400 / 2100, 200 / 2100, 1500 / 2100])
    assert h["arr_churned_share"].tolist() == [0.25, 1.0, 0.0]
    lo, hi = wilson_interval(1, 2)
    assert h.loc["red", ["low", "high"]].tolist() == pytest.approx([float(lo), float(hi)])
    # nobody yellow then: the band keeps its row, with no rates
    calm = pd.DataFrame(rows).replace({"band": {"yellow": "green"}})
    c = co.health_leads(calm, "2025-12-31", lead_days=182)
    assert c["customers"].tolist() == [2, 0, 3]
    assert c.loc["yellow", ["arr", "churned"]].tolist() == [0, 0]
    assert c.loc["yellow", ["churn_rate", "low", "high", "arr_churned_share"]].isna().all()
    assert c.loc["green", "churn_rate"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="no scoring date 400 days before"):
        co.health_leads(pd.DataFrame(rows), "2025-12-31", lead_days=400)


# ---- customer success and support, side by side -----------------------------------------


def _pays(acc, first, last, mrr=100.0):
    months = pd.date_range(first, last, freq="MS")
    return pd.DataFrame({"contract_id": acc, "account_id": acc, "month": months, "mrr": mrr})


def _world():
    """a and b stay; c churns on 2025-06-01; d left before the year."""
    accounts = pd.DataFrame(
        {
            "account_id": list("abcd"),
            "first_contract_date": T(["2024-01-01", "2025-01-01", "2024-06-01", "2023-01-01"]),
        }
    )
    mrr = pd.concat(
        [
            _pays("a", "2024-01-01", "2025-12-01"),
            _pays("b", "2025-01-01", "2025-12-01"),
            _pays("c", "2024-06-01", "2025-05-01"),
            _pays("d", "2023-01-01", "2024-12-01"),
        ]
    )
    tickets = pd.DataFrame(
        {
            "account_id": ["a", "a", "c", "d", "a"],
            "opened_at": T(
                [
                    "2025-03-01 08:00",
                    "2025-09-01 08:00",
                    "2025-05-01 08:00",
                    "2025-02-01 00:00",
                    "2024-12-01 00:00",
                ]
            ),
            "closed_at": T(
                [
                    "2025-03-02 08:00",  # 24 hours
                    "2025-09-04 08:00",  # 72 hours
                    "2025-05-01 20:00",  # 12 hours
                    "2025-02-02 00:00",
                    "2024-12-02 00:00",
                ]
            ),
        }
    )
    touch = pd.DataFrame(
        {
            "account_id": ["a"] * 4 + ["b", "b", "c"],
            "date": T(
                [
                    "2025-02-01",
                    "2025-05-01",
                    "2025-08-01",
                    "2025-11-01",
                    "2025-04-01",
                    "2025-10-01",
                    "2024-11-01",  # before the year
                ]
            ),
        }
    )
    ds = Dataset(
        {"accounts": accounts, "mrr_monthly": mrr, "tickets": tickets, "touchpoints": touch},
        as_of="2025-12-31",
    )
    dates = pd.date_range("2025-01-06", "2025-12-29", freq="14D")
    rows = []
    for acc in "abc":
        for d in dates:
            if acc == "c" and d >= T("2025-06-01"):
                break
            score, band = 80.0, "green"
            if acc == "c" and d >= T("2025-04-28"):
                score, band = 55.0, "yellow"  # c falls 25 points four weeks before it leaves
            if acc == "a" and d == dates[-2]:
                band = "red"  # a is red once, in its last 90 days
            churn = T("2025-06-01") if acc == "c" else pd.NaT
            rows.append((acc, d, score, band, churn))
    history = pd.DataFrame(rows, columns=["account_id", "obs_date", "score", "band", "churn_date"])
    return ds, history


def test_support_vs_cs_counts_contacts_engagements_and_who_each_saw_coming():
    ds, history = _world()
    s = co.support_vs_cs(ds, history, days=365, before=90, drop=10)
    year = 365 / 365.25
    per, none, lasts, churners, stayers = s.index
    assert s["customers"].tolist() == [3, 3, 3, 1, 2]  # a, b, c paid in the year; d did not
    # tickets: a's two and c's one in the year (d's and a's of 2024 are out); touchpoints: 6
    assert s.loc[per, "support"] == pytest.approx(3 / 3 / year)
    assert s.loc[per, "customer success"] == pytest.approx(6 / 3 / year)
    # b opened no ticket; CS never met c in the year
    assert s.loc[none, ["support", "customer success"]].tolist() == pytest.approx([1 / 3, 1 / 3])
    lo, hi = wilson_interval(1, 3)
    assert s.loc[none, ["support_low", "support_high"]].tolist() == pytest.approx([lo, hi])
    # a ticket lasts 24, 72 and 12 hours (median 1 day); tenures 730, 364 and 578 days
    assert s.loc[lasts, ["support", "customer success"]].tolist() == [1.0, 578.0]
    # c, the churner: a ticket on 2025-05-01 and a 25-point fall, both in its last 90 days
    assert s.loc[churners, ["support", "customer success"]].tolist() == [1.0, 1.0]
    # the stayers' last 90 days: no ticket; a was red once, b never flagged
    assert s.loc[stayers, ["support", "customer success"]].tolist() == [0.0, 0.5]
    assert churners == "churners seen in their last 90 days"
