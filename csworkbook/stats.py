"""Intervals that respect how the data was sampled.

A rate over customers gets a Wilson interval. A rate over customer-dates (every customer
scored every two weeks, say) counts each customer many times, and its rows are not
independent: the honest interval resamples customers, with all their rows, and recomputes
the rate (a cluster bootstrap). The same holds for an AUC computed on customer-dates.

Everything random takes ``seed``: the same seed gives the same interval.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.stats import norm


def wilson_interval(events, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion of independent units (e.g. customers).

    Examples
    --------
    >>> lo, hi = wilson_interval(5, 50)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0435, 0.2136)
    """
    k = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


@lru_cache(maxsize=8)
def _draws(k: int, n_boot: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot).astype(float)
    draws.flags.writeable = False  # cached and shared: nobody may change it
    return draws


def cluster_draws(clusters, *, n_boot: int, seed: int) -> tuple:
    """How often each cluster is drawn in each bootstrap replicate.

    Returns ``(codes, uniques, draws)``: each row's cluster code, the ``k`` distinct clusters
    in sorted order, and ``draws`` of shape ``(n_boot, k)``, each replicate drawing ``k``
    clusters with replacement. Replicates depend only on ``k`` and ``seed``, so every table computed
    on the same customers with the same seed uses the same replicates (paired comparisons).
    """
    codes, uniques = pd.factorize(pd.Series(clusters), sort=True)
    if (codes < 0).any():
        raise ValueError("cluster ids must not be missing")
    return codes, uniques, _draws(len(uniques), n_boot, seed)


