import numpy as np
import pandas as pd
import pytest

from csworkbook.metrics import revenue_retention, trailing_year


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
    assert r["accounts"] == 3
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
