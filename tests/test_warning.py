"""Usage-drop alerts: the alert itself, lead times, and rates with honest denominators and
intervals (customers: Wilson; customer-weeks: accounts resampled)."""

import numpy as np
import pandas as pd
import pytest

from csworkbook.retention import observations
from csworkbook.retention import warning as ew
from csworkbook.stats import clustered_rates, wilson_interval


def _usage(rows: dict[str, list[float]], start="2024-01-01") -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {
                "account_id": a,
                "week": pd.date_range(start, periods=len(v), freq="W-MON"),
                "active_users": v,
            }
        )
        for a, v in rows.items()
    ]
    return pd.concat(frames, ignore_index=True).sample(frac=1, random_state=0)  # any order


def test_alert_compares_each_account_with_its_own_baseline():
    u = _usage({"big": [100] * 6 + [50] * 2, "small": [4] * 6 + [3] * 2})
    al = ew.usage_alerts(u, recent_weeks=2, baseline_weeks=4, drop=0.3).set_index(
        ["account_id", "week"]
    )
    last = al.groupby(level="account_id").tail(1).droplevel("week")
    assert last.loc["big", "ratio"] == pytest.approx(0.5) and last.loc["big", "alert"]
    assert last.loc["small", "ratio"] == pytest.approx(0.75) and not last.loc["small", "alert"]
    # no baseline yet: no ratio, no alert (windows never reach into another account)
    first = al.groupby(level="account_id").head(5)
    assert first["ratio"].isna().all() and not first["alert"].any()


def test_vectorised_alerts_equal_a_per_account_loop():
    rng = np.random.default_rng(3)
    u = _usage({f"a{i}": rng.poisson(8, size=rng.integers(5, 40)).tolist() for i in range(30)})
    got = ew.usage_alerts(u, recent_weeks=3, baseline_weeks=5, drop=0.25)
    for acc, g in got.groupby("account_id"):
        s = g["active_users"].astype(float).reset_index(drop=True)
        recent = s.rolling(3, min_periods=3).mean()
        base = s.shift(3).rolling(5, min_periods=5).mean()
        np.testing.assert_allclose(g["recent"], recent, equal_nan=True, err_msg=acc)
        np.testing.assert_allclose(g["baseline"], base, equal_nan=True, err_msg=acc)


def test_lead_time_is_the_first_alert_inside_the_window():
    u = _usage({"a": [10] * 16 + [2] * 10, "b": [10] * 26})
    al = ew.usage_alerts(u, recent_weeks=4, baseline_weeks=12, drop=0.4)
    first_alert = al.loc[al["alert"] & (al["account_id"] == "a"), "week"].min()
    churn = pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "start": pd.Timestamp("2024-01-01"),
            "churn_date": [first_alert + pd.Timedelta(weeks=6), pd.NaT],
        }
    )
    lt = ew.lead_times(al, churn, window_weeks=26)
    assert list(lt.index) == ["a"]
    assert lt.loc["a", "lead_weeks"] == pytest.approx(6)
    assert lt.loc["a", "start"] == pd.Timestamp("2024-01-01")
    # a shorter window sees only the alerts inside it: the earliest of those counts
    assert ew.lead_times(al, churn, window_weeks=5).loc["a", "lead_weeks"] == pytest.approx(5)


def test_warned_share_names_both_denominators():
    start = pd.to_datetime(["2023-01-01"] * 4 + ["2025-04-01"] * 2)
    lead = pd.DataFrame(
        {
            "start": start,
            "churn_date": pd.Timestamp("2025-06-01"),
            "lead_weeks": [12, 5, 2, np.nan, np.nan, np.nan],
        },
        index=list("abcdef"),
    )
    kind = pd.Series(["x", "x", "y", "y", "y", "x"], index=list("abcdef"))
    t = ew.warned_share(lead, by=kind)
    tenure = "tenure ≥ 20 weeks"
    assert t.loc[("all", "all churners"), ["churners", "warned"]].tolist() == [6, 2]
    assert t.loc[("all", tenure), ["churners", "warned"]].tolist() == [4, 2]
    assert t.loc[("x", "all churners"), "share"] == pytest.approx(2 / 3)
    assert t.loc[("y", tenure), "share"] == 0
    lo, hi = wilson_interval(2, 4)
    assert t.loc[("all", tenure), ["low", "high"]].tolist() == pytest.approx([lo, hi])


