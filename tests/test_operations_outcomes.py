"""Experience and outcome as two axes (notebook 03): every figure checked by hand on a few
customers small enough to follow renewal by renewal."""

import numpy as np
import pandas as pd
import pytest

from csworkbook import Dataset
from csworkbook.operations import outcomes

t = pd.Timestamp


@pytest.fixture
def tiny():
    """Four customers, as of 2025-12-31.

    a: two annual contracts decided on 2025-03-01 (one renewed, one churned) and one on
       2024-03-01; three survey answers, three tickets and four meetings before it; four goals.
    b: one annual contract renewed on 2025-06-01 (and on 2023-06-01, more than two years ago);
       one goal whose latest review overshoots its target.
    c: month to month (left out of every renewal question).
    d: a two-year contract renewed on 2025-10-01 (and one dated after ``as_of``); no goals.
    """
    accounts = pd.DataFrame(
        {"account_id": list("abcd"), "segment": ["enterprise", "smb", "smb", "mid_market"]}
    )
    contracts = pd.DataFrame(
        {
            "contract_id": ["a1", "a2", "b1", "c1", "d1"],
            "account_id": ["a", "a", "b", "c", "d"],
            "term_months": [12, 12, 12, 1, 24],
        }
    )
    renewals = pd.DataFrame(
        {
            "contract_id": ["a1", "a1", "a2", "b1", "b1", "c1", "d1", "d1"],
            "account_id": ["a", "a", "a", "b", "b", "c", "d", "d"],
            "renewal_date": pd.to_datetime(
                [
                    "2024-03-01",
                    "2025-03-01",
                    "2025-03-01",
                    "2023-06-01",
                    "2025-06-01",
                    "2025-11-01",
                    "2025-10-01",
                    "2026-01-15",
                ]
            ),
            "outcome": [
                "renewed",
                "renewed",
                "churned",
                "renewed",
                "expanded",
                "churned",
                "renewed",
                "churned",
            ],
            "arr_before": [100.0, 110.0, 50.0, 150.0, 200.0, 10.0, 300.0, 300.0],
        }
    )
    # a's 2025-03-01 decision is read on 2024-12-01; its year runs from 2023-12-02 on
    nps = pd.DataFrame(
        {
            "account_id": ["a"] * 6,
            "date": pd.to_datetime(
                [
                    "2023-12-02",  # exactly 365 days before: outside
                    "2024-03-01",
                    "2024-06-01",
                    "2024-09-01",
                    "2024-12-01",  # on the reading day: inside
                    "2025-01-15",  # after the reading: outside
                ]
            ),
            "score": [0, 10, 9, 8, 3, 0],
        }
    )
    tickets = pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "a"],
            "opened_at": pd.to_datetime(["2024-02-01", "2024-05-01", "2024-07-01", "2025-02-01"]),
            "csat": [4.0, 2.0, np.nan, 1.0],
        }
    )
    touchpoints = pd.DataFrame(
        {
            "account_id": ["a"] * 5,
            "date": pd.to_datetime(
                ["2024-01-05", "2024-04-05", "2024-08-05", "2024-11-05", "2025-01-05"]
            ),
            "sentiment": ["positive", "positive", "negative", "neutral", "negative"],
        }
    )
    goals = pd.DataFrame(
        {
            "goal_id": ["g1", "g2", "g3", "g4", "g5"],
            "account_id": ["a", "a", "a", "a", "b"],
            "stated_date": pd.to_datetime(
                ["2024-01-10", "2024-01-10", "2025-01-05", "2024-02-01", "2024-06-01"]
            ),
            "achieved_date": pd.to_datetime(["2024-09-01", None, None, None, "2025-05-01"]),
        }
    )
    reviews = pd.DataFrame(
        {
            "goal_id": ["g1", "g2", "g2", "g2", "g5", "g5"],
            "account_id": ["a", "a", "a", "a", "b", "b"],
            "date": pd.to_datetime(
                ["2024-09-01", "2024-06-01", "2024-11-01", "2025-01-01", "2025-02-01", "2025-05-01"]
            ),
            "progress": [1.2, 0.3, 0.5, 0.9, 1.3, 1.1],
        }
    )
    tables = {
        "accounts": accounts,
        "contracts": contracts,
        "renewals": renewals,
        "nps": nps,
        "tickets": tickets,
        "touchpoints": touchpoints,
        "goals": goals,
        "goal_reviews": reviews,
    }
    return Dataset(tables, as_of="2025-12-31")


