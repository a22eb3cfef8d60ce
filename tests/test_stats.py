"""Intervals at the right grain: customers, not customer-dates."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from csworkbook.retention.metrics import nps, nps_table
from csworkbook.stats import cluster_weights, clustered_auc, clustered_rates, wilson_interval


def weighted_auc(y, score, weights):
    """Brute-force reference: AUC under each row of row-level ``weights`` (ties half)."""
    y, s = np.asarray(y, dtype=bool), np.asarray(score, dtype=float)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    order = np.argsort(s, kind="stable")
    s, y, w = s[order], y[order], w[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * ~y, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def reference_rates(d, value, by, n_boot, seed):
    """Brute-force reference: every row weighted by its customer's draws."""
    w = cluster_weights(d["account_id"], n_boot=n_boot, seed=seed)
    codes, groups = (
        (np.zeros(len(d), int), ["all"]) if by is None else pd.factorize(d[by], sort=True)
    )
    onehot = np.eye(len(groups))[codes]
    reps = (w @ (onehot * d[value].to_numpy(float)[:, None])) / (w @ onehot)
    return np.quantile(reps, [0.025, 0.975], axis=0)


def test_reference_auc_with_unit_weights_is_the_usual_auc_ties_included():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(size=300) + y, 1)  # rounding makes many ties
    assert weighted_auc(y, s, np.ones((1, 300)))[0] == pytest.approx(roc_auc_score(y, s))


def test_reference_auc_with_integer_weights_equals_repeating_rows():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 50)
    s = rng.normal(size=50) + y
    w = rng.integers(0, 4, 50)
    repeated = roc_auc_score(np.repeat(y, w), np.repeat(s, w))
    assert weighted_auc(y, s, w[None, :])[0] == pytest.approx(repeated)


def test_cluster_weights_draw_whole_customers():
    w = cluster_weights(["a", "a", "b", "c", "c", "c"], n_boot=200, seed=0)
    assert w.shape == (200, 6)
    # rows of one customer always share a weight, and each replicate draws 3 customers
    assert (w[:, 0] == w[:, 1]).all() and (w[:, 3] == w[:, 5]).all()
    assert (w[:, [0, 2, 3]].sum(axis=1) == 3).all()
    assert np.array_equal(w, cluster_weights(["a", "a", "b", "c", "c", "c"], n_boot=200, seed=0))


def test_repeated_rows_of_one_customer_widen_the_interval():
    # 40 customers, 25 rows each; a customer either always churns (10) or never (30)
    acc = np.repeat(np.arange(40), 25)
    churned = np.repeat(np.r_[np.ones(10), np.zeros(30)], 25)
    d = pd.DataFrame({"account_id": acc, "churned": churned})
    r = clustered_rates(d, value="churned", cluster="account_id", n_boot=2000, seed=3)
    assert r.loc["all", "rows"] == 1000 and r.loc["all", "customers"] == 40
    assert r.loc["all", "rate"] == 0.25
    rows_lo, rows_hi = wilson_interval(250, 1000)
    width = r.loc["all", "high"] - r.loc["all", "low"]
    # the honest interval is about that of 40 customers, far wider than 1,000 rows suggest
    assert width > 3 * (rows_hi - rows_lo)
    lo, hi = wilson_interval(10, 40)
    assert width == pytest.approx(hi - lo, rel=0.35)


def test_clustered_rates_by_group_count_rows_and_customers():
    d = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "b", "c"],
            "band": ["red", "green", "red", "red", "green"],
            "churned": [True, False, True, False, False],
        }
    )
    r = clustered_rates(d, value="churned", cluster="account_id", by="band", n_boot=100)
    assert r.loc["red", ["rows", "customers", "events"]].tolist() == [3, 2, 2]
    assert r.loc["red", "rate"] == pytest.approx(2 / 3)
    assert r.loc["green", "rate"] == 0.0
    assert (r["low"] <= r["rate"]).all() and (r["rate"] <= r["high"]).all()


