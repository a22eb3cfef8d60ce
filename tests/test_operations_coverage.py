"""Touch models, CSM capacity and coverage (notebook 05): every figure checked by hand on a
few customers small enough to follow quarter by quarter and week by week."""

import numpy as np
import pandas as pd
import pytest

from csworkbook import Dataset
from csworkbook.operations import coverage

t = pd.Timestamp


def _paid(account, start, months, amount, contract=None):
    return pd.DataFrame(
        {
            "contract_id": contract or f"C-{account}",
            "account_id": account,
            "month": pd.date_range(start, periods=months, freq="MS"),
            "mrr": float(amount),
        }
    )


@pytest.fixture
def tiny():
    """Four customers in the first half of 2025 (as of 2025-06-30).

    a: high touch (CSM H1), two contracts, pays all half-year; met one-to-one in both quarters.
    b: high touch (CSM H1), pays in the first quarter only; an e-mail in it, a call after it.
    c: tech touch (no CSM), pays from April; a webinar and an unknown kind of touchpoint.
    d: low touch (CSM L1), paid in May only.
    """
    accounts = pd.DataFrame(
        {
            "account_id": list("abcd"),
            "segment": ["enterprise", "enterprise", "smb", "mid_market"],
            "touch_model": ["high", "high", "tech", "low"],
            "csm_id": ["H1", "H1", None, "L1"],
            "icp_fit": [0.8, 0.4, 0.2, 0.6],
            "first_contract_date": pd.to_datetime(["2024-01-01"] * 4),
        }
    )
    mrr = pd.concat(
        [
            _paid("a", "2025-01-01", 6, 100),
            _paid("a", "2025-01-01", 6, 50, contract="C-a2"),
            _paid("b", "2025-01-01", 3, 80),
            _paid("b", "2025-04-01", 3, 0),  # rows of 0 after it stopped paying
            _paid("c", "2025-04-01", 3, 200),
            _paid("d", "2025-05-01", 1, 30),
        ]
    )
    touchpoints = pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "a", "b", "b", "c", "c"],
            "date": pd.to_datetime(
                [
                    "2025-01-10",
                    "2025-02-01",
                    "2025-02-15",
                    "2025-04-01",
                    "2025-02-01",
                    "2025-05-01",
                    "2025-05-05",
                    "2025-05-06",
                ]
            ),
            "kind": [
                "qbr",
                "email",
                "webinar",
                "check_in",
                "email",
                "check_in",
                "webinar",
                "survey",
            ],
        }
    )
    tables = {
        "accounts": accounts,
        "contracts": pd.DataFrame({"account_id": list("abcd")}),
        "mrr_monthly": mrr,
        "touchpoints": touchpoints,
    }
    return Dataset(tables, as_of="2025-06-30")


# ---- the book and the touch rule --------------------------------------------------------


def test_book_is_the_customers_paying_that_month_with_arr_twelve_times_mrr(tiny):
    book = coverage.book_at(tiny).set_index("account_id")
    assert book.index.tolist() == ["a", "c"]  # b pays 0 in June, d paid in May only
    assert book["arr"].tolist() == [1800.0, 2400.0]  # a: (100 + 50) x 12
    assert book.loc["a", ["segment", "touch_model", "csm_id", "icp_fit"]].tolist() == [
        "enterprise",
        "high",
        "H1",
        0.8,
    ]
    may = coverage.book_at(tiny, at="2025-05-15").set_index("account_id")
    assert may.index.tolist() == ["a", "c", "d"] and may.loc["d", "arr"] == 360.0


def test_touch_rule_edges_and_the_fit_step_down():
    b = pd.DataFrame(
        {
            "arr": [100.0, 99.9, 40.0, 39.9, 100.0, 40.0, 10.0, 100.0],
            "icp_fit": [0.9, 0.9, 0.9, 0.9, 0.29, 0.1, 0.1, np.nan],
        }
    )
    plain = coverage.touch_rule(b, high_arr=100, low_arr=40)
    assert plain.tolist() == ["high", "low", "low", "tech", "high", "low", "tech", "high"]
    fit = coverage.touch_rule(b, high_arr=100, low_arr=40, min_fit=0.3)
    # a poor fit moves one tier down, never below tech; an unknown fit moves nothing
    assert fit.tolist() == ["high", "low", "low", "tech", "low", "tech", "tech", "high"]
    no_fit_column = coverage.touch_rule(b[["arr"]], high_arr=100, low_arr=40, min_fit=0.3)
    assert no_fit_column.tolist() == plain.tolist()