def _drop(ds, *names):
    return Dataset({k: v for k, v in ds.tables.items() if k not in names}, ds.as_of, ds.meta)


# ---- renewal decisions ------------------------------------------------------------------


def test_latest_decision_per_customer_sums_its_contracts_and_skips_monthly_and_future(tiny):
    d = outcomes.renewal_decisions(tiny)
    assert d["account_id"].tolist() == ["a", "b", "d"]  # c is month to month
    assert d["renewal_date"].tolist() == [t("2025-03-01"), t("2025-06-01"), t("2025-10-01")]
    assert d["arr"].tolist() == [160.0, 200.0, 300.0]  # a: 110 + 50 came up that day
    assert d["churned"].tolist() == [True, False, False]  # part of a's ARR churned
    # read 90 days before: 2025-03-01 - 90 days = 2024-12-01 (February has 28 days)
    assert d["obs_date"].tolist() == [t("2024-12-01"), t("2025-03-03"), t("2025-07-03")]
    assert d["segment"].tolist() == ["enterprise", "smb", "mid_market"]


def test_every_decision_and_the_whole_history_on_request(tiny):
    every = outcomes.renewal_decisions(tiny, latest=False)
    assert list(zip(every.account_id, every.renewal_date.dt.year, strict=True)) == [
        ("a", 2024),
        ("a", 2025),
        ("b", 2025),
        ("d", 2025),
    ]
    history = outcomes.renewal_decisions(tiny, latest=False, days=None)
    assert len(history) == 5  # b's 2023 renewal, more than 730 days ago, comes back
    assert outcomes.renewal_decisions(tiny, lead_days=30)["obs_date"].iloc[0] == t("2025-01-30")
    monthly_too = outcomes.renewal_decisions(tiny, min_term_months=1)
    assert monthly_too.set_index("account_id").loc["c", "churned"]


# ---- experience -------------------------------------------------------------------------


def test_experience_counts_the_year_up_to_the_reading_only(tiny):
    d = outcomes.renewal_decisions(tiny)
    x = outcomes.experience(tiny, d).set_index("account_id")
    # a: answers 10, 9, 8, 3 (the 0s lie outside): 2 promoters, 1 detractor of 4 -> +25
    assert x.loc["a", "nps"] == 25.0 and x.loc["a", "nps_answers"] == 4
    # a: rated tickets 4 and 2 (the unrated one does not count, the 2025 one is too late)
    assert x.loc["a", "csat"] == 3.0 and x.loc["a", "csat_answers"] == 2
    # a: meetings positive, positive, negative, neutral -> (2 - 1) / 4
    assert x.loc["a", "sentiment"] == 0.25 and x.loc["a", "touches"] == 4
    # b: nothing in its year -> unknown, counted as 0 answers
    assert np.isnan(x.loc["b", "nps"]) and x.loc["b", "nps_answers"] == 0
    assert np.isnan(x.loc["b", "csat"]) and x.loc["b", "touches"] == 0
    shorter = outcomes.experience(tiny, d, days=200).set_index("account_id")
    assert shorter.loc["a", "nps_answers"] == 3  # the March answer falls out: 9, 8, 3 -> 0
    assert shorter.loc["a", "nps"] == 0.0


def test_experience_leaves_a_missing_table_unknown_not_zero(tiny):
    ds = _drop(tiny, "touchpoints", "tickets")
    x = outcomes.experience(ds, outcomes.renewal_decisions(ds))
    assert x[["csat", "csat_answers", "sentiment", "touches"]].isna().all().all()
    assert x["nps"].iloc[0] == 25.0


# ---- outcome ----------------------------------------------------------------------------


def test_outcome_reads_goals_as_they_stood_at_the_reading(tiny):
    o = outcomes.outcome(tiny, outcomes.renewal_decisions(tiny)).set_index("account_id")
    # a on 2024-12-01: g1 achieved (1), g2 at 0.5 (the 0.9 comes later), g4 never reviewed,
    # g3 not stated yet -> 3 goals, 1 achieved, 2 read, progress (1 + 0.5) / 2
    assert o.loc["a", ["goals", "achieved", "goals_read", "progress"]].tolist() == [3, 1, 2, 0.75]
    # b on 2025-03-03: achieved only in May; its review of 1.3 counts as the target met (1)
    assert o.loc["b", ["goals", "achieved", "goals_read", "progress"]].tolist() == [1, 0, 1, 1.0]
    # d stated no goal: no measured outcome
    assert o.loc["d", ["goals", "goals_read"]].tolist() == [0, 0]
    assert np.isnan(o.loc["d", "progress"])


