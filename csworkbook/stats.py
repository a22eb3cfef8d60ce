"""Intervals that respect how the data was sampled.

A rate over customers gets a Wilson interval. A rate over customer-dates (every customer
scored every two weeks, say) counts each customer many times, and its rows are not
independent: the honest interval resamples customers, with all their rows, and recomputes
the rate (a cluster bootstrap). The same holds for an AUC computed on customer-dates.

Everything random takes ``seed``: the same seed gives the same interval.
"""

from __future__ import annotations

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


def cluster_weights(clusters, *, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap weights per row, ``(n_boot, len(clusters))``: each replicate draws as many
    clusters as there are, with replacement, and a row counts as often as its cluster was drawn.
    """
    codes, uniques = pd.factorize(pd.Series(clusters), sort=True)
    if (codes < 0).any():
        raise ValueError("cluster ids must not be missing")
    rng = np.random.default_rng(seed)
    k = len(uniques)
    draws = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot)
    return draws[:, codes].astype(float)


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
    v = data[value].astype(float).to_numpy()
    if by is None:
        codes, groups = np.zeros(len(data), dtype=int), pd.Index(["all"])
    else:
        codes, groups = pd.factorize(data[by], sort=True)
        groups = pd.Index(groups, name=by)
    w = cluster_weights(data[cluster], n_boot=n_boot, seed=seed)
    onehot = np.zeros((len(data), len(groups)))
    onehot[np.arange(len(data)), codes] = 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = (w @ (onehot * v[:, None])) / (w @ onehot)
    lo, hi = _percentiles(reps, confidence)
    g = pd.Series(codes)
    out = pd.DataFrame(
        {
            "rows": np.bincount(codes, minlength=len(groups)),
            "customers": data[cluster].groupby(g.to_numpy()).nunique().to_numpy(),
            "events": np.bincount(codes, weights=v, minlength=len(groups)),
        },
        index=groups,
    )
    out["rate"] = out["events"] / out["rows"]
    out["low"], out["high"] = lo, hi
    return out


def weighted_auc(y, score, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of ``score`` for binary ``y`` under each row of ``weights`` (ties count half).

    With ``weights`` of ones this is the usual AUC; with bootstrap weights it is the AUC of
    each replicate, all computed in one sort.
    """
    y = np.asarray(y, dtype=bool)
    s = np.asarray(score, dtype=float)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    order = np.argsort(s, kind="stable")
    s, y, w = s[order], y[order], w[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * ~y, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


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

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> out = clustered_auc(y, {"a": np.array([.1, .2, .8, .9, .3, .7])}, list("aabbcc"), n_boot=50)
    >>> float(out.loc["a", "auc"])
    1.0
    """
    w = cluster_weights(clusters, n_boot=n_boot, seed=seed)
    ones = np.ones((1, len(w[0])))
    reps = {k: weighted_auc(y, s, w) for k, s in scores.items()}
    rows = []
    for k, s in scores.items():
        row = {"model": k, "auc": float(weighted_auc(y, s, ones)[0])}
        row["low"], row["high"] = _percentiles(reps[k], confidence)
        if baseline is not None:
            row["vs_" + baseline] = row["auc"] - float(weighted_auc(y, scores[baseline], ones)[0])
            d = reps[k] - reps[baseline]
            row["diff_low"], row["diff_high"] = _percentiles(d, confidence)
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")
