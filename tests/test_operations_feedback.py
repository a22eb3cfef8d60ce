"""Product feedback weighted by ARR and the loop closed (notebook 06): every figure checked by
hand on five customers."""

import numpy as np
import pandas as pd
import pytest

from csworkbook.operations import feedback as fb

AS_OF = pd.Timestamp("2025-12-31")
T = pd.Timestamp


@pytest.fixture
def contracts():
    """a (100) and b (50) are customers; c left on 2025-06-01 with two contracts worth 30;
    d left in March 2024, outside the last year; e dropped one contract and keeps one of 20."""
    rows = [
        ("a", 100.0, "2023-01-01", None),
        ("b", 50.0, "2023-01-01", None),
        ("c", 20.0, "2023-01-01", "2025-06-01"),
        ("c", 10.0, "2024-01-01", "2025-06-01"),
        ("c", 99.0, "2023-01-01", "2024-01-01"),  # ended earlier: not what c left with
        ("d", 40.0, "2023-01-01", "2024-03-01"),
        ("e", 5.0, "2023-01-01", "2024-06-01"),
        ("e", 20.0, "2023-01-01", None),
        ("f", 70.0, "2026-02-01", None),  # signs after as_of: not a customer yet
    ]
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "arr": [r[1] for r in rows],
            "start_date": pd.to_datetime([r[2] for r in rows]),
            "end_date": pd.to_datetime([r[3] for r in rows]),
        }
    )


@pytest.fixture
def feedback():
    sso, none = T("2025-03-01"), pd.NaT
    rows = [
        ("a", "2024-05-01", "sso", "security", sso),
        ("a", "2024-07-01", "sso", "security", sso),
        ("a", "2025-01-01", "app", "mobile", none),
        ("b", "2025-02-01", "app", "mobile", none),
        ("c", "2025-01-15", "app", "mobile", none),
        ("c", "2025-07-01", "sso", "security", sso),  # after c left
        ("d", "2023-12-01", "app", "mobile", none),
        ("e", "2025-04-01", "reports", "reporting", T("2026-02-01")),  # ships after as_of
        ("b", "2026-01-10", "app", "mobile", none),  # after as_of
        ("b", "2025-05-01", "api", "integrations", none),
        ("b", "2025-04-01", "sso", "security", sso),  # asked after it shipped
    ]
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "request": [r[2] for r in rows],
            "theme": [r[3] for r in rows],
            "shipped_date": pd.to_datetime([r[4] for r in rows]),
        }
    )


def test_account_arr_is_arr_in_force_or_what_a_former_customer_left_with(contracts):
    arr = fb.account_arr(contracts, AS_OF)
    assert arr.to_dict() == {"a": 100.0, "b": 50.0, "c": 30.0, "d": 40.0, "e": 20.0}


def test_churn_dates_name_only_customers_with_nothing_in_force(contracts):
    dates = fb.churn_dates(contracts, AS_OF)
    assert dates.to_dict() == {"c": T("2025-06-01"), "d": T("2024-03-01")}
    # a year earlier c was still a customer and d had left
    assert fb.churn_dates(contracts, "2024-12-31").to_dict() == {"d": T("2024-03-01")}


def test_demand_counts_asks_customers_and_each_customers_arr_once(feedback):
    current = pd.Series({"a": 100.0, "b": 50.0, "e": 20.0})
    d = fb.demand(feedback, current, as_of=AS_OF)
    # security: a twice and b once (3 asks, 2 customers, 150); mobile: a and b (b's January
    # 2026 ask is after as_of; c and d are not current customers)
    assert d.index.tolist() == ["mobile", "security", "integrations", "reporting"]  # tie: name
    assert d["asks"].tolist() == [2, 3, 1, 1]
    assert d["customers"].tolist() == [2, 2, 1, 1]
    assert d["arr"].tolist() == [150.0, 150.0, 50.0, 20.0]
    assert d["arr_share"].round(4).tolist() == [0.8824, 0.8824, 0.2941, 0.1176]  # of 170
    assert d["rank_by_asks"].tolist() == [2, 1, 3, 3]
    assert d["rank_by_arr"].tolist() == [1, 1, 3, 4]
    # without as_of b's late ask counts: 3 asks for mobile
    assert fb.demand(feedback, current).loc["mobile", "asks"] == 3