def test_outcome_per_decision_and_without_reviews(tiny):
    every = outcomes.renewal_decisions(tiny, latest=False)
    o = outcomes.outcome(tiny, every)
    a2024 = o[(o.account_id == "a") & (o.renewal_date == t("2024-03-01"))].iloc[0]
    # read on 2023-12-02: no goal stated yet
    assert a2024["goals"] == 0 and np.isnan(a2024["progress"])
    no_reviews = outcomes.outcome(_drop(tiny, "goal_reviews"), outcomes.renewal_decisions(tiny))
    a = no_reviews.set_index("account_id").loc["a"]
    # only the achieved goal has a reading
    assert a[["goals", "achieved", "goals_read", "progress"]].tolist() == [3, 1, 1, 1.0]


def test_two_axes_is_one_row_per_customer_with_both_axes(tiny):
    axes = outcomes.two_axes(tiny).set_index("account_id")
    assert axes.index.tolist() == ["a", "b", "d"]
    assert axes.loc["a", ["arr", "churned", "nps", "csat", "progress"]].tolist() == [
        160.0,
        True,
        25.0,
        3.0,
        0.75,
    ]
    early = outcomes.two_axes(tiny, lead_days=180).set_index("account_id")
    # read on 2024-09-02: g1 was achieved the day before; g2 at 0.3 (June)
    assert early.loc["a", "progress"] == pytest.approx(0.65)


# ---- quadrants --------------------------------------------------------------------------


def test_quadrant_edges_happy_strictly_above_and_reached_from_the_line():
    a = pd.DataFrame(
        {"nps": [0.0, 0.1, 50, -50, np.nan, 20], "progress": [0.9, 0.7, 0.69, 0.7, 1, None]}
    )
    q = outcomes.quadrant(a)
    assert q.tolist()[:4] == [
        "unhappy, reaching goals",  # NPS 0 is not happy
        "happy, reaching goals",  # 70% of the way counts as reaching
        "happy, not reaching goals",
        "unhappy, reaching goals",
    ]
    assert q.iloc[4:].isna().all()  # either axis missing: no quadrant
    moved = outcomes.quadrant(a, happy=-60, reached=0.95)
    assert moved.tolist()[:4] == ["happy, not reaching goals"] * 4


def test_quadrants_count_customers_arr_and_renewal_rates_by_hand():
    a = pd.DataFrame(
        {
            "nps": [50, 50, 20, -10, np.nan, 0],
            "progress": [0.9, 0.9, 0.2, 0.8, 0.5, 0.1],
            "arr": [10.0, 5.0, 20.0, 1.0, 99.0, 7.0],
            "churned": [False, True, False, True, False, False],
        }
    )
    q = outcomes.quadrants(a)
    assert q.index.tolist() == list(outcomes.QUADRANTS)
    assert q["customers"].tolist() == [2, 1, 1, 1]
    assert q["share"].tolist() == [0.4, 0.2, 0.2, 0.2]  # of the 5 measured on both axes
    assert q["arr"].tolist() == [15.0, 20.0, 1.0, 7.0]
    assert q["renewed"].tolist() == [1, 1, 0, 1]
    assert q["renewal_rate"].tolist() == [0.5, 1.0, 0.0, 1.0]
    assert q.attrs["unmeasured"] == 1
    # Wilson interval of 1 of 2: centre 0.5, half-width 1.96 * sqrt(.125 + 1.96² / 16) / (1 + 1.96² / 2)
    assert q.loc["happy, reaching goals", "low"] == pytest.approx(0.0945, abs=1e-4)
    assert q.loc["happy, reaching goals", "high"] == pytest.approx(0.9055, abs=1e-4)


def test_an_empty_quadrant_has_no_rate():
    a = pd.DataFrame({"nps": [50.0], "progress": [0.9], "arr": [1.0], "churned": [False]})
    q = outcomes.quadrants(a)
    assert q["customers"].tolist() == [1, 0, 0, 0]
    assert np.isnan(q.loc["unhappy, not reaching goals", "renewal_rate"])


# ---- predictive power -------------------------------------------------------------------


@pytest.fixture
def six():
    return pd.DataFrame(
        {
            "account_id": list("abcdefg"),
            "churned": [1, 1, 0, 0, 1, 0, 0],
            "progress": [0.1, 0.3, 0.8, 0.9, 0.2, 0.7, 0.5],
            "nps": [0, 50, 50, -50, 0, 100, 10],
            "csat": [5.0, 4, 3, 2, 1, 1, np.nan],  # g has no CSAT: it drops out
            "sentiment": [0.0, 0, 0, 0, 0, 0, 0],
        }
    )