def test_segment_summary_by_hand():
    b = pd.DataFrame(
        {
            "segment": ["ent", "ent", "smb", "smb", "smb"],
            "arr": [600.0, 200.0, 100.0, 50.0, 50.0],
            "icp_fit": [0.9, 0.5, 0.2, 0.4, np.nan],
        }
    )
    s = coverage.segment_summary(b, by="segment")
    assert s.loc["ent"].tolist() == [2, 800.0, 0.8, 400.0, pytest.approx(0.7)]
    assert s.loc["smb"].tolist() == [3, 200.0, 0.2, 50.0, pytest.approx(0.3)]  # NaN fit skipped
    assert "mean_fit" not in coverage.segment_summary(b.drop(columns="icp_fit"), by="segment")


# ---- books and capacity -----------------------------------------------------------------


@pytest.fixture
def book():
    return pd.DataFrame(
        {
            "account_id": [f"x{i}" for i in range(10)],
            "touch_model": ["high"] * 3 + ["low"] * 5 + ["tech"] * 2,
            "csm_id": ["H1", "H1", "H2", "L1", "L1", "L1", "L2", "H2", None, None],
            "arr": [100.0, 300.0, 50.0, 10.0, 20.0, 30.0, 40.0, 60.0, 5.0, 5.0],
        }
    )


def test_csm_books_skip_the_pool_and_take_each_books_main_model(book):
    b = coverage.csm_books(book)
    # H2 holds one high and one low account: a tie, the mode takes the first ("high")
    assert b.index.tolist() == ["H1", "H2", "L1", "L2"]
    assert b["touch_model"].tolist() == ["high", "high", "low", "low"]
    assert b["accounts"].tolist() == [2, 2, 3, 1]
    assert b["arr"].tolist() == [400.0, 110.0, 60.0, 40.0]


def test_capacity_by_hand(book):
    c = coverage.capacity(book, {"high": 2, "low": 2})
    high, low, tech = c.loc["high"], c.loc["low"], c.loc["tech"]
    assert high[["accounts", "arr", "csms"]].tolist() == [3, 450.0, 2]
    assert high[["median_book", "smallest_book", "largest_book"]].tolist() == [2, 2, 2]
    assert high["arr_per_csm"] == 255.0  # median of 400 and 110
    assert high["csms_needed"] == 2  # ceil(3 / 2)
    assert low[["accounts", "csms", "median_book", "smallest_book", "largest_book"]].tolist() == [
        5,
        2,
        2,
        1,
        3,
    ]
    assert low["csms_needed"] == 3  # ceil(5 / 2)
    assert tech["csms"] == 0 and np.isnan(tech["median_book"]) and tech["csms_needed"] == 0


# ---- coverage ---------------------------------------------------------------------------


def test_coverage_per_customer_quarter_and_channel_by_hand(tiny):
    cov = coverage.coverage(tiny)
    assert [(m, str(p)) for m, p in cov.index] == [
        ("high", "2025Q1"),
        ("high", "2025Q2"),
        ("low", "2025Q2"),
        ("tech", "2025Q2"),
    ]
    q1 = cov.loc[("high", pd.Period("2025Q1"))]
    # a and b paid: a had a QBR, an e-mail and a webinar; b an e-mail
    assert q1["accounts"] == 2
    assert q1["one-to-one per account"] == 0.5
    assert q1["one-to-many per account"] == 0.5
    assert q1["digital per account"] == 1.0
    assert q1["touched"] == 0.5
    assert (q1["low"], q1["high"]) == pytest.approx((0.0945, 0.9055), abs=1e-4)  # Wilson, 1 of 2
    q2 = cov.loc[("high", pd.Period("2025Q2"))]
    # only a paid (b's May call is after it left); a's April check-in
    assert q2["accounts"] == 1 and q2["one-to-one per account"] == 1 and q2["touched"] == 1
    tech = cov.loc[("tech", pd.Period("2025Q2"))]
    assert tech[
        ["one-to-one per account", "one-to-many per account", "other per account"]
    ].tolist() == [
        0,
        1,
        1,
    ]
    assert tech["touched"] == 0 and tech["low"] == 0  # clipped, not -1e-18
    low = cov.loc[("low", pd.Period("2025Q2"))]
    assert low["accounts"] == 1 and low["touched"] == 0  # d paid in May and was never met


