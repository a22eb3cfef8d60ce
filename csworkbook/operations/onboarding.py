"""Time to value (principle 7): onboarding milestones, how fast customers reach value, and
what that speed has to do with their first renewal.

Milestones (``kickoff``, ``integrated``, ``first_value``, ``team_rollout``) are dated per
customer; :func:`milestone_days` turns them into days since the first contract, the rest reads
that table::

    days = onboarding.milestone_days(cs)
    onboarding.funnel(days)                      # share reaching each milestone, time between
    onboarding.ttv_by(days)                      # time to first value per segment
    renewals = onboarding.first_renewals(cs, days)
    onboarding.milestone_candidates(renewals)    # which milestone, by when, tells renewals apart
    onboarding.shave_value(renewals, [7, 14])    # retained ARR if value came N days sooner

Segments onboard at different speeds (an enterprise roll-out is not an SMB sign-up), so speed
is also read relative to the segment's median: 1.0 is typical, 2.0 twice as slow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..retention.survival import lifetimes
from ..stats import cluster_weights, clustered_auc, wilson_interval

MILESTONES = ("kickoff", "integrated", "first_value", "team_rollout")
SPEED_CUTS = (0.75, 1.5)  # x the segment's median time to value: fast / typical / slow
SPEED_BANDS = ("fast", "typical", "slow")
RATIO_CAP = 4.0  # a customer 10x slower than typical is not 10x more at risk: cap the ratio


def milestone_days(ds: Dataset, *, by: str = "segment") -> pd.DataFrame:
    """Days from each customer's first contract to each milestone (NaN: not reached).

    Returns one row per account with ``by`` (the segment), ``start`` (first contract),
    ``age_days`` (start to ``as_of``), one column per milestone in :data:`MILESTONES` that the
    data holds, ``typical`` (the median days to first value of the customer's ``by`` group)
    and ``speed``: its own days to first value over that median.

    Examples
    --------
    >>> import csworkbook
    >>> days = milestone_days(csworkbook.load("datasets/demo"))  # doctest: +SKIP
    >>> days.groupby("segment").first_value.median()             # doctest: +SKIP
    """
    ds.require("milestones", "contracts", to="time to value")
    acc = ds.accounts.set_index("account_id") if "accounts" in ds else pd.DataFrame()
    start = ds.contracts.groupby("account_id")["start_date"].min()
    out = pd.DataFrame({"start": start})
    out[by] = acc[by].reindex(out.index) if by in acc else "all"
    out["age_days"] = (ds.as_of - out["start"]).dt.days.astype(float)
    m = ds.milestones.dropna(subset=["achieved_date"])
    dated = m.groupby(["account_id", "milestone"])["achieved_date"].min().unstack()
    for name in [n for n in MILESTONES if n in dated.columns]:
        out[name] = (dated[name].reindex(out.index) - out["start"]).dt.days.astype(float)
    if "first_value" in out:
        out["typical"] = out.groupby(by)["first_value"].transform("median")
        out["speed"] = out["first_value"] / out["typical"]
    out.index.name = "account_id"
    return out


def funnel(days: pd.DataFrame, *, min_age_days: int = 180) -> pd.DataFrame:
    """Share of customers reaching each milestone, and when, among those at least
    ``min_age_days`` old (younger ones have not had the time).

    Columns: ``customers``, ``reached``, ``share`` with Wilson ``low`` / ``high``,
    ``median_days`` (from the first contract), ``median_step`` (days since the previous
    milestone, for customers who reached both) and ``before_previous`` (customers who reached
    it before the previous one: onboarding is not always a straight line).

    Examples
    --------
    >>> d = pd.DataFrame({"age_days": [200.0, 300.0, 10.0], "kickoff": [5.0, 3.0, 2.0],
    ...                   "integrated": [20.0, np.nan, np.nan]})
    >>> funnel(d)[["customers", "reached", "median_days", "median_step"]].values.tolist()
    [[2.0, 2.0, 4.0, nan], [2.0, 1.0, 20.0, 15.0]]
    """
    d = days[days["age_days"] >= min_age_days]
    rows, previous = [], None
    for name in [n for n in MILESTONES if n in d.columns]:
        reached = d[name].notna()
        row = {"milestone": name, "customers": float(len(d)), "reached": float(reached.sum())}
        row["median_days"] = d[name].median()
        if previous is None:
            row["median_step"], row["before_previous"] = np.nan, 0.0
        else:
            step = (d[name] - d[previous]).dropna()
            row["median_step"], row["before_previous"] = step.median(), float((step < 0).sum())
        rows.append(row)
        previous = name
    out = pd.DataFrame(rows).set_index("milestone")
    out["share"] = out["reached"] / out["customers"]
    out["low"], out["high"] = wilson_interval(out["reached"], out["customers"])
    cols = ["customers", "reached", "share", "low", "high", "median_days", "median_step"]
    return out[[*cols, "before_previous"]]


def ttv_by(days: pd.DataFrame, *, by: str = "segment", within=(30, 60, 90)) -> pd.DataFrame:
    """Time to first value per group: customers, how many reached it, quartiles and the 90th
    percentile in days (``days_p25``, ``days_median``…), and the share that reached it within each of ``within`` days (over
    customers at least that old, so the young ones do not count as slow).

    >>> d = pd.DataFrame({"segment": ["a"] * 4, "age_days": [400.0] * 4,
    ...                   "first_value": [10.0, 20.0, 40.0, np.nan]})
    >>> ttv_by(d, within=(30,))[["reached", "days_median", "within_30d"]].values.tolist()
    [[3.0, 20.0, 0.5]]
    """
    g = days.groupby(by, observed=True)
    out = pd.DataFrame(
        {"customers": g.size().astype(float), "reached": g["first_value"].count().astype(float)}
    )
    for name, q in (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
        out[f"days_{name}"] = g["first_value"].quantile(q)
    for n in within:
        old = days[days["age_days"] >= n]
        out[f"within_{n}d"] = (old["first_value"] <= n).groupby(old[by], observed=True).mean()
    return out


def speed_band(speed, cuts=SPEED_CUTS, labels=SPEED_BANDS) -> pd.Series:
    """Relative time to value in ordered bands: at most ``cuts[0]`` x the segment median is
    fast, above ``cuts[1]`` x slow (NaN stays NaN: value not reached).

    >>> speed_band([0.5, 0.75, 1.0, 1.5, 2.0]).tolist()
    ['fast', 'fast', 'typical', 'typical', 'slow']
    """
    s = pd.to_numeric(pd.Series(speed), errors="coerce")
    return pd.cut(s, [-np.inf, *cuts, np.inf], labels=list(labels))


def first_renewals(ds: Dataset, days: pd.DataFrame, *, min_term_months: int = 12):
    """Customers whose first contract runs ``min_term_months`` or longer, with what happened
    at its first renewal.

    Such a customer cannot leave before that renewal, so its onboarding is over before anyone
    in the group leaves: a slow customer had no head start on surviving (with month-to-month
    customers, leaving early ends the onboarding and makes "slow" look safer than it is).

    Returns ``days`` restricted to them, with ``term`` (months), ``months`` and ``churned``
    (the first spell, for survival curves), ``renewed_seen`` (the first renewal lies in the
    data), ``lost`` (gone at or before it), ``arr`` (12 x MRR in the first month) and the
    speed band.
    """
    ds.require("contracts", "mrr_monthly", to="first renewals")
    c = ds.contracts.merge(days[["start"]], left_on="account_id", right_index=True)
    term = c[c["start_date"] == c["start"]].groupby("account_id")["term_months"].min()
    life = lifetimes(ds.mrr_monthly).set_index("account_id")
    mrr = ds.mrr_monthly.groupby(["account_id", "month"])["mrr"].sum()
    first_mrr = mrr.reindex(pd.MultiIndex.from_arrays([life.index, life["start"]])).to_numpy()
    last = ds.mrr_monthly["month"].max()
    out = days.join(life[["months", "churned"]], how="inner")
    out["term"] = term.reindex(out.index).astype(float)
    out = out[out["term"] >= min_term_months].copy()
    start = life["start"].reindex(out.index)
    age = (last.year - start.dt.year) * 12 + (last.month - start.dt.month)
    out["renewed_seen"] = age >= out["term"]
    out["lost"] = out["churned"].astype(bool) & (out["months"] <= out["term"])
    out["arr"] = 12 * pd.Series(first_mrr, index=life.index).reindex(out.index)
    if "speed" in out:
        out["speed_band"] = speed_band(out["speed"])
    return out


def deadlines(days: pd.DataFrame, multiples=(0.5, 1.0, 1.5, 2.0), *, by: str = "segment"):
    """The deadline in days each multiple of the typical time to value stands for, per
    group (rows) and multiple (columns)."""
    typical = days.groupby(by, observed=True)["first_value"].median()
    return pd.DataFrame({m: typical * m for m in multiples}).rename_axis(columns="multiple")


def milestone_candidates(
    renewals: pd.DataFrame,
    *,
    multiples=(0.5, 1.0, 1.5, 2.0),
    milestones=MILESTONES,
    by: str = "segment",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Which milestone, reached by when, tells the customers who renewed from those who did
    not: every candidate judged on the same customers (first renewal seen).

    A candidate is "milestone reached within ``multiple`` x the segment's median time to
    value". Per candidate: the share reaching it, the renewal rate of those who did and did
    not (Wilson intervals) and the AUC of "not reached" as a warning of churn, with an
    interval and its difference from the best candidate on the same resampled customers
    (``n_boot=0``: the AUCs and differences without intervals). Candidates that everyone or
    no one reaches cannot tell anyone apart and are left out.
    """
    d = renewals[renewals["renewed_seen"]]
    typical = d["typical"]  # the segment's median time to value, over all its customers
    lost = d["lost"].to_numpy(bool)
    rows, scores = [], {}
    for name in [m for m in milestones if m in d.columns]:
        for k in multiples:
            hit = (d[name] <= k * typical).to_numpy()
            if hit.all() or not hit.any():
                continue
            key = f"{name} by {k:g}x"
            scores[key] = (~hit).astype(float)
            n_hit, n_miss = hit.sum(), (~hit).sum()
            kept_hit, kept_miss = (~lost[hit]).sum(), (~lost[~hit]).sum()
            lo_h, hi_h = wilson_interval(kept_hit, n_hit)
            lo_m, hi_m = wilson_interval(kept_miss, n_miss)
            rows.append(
                {
                    "candidate": key,
                    "milestone": name,
                    "multiple": k,
                    "reached_share": n_hit / len(d),
                    "renewed_if_reached": kept_hit / n_hit,
                    "reached_low": float(lo_h),
                    "reached_high": float(hi_h),
                    "renewed_if_not": kept_miss / n_miss,
                    "not_low": float(lo_m),
                    "not_high": float(hi_m),
                }
            )
    out = pd.DataFrame(rows).set_index("candidate")
    if out.empty:
        return out
    point = clustered_auc(lost, scores, d.index.to_numpy(), n_boot=1, seed=seed)["auc"]
    best = point.sort_index().idxmax()  # ties: the first by name, on every machine
    if n_boot:
        paired = clustered_auc(
            lost, scores, d.index.to_numpy(), baseline=best, n_boot=n_boot, seed=seed
        )
        out = out.join(paired.rename(columns={f"vs_{best}": "vs_best"}))
    else:  # the point estimates alone, without intervals
        out = out.assign(auc=point, vs_best=point - point[best])
    return out.sort_values(["auc", "milestone"], ascending=[False, True], kind="stable")


def logistic_fit(X, y, weights=None, *, start=None, iterations: int = 50, ridge: float = 1e-6):
    """Coefficients of a logistic regression by Newton's method (iteratively reweighted least
    squares), with optional case weights (bootstrap counts); a tiny ridge keeps a perfectly
    separated replicate finite. ``X`` should include a column of ones for the intercept;
    ``start`` (the full-sample fit, for a bootstrap replicate) saves iterations.

    Two groups, one losing 1 customer in 4 and the other 3 in 4: the intercept is the first
    group's log-odds, log(1/3), and the slope the difference, log(3) - log(1/3).

    >>> X = np.c_[np.ones(8), [0.0] * 4 + [1.0] * 4]
    >>> y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    >>> np.round(logistic_fit(X, y, ridge=0), 3).tolist()
    [-1.099, 2.197]
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(X.shape[1]) if start is None else np.array(start, dtype=float)
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(X @ beta)))
        grad = X.T @ (w * (y - p)) - ridge * beta
        hess = (X * (w * p * (1 - p))[:, None]).T @ X + ridge * np.eye(X.shape[1])
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def _design(d: pd.DataFrame, by: str, adjust) -> np.ndarray:
    """Intercept, one column per group of ``by`` but the first, the ``adjust`` columns."""
    groups = sorted(d[by].astype(str).unique())
    dummies = [(d[by].astype(str) == g).to_numpy(float) for g in groups[1:]]
    extra = [d[c].to_numpy(float) for c in adjust]
    return np.column_stack([np.ones(len(d)), *dummies, *extra])


def shave_value(
    renewals: pd.DataFrame,
    days_off=(7, 14, 30),
    *,
    adjust=(),
    by: str = "segment",
    n_boot: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """First-renewal ARR kept if every customer had reached first value ``N`` days sooner,
    by a logistic model of churn at the first renewal on relative speed (capped at
    :data:`RATIO_CAP`), the segment, and any ``adjust`` columns (e.g. ``icp_fit``).

    The model describes an association: customers who onboard slowly differ in other ways
    too, and whatever the ``adjust`` columns miss is in the speed coefficient. The interval
    refits the model on customers drawn with replacement (``seed``).

    Returns one row per ``N``: ``customers``, ``arr`` at stake, ``lost_arr`` (what churned at
    the first renewal), ``kept_arr`` (the model's extra ARR kept) with ``low`` / ``high``, and
    the speed coefficient (log-odds per 1x of the segment's median) with its interval.
    """
    d = renewals[renewals["renewed_seen"] & renewals["first_value"].notna()]
    d = d.dropna(subset=list(adjust))
    typical = d["typical"].to_numpy(float)
    y = d["lost"].to_numpy(float)
    arr = d["arr"].fillna(0).to_numpy(float)
    base = _design(d, by, adjust)
    speed = np.minimum(d["speed"].to_numpy(float), RATIO_CAP)
    X = np.column_stack([base, speed])
    # the speed each customer would have had with value N days sooner (never under one day)
    sooner = [
        np.minimum(np.maximum(d["first_value"].to_numpy(float) - n, 1.0) / typical, RATIO_CAP)
        for n in days_off
    ]

    def gains(beta, weights):
        p0 = 1 / (1 + np.exp(-(X @ beta)))
        out = []
        for s in sooner:
            p1 = 1 / (1 + np.exp(-(base @ beta[:-1] + beta[-1] * s)))
            out.append(float(np.sum(weights * arr * (p0 - p1))))
        return out

    beta = logistic_fit(X, y)
    point = gains(beta, np.ones(len(d)))
    rows = {
        "customers": float(len(d)),
        "arr": float(arr.sum()),
        "lost_arr": float((arr * y).sum()),
        "speed_coef": beta[-1],
    }
    out = pd.DataFrame([{**rows, "kept_arr": g} for g in point], index=list(days_off))
    out.index.name = "days_sooner"
    if n_boot:
        w = cluster_weights(d.index.to_numpy(), n_boot=n_boot, seed=seed)
        reps, coefs = [], []
        for weights in w:
            b = logistic_fit(X, y, weights, start=beta)
            reps.append(gains(b, weights))
            coefs.append(b[-1])
        alpha = (1 - confidence) / 2
        out["low"], out["high"] = np.nanquantile(np.array(reps), [alpha, 1 - alpha], axis=0)
        out["coef_low"], out["coef_high"] = np.nanquantile(coefs, [alpha, 1 - alpha])
    return out
