"""Customer lifetimes: Kaplan–Meier curves, at-risk counts, log-rank tests and RMST.

Kaplan–Meier and restricted mean survival time are computed here in a few lines of
pandas (and checked against lifelines in the tests); the log-rank test comes from
lifelines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import unit_active


def lifetimes(mrr_monthly: pd.DataFrame, contracts=None, *, unit: str = "account") -> pd.DataFrame:
    """One row per unit: months from its first paid month to its first month at zero.

    ``churned`` is False for units still paying in the last month (right-censored).
    A unit that churns and later returns counts its first spell only. A unit that never
    pays (ARR 0) is a customer in the months it has MRR rows
    (:func:`~csworkbook.retention.metrics.unit_active`), not a churner from day one.

    Examples
    --------
    >>> m = pd.DataFrame({"contract_id": ["c"] * 3 + ["f"] * 2, "account_id": ["a"] * 3 + ["b"] * 2,
    ...     "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"] * 1
    ...                             + ["2024-01-01", "2024-02-01"]),
    ...     "mrr": [10.0, 10.0, 0.0, 0.0, 0.0]})
    >>> lifetimes(m)[["unit", "months", "churned"]].values.tolist()
    [['a', 2.0, True], ['b', 2.0, True]]
    """
    wide = unit_active(mrr_monthly, contracts, unit=unit)
    paying = wide.to_numpy()
    n = paying.shape[1]
    first = paying.argmax(axis=1)
    after = np.arange(n)[None, :] > first[:, None]
    stopped = after & ~paying
    churned = stopped.any(axis=1)
    stop = np.where(churned, stopped.argmax(axis=1), n)
    idx = wide.index.to_frame(index=False)
    return pd.DataFrame(
        {
            "unit": idx["unit"].to_numpy(),
            "account_id": idx["account_id"].to_numpy(),
            "start": wide.columns[first],
            "months": (stop - first).astype(float),
            "churned": churned,
        }
    )


def kaplan_meier(durations, events) -> pd.DataFrame:
    """Kaplan–Meier survival estimate.

    Returns one row per distinct time (starting at 0): ``at_risk`` just before it,
    ``events`` and ``censored`` at it, and ``survival`` just after it.

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3], [True, True, False, True])
    >>> km["survival"].round(3).tolist()
    [1.0, 0.75, 0.5, 0.0]
    """
    d = pd.DataFrame({"t": np.asarray(durations, dtype=float), "e": np.asarray(events, dtype=bool)})
    g = d.groupby("t")["e"].agg(events="sum", total="size")
    g["censored"] = g["total"] - g["events"]
    g["at_risk"] = g["total"][::-1].cumsum()[::-1]
    if 0.0 not in g.index:
        g.loc[0.0] = {"events": 0, "total": 0, "censored": 0, "at_risk": len(d)}
        g = g.sort_index()
    g["survival"] = (1 - g["events"] / g["at_risk"]).cumprod()
    g.index.name = "timeline"
    return g[["at_risk", "events", "censored", "survival"]].astype(
        {"at_risk": int, "events": int, "censored": int}
    )


def km_by(
    data: pd.DataFrame, *, duration: str = "months", event: str = "churned", by: str | None = None
) -> pd.DataFrame:
    """Kaplan–Meier curves per group, stacked with a ``group`` column (long format)."""
    if by is None:
        return kaplan_meier(data[duration], data[event]).reset_index().assign(group="all")
    parts = [
        kaplan_meier(g[duration], g[event]).reset_index().assign(group=k)
        for k, g in data.groupby(by, observed=True)
    ]
    return pd.concat(parts, ignore_index=True)


def survival_at(km: pd.DataFrame, t: float) -> float:
    """Survival probability at time ``t`` from a :func:`kaplan_meier` table."""
    s = km["survival"][km.index <= t]
    return float(s.iloc[-1]) if len(s) else 1.0


def rmst(km: pd.DataFrame, horizon: float) -> float:
    """Restricted mean survival time: expected months alive within ``horizon`` (the area
    under the Kaplan–Meier step curve from 0 to ``horizon``)."""
    t = km.index.to_numpy(dtype=float)
    s = km["survival"].to_numpy()
    keep = t < horizon
    t, s = t[keep], s[keep]
    widths = np.diff(np.append(t, horizon))
    return float(np.sum(widths * s))


def at_risk_table(
    data: pd.DataFrame, *, times, duration: str = "months", by: str | None = None
) -> pd.DataFrame:
    """Units still under observation (not yet churned or censored) at each of ``times``."""
    groups = data.groupby(by, observed=True) if by else [("all", data)]
    return pd.DataFrame(
        {k: [(g[duration] >= t).sum() for t in times] for k, g in groups}, index=list(times)
    ).T


def logrank(
    data: pd.DataFrame, *, duration: str = "months", event: str = "churned", by: str
) -> pd.Series:
    """Log-rank test that all groups share one survival curve (lifelines)."""
    from lifelines.statistics import multivariate_logrank_test

    r = multivariate_logrank_test(data[duration], data[by], data[event])
    return pd.Series(
        {
            "test_statistic": r.test_statistic,
            "degrees_of_freedom": r.degrees_of_freedom,
            "p_value": r.p_value,
        }
    )


def rmst_by(
    data: pd.DataFrame, *, horizon: float, duration: str = "months", event: str = "churned", by: str
) -> pd.DataFrame:
    """Per group: units, churned, survival at the horizon and RMST within it."""
    rows = {}
    for k, g in data.groupby(by, observed=True):
        km = kaplan_meier(g[duration], g[event])
        rows[k] = {
            "units": len(g),
            "churned": int(g[event].sum()),
            f"survival_{horizon:g}m": survival_at(km, horizon),
            f"rmst_{horizon:g}m": rmst(km, horizon),
        }
    return pd.DataFrame(rows).T.rename_axis(by)
