"""Health-score validation at the right grain: customers scored on many dates count once
where they should, intervals resample customers, learned weights are judged out of period."""

import warnings

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from csworkbook import DataError, viz
from csworkbook.health import blindspots, validation
from csworkbook.stats import wilson_interval

CATS = ["red", "yellow", "green"]


def repeated_history(customers=40, dates=25, churners=10, seed=0):
    """Every customer scored on every date; a churner is red and 'churned' on all its rows,
    the others green and not churned: rows say nothing new beyond their customer."""
    acc = np.repeat([f"A{i:03d}" for i in range(customers)], dates)
    churn = np.repeat(np.arange(customers) < churners, dates)
    return pd.DataFrame(
        {
            "account_id": acc,
            "obs_date": np.tile(pd.date_range("2024-01-03", periods=dates, freq="14D"), customers),
            "band": pd.Categorical(np.where(churn, "red", "green"), CATS),
            "churned": churn,
        }
    )


def test_band_table_interval_resamples_customers_not_rows():
    # half of the red customers churn; each customer repeats its outcome on 25 dates
    h = repeated_history(customers=40, churners=20)
    h.loc[h["account_id"] < "A010", "churned"] = False
    bt = validation.band_table(h, n_boot=2000, seed=1)
    red = bt.loc["red"]
    assert (red["rows"], red["customers"], red["churned"]) == (500, 20, 250)
    assert red["churn_rate"] == 0.5
    rows_lo, rows_hi = wilson_interval(250, 500)
    cust_lo, cust_hi = wilson_interval(10, 20)
    width = red["high"] - red["low"]
    # as wide as 20 customers allow, far wider than 500 independent rows would be
    assert width > 3 * (rows_hi - rows_lo)
    assert width == pytest.approx(cust_hi - cust_lo, rel=0.35)
    assert bt.loc["yellow", "rows"] == 0 and np.isnan(bt.loc["yellow", "churn_rate"])
    # the same seed gives the same interval
    again = validation.band_table(h, n_boot=2000, seed=1)
    assert again[["low", "high"]].equals(bt[["low", "high"]])


def test_calibration_counts_rows_and_customers():
    h = repeated_history().assign(score=lambda d: np.where(d["churned"], 20.0, 80.0))
    cal = validation.calibration(h, bins=2, n_boot=100)
    assert cal["rows"].tolist() == [500, 500]
    assert cal["customers"].tolist() == [20, 20]  # the bottom half: 10 churners and 10 others
    assert cal["churn_rate"].tolist() == [0.5, 0.0]


def pretend_churn_brute_force(h, days=(60, 90), best="green"):
    """The churners' rule for everybody, the slow way: every customer, every calendar day as
    a churn date whose window lies inside the history."""
    last = h["obs_date"].max()
    step = 14
    hits = []
    for _, g in h.groupby("account_id"):
        dates = g["obs_date"].to_numpy()
        flag = (g["band"].astype(object) != best).to_numpy()
        first = dates.min()
        for start in pd.date_range(first - pd.Timedelta(days=step - 1), last):
            end = start + pd.Timedelta(days=days[1] - days[0])
            inside = (dates >= start) & (dates <= end)
            if (
                not inside.any()
                or dates[inside].min() + np.timedelta64(days[1] - days[0], "D") > last
            ):
                continue
            hits.append(flag[inside].any())
    return np.mean(hits)


def test_warned_before_churn_sits_beside_the_same_rule_for_everybody():
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-03", periods=20, freq="14D")
    h = pd.DataFrame(
        {
            "account_id": np.repeat([f"A{i}" for i in range(30)], len(dates)),
            "obs_date": np.tile(dates, 30),
            "band": pd.Categorical(rng.choice(CATS, size=30 * len(dates), p=[0.1, 0.3, 0.6]), CATS),
        }
    )
    churn_day = {f"A{i}": dates[15] + pd.Timedelta(days=int(rng.integers(0, 14))) for i in range(8)}
    h["churn_date"] = h["account_id"].map(churn_day)
    h = h[h["churn_date"].isna() | (h["obs_date"] < h["churn_date"])]
    w = validation.warned_before_churn(h, n_boot=200)
    assert list(w.index) == [
        "churners: some date 60–90 d before churn",
        "everyone: same rule, any day as churn date",
        "everyone: on a single date",
    ]
    # churners count once each, whatever the number of dates in their window
    c = blindspots.caught(h)
    assert w.iloc[0]["rows"] == w.iloc[0]["customers"] == 8 == len(c)
    assert w.iloc[0]["not_green"] == c["caught"].mean()
    assert w.iloc[1]["not_green"] == pytest.approx(pretend_churn_brute_force(h))
    assert w.iloc[2]["not_green"] == pytest.approx((h["band"] != "green").mean())
    assert w.iloc[2]["rows"] == len(h) and w.iloc[2]["customers"] == 30
    assert (w["low"] <= w["not_green"]).all() and (w["not_green"] <= w["high"]).all()


