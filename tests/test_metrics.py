import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from csworkbook.retention.metrics import (
    activity_churn,
    annual_from_monthly,
    churn_by_unit,
    monthly_from_annual,
    mrr_movements,
    revenue_retention,
    trailing_year,
)


def _mrr(rows):
    return pd.DataFrame(rows, columns=["contract_id", "account_id", "month", "mrr"]).assign(
        month=lambda d: pd.to_datetime(d["month"])
    )


@pytest.fixture
def book():
    # a: 100 -> 150 (expanded); b: 200 -> 0 (churned); c: 100 -> 80 (contracted, two contracts)
    # d: starts after the start month, so outside the cohort
    return _mrr(
        [
            ("a1", "a", "2024-01-01", 100.0),
            ("a1", "a", "2025-01-01", 150.0),
            ("b1", "b", "2024-01-01", 200.0),
            ("c1", "c", "2024-01-01", 60.0),
            ("c2", "c", "2024-01-01", 40.0),
            ("c1", "c", "2025-01-01", 80.0),
            ("d1", "d", "2025-01-01", 500.0),
        ]
    )


def test_grr_nrr_and_logo_churn_by_hand(book):
    r = revenue_retention(book, "2024-01-15", "2025-01-31").loc["all"]
    assert r["units"] == 3
    assert r["start_mrr"] == 400
    # GRR caps a at 100: (100 + 0 + 80) / 400
    assert r["grr"] == pytest.approx(180 / 400)
    # NRR counts a's expansion but never d, who was not a customer at the start
    assert r["nrr"] == pytest.approx(230 / 400)
    assert r["logo_churn"] == pytest.approx(1 / 3)


def test_breakdown_by_account_column(book):
    accounts = pd.DataFrame({"account_id": list("abcd"), "segment": ["x", "x", "y", "y"]})
    r = revenue_retention(book, "2024-01", "2025-01", accounts=accounts, by="segment")
    assert r.loc["x", "grr"] == pytest.approx(100 / 300)
    assert r.loc["x", "nrr"] == pytest.approx(150 / 300)
    assert r.loc["y", "grr"] == pytest.approx(0.8)
    assert r.loc["y", "logo_churn"] == 0


def test_breakdown_needs_accounts(book):
    with pytest.raises(ValueError, match="accounts="):
        revenue_retention(book, "2024-01", "2025-01", by="segment")


def test_end_must_follow_start(book):
    with pytest.raises(ValueError, match="must come after"):
        revenue_retention(book, "2025-01", "2024-01")


def test_trailing_year_is_twelve_months_to_as_of(book):
    a = trailing_year(book, "2025-01-20")
    b = revenue_retention(book, "2024-01", "2025-01")
    pd.testing.assert_frame_equal(a, b)


def test_grr_within_unit_interval_on_demo(demo):
    r = trailing_year(demo.mrr_monthly, demo.as_of, accounts=demo.accounts, by="segment")
    assert np.all((r["grr"] >= 0) & (r["grr"] <= 1))
    assert np.all(r["nrr"] >= r["grr"])


def test_movements_by_hand():
    # a: new 100, expands to 150, churns, comes back at 80 (reactivation)
    # b: new 50 in month 2, contracts to 30
    m = _mrr(
        [
            ("a1", "a", "2024-01-01", 100.0),
            ("a1", "a", "2024-02-01", 150.0),
            ("b1", "b", "2024-02-01", 50.0),
            ("b1", "b", "2024-03-01", 30.0),
            ("a2", "a", "2024-04-01", 80.0),
            ("b1", "b", "2024-04-01", 30.0),
        ]
    )
    mv = mrr_movements(m)
    assert mv["new"].tolist() == [100, 50, 0, 0]
    assert mv["expansion"].tolist() == [0, 50, 0, 0]
    assert mv["contraction"].tolist() == [0, 0, 20, 0]
    assert mv["churn"].tolist() == [0, 0, 150, 0]
    assert mv["reactivation"].tolist() == [0, 0, 0, 80]
    assert mv["units_churned"].tolist() == [0, 0, 1, 0]


def test_movements_bridge_holds_on_demo_at_every_unit(demo):
    for unit in ("account", "department", "contract"):
        mv = mrr_movements(demo.mrr_monthly, demo.contracts, unit=unit)
        bridge = (
            mv.starting_mrr + mv.new + mv.expansion + mv.reactivation - mv.contraction - mv.churn
        )
        np.testing.assert_allclose(bridge, mv.ending_mrr, atol=0.05)
    # a new contract for an existing account is expansion for the account, new for the contract
    acc = mrr_movements(demo.mrr_monthly, unit="account")
    con = mrr_movements(demo.mrr_monthly, unit="contract")
    assert con["new"].sum() > acc["new"].sum()
    assert con["churn"].sum() > acc["churn"].sum()