def test_coverage_by_month_counts_only_complete_months_and_other_groups(tiny):
    ds = Dataset(tiny.tables, as_of="2025-06-29")  # June is not over
    monthly = coverage.coverage(ds, freq="M", by="segment")
    assert str(monthly.index.get_level_values("period").max()) == "2025-05"
    assert set(monthly.index.get_level_values("segment")) == {"enterprise", "smb", "mid_market"}
    feb = monthly.loc[("enterprise", pd.Period("2025-02"))]
    # a: e-mail and webinar, b: e-mail; nobody met one-to-one in February
    assert feb["digital per account"] == 1.0 and feb["touched"] == 0
    quarters = coverage.coverage(ds)
    assert {str(p) for p in quarters.index.get_level_values("period")} == {"2025Q1"}


# ---- renewals beside relationships ------------------------------------------------------


@pytest.fixture
def renewing():
    accounts = pd.DataFrame({"account_id": ["a", "b"], "segment": ["enterprise", "smb"]})
    contracts = pd.DataFrame(
        {
            "contract_id": ["a1", "a2", "b1", "bm"],
            "account_id": ["a", "a", "b", "b"],
            "term_months": [12, 12, 12, 1],
        }
    )
    renewals = pd.DataFrame(
        {
            "contract_id": ["a1", "a1", "a2", "b1", "bm"],
            "account_id": ["a", "a", "a", "b", "b"],
            "renewal_date": pd.to_datetime(
                ["2024-03-01", "2025-03-01", "2025-03-01", "2025-06-01", "2025-05-01"]
            ),
            "outcome": ["renewed", "renewed", "churned", "renewed", "churned"],
        }
    )
    nps = pd.DataFrame(
        {
            "account_id": ["a"] * 6,
            "user_id": ["u4", "u5", "u1", "u2", "u1", "u3"],
            "date": pd.to_datetime(
                [
                    "2024-02-29",  # the day before a's 2024 renewal
                    "2024-03-01",  # a's 2024 renewal day (not before it), and 365 days before 2025's
                    "2024-06-01",
                    "2024-09-01",
                    "2025-01-01",  # u1 again: one person
                    "2025-03-01",  # on the renewal day: not before it
                ]
            ),
        }
    )
    stake = pd.DataFrame(
        {
            "account_id": ["a", "b", "b"],
            "date": pd.to_datetime(["2024-10-01", "2024-09-01", "2025-01-01"]),
            "event": ["champion_left", "champion_left", "sponsor_changed"],
        }
    )
    tables = {
        "accounts": accounts,
        "contracts": contracts,
        "renewals": renewals,
        "nps": nps,
        "stakeholder_events": stake,
    }
    return Dataset(tables, as_of="2025-12-31")


def test_renewal_relationships_by_hand(renewing):
    r = coverage.renewal_relationships(renewing).set_index(["account_id", "renewal_date"])
    assert len(r) == 3  # b's monthly contract is left out
    a24, a25 = r.loc[("a", t("2024-03-01"))], r.loc[("a", t("2025-03-01"))]
    b25 = r.loc[("b", t("2025-06-01"))]
    assert [a24["renewed"], a25["renewed"], b25["renewed"]] == [True, False, True]
    assert b25["segment"] == "smb"
    # a 2025: u5 (exactly 365 days before), u1, u2 -> 3; a 2024: u4 only; b: nobody
    assert [a24["contacts"], a25["contacts"], b25["contacts"]] == [1, 3, 0]
    assert [a24["contacts_band"], a25["contacts_band"], b25["contacts_band"]] == ["1", "3+", "0"]
    # champions: a's left 151 days before 2025-03-01; b's 273 days before 2025-06-01
    assert a25["days_since_champion_left"] == 151 and b25["days_since_champion_left"] == 273
    assert np.isnan(a24["days_since_champion_left"])
    assert [a24["champion"], a25["champion"], b25["champion"]] == [
        "none left within the year",
        "left 0-6 months before",
        "left 6-12 months before",
    ]
    shorter = coverage.renewal_relationships(renewing, days=200).set_index("account_id")
    assert shorter.loc["a", "contacts"].tolist() == [1, 2]  # u1 and u2 only in 2025


def test_renewal_relationships_without_surveys_or_stakeholders(renewing):
    ds = Dataset(
        {k: v for k, v in renewing.tables.items() if k not in ("nps", "stakeholder_events")},
        renewing.as_of,
    )
    r = coverage.renewal_relationships(ds)
    assert r["contacts"].isna().all() and r["champion"].isna().all()
    assert r["renewed"].tolist() == [True, False, True]


# ---- programmes and adoption ------------------------------------------------------------