def test_demand_by_two_columns(feedback):
    f = feedback.assign(segment=feedback["account_id"].map({"a": "big"}).fillna("small"))
    d = fb.demand(f, pd.Series({"a": 100.0, "b": 50.0}), by=["segment", "theme"], as_of=AS_OF)
    assert d["arr"].to_dict() == {
        ("big", "mobile"): 100.0,
        ("big", "security"): 100.0,
        ("small", "integrations"): 50.0,
        ("small", "mobile"): 50.0,
        ("small", "security"): 50.0,
    }


def test_churned_asks_set_what_lost_arr_asked_for_beside_what_kept_arr_asked_for(
    contracts, feedback
):
    out = fb.churned_asks(feedback, contracts, AS_OF)
    # lost in the year: c (30), which asked for the app before leaving (its sso ask came after)
    assert out.attrs == {"lost_arr": 30.0, "lost_customers": 1, "asked_share": 1.0}
    assert out.index.tolist() == ["app", "api", "reports", "sso"]
    app = out.loc["app"]
    assert (app["churned"], app["churned_arr"], app["churned_share"]) == (1, 30.0, 1.0)
    # kept: a, b, e (170); a and b asked for the app: 150 / 170
    assert (app["kept"], app["kept_arr"]) == (2, 150.0)
    assert app["kept_share"] == pytest.approx(150 / 170)
    assert app["over"] == pytest.approx(170 / 150)
    assert out.loc["sso", ["churned", "kept", "kept_arr"]].tolist() == [0, 2, 150.0]
    assert out.loc["sso", "over"] == 0.0
    # a three-year window reaches d (40), which asked for the app too
    longer = fb.churned_asks(feedback, contracts, AS_OF, days=3 * 365)
    assert longer.attrs["lost_arr"] == 70.0 and longer.loc["app", "churned_arr"] == 70.0


def test_priorities_rank_open_requests_by_asks_arr_and_arr_at_risk(feedback):
    arr = pd.Series({"a": 100.0, "b": 50.0, "c": 30.0, "e": 20.0})
    risk = pd.Series({"a": 0.4, "b": 0.1, "e": 0.5})  # c has left: no risk, not counted
    p = fb.priorities(feedback, arr, risk, AS_OF)
    # sso shipped before as_of; reports ships after it, so it is still open
    assert p.index.tolist() == ["app", "reports", "api"]
    assert p["asks"].tolist() == [2, 1, 1]  # b's 2026 ask is after as_of
    assert p["arr"].tolist() == [150.0, 20.0, 50.0]
    assert p["arr_at_risk"].tolist() == pytest.approx([100 * 0.4 + 50 * 0.1, 10.0, 5.0])
    assert p["mean_risk"].tolist() == pytest.approx([45 / 150, 0.5, 0.1])
    assert p["rank_by_arr"].tolist() == [1, 3, 2]
    assert p["rank_by_arr_at_risk"].tolist() == [1, 2, 3]


def _decisions():
    return pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "e", "x"],
            "renewal_date": pd.to_datetime(
                ["2025-06-01", "2025-09-01", "2025-06-01", "2025-03-15", "2025-06-01"]
            ),
            "churned": [False, False, True, False, True],
            "segment": ["big", "small", "small", "small", "big"],
        }
    )


def test_loop_closed_counts_open_asks_before_the_renewal(feedback):
    rows = fb.loop_closed(_decisions(), feedback)
    # e asked only after its renewal and x never asked: neither is in
    assert rows["account_id"].tolist() == ["a", "b", "c"]
    # b's sso ask came after sso shipped (not an open ask); its January 2026 ask is late
    assert rows["asks"].tolist() == [3, 2, 1]
    assert rows["shipped"].tolist() == [True, False, False]
    assert rows["group"].tolist() == [fb.SHIPPED, fb.NOT_SHIPPED, fb.NOT_SHIPPED]
    assert rows["segment"].tolist() == ["big", "small", "small"]  # columns kept