def churner_history():
    """A churns 2025-04-01 and is scored on three dates in its 60-90-day window with ARR 100;
    B churns too, green throughout, ARR 50; C never churns."""
    dates = pd.to_datetime(["2025-01-01", "2025-01-15", "2025-01-29", "2025-02-12"])
    return pd.DataFrame(
        {
            "account_id": ["A"] * 4 + ["B"] * 4 + ["C"] * 4,
            "obs_date": list(dates) * 3,
            "churn_date": [pd.Timestamp("2025-04-01")] * 8 + [pd.NaT] * 4,
            "churned": [True] * 8 + [False] * 4,
            "arr": [100.0] * 4 + [50.0] * 4 + [10.0] * 4,
            "band": pd.Categorical(["yellow", "green", "green", "red"] + ["green"] * 4 + ["red"] * 4, CATS),
        }
    )  # fmt: skip


def test_churned_arr_counts_each_churner_once():
    h = churner_history()
    c = blindspots.caught(h)
    assert c["window_dates"].to_dict() == {"A": 3, "B": 3}  # 90, 76, 62 days before; not 48
    assert c["caught"].to_dict() == {"A": True, "B": False}
    assert c["arr"].to_dict() == {"A": 100.0, "B": 50.0}
    m = blindspots.churned_arr_missed({"s": h}).loc["s"]
    # summing over the window's rows would give 450 and 150
    assert (m["churned_arr"], m["missed_arr"], m["missed_share"]) == (150.0, 50.0, 1 / 3)
    assert m["churners"] == 2 and m["missed_churners"] == 1
    assert pd.api.types.is_integer_dtype(blindspots.churned_arr_missed(h)["churners"])
    assert blindspots.churners_at(h)["obs_date"].tolist() == [pd.Timestamp("2025-01-29")] * 2


def test_scenario_tables_count_churners_and_customer_dates_and_show_where_one_score_loses():
    usage = churner_history()
    holistic = usage.assign(band=pd.Categorical(["green"] * 4 + ["red"] * 4 + ["red"] * 4, CATS))
    truth = pd.DataFrame({"account_id": ["A", "B", "C"], "scenario": ["s1", "s1", "none"]})
    hs = {"usage": usage, "holistic": holistic}
    caught = blindspots.scenario_caught(hs, truth)
    assert caught.loc[("s1", "usage"), ["churners", "window_dates", "caught"]].tolist() == [
        2,
        6,
        0.5,
    ]
    lo, hi = wilson_interval(1, 2)
    assert caught.loc[("s1", "usage"), "low"] == pytest.approx(lo)
    assert caught.loc[("s1", "usage"), "high"] == pytest.approx(hi)
    gap = blindspots.caught_difference(hs, truth, baseline="usage", n_boot=200)
    # A: usage caught, holistic missed; B: the other way round -> difference 0
    assert gap.loc["s1", ["customers", "churners", "usage", "holistic", "difference"]].tolist() == [
        2, 2, 0.5, 0.5, 0.0
    ]  # fmt: skip
    worse = holistic.assign(band=pd.Categorical(["green"] * 12, CATS))
    gap = blindspots.caught_difference({"usage": usage, "h": worse}, truth, baseline="usage")
    assert gap.loc["s1", "difference"] == -0.5 and gap.loc["s1", "low"] < 0
    fa = blindspots.scenario_false_alarms(hs, truth, n_boot=100)
    assert fa.loc[("none", "usage"), ["stayers", "customer_dates", "red_share"]].tolist() == [
        1,
        4,
        1.0,
    ]


def test_quadrants_count_customers_as_integers_with_wilson_intervals():
    h = churner_history().assign(score=[80.0] * 4 + [80.0] * 4 + [20.0] * 4)
    q = blindspots.quadrants(h, h, at="2025-01-29")
    assert pd.api.types.is_integer_dtype(q["customers"]) and pd.api.types.is_integer_dtype(
        q["churned"]
    )
    row = q.loc[("high usage", "green")]
    assert (row["customers"], row["churned"]) == (2, 2)
    assert row["low"] == pytest.approx(wilson_interval(2, 2)[0])