@pytest.fixture
def weekly():
    """a and b (tech touch, ten seats each) over five weeks; a attends a webinar in the week
    of 13 January. c (high touch) never attends one."""
    weeks = pd.date_range("2025-01-06", periods=5, freq="7D")
    usage = pd.DataFrame(
        {
            "account_id": ["a"] * 5 + ["b"] * 5 + ["c"] * 5,
            "week": list(weeks) * 3,
            "active_users": [2, 2, 4, 4, 4, 3, 3, 3, 5, 5, 1, 1, 1, 1, 1],
        }
    )
    tables = {
        "accounts": pd.DataFrame(
            {
                "account_id": ["a", "b", "c"],
                "touch_model": ["tech", "tech", "high"],
                "first_contract_date": pd.to_datetime(["2020-01-01", "2025-01-01", "2020-01-01"]),
            }
        ),
        "contracts": pd.DataFrame(
            {
                "account_id": ["a", "b", "c"],
                "start_date": pd.to_datetime(["2020-01-01"] * 3),
                "end_date": pd.to_datetime([None] * 3),
                "seats": [10, 10, 10],
            }
        ),
        "usage": usage,
        "touchpoints": pd.DataFrame(
            {
                "account_id": ["a", "c"],
                "date": pd.to_datetime(["2025-01-15", "2025-01-15"]),  # a Wednesday
                "kind": ["webinar", "qbr"],
            }
        ),
    }
    return Dataset(tables, as_of="2025-02-28")


def test_programme_adoption_one_week_either_side_by_hand(weekly):
    e = coverage.programme_adoption(weekly, "webinar", weeks=1, min_tenure_days=0)
    rows = [
        (
            r.account_id,
            r.week.strftime("%m-%d"),
            r.attended,
            round(r.before, 10),
            round(r.after, 10),
        )
        for r in e.itertuples()
    ]
    # shares: a .2 .2 .4 .4 .4, b .3 .3 .3 .5 .5; a's week 20 Jan is next to its webinar: out
    assert rows == [
        ("a", "01-13", True, 0.2, 0.4),
        ("a", "01-27", False, 0.4, 0.4),
        ("b", "01-13", False, 0.3, 0.3),
        ("b", "01-20", False, 0.3, 0.5),
        ("b", "01-27", False, 0.3, 0.5),
    ]
    assert e["change"].round(10).tolist() == [0.2, 0.0, 0.0, 0.2, 0.2]
    # b started on 1 January: with 14 days of tenure asked, its week of 13 January drops
    young = coverage.programme_adoption(weekly, "webinar", weeks=1, min_tenure_days=14)
    assert ("b", t("2025-01-13")) not in set(zip(young.account_id, young.week, strict=True))
    assert len(young) == 4
    everyone = coverage.programme_adoption(
        weekly, "webinar", weeks=1, touch_models=["tech", "high"], min_tenure_days=0
    )
    assert set(everyone.account_id) == {"a", "b", "c"}


def test_programme_effect_compares_the_same_calendar_weeks(weekly):
    e = coverage.programme_adoption(weekly, "webinar", weeks=1, min_tenure_days=0)
    p = coverage.programme_effect(e, n_boot=200)
    assert p.loc["attended", ["account_weeks", "accounts"]].tolist() == [1, 1]
    assert p.loc["attended", "change"] == pytest.approx(0.2)
    assert p.loc["comparison", ["account_weeks", "accounts"]].tolist() == [4, 2]
    assert p.loc["comparison", "before"] == pytest.approx(0.325)
    assert p.loc["comparison", "change"] == pytest.approx(0.1)  # naive: 0.2 - 0.1
    # like with like: only 13 January has both; a's +0.2 against b's 0 that week
    d = p.loc["difference"]
    assert d["account_weeks"] == 2 and d["accounts"] == 2
    assert d["change"] == pytest.approx(0.2)
    # a draw without both accounts has no difference; every other draw gives 0.2
    assert d["low"] == pytest.approx(0.2) and d["high"] == pytest.approx(0.2)


def test_programme_effect_averages_over_attended_weeks():
    e = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "a", "d", "b", "e"],
            "week": pd.to_datetime(["2025-01-06"] * 3 + ["2025-01-13"] * 3 + ["2025-01-20"]),
            "attended": [True, False, False, True, True, False, True],
            "change": [0.3, 0.1, 0.2, 0.0, 0.1, -0.1, 0.9],
        }
    )
    e["before"], e["after"] = 0.0, e["change"]
    p = coverage.programme_effect(e, n_boot=100)
    # week 1: 0.3 - mean(0.1, 0.2); week 2: 0.0 and 0.1 against -0.1; week 3 has no comparison
    assert p.loc["difference", "change"] == pytest.approx((0.15 + 0.1 + 0.2) / 3)
    assert p.loc["difference", "account_weeks"] == 6
    assert p.loc["attended", "account_weeks"] == 4
