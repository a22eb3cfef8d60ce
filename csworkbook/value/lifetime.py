"""Renewal cohorts from a Dataset, the sBG fitted to them, and the naive lifetime beside it.

A customer's *period* is its contract term: a year for customers whose first contract is
annual or longer (they decide once a year), a month for month-to-month customers. Mixing the
two on one clock would hide the renewal structure the sBG describes, so groups are formed per
segment *and* term (``"smb, monthly"``).

For every group, :func:`fit_groups` puts side by side what a constant churn rate says (the
naive ``1 / churn`` lifetime) and what the sBG says (retention rising with tenure), with
bootstrap intervals, or the reason the sBG could not be fitted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..retention.survival import kaplan_meier, lifetimes
from . import sbg


def renewal_periods(ds, *, by: str | None = "segment") -> pd.DataFrame:
    """One row per customer: its group, term, cohort (year of its first paid month), the
    periods it paid for (``periods``) and whether it ``churned`` after the last of them.

    A customer whose lifetime is ``m`` months on a ``P``-month clock churned in period
    ``ceil(m / P)``, or is still here after ``ceil(m / P) - 1`` completed periods (the period
    it is in now has not been decided).

    Examples
    --------
    >>> import csworkbook
    >>> renewal_periods(csworkbook.load("datasets/demo")).groupby("group").size()  # doctest: +SKIP
    """
    ds.require(
        "accounts", "contracts", "mrr_monthly", to="renewal periods (how long customers stay)"
    )
    lt = lifetimes(ds.mrr_monthly)
    first = ds.contracts.sort_values(["start_date", "contract_id"]).groupby("account_id").first()
    term = first["term_months"].reindex(lt["account_id"]).to_numpy(dtype=float)
    annual = ~(term < 12)  # an unknown term counts as annual
    acc = ds.accounts.set_index("account_id")
    label = acc[by].astype(str).reindex(lt["account_id"]).to_numpy() if by else "all"
    months = lt["months"].to_numpy()
    period = np.where(annual, 12, 1)
    up = np.ceil(months / period).astype(int)
    churned = lt["churned"].to_numpy()
    out = pd.DataFrame(
        {
            "account_id": lt["account_id"].to_numpy(),
            "group": pd.Series(label).astype(str) + np.where(annual, ", annual", ", monthly"),
            "period_months": period,
            "cohort": pd.DatetimeIndex(lt["start"]).year,
            "periods": np.where(churned, up, np.maximum(up - 1, 0)),
            "churned": churned,
        }
    )
    return out.sort_values(["group", "account_id"]).reset_index(drop=True)


def _period_rate(annual_rate: float, period_months: int) -> float:
    return (1 + annual_rate) ** (period_months / 12) - 1


def _sbg_figures(alpha, beta, *, d, horizon, renewals):
    return {
        "lifetime_in_horizon": float(sbg.survival(np.arange(horizon), alpha, beta).sum()),
        "discounted_lifetime": sbg.discounted_lifetime(alpha, beta, discount_rate=d),
        "derl": sbg.derl(alpha, beta, renewals=renewals, discount_rate=d),
        "elasticity": sbg.retention_elasticity(alpha, beta, renewals=renewals, discount_rate=d),
    }


def fit_groups(
    periods: pd.DataFrame,
    *,
    discount_rate: float = 0.10,
    horizon_years: int = 10,
    renewals: int = 1,
    n_boot: int = 100,
    seed: int = 0,
    min_customers: int = 30,
) -> pd.DataFrame:
    """The sBG and the naive constant-churn model, fitted per group of :func:`renewal_periods`.

    Figures are in years (periods converted with each group's term): ``lifetime_in_horizon``
    (mean years paid within ``horizon_years``), ``discounted_lifetime`` (a new customer,
    paying now, at ``discount_rate`` a year), ``derl`` (discounted expected residual lifetime
    of a customer who has renewed ``renewals`` times and faces the next renewal) and
    ``elasticity`` (% change in that DERL for 1% better retention). Each comes as ``naive_*``
    (one churn rate, the geometric model fitted to the same renewals) and ``sbg_*``, the
    latter with a bootstrap interval (``*_low``, ``*_high``; customers resampled, ``seed``;
    ``boot_flat`` is the share of replicates in which retention did not rise with tenure).
    Elasticities are per 1% better *yearly* retention for every group. ``note`` says why a
    group has no sBG.
    """
    rows = []
    for group, part in periods.groupby("group", sort=True):
        p_m = int(part["period_months"].iloc[0])
        per_year = 12 / p_m
        d = _period_rate(discount_rate, p_m)
        horizon = int(horizon_years * per_year)
        churn = (
            sbg.geometric_churn(part["periods"], part["churned"])
            if part["churned"].any()
            else np.nan
        )
        row = {
            "group": group,
            "period": "year" if p_m == 12 else "month",
            "customers": len(part),
            "churned": int(part["churned"].sum()),
            "periods_seen": int(part["periods"].max()),
            "naive_churn": churn,
        }
        if churn > 0:
            r = 1 - churn
            naive = sbg.geometric(churn, discount_rate=d)
            row |= {
                "naive_lifetime": naive["lifetime"] / per_year,
                "naive_lifetime_in_horizon": (1 - r**horizon) / churn / per_year,
                "naive_discounted_lifetime": naive["discounted_lifetime"] / per_year,
                "naive_derl": naive["derl"] / per_year,
                "naive_elasticity": naive["elasticity"] / per_year,
            }
        model = sbg.ShiftedBetaGeometric(min_customers=min_customers)
        try:
            model.fit(part["periods"], part["churned"])
        except sbg.FitError as e:
            rows.append(row | {"note": str(e)})
            continue
        a, b = model.alpha_, model.beta_
        figs = _sbg_figures(a, b, d=d, horizon=horizon, renewals=renewals)
        boot = sbg.bootstrap(
            part["periods"], part["churned"], n_boot=n_boot, seed=seed, model=model
        )
        reps = pd.DataFrame(
            [
                _sbg_figures(x, y, d=d, horizon=horizon, renewals=renewals)
                for x, y in boot[["alpha", "beta"]].to_numpy()
            ]
        )
        row |= {
            "alpha": a,
            "beta": b,
            "r1": float(model.retention_rate(1)),
            "r2": float(model.retention_rate(2)),
            "r5": float(model.retention_rate(5)),
        }
        for k, v in figs.items():
            # a 1% better monthly retention is a 12% better yearly one: elasticities per year
            scale = per_year
            row[f"sbg_{k}"] = v / scale
            lo, hi = reps[k].quantile([0.025, 0.975]) if len(reps) else (np.nan, np.nan)
            row[f"sbg_{k}_low"], row[f"sbg_{k}_high"] = lo / scale, hi / scale
        row["boot_replicates"] = len(boot)
        row["boot_flat"] = float(boot["flat"].mean()) if len(boot) else np.nan
        row["note"] = ""
        rows.append(row)
    return pd.DataFrame(rows).set_index("group")


def retention_curves(
    periods: pd.DataFrame, fits: pd.DataFrame, *, min_at_risk: int = 30
) -> pd.DataFrame:
    """Share still a customer after ``t`` periods per group: observed (Kaplan-Meier, where at
    least ``min_at_risk`` customers reached period ``t``), the sBG and the naive geometric
    curve. Long format, for a line plot or a tolerance check."""
    rows = []
    for group, part in periods.groupby("group", sort=True):
        km = kaplan_meier(part["periods"], part["churned"])
        km = km[km["at_risk"] >= min_at_risk]
        t = np.arange(0, int(km.index.max()) + 1) if len(km) else np.arange(1)
        observed = km["survival"].reindex(t.astype(float)).ffill().to_numpy()
        f = fits.loc[group] if group in fits.index else None
        fitted = f is not None and pd.notna(f.get("alpha", np.nan))
        rows.append(
            pd.DataFrame(
                {
                    "group": group,
                    "period": t,
                    "observed": observed,
                    "sbg": sbg.survival(t, f["alpha"], f["beta"]) if fitted else np.nan,
                    "naive": (1 - f["naive_churn"]) ** t if f is not None else np.nan,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def cohort_retention(periods: pd.DataFrame, group: str, *, min_customers: int = 10) -> pd.DataFrame:
    """Observed share of each yearly cohort still a customer after ``t`` periods (rows:
    cohorts; columns: periods), for one group. Each cohort is followed as long as its
    youngest customer allows, so every cell counts the same customers."""
    part = periods[periods["group"] == group]
    out = {}
    for cohort, c in part.groupby("cohort"):
        if len(c) < min_customers:
            continue
        km = kaplan_meier(c["periods"], c["churned"])
        seen = (
            int(c.loc[~c["churned"], "periods"].min())
            if (~c["churned"]).any()
            else int(c["periods"].max())
        )
        t = np.arange(1, seen + 1, dtype=float)
        if not len(t):
            continue  # no renewal decided yet
        out[cohort] = km["survival"].reindex(t).ffill()
    table = pd.DataFrame(out).T
    table.index.name = "cohort"
    table.columns = pd.Index(table.columns.astype(int), name="period")
    return table


def book_residual_value(
    periods: pd.DataFrame, fits: pd.DataFrame, *, discount_rate: float = 0.10
) -> pd.DataFrame:
    """Discounted residual lifetime of the customers still here, summed per group: what the
    book is worth in customer-years (x margin for money), by the sBG and by the naive model.
    Customers who have renewed more often are worth more to the sBG (survivors are the loyal
    ones), never to the naive model; ignoring that undervalues the book (Fader & Hardie 2010)."""
    rows = {}
    for group, part in periods[~periods["churned"]].groupby("group", sort=True):
        if group not in fits.index or pd.isna(fits.loc[group].get("alpha", np.nan)):
            continue
        f = fits.loc[group]
        p_m = 12 if f["period"] == "year" else 1
        d = _period_rate(discount_rate, p_m)
        done = part["periods"].to_numpy()
        values = [
            sbg.derl(f["alpha"], f["beta"], renewals=int(n), discount_rate=d)
            for n in np.unique(done)
        ]
        lookup = dict(zip(np.unique(done), values, strict=True))
        naive = sbg.geometric(f["naive_churn"], discount_rate=d)["derl"]
        rows[group] = {
            "customers": len(part),
            "sbg_customer_years": sum(lookup[n] for n in done) * p_m / 12,
            "naive_customer_years": len(part) * naive * p_m / 12,
        }
    cols = ["customers", "sbg_customer_years", "naive_customer_years"]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    out["naive_short_by"] = 1 - out["naive_customer_years"] / out["sbg_customer_years"]
    return out