def test_clustered_auc_difference_excludes_zero_only_when_one_score_is_better():
    rng = np.random.default_rng(4)
    acc = np.repeat(np.arange(300), 4)
    risk = np.repeat(rng.normal(size=300), 4)
    y = rng.random(1200) < 1 / (1 + np.exp(-(2 * risk - 2)))
    good = risk + rng.normal(scale=0.3, size=1200)
    noise = rng.normal(size=1200)
    out = clustered_auc(
        y, {"noise": noise, "good": good, "good too": good + 1e-9}, acc, baseline="noise"
    )
    assert out.loc["good", "auc"] == pytest.approx(roc_auc_score(y, good))
    assert out.loc["good", "diff_low"] > 0.1
    assert out.loc["noise", "vs_noise"] == 0
    assert out.loc["good", "low"] < out.loc["good", "auc"] < out.loc["good", "high"]


def test_nps_is_promoters_minus_detractors_not_the_mean():
    scores = [10, 10, 9, 8, 7, 6, 0]
    assert nps(scores) == pytest.approx(100 * (3 / 7 - 2 / 7))
    assert nps([7, 8, 7, 8]) == 0  # all passives: NPS 0 whatever the mean (7.5)
    assert np.isnan(nps([]))


def test_nps_table_counts_answers_and_customers():
    r = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "c", "c", "c"],
            "segment": ["x", "x", "x", "y", "y", "y"],
            "score": [10, 9, 3, 8, 7, 10],
        }
    )
    t = nps_table(r, by="segment", n_boot=200)
    assert t.loc["x", ["answers", "customers"]].tolist() == [3, 2]
    assert t.loc["x", "nps"] == pytest.approx(100 * (2 / 3 - 1 / 3))
    assert t.loc["y", "passives"] == pytest.approx(2 / 3)
    assert t.loc["y", "mean_score"] == pytest.approx(25 / 3)
    assert t.loc["y", "nps"] == pytest.approx(100 / 3)


@pytest.mark.parametrize("by", [None, "band"])
def test_clustered_rates_equal_weighting_every_row_by_its_customer(by):
    rng = np.random.default_rng(7)
    n = 3000
    d = pd.DataFrame(
        {
            "account_id": rng.choice([f"A{i:03d}" for i in range(150)], size=n),
            "band": rng.choice(["red", "yellow", "green"], size=n),
            "churned": rng.random(n) < 0.1,
            "count": rng.integers(0, 14, size=n),
        }
    )
    for value in ("churned", "count"):
        r = clustered_rates(d, value=value, cluster="account_id", by=by, n_boot=300, seed=4)
        lo, hi = reference_rates(d, value, by, 300, 4)
        np.testing.assert_allclose(r["low"].to_numpy(), lo, rtol=1e-12)
        np.testing.assert_allclose(r["high"].to_numpy(), hi, rtol=1e-12)


def test_clustered_auc_equals_weighting_every_row_by_its_customer():
    rng = np.random.default_rng(8)
    n = 2000
    y = rng.random(n) < 0.15
    acc = rng.choice(np.arange(120), size=n)
    scores = {"a": np.round(rng.normal(size=n) + y, 1), "b": rng.integers(0, 5, size=n) + 0.0}
    w = cluster_weights(acc, n_boot=150, seed=2)
    for yy in (y, ~y):  # more positives than negatives counts pairs from the other side
        out = clustered_auc(yy, scores, acc, baseline="b", n_boot=150, seed=2)
        reps = {k: weighted_auc(yy, s, w) for k, s in scores.items()}
        assert out.loc["a", "auc"] == pytest.approx(roc_auc_score(yy, scores["a"]), abs=1e-12)
        np.testing.assert_allclose(
            [out.loc["a", "low"], out.loc["a", "high"]],
            np.quantile(reps["a"], [0.025, 0.975]),
            rtol=0,
            atol=1e-12,
        )
        diff = np.quantile(reps["a"] - reps["b"], [0.025, 0.975])
        np.testing.assert_allclose(
            out.loc["a", ["diff_low", "diff_high"]].to_numpy(float), diff, atol=1e-12
        )


def test_rows_without_a_group_are_left_out():
    d = pd.DataFrame(
        {"account_id": list("aabc"), "band": ["red", None, "red", "green"], "x": [1, 0, 0, 1]}
    )
    r = clustered_rates(d, value="x", cluster="account_id", by="band", n_boot=20)
    assert r["rows"].sum() == 3