def test_department_unit_needs_contracts(book):
    with pytest.raises(ValueError, match="contracts="):
        revenue_retention(book, "2024-01", "2025-01", unit="department")
    with pytest.raises(ValueError, match="unit must be"):
        revenue_retention(book, "2024-01", "2025-01", unit="seat")


def test_unit_of_measure_changes_the_number(demo):
    r = churn_by_unit(demo.mrr_monthly, demo.contracts, "2024-12", "2025-12")
    # more, smaller units churn more often than whole companies do
    assert r.loc["contract", "logo_churn"] > r.loc["account", "logo_churn"]
    assert r.loc["contract", "units"] > r.loc["department", "units"] >= r.loc["account", "units"]
    # revenue lost is the same money however it is counted... except expansion offsets
    assert r.loc["account", "grr"] >= r.loc["contract", "grr"]


def test_activity_churn_by_hand():
    u = pd.DataFrame(
        {
            "account_id": ["a", "b", "a", "c"],
            "week": pd.to_datetime(["2024-01-08", "2024-01-08", "2024-06-03", "2024-06-03"]),
            "active_users": [3, 2, 1, 4],
        }
    )
    r = activity_churn(u, "2024-01-20", "2024-06-20", days=28)
    assert r["active_at_start"] == 2 and r["inactive_at_end"] == 1 and r["activity_churn"] == 0.5


def test_rate_conversion_by_hand():
    assert float(annual_from_monthly(0.02)) == pytest.approx(1 - 0.98**12)
    assert float(monthly_from_annual(0.5)) == pytest.approx(1 - 0.5 ** (1 / 12))


@given(st.floats(min_value=0, max_value=0.5))
def test_monthly_annual_round_trip(rate):
    assert float(monthly_from_annual(annual_from_monthly(rate))) == pytest.approx(
        rate, rel=1e-9, abs=1e-300
    )
    assert 0 <= float(annual_from_monthly(rate)) <= 1
    assert float(annual_from_monthly(rate)) >= rate


@given(
    st.lists(
        st.tuples(st.sampled_from("abcd"), st.floats(0, 500), st.floats(0, 500)),
        min_size=1,
        max_size=12,
    )
)
def test_grr_in_unit_interval_and_below_nrr(rows):
    recs = []
    for i, (acc, start, end) in enumerate(rows):
        recs += [(f"c{i}", acc, "2024-01-01", start), (f"c{i}", acc, "2025-01-01", end)]
    m = _mrr(recs)
    m = m[m.mrr > 0]
    if (m.month == "2024-01-01").sum() == 0:
        return
    r = revenue_retention(m, "2024-01", "2025-01").iloc[0]
    assert 0 <= r["grr"] <= 1 + 1e-12
    assert r["nrr"] >= r["grr"] - 1e-12


def test_an_empty_cohort_is_a_row_of_nothing_not_an_error():
    m = _mrr([("c", "a", "2025-01-01", 100.0), ("c", "a", "2025-02-01", 100.0)])
    k = pd.DataFrame({"contract_id": ["c"], "department": ["ops"]})
    out = revenue_retention(m, "2024-01", "2025-01")  # nobody paid in the start month
    assert out.loc["all", "units"] == 0 and np.isnan(out.loc["all", "grr"])
    by = churn_by_unit(m, k, "2024-01", "2025-01")  # was an IndexError
    assert by["units"].tolist() == [0, 0, 0]


def test_zero_arr_counts_logo_churn_and_leaves_revenue_undefined():
    rows = [(f"c{i}", f"a{i}", "2024-01-01", 0.0) for i in range(4)]
    rows += [(f"c{i}", f"a{i}", "2025-01-01", 0.0) for i in range(3)]  # a3 left
    m = _mrr(rows)
    t = revenue_retention(m, "2024-01", "2025-01").loc["all"]
    assert t["units"] == 4 and t["logo_churn"] == 0.25
    assert np.isnan(t["grr"]) and np.isnan(t["nrr"])
    # a paying unit is still judged by its revenue: MRR 0 rows after paying are churn
    paid = _mrr([("p", "x", "2024-01-01", 50.0), ("p", "x", "2025-01-01", 0.0)])
    assert revenue_retention(paid, "2024-01", "2025-01").loc["all", "logo_churn"] == 1.0
