"""How long customers stay: the shifted-beta-geometric (sBG) model of contractual retention.

Fader & Hardie, "How to project customer retention" (Journal of Interactive Marketing, 2007).
Each customer renews every period with its own probability ``1 - theta``; ``theta`` varies
between customers as a Beta(alpha, beta). The customers most likely to leave leave first, so
the retention rate of the survivors rises with tenure,

    r_t = (beta + t - 1) / (alpha + beta + t - 1),

and a lifetime computed from one average churn rate (``1 / churn``) is biased: the average is
dominated by the early periods, while the customers still here renew more often than that.

A customer's *period count* ``T`` is the number of periods it paid for: ``T = t`` means it
left at the ``t``-th renewal. ``S(t) = P(T > t)`` is the share still a customer after ``t``
renewals. Data are one row per customer: ``periods`` and ``churned`` (True: ``T = periods``;
False: still a customer after ``periods`` renewals, i.e. ``T > periods``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, zeta

BOUND = 9.0  # |log alpha|, |log beta| at most this: beyond it retention is flat (no heterogeneity)
FLAT = BOUND + 1  # beyond this the likelihood surface is held flat, so an optimiser stops there
GEOMETRIC = 1e8  # alpha + beta standing for the constant-churn limit (relative error ~1e-8)
HORIZON = 5000  # periods summed for discounted values; the tail beyond is below 1e-9


class FitError(ValueError):
    """An sBG fit that cannot be trusted: too little data, or no optimum inside the bounds."""


def _counts(periods, churned, weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers lost in each period (index t) and still here after t periods (censored)."""
    t = np.asarray(periods, dtype=np.int64)
    c = np.asarray(churned, dtype=bool)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    if len(t) != len(c) or len(t) != len(w):
        raise ValueError("periods, churned and weights must have the same length")
    if (t[c & (w > 0)] < 1).any() or (t < 0).any():
        raise ValueError("a churned customer paid for at least one period (periods >= 1)")
    size = int(t.max()) + 1 if len(t) else 1
    lost = np.bincount(t[c], weights=w[c], minlength=size)
    alive = np.bincount(t[~c], weights=w[~c], minlength=size)
    return np.arange(size), lost, alive


def _loglik(theta: np.ndarray, t, lost, alive, hessian: bool = False):
    """Log-likelihood, its gradient and (optionally) Hessian in (log alpha, log beta).

    Beyond ``|log| > FLAT`` the surface is held flat (and finite): an optimiser drifting
    towards infinity, as it does when retention is flat, stops there instead of overflowing."""
    inside = np.abs(theta) < FLAT
    theta = np.clip(theta, -FLAT, FLAT)
    a, b = np.exp(theta)
    tl, nl = t[1:], lost[1:]
    base = betaln(a, b)
    ll = np.sum(nl * (betaln(a + 1, b + tl - 1) - base)) + np.sum(alive * (betaln(a, b + t) - base))
    ab = digamma(a + b)
    da, db = digamma(a) - ab, digamma(b) - ab
    ga = np.sum(nl * (digamma(a + 1) - digamma(a + b + tl) - da))
    ga += np.sum(alive * (ab - digamma(a + b + t)))
    gb = np.sum(nl * (digamma(b + tl - 1) - digamma(a + b + tl) - db))
    gb += np.sum(alive * (digamma(b + t) - digamma(a + b + t) - db))
    grad = np.array([ga * a, gb * b]) * inside
    if not hessian:
        return float(ll), grad
    p1 = lambda x: zeta(2, x)  # noqa: E731  (the trigamma function)
    ab1 = p1(a + b)
    cross = np.sum(nl * (ab1 - p1(a + b + tl))) + np.sum(alive * (ab1 - p1(a + b + t)))
    haa = np.sum(nl * (p1(a + 1) - p1(a + b + tl) - p1(a) + ab1))
    haa += np.sum(alive * (ab1 - p1(a + b + t)))
    hbb = np.sum(nl * (p1(b + tl - 1) - p1(a + b + tl) - p1(b) + ab1))
    hbb += np.sum(alive * (p1(b + t) - p1(a + b + t) - p1(b) + ab1))
    hess = np.array([[a * a * haa + ga * a, a * b * cross], [a * b * cross, b * b * hbb + gb * b]])
    return float(ll), grad, hess * np.outer(inside, inside)


def _grid_start(t, lost, alive) -> np.ndarray:
    """The best of a coarse grid of (log alpha, log beta): the start never depends on luck."""
    g = np.linspace(-3, 5, 9)
    a, b = (np.exp(v).ravel()[:, None] for v in np.meshgrid(g, g, indexing="ij"))
    base = betaln(a, b)
    ll = (lost[1:] * (betaln(a + 1, b + t[1:] - 1) - base)).sum(axis=1)
    ll += (alive * (betaln(a, b + t) - base)).sum(axis=1)
    i = int(np.argmax(ll))
    return np.log([a[i, 0], b[i, 0]])