def test_predictive_power_by_hand(six):
    p = outcomes.predictive_power(six, n_boot=200)
    assert p.attrs["customers"] == 6 and p.attrs["renewal_rate"] == 0.5
    auc = p["auc"]
    assert auc["outcome (goal progress)"] == 1.0  # every renewer above every churner
    # NPS: renewers 50, -50, 100 against churners 0, 50, 0: 2.5 + 0 + 3 of 9 pairs
    assert auc["NPS"] == pytest.approx(5.5 / 9)
    # CSAT: renewers 3, 2, 1 against 5, 4, 1: 3 and 2 beat the 1, the tie 1-1 counts half
    assert auc["CSAT"] == pytest.approx(2.5 / 9)
    assert auc["CSM sentiment"] == 0.5  # all tied
    # together: rank sums a 3.5, b 7.5, c 9.5, d 7, e 4.5, f 10 -> 8 of 9 pairs
    assert auc["outcome and NPS together"] == pytest.approx(8 / 9)
    assert p.loc["NPS", "vs_outcome (goal progress)"] == pytest.approx(5.5 / 9 - 1)
    assert (p["low"] <= p["auc"] + 1e-12).all() and (p["auc"] <= p["high"] + 1e-12).all()


def test_predictive_power_with_own_scores_keeps_rows_they_measure(six):
    p = outcomes.predictive_power(
        six, {"outcome": "progress", "NPS": "nps"}, baseline="outcome", n_boot=50
    )
    assert p.index.tolist() == ["outcome", "NPS"]  # no "together" row for own scores
    assert p.attrs["customers"] == 7  # g counts: CSAT is not asked for
    # g (renewed, progress 0.5) sits above every churner: still 1.0
    assert p.loc["outcome", "auc"] == 1.0
    # NPS: g's 10 beats 0, 0 and loses to 50 -> (5.5 + 2) / 12
    assert p.loc["NPS", "auc"] == pytest.approx(7.5 / 12)


# ---- revenue after the first year -------------------------------------------------------


def _paid(account, start, months, amount, contract=None):
    return pd.DataFrame(
        {
            "contract_id": contract or f"C-{account}",
            "account_id": account,
            "month": pd.date_range(start, periods=months, freq="MS"),
            "mrr": float(amount),
        }
    )


def test_revenue_after_first_year_by_hand():
    m = pd.concat(
        [
            _paid("a", "2024-01-01", 25, 10),  # 24 months to Dec 2025, plus January 2026
            _paid("a", "2025-03-01", 10, 5, contract="C-a2"),  # a second contract, in year two
            _paid("b", "2024-06-01", 19, 30),  # 19 months old: too young at 24
            _paid("c", "2023-01-01", 6, 20),  # paid six months and left
            _paid("e", "2023-01-01", 24, 0),  # rows of 0 before it first paid...
            _paid("e", "2025-01-01", 12, 40, contract="C-e2"),  # ...from 2025: too young
        ]
    )
    r = outcomes.revenue_after_first_year(m, "2025-12-31")
    # a: 12 x 10 in its first year, 12 x 10 + 10 x 5 after; c: 6 x 20 in its first year
    assert r.to_dict() == {
        "customers": 2.0,
        "first_year": 240.0,
        "after": 170.0,
        "share_after": 170 / 410,
    }
    young = outcomes.revenue_after_first_year(m, "2025-12-31", min_months=12)
    # b joins (12 x 30 then 7 x 30) and e (12 x 40, all in its first year)
    assert young["customers"] == 4
    assert young["first_year"] == 240 + 360 + 480
    assert young["after"] == 170 + 210


def test_revenue_after_first_year_with_nobody_old_enough():
    r = outcomes.revenue_after_first_year(_paid("a", "2025-06-01", 7, 10), "2025-12-31")
    assert r["customers"] == 0 and np.isnan(r["share_after"])


def test_predictive_power_leaves_out_an_axis_the_data_lacks(six):
    # a dataset without tickets: CSAT unknown for everyone, not a reason to drop every row
    p = outcomes.predictive_power(six.assign(csat=np.nan), n_boot=50)
    assert p.index.tolist() == [
        "outcome (goal progress)",
        "NPS",
        "CSM sentiment",
        "outcome and NPS together",
    ]
    assert p.attrs["customers"] == 7
    assert p.loc["NPS", "auc"] == pytest.approx(7.5 / 12)
