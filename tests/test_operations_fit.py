"""ICP fit at signing and what it cost (notebook 01): every figure checked by hand on a few
customers small enough to follow month by month."""

import numpy as np
import pandas as pd
import pytest

from csworkbook import Dataset
from csworkbook.operations import fit
from csworkbook.stats import wilson_interval

MONTHS = pd.date_range("2025-01-01", "2025-06-01", freq="MS")  # six months, as_of in June


def _mrr(account, amounts):
    """One contract per account paying ``amounts`` from January on (0 = not paying)."""
    return pd.DataFrame(
        {
            "contract_id": f"C-{account}",
            "account_id": account,
            "month": MONTHS[: len(amounts)],
            "mrr": np.asarray(amounts, dtype=float),
        }
    )


@pytest.fixture
def tiny():
    """Three customers: a poor fit who leaves after two months, a middling one who stays and
    expands, a strong fit who signs in March and stays."""
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "segment": ["smb", "smb", "mid_market"],
            "acquisition_channel": ["outbound", "inbound", "partner"],
            "icp_fit": [0.1, 0.45, 0.9],
            "first_contract_date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-03-01"]),
        }
    )
    mrr = pd.concat(
        [
            _mrr("a", [100, 100, 0, 0, 0, 0]),
            _mrr("b", [200, 200, 200, 300, 300, 300]),
            _mrr("c", [0, 0, 50, 50, 50, 50]),
        ]
    )
    mrr = mrr[~((mrr.account_id == "c") & (mrr.mrr == 0))]  # c has no rows before March
    tables = {
        "accounts": accounts,
        "contracts": pd.DataFrame({"account_id": ["a", "b", "c"], "arr": [1200.0, 3600.0, 600.0]}),
        "mrr_monthly": mrr,
        "tickets": pd.DataFrame({"ticket_id": ["t1", "t2", "t3"], "account_id": ["a", "a", "b"]}),
        "milestones": pd.DataFrame(
            {
                "account_id": ["a", "b", "c", "c"],
                "milestone": ["first_value", "first_value", "kickoff", "first_value"],
                "achieved_date": pd.to_datetime(
                    ["2025-02-10", "2025-01-21", "2025-03-02", "2025-03-11"]
                ),
            }
        ),
        "account_costs": pd.DataFrame(
            {
                "account_id": ["a", "b", "c"],
                "acquisition_cost": [500.0, 1000.0, 100.0],
                "cost_to_serve": [120.0, 240.0, 60.0],
            }
        ),
    }
    return Dataset(tables, as_of="2025-06-30")


def test_bands_include_their_lower_edge_and_keep_their_order():
    bands = fit.fit_band([0.0, 0.29, 0.3, 0.5, 0.7, 1.0, np.nan])
    assert bands.tolist()[:6] == ["< 0.3", "< 0.3", "0.3–0.5", "0.5–0.7", "≥ 0.7", "≥ 0.7"]
    assert pd.isna(bands.iloc[6])
    assert list(bands.cat.categories) == ["< 0.3", "0.3–0.5", "0.5–0.7", "≥ 0.7"]
    assert fit.fit_band([0.2, 0.6], cuts=[0.5]).tolist() == ["< 0.5", "≥ 0.5"]


def test_ledger_by_hand(tiny):
    led = fit.account_ledger(tiny, horizon_months=3)
    a, b, c = (led.loc[k] for k in "abc")
    # a: paid Jan-Feb, nothing from March: a spell of 2 months that ended, 100 MRR lost
    assert (a.months, a.churned, a.new_arr, a.lost_arr, a.arr_now) == (2, True, 1200, 1200, 0)
    assert a.churned_in_horizon and a.followed  # Jan to Jun: 5 months >= 3
    assert (a.revenue, a.customer_years, a.tickets) == (200, 2 / 12, 2)
    assert a.days_to_first_value == 40  # 1 Jan to 10 Feb
    # b: still paying, expanded from 200 to 300
    assert (b.churned, b.new_arr, b.lost_arr, b.arr_now) == (False, 2400, 0, 3600)
    assert b.revenue == 1500
    assert b.tickets == 1 and b.days_to_first_value == 20
    # c: started in March, three months to June: followed for exactly the horizon
    assert c.start == pd.Timestamp("2025-03-01") and c.followed and not c.churned
    assert c.days_to_first_value == 10 and c.customer_years == 4 / 12
    assert led.fit_band.tolist() == ["< 0.3", "0.3–0.5", "≥ 0.7"]
    assert led.touchpoints.isna().all()  # no touchpoints table: NA, not zero
    assert led.acquisition_cost.tolist() == [500, 1000, 100]
    assert not fit.account_ledger(tiny, horizon_months=4).loc["c", "followed"]


def test_churn_rates_with_wilson_intervals_in_band_order(tiny):
    led = fit.account_ledger(tiny, horizon_months=3)
    out = fit.churn_by(led)
    assert out.index.tolist() == ["< 0.3", "0.3–0.5", "≥ 0.7"]
    assert out.events.tolist() == [1, 0, 0] and out.customers.tolist() == [1, 1, 1]
    lo, hi = wilson_interval(1, 1)
    assert out.loc["< 0.3", "low"] == pytest.approx(lo) and out.loc["< 0.3", "high"] == hi
    d = pd.DataFrame({"g": list("xxxyy"), "e": [True, True, False, False, False]})
    r = fit.rates_by(d, "e", by="g")
    assert r.rate.tolist() == pytest.approx([2 / 3, 0.0])