def _fit_counts(t, lost, alive, start=None):
    """Maximise the log-likelihood by Newton steps inside a trust region (exact Hessian)."""
    start = _grid_start(t, lost, alive) if start is None else np.asarray(start, dtype=float)
    memo = {}

    def at(theta):  # value, gradient and Hessian together, once per point the optimiser visits
        key = theta.tobytes()
        if key not in memo:
            memo.clear()
            ll, g, h = _loglik(theta, t, lost, alive, hessian=True)
            memo[key] = (-ll, -g, -h)
        return memo[key]

    def drifting(intermediate_result):  # past the bound retention is flat: no need to go on
        if (np.abs(intermediate_result.x) >= BOUND).any():
            raise StopIteration

    res = minimize(
        lambda th: at(th)[0],
        start,
        jac=lambda th: at(th)[1],
        hess=lambda th: at(th)[2],
        method="trust-exact",
        options={"maxiter": 200, "gtol": 1e-8},
        callback=drifting,
    )
    return res.x, -float(res.fun), res


class ShiftedBetaGeometric:
    """The sBG model of contractual retention, fitted by maximum likelihood.

    Parameters
    ----------
    min_customers : int, default 30
        Fewer customers than this raise :class:`FitError` (say so rather than fit noise).
    min_periods : int, default 2
        Renewal periods that must have customers at risk: with one, every model with the same
        first-period churn fits equally well and heterogeneity cannot be seen.

    Attributes
    ----------
    alpha_, beta_ : float
        Beta(alpha, beta) distribution of the per-period churn probability across customers.
    loglik_ : float
        Maximised log-likelihood.
    n_customers_, n_churned_ : int
        Customers fitted, and how many of them churned.
    periods_observed_ : int
        Highest period with a customer at risk.

    Examples
    --------
    >>> m = ShiftedBetaGeometric().fit(*simulate(0.7, 1.5, 2000, 8, seed=1))
    >>> round(m.alpha_, 1), round(m.beta_, 1)
    (0.7, 1.5)
    >>> m.retention_rate([1, 2, 5]).round(2).tolist()
    [0.68, 0.78, 0.89]
    """

    def __init__(self, *, min_customers: int = 30, min_periods: int = 2):
        self.min_customers = min_customers
        self.min_periods = min_periods

    def fit(self, periods, churned, weights=None, *, start=None):
        """Fit on one row per customer: ``periods`` paid and whether it ``churned`` then
        (``weights`` counts customers per row; ``start``, log alpha and log beta to start
        from, skips the grid search)."""
        t, lost, alive = _counts(periods, churned, weights)
        n = lost.sum() + alive.sum()
        # renewal t was faced by every customer lost at t or later, or still here after t
        faced = (lost + alive)[::-1].cumsum()[::-1][1:]
        seen = int(np.flatnonzero(faced > 0).max()) + 1 if (faced > 0).any() else 0
        if n < self.min_customers:
            raise FitError(
                f"only {n:.0f} customers (at least {self.min_customers} needed): too few to "
                "separate how much customers differ from how often they leave"
            )
        if seen < self.min_periods:
            raise FitError(
                f"renewals observed in {seen} period(s), at least {self.min_periods} needed: with "
                "one renewal per customer any churn distribution with the same average fits"
            )
        if lost.sum() == 0:
            raise FitError("no customer churned: the churn rate cannot be estimated (it is 0)")
        theta, ll, res = _fit_counts(t, lost, alive, start)
        _, grad = _loglik(theta, t, lost, alive)
        at_bound = np.abs(theta) >= BOUND
        if at_bound.any():
            raise FitError(
                "the likelihood keeps rising towards alpha, beta -> infinity: retention does not "
                "rise with tenure in these data, so a constant churn rate (1 / churn) fits as "
                "well as the sBG and its parameters are not identified"
            )
        # judged by the gradient: an optimiser may stop "abnormally" once no step improves the
        # log-likelihood in floating point, which at a zero gradient is the optimum
        if np.max(np.abs(grad)) > 1e-6 * n:
            raise FitError(
                f"the sBG fit did not converge ({res.message}); the gradient is still {grad}"
            )
        self.alpha_, self.beta_ = (float(v) for v in np.exp(theta))
        self.loglik_ = ll
        self.n_customers_ = int(round(n))
        self.n_churned_ = int(round(lost.sum()))
        self.periods_observed_ = seen
        return self

    # -- what the fitted model says ------------------------------------------------------

    def _check(self):
        if not hasattr(self, "alpha_"):
            raise AttributeError(
                "fit the model first: ShiftedBetaGeometric().fit(periods, churned)"
            )
        return self.alpha_, self.beta_

    def survival(self, t) -> np.ndarray:
        """Share of a new cohort still a customer after ``t`` renewals, ``S(t)``."""
        return survival(t, *self._check())

    def retention_rate(self, t) -> np.ndarray:
        """Share of the customers who reached renewal ``t`` (>= 1) that renew, ``r_t``."""
        return retention_rate(t, *self._check())

    def expected_lifetime(self) -> float:
        """Mean periods paid by a new customer (infinite when ``alpha <= 1``)."""
        return expected_residual_lifetime(*self._check(), renewals=0) + 1

    def residual_lifetime(self, renewals: int) -> float:
        """Mean further periods of a customer about to face renewal ``renewals + 1``."""
        return expected_residual_lifetime(*self._check(), renewals=renewals)

    def derl(self, renewals: int, discount_rate: float) -> float:
        """Discounted expected residual lifetime (periods) of a customer who has made
        ``renewals`` renewals and is about to decide on the next; see :func:`derl`."""
        return derl(*self._check(), renewals=renewals, discount_rate=discount_rate)

    def discounted_lifetime(self, discount_rate: float) -> float:
        """Discounted expected lifetime of a new customer, paying now (DEL)."""
        return discounted_lifetime(*self._check(), discount_rate=discount_rate)

    def retention_elasticity(self, renewals: int, discount_rate: float) -> float:
        """% change in DERL for a 1% higher retention rate; see :func:`retention_elasticity`."""
        return retention_elasticity(*self._check(), renewals=renewals, discount_rate=discount_rate)