def cluster_weights(clusters, *, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap weights per row, ``(n_boot, len(clusters))``: each replicate draws as many
    clusters as there are, with replacement, and a row counts as often as its cluster was drawn.
    """
    codes, _, draws = cluster_draws(clusters, n_boot=n_boot, seed=seed)
    return draws[:, codes]


def _percentiles(reps: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1 - confidence) / 2
    lo, hi = np.nanquantile(reps, [alpha, 1 - alpha], axis=0)
    return lo, hi


def clustered_rates(
    data: pd.DataFrame,
    *,
    value: str,
    cluster: str,
    by: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean of ``value`` (a 0/1 event gives a rate) per group, with an interval from
    resampling whole clusters (customers) rather than rows.

    Parameters
    ----------
    data : DataFrame
        One row per observation (e.g. customer-date).
    value : str
        Column averaged: booleans give a rate.
    cluster : str
        Column naming the unit that was sampled (usually ``account_id``).
    by : str, optional
        Column to group by; without it, one row for all data.
    n_boot, confidence, seed
        Replicates, interval level and random seed.

    Returns
    -------
    DataFrame with ``rows`` (observations), ``customers`` (distinct clusters), ``events``
    (sum of ``value``), ``rate``, ``low`` and ``high``; indexed by ``by``'s groups.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"account_id": list("aabbccdd"), "churned": [1, 1, 0, 0, 0, 0, 1, 0]})
    >>> r = clustered_rates(d, value="churned", cluster="account_id", n_boot=200)
    >>> r[["rows", "customers", "events", "rate"]].to_dict("records")
    [{'rows': 8, 'customers': 4, 'events': 3.0, 'rate': 0.375}]
    """
    if by is not None:
        data = data[data[by].notna()]
    v = data[value].astype(float).to_numpy()
    if by is None:
        codes, groups = np.zeros(len(data), dtype=np.int64), pd.Index(["all"])
    else:
        codes, groups = pd.factorize(data[by], sort=True)
        groups = pd.Index(groups, name=by)
    cust, _, draws = cluster_draws(data[cluster], n_boot=n_boot, seed=seed)
    k, n_groups = draws.shape[1], len(groups)
    # sums per customer and group: the replicates weight customers, not rows, so a backtest
    # of 30,000 customer-dates bootstraps 1,000 times without a replicates x rows matrix
    cell = cust.astype(np.int64) * n_groups + codes
    sums = np.bincount(cell, weights=v, minlength=k * n_groups).reshape(k, n_groups)
    rows = np.bincount(cell, minlength=k * n_groups).reshape(k, n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = (draws @ sums) / (draws @ rows)
    lo, hi = _percentiles(reps, confidence)
    out = pd.DataFrame(
        {
            "rows": rows.sum(axis=0).astype(np.int64),
            "customers": (rows > 0).sum(axis=0),
            "events": sums.sum(axis=0),
        },
        index=groups,
    )
    out["rate"] = out["events"] / out["rows"]
    out["low"], out["high"] = lo, hi
    return out


def _pair_counts(y: np.ndarray, s: np.ndarray, cust: np.ndarray, k: int):
    """Customer-by-customer pair counts behind a clustered AUC.

    Returns ``(present, K)``: ``K[i, d]`` counts the pairs of a row of the smaller class at
    customer ``present[i]`` and a row of the other class at customer ``d`` that ``s`` orders
    as an AUC does (positive higher; ties count half). With customer weights ``w`` the
    weighted count of correctly ordered pairs is ``w[present] @ K @ w`` either way round."""
    from scipy.sparse import csr_matrix

    small, large = (y, ~y) if y.sum() <= (~y).sum() else (~y, y)
    sign = 1.0 if small is y else -1.0
    order = np.argsort(sign * s[large], kind="stable")
    sl, cl = sign * s[large][order], cust[large][order]
    ss, cs = sign * s[small], cust[small]
    left, right = np.searchsorted(sl, ss, "left"), np.searchsorted(sl, ss, "right")
    pts = np.unique(np.r_[left, right])
    n_pts = len(pts) + 1
    # every row of the other class falls in a segment between two such positions ...
    seg = np.searchsorted(pts, np.arange(len(sl)), side="right")
    other = csr_matrix((np.ones(len(sl), dtype=np.int64), (cl, seg)), shape=(k, n_pts))
    # ... and is counted by every row of the smaller class that sits at or above its segment
    present, row = np.unique(cs, return_inverse=True)
    at = np.r_[row, row] * n_pts + np.r_[np.searchsorted(pts, left), np.searchsorted(pts, right)]
    hits = np.bincount(at, minlength=len(present) * n_pts).reshape(len(present), n_pts)
    above = hits[:, ::-1].cumsum(axis=1)[:, ::-1]
    return present, 0.5 * (other @ np.ascontiguousarray(above.T)).T


def clustered_auc(
    y,
    scores: dict[str, np.ndarray],
    clusters,
    *,
    baseline: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """AUC of each score with an interval from resampling customers, and, with
    ``baseline``, each score's AUC difference from it on the same replicates (paired).

    Computed from customer-by-customer counts of correctly ordered pairs, so 1,000
    replicates of 30,000 customer-dates take a fraction of a second; every sum is one of
    whole numbers and halves, so the figures are the same on any machine.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> out = clustered_auc(y, {"a": np.array([.1, .2, .8, .9, .3, .7])}, list("aabbcc"), n_boot=50)
    >>> float(out.loc["a", "auc"])
    1.0
    """
    y = np.asarray(y, dtype=bool)
    cust, _, draws = cluster_draws(clusters, n_boot=n_boot, seed=seed)
    k = draws.shape[1]
    pos = np.bincount(cust, weights=y, minlength=k)
    neg = np.bincount(cust, weights=~y, minlength=k)
    ones = np.ones((1, k))

    def aucs(present, K, W):
        with np.errstate(invalid="ignore", divide="ignore"):
            return ((W[:, present] @ K) * W).sum(axis=1) / ((W @ pos) * (W @ neg))

    point, reps = {}, {}
    for name, s in scores.items():
        present, K = _pair_counts(y, np.asarray(s, dtype=float), cust, k)
        point[name] = float(aucs(present, K, ones)[0])
        reps[name] = aucs(present, K, draws)
    rows = []
    for name in scores:
        row = {"model": name, "auc": point[name]}
        row["low"], row["high"] = _percentiles(reps[name], confidence)
        if baseline is not None:
            row["vs_" + baseline] = point[name] - point[baseline]
            row["diff_low"], row["diff_high"] = _percentiles(
                reps[name] - reps[baseline], confidence
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")