def test_ratio_of_sums_per_customer_year_and_its_interval():
    d = pd.DataFrame(
        {
            "g": ["x", "x", "y", "y"],
            "tickets": [1.0, 5.0, 2.0, 2.0],
            "customer_years": [1.0, 2.0, 4.0, 4.0],
        },
        index=pd.Index(list("abcd"), name="account_id"),
    )
    out = fit.per_customer_year(d, "tickets", by="g", n_boot=400, seed=1)
    assert out.ratio.tolist() == pytest.approx([6 / 3, 4 / 8])  # not the mean of 1 and 2.5
    assert (out.low <= out.ratio).all() and (out.ratio <= out.high).all()
    assert out.loc["y", "low"] == out.loc["y", "high"] == 0.5  # both customers alike
    again = fit.per_customer_year(d, "tickets", by="g", n_boot=400, seed=1)
    pd.testing.assert_frame_equal(out, again)
    scaled = fit.per_customer_year(d, "tickets", by="g", scale=100, n_boot=0)
    assert scaled.ratio.tolist() == pytest.approx([200, 50]) and "low" not in scaled


def test_cac_written_off_counts_only_customers_gone_before_paying_back(tiny):
    led = fit.account_ledger(tiny)
    out = fit.cac_written_off(led, gross_margin=0.8)
    # a: margin 200 x 0.8 - 120 x 2/12 = 140, gone: 500 - 140 = 360 written off
    assert out.loc["< 0.3", "cac_written_off"] == pytest.approx(360)
    assert out.loc["< 0.3", "gone_unpaid"] == 1
    # b still pays (and has not paid back yet): nothing written off
    assert out.loc["0.3–0.5", ["gone", "cac_written_off"]].tolist() == [0, 0]
    assert out.written_off_share.tolist() == pytest.approx([360 / 500, 0, 0])


def test_wrong_fit_share_per_channel_highest_first():
    led = pd.DataFrame(
        {
            "acquisition_channel": ["out", "out", "out", "out", "in", "in"],
            "icp_fit": [0.1, 0.2, 0.6, np.nan, 0.9, 0.25],
            "followed": [True, True, True, True, True, False],
            "churned_in_horizon": [True, False, False, False, False, True],
        }
    )
    out = fit.wrong_fit_by(led, threshold=0.3)
    assert out.index.tolist() == ["out", "in"]  # 2 of 3 scored below 0.3, then 1 of 2
    assert out.share.tolist() == pytest.approx([2 / 3, 1 / 2])
    assert out.customers.tolist() == [3, 2]  # the unscored customer is left out
    assert out.mean_icp_fit.tolist() == pytest.approx([0.3, 0.575])
    assert out.churn.tolist() == pytest.approx([1 / 3, 0.0])  # over followed customers only


def test_threshold_tradeoff_by_hand():
    led = pd.DataFrame(
        {
            "icp_fit": [0.1, 0.2, 0.4, 0.9, 0.05],
            "followed": [True, True, True, True, False],  # the last is too young to count
            "new_arr": [100.0, 200.0, 300.0, 400.0, 999.0],
            "lost_arr": [100.0, 0.0, 300.0, 600.0, 999.0],
            "churned_in_horizon": [True, False, False, True, True],  # c left later: not avoided
            "arr_now": [0.0, 250.0, 0.0, 0.0, 0.0],
            "acquisition_cost": [50.0, 60.0, 70.0, 80.0, 1.0],
        },
        index=pd.Index(list("abcde"), name="account_id"),
    )
    out = fit.threshold_tradeoff(led, [0.15, 0.3, 0.95], n_boot=200, seed=3)
    assert out.declined.tolist() == [1, 2, 4]
    assert out.new_arr.tolist() == [100, 300, 1000]
    assert out.churned_arr_avoided.tolist() == [100, 100, 700]
    assert out.arr_now_given_up.tolist() == [0, 250, 250]
    assert out.cac_saved.tolist() == [50, 110, 260]
    assert out.new_arr_share.tolist() == pytest.approx([0.1, 0.3, 1.0])
    assert out.avoided_share.tolist() == pytest.approx([1 / 7, 1 / 7, 1.0])
    assert out.loc[0.95, "avoided_low"] == out.loc[0.95, "avoided_high"] == 1.0
    assert (out.avoided_low <= out.avoided_share + 1e-12).all()


def test_with_fit_band_adds_a_column_and_leaves_the_rest(tiny):
    banded = fit.with_fit_band(tiny)
    assert banded.accounts.fit_band.tolist() == ["< 0.3", "0.3–0.5", "≥ 0.7"]
    assert "fit_band" not in tiny.accounts  # the original is untouched
    assert banded.mrr_monthly is tiny.mrr_monthly and banded.as_of == tiny.as_of


def test_on_a_generated_world_poor_fits_churn_more(small):
    led = fit.account_ledger(small)
    rates = fit.churn_by(led)
    assert rates.rate.iloc[0] > rates.rate.iloc[-1]  # the world makes fit drive churn
    assert led.followed.sum() == fit.churn_by(led).customers.sum()