def test_auc_table_judges_every_score_on_the_same_rows():
    rng = np.random.default_rng(5)
    n = 600
    d = pd.DataFrame({"account_id": np.repeat(np.arange(100), 6), "churned": rng.random(n) < 0.2})
    good = np.where(d["churned"], 40.0, 60.0) + rng.normal(0, 15, n)
    noise = rng.normal(50, 15, n)
    noise[:30] = np.nan
    out = validation.auc_table(d, {"good": good, "noise": noise}, baseline="noise", n_boot=300)
    assert out["rows"].tolist() == [570, 570] and out["customers"].tolist() == [95, 95]
    kept = d.index >= 30
    assert out.loc["good", "auc"] == pytest.approx(roc_auc_score(d["churned"][kept], -good[kept]))
    assert out.loc["good", "diff_low"] > 0  # clearly better than noise, paired


def learned_world(seed=0, n_acc=400, dates=24):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_acc, 1)) + rng.normal(scale=0.5, size=(n_acc, dates))
    churn = rng.random((n_acc, dates)) < 1 / (1 + np.exp(3 + 1.5 * x))
    return pd.DataFrame(
        {
            "account_id": np.repeat(np.arange(n_acc), dates),
            "obs_date": np.tile(pd.date_range("2024-01-03", periods=dates, freq="28D"), n_acc),
            "x": x.ravel(),
            "noise": rng.normal(size=n_acc * dates),
            "churned": churn.ravel(),
        }
    )


def test_time_split_keeps_every_fitted_outcome_before_the_judged_period():
    d = learned_world()
    fit, judge = validation.time_split(d, "2025-01-01", horizon_days=90)
    assert (fit["obs_date"] + pd.Timedelta(days=90) <= pd.Timestamp("2025-01-01")).all()
    assert (judge["obs_date"] >= pd.Timestamp("2025-01-01")).all()
    assert len(fit) and len(judge) and not set(fit.index) & set(judge.index)


def test_learned_weights_converge_and_score_new_rows_as_the_model_does():
    d = learned_world()
    fit, judge = validation.time_split(d, "2025-01-01")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lw = validation.learned_weights(fit, fit["churned"], columns=["x", "noise"])
    assert lw.loc["x", "coef"] > 0.5 and abs(lw.loc["noise", "coef"]) < 0.05
    assert set(lw.columns) >= {"fill", "mean", "sd", "learned_pct"}
    s = validation.learned_score(lw, judge)
    by_hand = (
        lw.loc["x", "coef"] * (judge["x"] - lw.loc["x", "mean"]) / lw.loc["x", "sd"]
        + lw.loc["noise", "coef"]
        * (judge["noise"] - lw.loc["noise", "mean"])
        / lw.loc["noise", "sd"]
    )
    assert np.allclose(s, by_hand)
    # judged on the later period, the learned score still ranks churners
    assert validation.auc(judge.assign(score=s)) > 0.7


def test_learned_weights_leave_out_measures_with_no_values_and_say_so():
    # a measure whose table the data lacks is NA on every row: scikit-learn cannot take it
    d = learned_world().assign(nps=np.nan)
    fit, judge = validation.time_split(d, "2025-01-01")
    lw = validation.learned_weights(fit, fit["churned"], columns=["x", "nps", "noise"])
    assert list(lw.index) == ["x", "noise"]
    assert lw.attrs["left_out"] == ["nps"]
    assert lw.attrs["note"] == "left out, no values to learn from: nps"
    assert lw["learned_pct"].sum() == pytest.approx(100)
    alone = validation.learned_weights(fit, fit["churned"], columns=["x", "noise"])
    pd.testing.assert_frame_equal(lw, alone)  # the same fit as without the empty measure
    assert alone.attrs["note"] == "" and alone.attrs["left_out"] == []
    s = validation.learned_score(lw, judge)  # new rows are scored on the fitted measures
    assert s.notna().all() and validation.auc(judge.assign(score=s)) > 0.7
    with pytest.raises(DataError, match="none of the measures"):
        validation.learned_weights(fit, fit["churned"], columns=["nps"])


def test_score_history_dates_do_not_overlap():
    h = pd.DataFrame(
        {
            "account_id": "A",
            "obs_date": pd.date_range("2024-01-03", periods=60, freq="7D"),
            "score": np.linspace(80, 40, 60),
        }
    )
    ax = viz.score_history(h)
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    plt.close(ax.figure)