# -- the model's formulas, for any (alpha, beta) -------------------------------------------


def survival(t, alpha: float, beta: float) -> np.ndarray:
    """``S(t) = B(alpha, beta + t) / B(alpha, beta)``.

    >>> survival([0, 1, 2], 1.0, 1.0).round(3).tolist()
    [1.0, 0.5, 0.333]
    """
    t = np.asarray(t, dtype=float)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def retention_rate(t, alpha: float, beta: float) -> np.ndarray:
    """``r_t = (beta + t - 1) / (alpha + beta + t - 1)`` for renewal ``t >= 1``.

    >>> retention_rate([1, 2, 10], 1.0, 1.0).round(3).tolist()
    [0.5, 0.667, 0.909]
    """
    t = np.asarray(t, dtype=float)
    return (beta + t - 1) / (alpha + beta + t - 1)


def expected_residual_lifetime(alpha: float, beta: float, *, renewals: int = 0) -> float:
    """Mean further periods paid by a customer who has renewed ``renewals`` times and is about
    to decide on the next renewal: ``(beta + renewals) / (alpha - 1)``, infinite for
    ``alpha <= 1`` (the most loyal customers practically never leave).

    >>> expected_residual_lifetime(3.0, 4.0)
    2.0
    """
    if alpha <= 1:
        return float("inf")
    return (beta + renewals) / (alpha - 1)


def _residual_weights(alpha, beta, renewals, discount_rate, horizon=HORIZON):
    """``S(t) / S(renewals) / (1 + d) ** (t - renewals - 1)`` for ``t = renewals + 1, ...``:
    the chance of still paying at each later period, discounted to the coming renewal."""
    t = np.arange(renewals + 1, renewals + 1 + horizon, dtype=float)
    log_r = np.log(retention_rate(t, alpha, beta))
    log_s = np.cumsum(log_r)  # S(t) / S(renewals)
    return np.exp(log_s - (t - renewals - 1) * np.log1p(discount_rate))


def derl(alpha: float, beta: float, *, renewals: int, discount_rate: float) -> float:
    """Discounted expected residual lifetime, in periods (Fader & Hardie 2010).

    A customer who has renewed ``renewals`` times and now faces the next renewal: the sum over
    later periods of the chance of still paying then, discounted to the coming renewal date.
    Multiply by the margin a period brings to get its residual value.

    >>> round(derl(1e6, 1e6 * 0.8 / 0.2, renewals=0, discount_rate=0.1), 3)  # r = 0.8 for all
    2.933
    """
    if discount_rate <= 0:
        raise ValueError("discount_rate must be above 0 (undiscounted: expected_residual_lifetime)")
    return float(_residual_weights(alpha, beta, renewals, discount_rate).sum())


def discounted_lifetime(alpha: float, beta: float, *, discount_rate: float) -> float:
    """Discounted expected lifetime of a new customer, who pays now (DEL): ``1 + DERL(0)
    / (1 + d)``.

    >>> round(discounted_lifetime(1e6, 1e6 * 0.8 / 0.2, discount_rate=0.1), 3)  # (1+d)/(1+d-r)
    3.667
    """
    return 1 + derl(alpha, beta, renewals=0, discount_rate=discount_rate) / (1 + discount_rate)


