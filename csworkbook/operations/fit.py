"""Selling to the right customer (principle 1): ICP fit at signing and what it cost later.

The sales team scores every deal for fit with the ideal customer profile (``accounts.icp_fit``,
0 to 1) before it is signed. Whether that score matters is a question for the data that came
after: did poor-fit customers churn more, take longer to reach value, need more support, pay
back what winning them cost? And would a stricter rule at signing have been worth the revenue
it turns away?

Everything starts from one row per customer, :func:`account_ledger`; the other functions
summarise it by fit band or channel, with intervals that resample customers::

    ledger = fit.account_ledger(cs)
    fit.churn_by(ledger, by="fit_band")                   # churn in the first year, Wilson
    fit.per_customer_year(ledger, "tickets", by="fit_band")
    fit.threshold_tradeoff(ledger)                        # new ARR declined vs churned ARR avoided
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..retention.survival import lifetimes
from ..stats import cluster_weights, wilson_interval

CUTS = (0.3, 0.5, 0.7)  # fit-band edges: wide enough that each band holds a quarter or so
HORIZON_MONTHS = 12  # churn "in the first year": through an annual contract's first renewal


def fit_band(icp_fit, cuts=CUTS) -> pd.Series:
    """ICP fit scores cut into ordered bands; each band includes its lower edge.

    Examples
    --------
    >>> fit_band([0.1, 0.3, 0.69, 0.7, None]).tolist()
    ['< 0.3', '0.3–0.5', '0.5–0.7', '≥ 0.7', nan]
    """
    cuts = [float(c) for c in cuts]
    labels = [f"< {cuts[0]:g}"]
    labels += [f"{lo:g}–{hi:g}" for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]
    labels += [f"≥ {cuts[-1]:g}"]
    values = pd.to_numeric(pd.Series(icp_fit), errors="coerce")
    return pd.cut(values, [-np.inf, *cuts, np.inf], right=False, labels=labels)


def with_fit_band(ds: Dataset, cuts=CUTS) -> Dataset:
    """The same dataset with a ``fit_band`` column on ``accounts``, so that functions that
    group by an accounts column (``ltv.ltv_table(ds, by="fit_band")``) can use it."""
    accounts = ds.accounts.assign(fit_band=fit_band(ds.accounts["icp_fit"], cuts).to_numpy())
    accounts["fit_band"] = accounts["fit_band"].astype(object)
    return Dataset(ds.tables | {"accounts": accounts}, ds.as_of, dict(ds.meta))


def _count(ds: Dataset, table: str, index: pd.Index) -> pd.Series:
    """Rows per account in ``table``; NA for every account when the table is missing."""
    if table not in ds or ds[table].empty:
        return pd.Series(pd.NA, index=index, dtype="Float64")
    return ds[table].groupby("account_id").size().reindex(index, fill_value=0).astype(float)


def account_ledger(ds: Dataset, *, horizon_months: int = HORIZON_MONTHS, cuts=CUTS):
    """One row per customer: fit at signing, what it paid and what it cost.

    Parameters
    ----------
    ds : Dataset
        Needs accounts and mrr_monthly; tickets, touchpoints, milestones and account_costs
        are read when present (their columns are NA otherwise).
    horizon_months : int, default 12
        ``churned_in_horizon`` is True for a customer whose first spell ended within this many
        months of its first paid month; ``followed`` says whether the data follows it that long
        (only those give a fair rate).
    cuts : sequence of float
        Edges of the fit bands.

    Returns
    -------
    DataFrame indexed by ``account_id`` with ``segment``, ``acquisition_channel``,
    ``icp_fit``, ``fit_band``; ``start`` (first paid month), ``months`` (of the first spell),
    ``churned`` (the first spell ended), ``followed``, ``churned_in_horizon``; ``new_arr``
    (12 x MRR in the first month), ``lost_arr`` (12 x MRR in the last month before the first
    spell ended, 0 if it did not), ``arr_now`` (12 x MRR in the last month of the data),
    ``revenue`` (all MRR received), ``customer_years`` (months paid / 12); ``tickets``,
    ``touchpoints``, ``days_to_first_value``, ``acquisition_cost``, ``cost_to_serve``.

    Examples
    --------
    >>> import csworkbook
    >>> ledger = account_ledger(csworkbook.load("datasets/demo"))  # doctest: +SKIP
    >>> ledger.groupby("fit_band", observed=True).churned_in_horizon.mean()  # doctest: +SKIP
    """
    ds.require("accounts", "mrr_monthly", to="the customer ledger")
    acc = ds.accounts.set_index("account_id")
    life = lifetimes(ds.mrr_monthly).set_index("account_id")
    monthly = ds.mrr_monthly.groupby(["account_id", "month"])["mrr"].sum().unstack(fill_value=0.0)
    monthly = monthly.reindex(
        columns=pd.date_range(monthly.columns.min(), monthly.columns.max(), freq="MS"),
        fill_value=0.0,
    )
    months = monthly.columns
    pos = {m: i for i, m in enumerate(months)}
    start_i = life["start"].map(pos).to_numpy()
    stop_i = start_i + life["months"].to_numpy().astype(int)  # first month at 0 (or past the end)
    grid = monthly.reindex(life.index).to_numpy()
    rows = np.arange(len(life))
    out = pd.DataFrame(index=life.index)
    out["segment"] = acc["segment"].reindex(life.index)
    out["acquisition_channel"] = acc["acquisition_channel"].reindex(life.index)
    out["icp_fit"] = pd.to_numeric(acc["icp_fit"].reindex(life.index), errors="coerce")
    out["fit_band"] = fit_band(out["icp_fit"], cuts)  # same index: keeps the band order
    out["start"] = life["start"]
    out["months"] = life["months"]
    out["churned"] = life["churned"].astype(bool)
    age = len(months) - 1 - start_i  # months from the first paid month to the last in the data
    out["followed"] = age >= horizon_months
    out["churned_in_horizon"] = out["churned"] & (out["months"] <= horizon_months)
    out["new_arr"] = 12 * grid[rows, start_i]
    last_paid = np.clip(stop_i - 1, 0, len(months) - 1)
    out["lost_arr"] = np.where(out["churned"], 12 * grid[rows, last_paid], 0.0)
    out["arr_now"] = 12 * grid[:, -1]
    out["revenue"] = grid.sum(axis=1)
    out["customer_years"] = (grid > 0).sum(axis=1) / 12
    out["tickets"] = _count(ds, "tickets", out.index)
    out["touchpoints"] = _count(ds, "touchpoints", out.index)
    out["days_to_first_value"] = np.nan
    if "milestones" in ds and not ds.milestones.empty:
        first_value = ds.milestones[ds.milestones["milestone"] == "first_value"]
        reached = first_value.set_index("account_id")["achieved_date"]
        signed = acc["first_contract_date"].reindex(reached.index)
        days = (reached - signed).dt.days.astype(float)
        out["days_to_first_value"] = days.groupby(level=0).first().reindex(out.index)
    for col in ("acquisition_cost", "cost_to_serve"):
        has = "account_costs" in ds and not ds.account_costs.empty
        costs = ds.account_costs.set_index("account_id")[col] if has else None
        out[col] = costs.reindex(out.index).astype(float) if has else np.nan
    out.index.name = "account_id"
    return out


def _group_codes(data: pd.DataFrame, by: str):
    """Each row's group code and the groups, in their own order for categories (fit bands
    from low to high), sorted otherwise."""
    keys = data[by]
    if isinstance(keys.dtype, pd.CategoricalDtype):
        present = [c for c in keys.cat.categories if (keys == c).any()]
        codes = pd.Categorical(keys, categories=present).codes.astype(np.int64)
        return codes, pd.CategoricalIndex(present, categories=keys.cat.categories, name=by)
    codes, groups = pd.factorize(keys, sort=True)
    return codes, pd.Index(groups, name=by)


def rates_by(data: pd.DataFrame, event: str, *, by: str, confidence: float = 0.95):
    """Share of customers (one row each) for whom ``event`` is True, per group, with a Wilson
    interval; groups keep their own order (fit bands from low to high).

    >>> d = pd.DataFrame({"band": ["a", "a", "b", "b", "b", "b"],
    ...                   "left": [True, False, True, False, False, False]})
    >>> rates_by(d, "left", by="band")[["customers", "events", "rate"]].values.tolist()
    [[2.0, 1.0, 0.5], [4.0, 1.0, 0.25]]
    """
    d = data[data[by].notna()]
    g = d.groupby(by, observed=True, sort=True)[event]
    out = pd.DataFrame({"customers": g.size().astype(float), "events": g.sum().astype(float)})
    out["rate"] = out["events"] / out["customers"]
    out["low"], out["high"] = wilson_interval(out["events"], out["customers"], confidence)
    return out


def churn_by(ledger: pd.DataFrame, *, by: str = "fit_band", confidence: float = 0.95):
    """Churn within the horizon per group, over the customers the data follows that long."""
    return rates_by(ledger[ledger["followed"]], "churned_in_horizon", by=by, confidence=confidence)


def per_customer_year(
    ledger: pd.DataFrame,
    what: str,
    *,
    by: str = "fit_band",
    per: str = "customer_years",
    scale: float = 1.0,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """``sum(what) / sum(per) x scale`` per group, with an interval that resamples customers.

    Tickets per customer-year (``per="customer_years"``) or per 100,000 of revenue
    (``per="revenue", scale=100_000``): a ratio of sums, so a customer with a long history
    weighs in with all its years, and the interval redraws whole customers.

    Examples
    --------
    >>> d = pd.DataFrame({"account_id": ["a", "b", "c"], "g": ["x", "x", "y"],
    ...                   "tickets": [2.0, 4.0, 3.0], "customer_years": [1.0, 2.0, 3.0]})
    >>> per_customer_year(d.set_index("account_id"), "tickets", by="g", n_boot=50)["ratio"].tolist()
    [2.0, 1.0]
    """
    d = ledger[ledger[by].notna() & ledger[what].notna() & ledger[per].notna()]
    codes, groups = _group_codes(d, by)
    k = len(groups)
    num = np.bincount(codes, weights=d[what].to_numpy(float), minlength=k)
    den = np.bincount(codes, weights=d[per].to_numpy(float), minlength=k)
    out = pd.DataFrame(
        {"customers": np.bincount(codes, minlength=k), what: num, per: den}, index=groups
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["ratio"] = scale * num / den
        if n_boot:
            # one row per customer: each replicate reweights customers, and the ratio of
            # weighted sums is taken per group
            w = cluster_weights(d.index.to_numpy(), n_boot=n_boot, seed=seed)
            onehot = np.zeros((len(d), k))
            onehot[np.arange(len(d)), codes] = 1.0
            reps = (
                scale
                * (w @ (onehot * d[what].to_numpy(float)[:, None]))
                / (w @ (onehot * d[per].to_numpy(float)[:, None]))
            )
            alpha = (1 - confidence) / 2
            out["low"], out["high"] = np.nanquantile(reps, [alpha, 1 - alpha], axis=0)
    return out


def cac_written_off(ledger: pd.DataFrame, *, by: str = "fit_band", gross_margin: float = 0.85):
    """What winning the customers who left cost, and how much of it they never paid back.

    A customer's margin to date is its revenue x ``gross_margin`` minus its cost to serve for
    the years it was served; one that is gone (paying nothing in the last month) before that
    margin reached its acquisition cost leaves the rest of that cost unrecovered.

    Returns per group: ``customers``, ``cac`` (acquisition cost spent), ``gone``,
    ``gone_unpaid`` (gone before paying back their CAC), ``cac_written_off`` and its share of
    ``cac``.

    >>> d = pd.DataFrame({"g": ["x", "x"], "acquisition_cost": [100.0, 100.0],
    ...     "cost_to_serve": [10.0, 10.0], "revenue": [100.0, 300.0],
    ...     "customer_years": [1.0, 2.0], "arr_now": [0.0, 0.0]})
    >>> cac_written_off(d, by="g", gross_margin=0.5)[["gone_unpaid", "cac_written_off"]].values.tolist()
    [[1.0, 60.0]]
    """
    d = ledger[ledger[by].notna() & ledger["acquisition_cost"].notna()].copy()
    margin = d["revenue"] * gross_margin - d["cost_to_serve"] * d["customer_years"]
    gone = d["arr_now"] <= 0
    short = (d["acquisition_cost"] - margin).clip(lower=0)
    d = d.assign(gone=gone, gone_unpaid=gone & (short > 0), written_off=np.where(gone, short, 0.0))
    g = d.groupby(by, observed=True, sort=True)
    out = pd.DataFrame(
        {
            "customers": g.size().astype(float),
            "cac": g["acquisition_cost"].sum(),
            "gone": g["gone"].sum().astype(float),
            "gone_unpaid": g["gone_unpaid"].sum().astype(float),
            "cac_written_off": g["written_off"].sum(),
        }
    )
    out["written_off_share"] = out["cac_written_off"] / out["cac"]
    return out


def wrong_fit_by(
    ledger: pd.DataFrame, *, by: str = "acquisition_channel", threshold: float = CUTS[0]
) -> pd.DataFrame:
    """Per group (a sales channel): customers scored, the share below ``threshold`` (wrong
    fit) with a Wilson interval, the mean score, and first-year churn of the followed ones.
    Sorted by the wrong-fit share, highest first (ties by name)."""
    d = ledger[ledger["icp_fit"].notna() & ledger[by].notna()]
    d = d.assign(wrong_fit=d["icp_fit"] < threshold)
    out = rates_by(d, "wrong_fit", by=by).rename(
        columns={"events": "wrong_fit", "rate": "share", "low": "share_low", "high": "share_high"}
    )
    out["mean_icp_fit"] = d.groupby(by, observed=True)["icp_fit"].mean()
    churn = churn_by(d, by=by).rename(
        columns={"customers": "followed", "events": "churned", "rate": "churn"}
    )
    out = out.join(churn.rename(columns={"low": "churn_low", "high": "churn_high"}))
    out = out.reset_index().sort_values(["share", by], ascending=[False, True], kind="stable")
    return out.set_index(by)


def threshold_tradeoff(
    ledger: pd.DataFrame,
    thresholds=None,
    *,
    n_boot: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """What declining every deal scored below a threshold would have changed, per threshold.

    Over the customers followed for the whole horizon: the customers and the new ARR turned
    away, the ARR their churn within the horizon took with it (avoided), the ARR they still
    pay at the end of the data (given up too) and the acquisition cost saved, each also as a
    share of the total. A rule no better than chance avoids the same share of churned ARR as
    it gives up of new ARR; the curve of one against the other shows how much better the
    score does. ``n_boot`` adds an interval for ``avoided_share`` that resamples customers.

    Examples
    --------
    >>> d = pd.DataFrame({"icp_fit": [0.1, 0.4, 0.8], "followed": True,
    ...     "new_arr": [10.0, 20.0, 70.0], "lost_arr": [10.0, 0.0, 10.0],
    ...     "churned_in_horizon": [True, False, True], "arr_now": [0.0, 20.0, 0.0]},
    ...     index=pd.Index(["a", "b", "c"], name="account_id"))
    >>> threshold_tradeoff(d, [0.3])[["declined", "new_arr_share", "avoided_share"]].values.tolist()
    [[1.0, 0.1, 0.5]]
    """
    d = ledger[ledger["followed"] & ledger["icp_fit"].notna()]
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 0.801, 0.05), 2)
    thresholds = np.asarray(thresholds, dtype=float)
    score = d["icp_fit"].to_numpy(float)
    below = score[:, None] < thresholds[None, :]  # customers x thresholds
    lost = np.where(d["churned_in_horizon"], d["lost_arr"], 0.0).astype(float)
    cols = {
        "declined": np.ones(len(d)),
        "new_arr": d["new_arr"].to_numpy(float),
        "churned_arr_avoided": lost,
        "churners_avoided": d["churned_in_horizon"].to_numpy(float),
        "arr_now_given_up": d["arr_now"].to_numpy(float),
    }
    if "acquisition_cost" in d and d["acquisition_cost"].notna().any():
        cols["cac_saved"] = d["acquisition_cost"].fillna(0).to_numpy(float)
    out = pd.DataFrame({k: v @ below for k, v in cols.items()}, index=thresholds)
    out.index.name = "threshold"
    with np.errstate(invalid="ignore", divide="ignore"):
        out["new_arr_share"] = out["new_arr"] / cols["new_arr"].sum()
        out["avoided_share"] = out["churned_arr_avoided"] / lost.sum()
        out["arr_now_share"] = out["arr_now_given_up"] / cols["arr_now_given_up"].sum()
        if n_boot:
            w = cluster_weights(d.index.to_numpy(), n_boot=n_boot, seed=seed)
            reps = (w @ (lost[:, None] * below)) / (w @ lost)[:, None]
            alpha = (1 - confidence) / 2
            out["avoided_low"], out["avoided_high"] = np.nanquantile(
                reps, [alpha, 1 - alpha], axis=0
            )
    return out