def test_precision_and_base_rate_are_clustered_rates_on_the_weeks():
    rng = np.random.default_rng(1)
    d = pd.DataFrame(
        {
            "account_id": rng.choice([f"k{i:02d}" for i in range(40)], size=500),
            "alert": rng.random(500) < 0.3,
            "churn_within": rng.random(500) < 0.2,
        }
    )
    mine = ew.alert_precision(d, n_boot=300, seed=5)
    ref_alert = clustered_rates(
        d[d["alert"]], value="churn_within", cluster="account_id", n_boot=300, seed=5
    ).iloc[0]
    ref_all = clustered_rates(
        d, value="churn_within", cluster="account_id", n_boot=300, seed=5
    ).iloc[0]
    for row, ref in (("alert weeks", ref_alert), ("all weeks", ref_all)):
        assert mine.loc[row, "weeks"] == ref["rows"]
        assert mine.loc[row, "accounts"] == ref["customers"]
        assert mine.loc[row, ["rate", "low", "high"]].tolist() == pytest.approx(
            [ref["rate"], ref["low"], ref["high"]]
        )
    assert mine.loc["alert weeks", "lift"] == pytest.approx(ref_alert["rate"] / ref_all["rate"])


def test_weeks_whose_outcome_is_not_known_yet_are_not_judged():
    u = _usage({"a": [10] * 40})
    al = ew.usage_alerts(u, recent_weeks=4, baseline_weeks=12)
    churn = pd.DataFrame({"account_id": ["a"], "start": [pd.NaT], "churn_date": [pd.NaT]})
    judged = ew.followed_by_churn(al, churn, horizon_weeks=10)
    last = al["week"].max()
    assert judged["week"].max() + pd.Timedelta(weeks=10) <= last + pd.Timedelta(days=6)
    assert judged["ratio"].notna().all() and not judged["churn_within"].any()
    # weeks 16-30 of 40: the baseline needs 15 weeks before, the outcome the 10 after
    assert len(judged) == 15


@pytest.fixture(scope="module")
def small_table(small):
    churn = observations.account_churn_dates(small)
    return churn, ew.threshold_table(small.usage, churn, as_of=small.as_of, n_boot=200)


def test_threshold_table_trades_warning_against_precision(small, small_table):
    churn, t = small_table
    assert (t["churners"] == len(ew.observable_churners(churn))).all()
    # a larger drop warns fewer churners and fires less often
    assert t["churners_warned"].is_monotonic_decreasing
    assert t["alert_weeks_share"].is_monotonic_decreasing
    # the base rate does not depend on the threshold; precision sits inside its interval
    assert t["base_rate"].nunique() == 1
    assert (t["precision_low"] <= t["alert_precision"]).all()
    assert (t["alert_precision"] <= t["precision_high"]).all()
    assert t["lift"].to_numpy() == pytest.approx((t["alert_precision"] / t["base_rate"]).to_numpy())
    assert (
        (t["warned_low"] <= t["churners_warned"]) & (t["churners_warned"] <= t["warned_high"])
    ).all()


def test_no_alert_weeks_give_no_precision_rather_than_an_error():
    j = pd.DataFrame(
        {"account_id": ["a", "b"], "alert": [False, False], "churn_within": [True, False]}
    )
    t = ew.alert_precision(j, n_boot=50)
    assert t.loc["alert weeks", "weeks"] == 0 and np.isnan(t.loc["alert weeks", "rate"])
    assert t.loc["all weeks", "rate"] == 0.5