def retention_elasticity(
    alpha: float, beta: float, *, renewals: int, discount_rate: float
) -> float:
    """% increase in DERL for a 1% increase in every customer's retention probability.

    Raising each customer's renewal probability by a factor ``1 + e`` multiplies the chance
    of paying ``j`` periods from now by ``(1 + e) ** j``; the elasticity is the
    DERL-weighted mean of ``j``. With a constant retention rate ``r`` it is
    ``(1 + d) / (1 + d - r)``.

    >>> round(retention_elasticity(1e6, 4e6, renewals=0, discount_rate=0.1), 3)
    3.667
    """
    w = _residual_weights(alpha, beta, renewals, discount_rate)
    j = np.arange(1, len(w) + 1)
    return float((j * w).sum() / w.sum())


def geometric(churn: float, *, discount_rate: float) -> dict:
    """The constant-churn model (every customer alike): lifetime ``1 / churn`` periods, and
    the same quantities as the sBG for comparison.

    >>> {k: round(v, 3) for k, v in geometric(0.2, discount_rate=0.1).items()}
    {'lifetime': 5.0, 'residual_lifetime': 4.0, 'discounted_lifetime': 3.667, 'derl': 2.933, 'elasticity': 3.667}
    """
    r, d = 1 - churn, discount_rate
    return {
        "lifetime": 1 / churn,
        "residual_lifetime": r / churn,
        "discounted_lifetime": (1 + d) / (1 + d - r),
        "derl": r * (1 + d) / (1 + d - r),
        "elasticity": (1 + d) / (1 + d - r),
    }


def geometric_churn(periods, churned) -> float:
    """Churn per renewal if every customer were alike: churned / renewal decisions seen (the
    geometric model's maximum-likelihood estimate on the same data).

    >>> geometric_churn([1, 2, 2], [True, True, False])
    0.4
    """
    t = np.asarray(periods)
    c = np.asarray(churned, dtype=bool)
    decisions = t[c].sum() + t[~c].sum()  # a churner decided T times, a survivor t times
    return float(c.sum() / decisions)


def simulate(alpha: float, beta: float, n: int, periods: int, *, seed: int = 0):
    """Customers drawn from an sBG, watched for ``periods`` renewals: ``(periods, churned)``.

    >>> t, c = simulate(1.0, 2.0, 5, 3, seed=0)
    >>> len(t), bool(t.max() <= 3)
    (5, True)
    """
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, n)
    T = rng.geometric(np.clip(theta, 1e-12, 1))
    churned = periods >= T
    return np.where(churned, T, periods), churned


def bootstrap(periods, churned, *, n_boot: int = 200, seed: int = 0, model=None) -> pd.DataFrame:
    """Refit on customers drawn with replacement: one row per replicate (``alpha``, ``beta``,
    ``flat``), for percentile intervals of anything computed from them.

    A replicate whose retention does not rise with tenure has its maximum at the geometric
    limit (alpha, beta -> infinity at a fixed ratio); it is kept there (alpha + beta =
    :data:`GEOMETRIC`, at its pooled churn rate) and marked ``flat``: dropping it would
    pretend the data always show heterogeneity.

    >>> t, c = simulate(0.7, 1.5, 500, 6, seed=2)
    >>> b = bootstrap(t, c, n_boot=20, seed=0)
    >>> len(b), bool(b.flat.any())
    (20, False)
    """
    model = model or ShiftedBetaGeometric()
    full = ShiftedBetaGeometric(min_customers=model.min_customers, min_periods=model.min_periods)
    full.fit(periods, churned)
    start = np.log([full.alpha_, full.beta_])
    t, lost, alive = _counts(periods, churned)
    cells = np.r_[lost, alive]
    n = int(round(cells.sum()))
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, cells / cells.sum(), size=n_boot)
    rows = []
    for d in draws:
        k = len(lost)
        if d[:k].sum() == 0:
            continue  # nobody churned in this draw: no churn rate at all
        theta, _, _ = _fit_counts(t, d[:k].astype(float), d[k:].astype(float), start)
        _, grad = _loglik(theta, t, d[:k].astype(float), d[k:].astype(float))
        flat = bool((np.abs(theta) >= BOUND).any())
        if not flat and np.max(np.abs(grad)) > 1e-6 * n:
            continue
        if flat:  # the geometric limit itself: everyone alike, churning at the pooled rate
            churn = d[:k].sum() / (t * (d[:k] + d[k:])).sum()
            a, b = churn * GEOMETRIC, (1 - churn) * GEOMETRIC
        else:
            a, b = np.exp(theta)
        rows.append({"alpha": a, "beta": b, "flat": flat})
    return pd.DataFrame(rows, columns=["alpha", "beta", "flat"])