def test_a_request_shipped_after_the_renewal_did_not_close_the_loop(feedback):
    d = _decisions().iloc[[0]].assign(renewal_date=T("2025-02-01"))
    assert not fb.loop_closed(d, feedback)["shipped"].iloc[0]  # sso shipped in March


def test_loop_rates_give_renewal_rates_with_wilson_intervals(feedback):
    rates = fb.loop_rates(fb.loop_closed(_decisions(), feedback))
    assert rates.index.tolist() == [fb.SHIPPED, fb.NOT_SHIPPED]
    assert rates["customers"].tolist() == [1, 2]
    assert rates["renewed"].tolist() == [1, 1]
    assert rates["renewal_rate"].tolist() == [1.0, 0.5]
    # Wilson, 1 of 2: centre 0.5, half-width 1.96 sqrt(1/8 + 1.96²/16) / (1 + 1.96²/2)
    assert rates.loc[fb.NOT_SHIPPED, ["low", "high"]].round(4).tolist() == [0.0945, 0.9055]
    by = fb.loop_rates(fb.loop_closed(_decisions(), feedback), by="segment")
    assert by.index.tolist() == [("big", fb.SHIPPED), ("small", fb.NOT_SHIPPED)]


def test_loop_rates_refuse_several_decisions_per_customer():
    rows = pd.DataFrame({"account_id": ["a", "a"], "churned": [True, False], "group": "x"})
    with pytest.raises(ValueError, match="one row per customer"):
        fb.loop_rates(rows)


def test_shipped_effect_compares_within_segment_and_resamples_customers():
    # big: 3 shipped renew, 1 not renews (0 vs 0); small: 1 shipped churns, 2 of 3 not churn
    rows = pd.DataFrame(
        {
            "account_id": list("abcdefgh"),
            "segment": ["big"] * 4 + ["small"] * 4,
            "shipped": [True, True, True, False, True, False, False, False],
            "churned": [False, False, False, False, True, True, True, False],
        }
    )
    e = fb.shipped_effect(rows, n_boot=200)
    assert e.loc["all decisions", ["decisions_shipped", "decisions_not"]].tolist() == [4, 4]
    assert e.loc["all decisions", "difference"] == pytest.approx(1 / 4 - 2 / 4)
    assert e.loc["small", "difference"] == pytest.approx(1 - 2 / 3)
    # Mantel-Haenszel weights 3*1/4 in both segments: the mean of 0 and 1/3
    assert e.loc["within segment", "difference"] == pytest.approx(1 / 6)
    assert np.isnan(e.loc["within segment", "churn_shipped"])
    assert (e["low"] <= e["high"]).all()
    # a customer with two decisions weighs twice in the rate, once in the resampling
    twice = pd.concat([rows, rows.iloc[[4]]], ignore_index=True)
    assert fb.shipped_effect(twice, n_boot=20).loc["small", "decisions_shipped"] == 2


def test_shipped_effect_keeps_a_missing_segment_as_its_own_group():
    rows = pd.DataFrame(
        {
            "account_id": list("abcd"),
            "segment": ["big", "big", None, None],
            "shipped": [True, False, True, False],
            "churned": [False, True, False, False],
        }
    )
    e = fb.shipped_effect(rows, n_boot=20)
    assert e.index.tolist() == ["all decisions", "(missing)", "big", "within segment"]
    assert e.loc["within segment", "difference"] == pytest.approx(-0.5)


def test_churn_risk_scores_current_customers_of_the_demo(demo):
    risk = fb.churn_risk(demo)
    current = demo.contracts[demo.contracts["end_date"].isna()]["account_id"].unique()
    assert risk.index.isin(current).all() and len(risk) > 0.9 * len(current)
    assert risk.between(0, 1).all() and risk.nunique() > 100
