"""The sBG model: formulas by hand, parameters recovered from simulated data, demo curves."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from csworkbook.value import lifetime, sbg


@pytest.fixture(scope="module")
def demo_fits(demo):
    per = lifetime.renewal_periods(demo)
    return per, lifetime.fit_groups(per, n_boot=30, seed=0)


def test_survival_and_retention_by_hand():
    a, b = 2.0, 3.0
    # P(T = 1) = a / (a + b); then P(T = t) = P(T = t - 1) (b + t - 2) / (a + b + t - 1)
    p1 = a / (a + b)
    p2 = p1 * b / (a + b + 1)
    assert sbg.survival([1, 2], a, b) == pytest.approx([1 - p1, 1 - p1 - p2])
    assert sbg.retention_rate([1, 2, 3], a, b) == pytest.approx([3 / 5, 4 / 6, 5 / 7])
    s = sbg.survival(np.arange(1, 6), a, b)
    assert s[1:] / s[:-1] == pytest.approx(sbg.retention_rate(np.arange(2, 6), a, b))


@pytest.mark.parametrize("a, b, d", [(0.7, 1.5, 0.1), (2.0, 6.0, 0.05), (0.4, 3.0, 0.2)])
def test_discounted_lifetimes_match_the_closed_forms(a, b, d):
    # Fader & Hardie (2010): DEL = 2F1(1, b; a + b; 1 / (1 + d)); DERL for a customer who has
    # made n - 1 renewals = (b + n - 1) / (a + b + n - 1) 2F1(1, b + n; a + b + n; 1 / (1 + d))
    z = 1 / (1 + d)
    assert sbg.discounted_lifetime(a, b, discount_rate=d) == pytest.approx(hyp2f1(1, b, a + b, z))
    for n in (1, 2, 5):
        closed = (b + n - 1) / (a + b + n - 1) * hyp2f1(1, b + n, a + b + n, z)
        assert sbg.derl(a, b, renewals=n - 1, discount_rate=d) == pytest.approx(closed, rel=1e-9)


def test_residual_lifetime_and_elasticity_by_hand():
    a, b = 3.0, 4.0
    # (b + n) / (a - 1): the undiscounted sum of S(t) / S(n) over later periods
    t = np.arange(1, 200_000)
    for n in (0, 2):
        tail = sbg.survival(t + n, a, b).sum() / sbg.survival(n, a, b)
        assert sbg.expected_residual_lifetime(a, b, renewals=n) == pytest.approx(tail, rel=1e-3)
    assert sbg.expected_residual_lifetime(0.9, 4.0) == float("inf")
    # with everyone alike (a, b huge at a fixed ratio) the sBG is the geometric model
    r, d = 0.8, 0.1
    big = 1e7
    geo = sbg.geometric(1 - r, discount_rate=d)
    assert sbg.derl(big * (1 - r), big * r, renewals=3, discount_rate=d) == pytest.approx(
        geo["derl"], rel=1e-4
    )
    el = sbg.retention_elasticity(big * (1 - r), big * r, renewals=0, discount_rate=d)
    assert (
        el
        == pytest.approx((1 + d) / (1 + d - r), rel=1e-4)
        == pytest.approx(geo["elasticity"], rel=1e-4)
    )
    # the elasticity is what a 1% better retention does to DERL, numerically
    a, b, e = 0.7, 1.5, 1e-6
    w = sbg._residual_weights(a, b, 1, d)
    bumped = (w * (1 + e) ** np.arange(1, len(w) + 1)).sum()
    assert (bumped / w.sum() - 1) / e == pytest.approx(
        sbg.retention_elasticity(a, b, renewals=1, discount_rate=d), rel=1e-4
    )


@pytest.mark.parametrize("alpha, beta", [(0.7, 1.5), (2.0, 6.0), (0.4, 3.0)])
@pytest.mark.parametrize("seed", range(5))
def test_maximum_likelihood_recovers_known_parameters(alpha, beta, seed):
    # stated tolerance: with 5,000 customers watched for 10 renewals, alpha and beta within
    # 20% (they trade off along a ridge) and the mean churn alpha / (alpha + beta) within 0.01
    t, c = sbg.simulate(alpha, beta, 5000, 10, seed=seed)
    m = sbg.ShiftedBetaGeometric().fit(t, c)
    assert m.alpha_ == pytest.approx(alpha, rel=0.2)
    assert m.beta_ == pytest.approx(beta, rel=0.2)
    assert m.alpha_ / (m.alpha_ + m.beta_) == pytest.approx(alpha / (alpha + beta), abs=0.01)
    assert m.n_customers_ == 5000 and m.periods_observed_ == 10


def test_fit_is_deterministic_and_bootstrap_covers_the_truth():
    t, c = sbg.simulate(0.7, 1.5, 2000, 8, seed=1)
    one, two = sbg.ShiftedBetaGeometric().fit(t, c), sbg.ShiftedBetaGeometric().fit(t, c)
    assert (one.alpha_, one.beta_, one.loglik_) == (two.alpha_, two.beta_, two.loglik_)
    boot = sbg.bootstrap(t, c, n_boot=100, seed=0)
    again = sbg.bootstrap(t, c, n_boot=100, seed=0)
    pd.testing.assert_frame_equal(boot, again)
    lo, hi = boot[["alpha", "beta"]].quantile([0.025, 0.975]).to_numpy()
    assert lo[0] < 0.7 < hi[0] and lo[1] < 1.5 < hi[1]


def test_unfittable_data_say_why():
    with pytest.raises(sbg.FitError, match="too few"):
        sbg.ShiftedBetaGeometric().fit([1, 2, 3], [True, False, False])
    with pytest.raises(sbg.FitError, match="one renewal"):
        sbg.ShiftedBetaGeometric().fit([1] * 50 + [1] * 50, [True] * 50 + [False] * 50)
    with pytest.raises(sbg.FitError, match="no customer churned"):
        sbg.ShiftedBetaGeometric().fit([3] * 50, [False] * 50)
    rng = np.random.default_rng(0)  # everyone alike: retention flat with tenure
    T = rng.geometric(0.2, 3000)
    with pytest.raises(sbg.FitError, match="constant churn rate"):
        sbg.ShiftedBetaGeometric().fit(np.minimum(T, 6), T <= 6)
    with pytest.raises(AttributeError, match="fit the model first"):
        sbg.ShiftedBetaGeometric().survival(1)


def test_demo_groups_fit_or_explain(demo_fits):
    per, fits = demo_fits
    assert set(fits.index) == {
        "enterprise, annual",
        "mid_market, annual",
        "smb, annual",
        "smb, monthly",
    }
    # annual SMB customers renew no more often in year two than in year one: no sBG, and why
    assert "constant churn rate" in fits.loc["smb, annual", "note"]
    ok = fits[fits.note == ""]
    assert len(ok) == 3
    # retention rises with tenure, and one churn rate undervalues a new customer
    assert (ok.r5 > ok.r1).all()
    assert (ok.sbg_discounted_lifetime > ok.naive_discounted_lifetime).all()
    assert (ok.sbg_discounted_lifetime_low < ok.sbg_discounted_lifetime).all()
    assert (ok.sbg_discounted_lifetime < ok.sbg_discounted_lifetime_high).all()
    book = lifetime.book_residual_value(per, fits)
    assert (book.naive_short_by > 0).all()


def test_sbg_curves_match_the_demo_cohorts(demo_fits):
    # stated tolerance: the fitted curve is within 4 points of the observed (Kaplan-Meier) curve
    # of each group wherever 30+ customers are still counted, and within 6 points of the curve
    # of every acquisition-year cohort of 10+ customers
    per, fits = demo_fits
    curves = lifetime.retention_curves(per, fits).dropna(subset=["observed", "sbg"])
    assert curves.groupby("group").size().min() >= 3
    assert (curves.observed - curves.sbg).abs().max() <= 0.04
    for group in fits.index[fits.note == ""]:
        f = fits.loc[group]
        for _, row in lifetime.cohort_retention(per, group).iterrows():
            row = row.dropna()
            fitted = sbg.survival(row.index.to_numpy(), f.alpha, f.beta)
            assert np.abs(row.to_numpy() - fitted).max() <= 0.06, (group, row.name)
