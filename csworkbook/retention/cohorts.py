"""Cohort matrices and churn rates by category with honest uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import wilson_interval
from .metrics import unit_active, unit_mrr


def cohort_matrix(
    mrr_monthly: pd.DataFrame,
    contracts: pd.DataFrame | None = None,
    *,
    kind: str = "logo",
    unit: str = "account",
    min_size: int = 10,
) -> pd.DataFrame:
    """Retention by start month (rows) and months since start (columns).

    ``kind="logo"``: share of the cohort's units still paying. ``kind="revenue"``: the
    cohort's MRR as a share of its first-month MRR (expansion can lift it above 1).
    Cohorts smaller than ``min_size`` are left out; the ``size`` column gives each
    cohort's units. Cells not yet observable (after the last month) are NaN.

    Examples
    --------
    >>> m = cohort_matrix(ds.mrr_monthly, kind="revenue")  # doctest: +SKIP
    >>> m.loc["2023-01-01", 12]                            # doctest: +SKIP
    """
    if kind not in ("logo", "revenue"):
        raise ValueError(f"kind must be 'logo' or 'revenue', not {kind!r}")
    wide = unit_mrr(mrr_monthly, contracts, unit=unit).to_numpy()
    active = unit_active(mrr_monthly, contracts, unit=unit).to_numpy()  # ARR 0: by its rows
    n_units, n_months = wide.shape
    first = active.argmax(axis=1)
    age = np.arange(n_months)[None, :] - first[:, None]
    vals = active.astype(float) if kind == "logo" else wide
    rows = np.repeat(np.arange(n_units), n_months)
    ok = age.ravel() >= 0
    df = pd.DataFrame({"cohort": first[rows[ok]], "age": age.ravel()[ok], "v": vals.ravel()[ok]})
    total = df.pivot_table(index="cohort", columns="age", values="v", aggfunc="sum")
    base = (
        total[0]
        if kind == "revenue"
        else pd.Series(np.bincount(first, minlength=n_months)).reindex(total.index)
    )
    out = total.div(base, axis=0)
    # A cohort starting in month c can only be observed up to age n_months - 1 - c.
    out = out.where(
        np.arange(out.shape[1])[None, :] <= (n_months - 1 - out.index.to_numpy())[:, None]
    )
    months = pd.date_range(mrr_monthly["month"].min(), periods=n_months, freq="MS")
    out.index = months[out.index]
    out.index.name = "cohort"
    out.columns.name = "months_since_start"
    size = pd.Series(np.bincount(first, minlength=n_months), index=months).reindex(out.index)
    out.insert(0, "size", size)
    return out[out["size"] >= min_size]


def rate_by_category(
    data: pd.DataFrame, *, by: str, event: str, min_size: int = 20, confidence: float = 0.95
) -> pd.DataFrame:
    """Event rate per category with Wilson intervals; categories under ``min_size`` are
    kept but flagged ``too_small`` so nobody reads a rate off three customers.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"segment": ["a"] * 40 + ["b"] * 5, "churned": [True] * 4 + [False] * 36 + [True] * 5})
    >>> rate_by_category(d, by="segment", event="churned")[["n", "events", "rate", "too_small"]]
              n  events  rate  too_small
    segment
    b         5       5   1.0       True
    a        40       4   0.1      False
    """
    g = data.groupby(by, observed=True)[event]
    out = pd.DataFrame({"n": g.size(), "events": g.sum().astype(int)})
    out["rate"] = out["events"] / out["n"]
    out["low"], out["high"] = wilson_interval(out["events"], out["n"], confidence)
    out["too_small"] = out["n"] < min_size
    return out.sort_values("rate", ascending=False)
