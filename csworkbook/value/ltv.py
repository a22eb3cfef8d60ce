"""Lifetime value from a Dataset: ARPA, gross margin and churn give LTV, and LTV / CAC.

The textbook SaaS formula, per customer and year::

    LTV = ARPA x gross margin / churn

ARPA is the annual recurring revenue per paying account, the gross margin the share of it left
after hosting and licences, and ``1 / churn`` the expected lifetime in years *if every customer
churned at the same rate* (notebook 14 shows why they do not). The table adds what the formula
leaves out: the yearly cost to serve a customer (CSM time, support), discounting (money in five
years is worth less than today), and the cost of acquiring it (CAC)::

    margin          = ARPA x gross margin - cost to serve
    LTV             = margin / churn
    discounted LTV  = margin x (1 + d) / (d + churn)     (paid at the start of each year)
    LTV / CAC       = discounted LTV / CAC
    payback months  = CAC / (margin / 12)

Every input is an explicit parameter; costs come from the ``account_costs`` table when the data
has one, else from the values given, else from a stated assumption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..retention.metrics import trailing_year

# What an LTV needs (the declaration of "lifetime value and its levers" in ANALYSES).
NEEDS = ("accounts", "contracts.arr>0", "mrr_monthly.mrr>0")

# Used only when neither the data nor the caller gives costs; said in ``cost_source``.
ASSUMED_CAC_MONTHS = 12  # CAC as this many months of ARPA
ASSUMED_SERVE_SHARE = 0.10  # yearly cost to serve as this share of ARPA


def money(value, currency: str = "") -> str:
    """An amount as text with thousands separators, after the currency: ``"n/a"`` when it is
    missing (NaN, None) and ``"unbounded"`` when infinite (an LTV nobody churns out of).

    >>> money(206420.4, "USD"), money(float("nan"), "USD"), money(float("inf")), money(-1200)
    ('USD 206,420', 'n/a', 'unbounded', '-1,200')
    """
    if value is None or pd.isna(value):
        return "n/a"
    if np.isinf(value):
        return "unbounded" if value > 0 else "-unbounded"
    return f"{currency} {value:,.0f}".strip()


def money_columns(df: pd.DataFrame, columns, *, round_to: int = 0) -> pd.DataFrame:
    """A copy of ``df`` for display with the amounts in ``columns`` as whole numbers rounded
    to ``round_to`` digits (-2: hundreds; a dict gives each column its own). A column with a
    missing or infinite amount becomes text, ``"n/a"`` and ``"unbounded"`` there: never an
    integer cast that fails on a gap.

    >>> t = pd.DataFrame({"ltv": [151634.0, float("nan"), float("inf")], "cac": [5.4, 0, 1]})
    >>> money_columns(t, ["ltv"], round_to=-2).ltv.tolist()
    ['151600', 'n/a', 'unbounded']
    >>> money_columns(t, {"ltv": -3, "cac": 0}).values.tolist()[0]
    ['152000', 5]
    """
    digits = columns if isinstance(columns, dict) else dict.fromkeys(columns, round_to)

    def whole(col: pd.Series, d: int) -> pd.Series:
        values = col.astype(float)
        if np.isfinite(values).all():
            return values.round(d).astype("int64")
        return values.map(lambda v: money(v) if not np.isfinite(v) else f"{round(v, d):.0f}")

    return df.assign(**{c: whole(df[c], d) for c, d in digits.items()})


def _groups(ds, by: str | None) -> pd.Series:
    acc = ds.accounts.set_index("account_id")
    if by is None:
        return pd.Series("all", index=acc.index)
    return acc[by].astype(object)


def arr_at(ds, at=None) -> pd.Series:
    """ARR in force per account on a date (default ``as_of``): contracts started and not yet
    ended, summed; accounts with none are left out.

    >>> import csworkbook
    >>> arr_at(csworkbook.load("datasets/demo")).gt(0).all()  # doctest: +SKIP
    True
    """
    at = ds.as_of if at is None else pd.Timestamp(at)
    ds.require("contracts", to="ARR in force")
    c = ds.contracts
    live = (c["start_date"] <= at) & (c["end_date"].isna() | (c["end_date"] > at))
    return c[live].groupby("account_id")["arr"].sum().rename("arr")


def arpa(ds, *, by: str | None = "segment", at=None) -> pd.DataFrame:
    """Paying accounts and ARR per account (ARPA) on a date, per group of ``by``."""
    arr = arr_at(ds, at)
    arr = arr[arr > 0] if (arr > 0).any() else arr  # an export without amounts keeps its rows
    g = _groups(ds, by).reindex(arr.index)
    out = arr.groupby(g.to_numpy()).agg(customers="size", arpa="mean")
    out.index.name = by or "group"
    return out


def annual_churn(ds, *, by: str | None = "segment") -> pd.Series:
    """Logo churn over the twelve months to ``as_of`` (customers paying a year ago who pay
    nothing now), per group: the churn the simple formula divides by."""
    ds.require("accounts", "mrr_monthly", to="annual churn (it comes from monthly revenue)")
    kw = {"accounts": ds.accounts, "by": by} if by else {}
    year = trailing_year(ds.mrr_monthly, ds.as_of, **kw)
    return year["logo_churn"].rename("churn")


def _per_group(value, groups: pd.Index, name: str) -> pd.Series:
    if isinstance(value, dict):
        missing = set(groups) - set(value)
        if missing:
            raise ValueError(f"{name}: no value for {sorted(missing)}")
        return pd.Series(value, dtype=float).reindex(groups)
    return pd.Series(float(value), index=groups)


def unit_costs(
    ds, *, by: str | None = "segment", cac=None, cost_to_serve=None, acquired_within_days: int = 365
) -> pd.DataFrame:
    """CAC and yearly cost to serve per group, and where each came from.

    Given values (a number, or a dict per group) win. Otherwise the ``account_costs`` table:
    CAC is the mean acquisition cost of the accounts won in the last ``acquired_within_days``
    (what winning a customer costs *now*), cost to serve the mean over paying accounts.
    Without that table the costs are assumed (:data:`ASSUMED_CAC_MONTHS` months of ARPA,
    :data:`ASSUMED_SERVE_SHARE` of ARPA a year) and ``cost_source`` says so.
    """
    base = arpa(ds, by=by)
    groups = base.index
    out = pd.DataFrame(index=groups)
    has = "account_costs" in ds and not ds.account_costs.empty
    g = _groups(ds, by)
    if cac is not None:
        out["cac"], src_cac = _per_group(cac, groups, "cac"), "given"
    elif has:
        acc = ds.accounts.set_index("account_id")
        recent = acc.index[
            acc["first_contract_date"] > ds.as_of - pd.Timedelta(days=acquired_within_days)
        ]
        costs = ds.account_costs.set_index("account_id")["acquisition_cost"]
        won = costs.reindex(recent).dropna()
        out["cac"] = won.groupby(g.reindex(won.index).to_numpy()).mean().reindex(groups)
        src_cac = f"account_costs: accounts won in the last {acquired_within_days} days"
    else:
        out["cac"] = base["arpa"] * ASSUMED_CAC_MONTHS / 12
        src_cac = f"assumed: {ASSUMED_CAC_MONTHS} months of ARPA"
    if cost_to_serve is not None:
        out["cost_to_serve"], src_cts = _per_group(cost_to_serve, groups, "cost_to_serve"), "given"
    elif has:
        paying = arr_at(ds).index
        costs = ds.account_costs.set_index("account_id")["cost_to_serve"].reindex(paying).dropna()
        out["cost_to_serve"] = (
            costs.groupby(g.reindex(costs.index).to_numpy()).mean().reindex(groups)
        )
        src_cts = "account_costs: paying accounts"
    else:
        out["cost_to_serve"] = base["arpa"] * ASSUMED_SERVE_SHARE
        src_cts = f"assumed: {ASSUMED_SERVE_SHARE:.0%} of ARPA"
    out["cost_source"] = f"CAC {src_cac}; cost to serve {src_cts}"
    return out


def ltv(arpa, gross_margin, churn, *, cost_to_serve=0.0, discount_rate=0.0):
    """Lifetime value of a customer paying ``arpa`` a year at the start of each year.

    Undiscounted it is ``(arpa x gross_margin - cost_to_serve) / churn``; with a discount
    rate ``d``, the margin is multiplied by ``(1 + d) / (d + churn)`` instead.

    >>> ltv(10_000, 0.8, 0.2)                      # 8,000 a year for 5 years
    40000.0
    >>> round(ltv(10_000, 0.8, 0.2, cost_to_serve=1_000, discount_rate=0.1))
    25667
    """
    margin = np.asarray(arpa, dtype=float) * gross_margin - cost_to_serve
    churn = np.asarray(churn, dtype=float)
    with np.errstate(divide="ignore"):
        value = margin * (1 + discount_rate) / (discount_rate + churn)
    return float(value) if value.ndim == 0 else value


def ltv_table(
    ds,
    *,
    by: str | None = "segment",
    gross_margin: float = 0.85,
    discount_rate: float = 0.10,
    cac=None,
    cost_to_serve=None,
) -> pd.DataFrame:
    """LTV, discounted LTV, LTV / CAC and CAC payback per group, with every input beside it.

    Parameters
    ----------
    ds : Dataset
        Needs accounts, contracts and mrr_monthly; ``account_costs`` if present.
    by : str or None, default "segment"
        An ``accounts`` column; None for the company as a whole.
    gross_margin : float, default 0.85
        Share of revenue left after hosting, licences and payment fees (not CS or support:
        those are the cost to serve).
    discount_rate : float, default 0.10
        Yearly rate at which future margin is discounted.
    cac, cost_to_serve : float or dict, optional
        Override the data (see :func:`unit_costs`).

    Examples
    --------
    >>> import csworkbook
    >>> ltv_table(csworkbook.load("datasets/demo"))[["arpa", "churn", "ltv_to_cac"]]  # doctest: +SKIP
    """
    ds.require(*NEEDS, to="lifetime value")
    base = arpa(ds, by=by)
    churn = annual_churn(ds, by=by).reindex(base.index)
    costs = unit_costs(ds, by=by, cac=cac, cost_to_serve=cost_to_serve)
    out = base.assign(gross_margin=gross_margin, churn=churn).join(costs)
    out["margin"] = out["arpa"] * gross_margin - out["cost_to_serve"]
    with np.errstate(divide="ignore"):
        out["lifetime_years"] = 1 / out["churn"]
    out["ltv_simple"] = ltv(out["arpa"], gross_margin, out["churn"])
    out["ltv"] = ltv(out["arpa"], gross_margin, out["churn"], cost_to_serve=out["cost_to_serve"])
    out["ltv_discounted"] = ltv(
        out["arpa"],
        gross_margin,
        out["churn"],
        cost_to_serve=out["cost_to_serve"],
        discount_rate=discount_rate,
    )
    out["ltv_to_cac"] = out["ltv_discounted"] / out["cac"]
    out["payback_months"] = out["cac"] / (out["margin"] / 12)
    out.loc[out["margin"] <= 0, "payback_months"] = np.inf
    return out


def formula(row: pd.Series, *, currency: str = "USD", discount_rate: float = 0.10) -> str:
    """The formulas of one :func:`ltv_table` row with its numbers, as text to print.

    >>> row = pd.Series({"arpa": 10_000.0, "gross_margin": 0.8, "churn": 0.2, "cost_to_serve": 1_000.0,
    ...                  "cac": 8_000.0, "ltv_simple": 40_000.0, "ltv": 35_000.0,
    ...                  "ltv_discounted": 25_667.0, "ltv_to_cac": 3.21, "payback_months": 13.7})
    >>> print(formula(row))
    LTV = ARPA x gross margin / churn = 10,000 x 0.80 / 0.200 = USD 40,000
    with cost to serve:  (10,000 x 0.80 - 1,000) / 0.200 = USD 35,000
    discounted at 10%:   7,000 x 1.10 / (0.10 + 0.200) = USD 25,667
    LTV / CAC = 25,667 / 8,000 = 3.2; CAC paid back in 13.7 months
    """
    r, d = row, discount_rate
    margin = r["arpa"] * r["gross_margin"] - r["cost_to_serve"]
    payback = r["payback_months"]
    if np.isfinite(payback):
        paid_back = f"CAC paid back in {payback:.1f} months"
    elif payback > 0:
        paid_back = "the CAC is never paid back (no margin left after cost to serve)"
    else:
        paid_back = "CAC payback n/a"
    return "\n".join(
        [
            f"LTV = ARPA x gross margin / churn = {money(r['arpa'])} x {r['gross_margin']:.2f} / "
            f"{r['churn']:.3f} = {money(r['ltv_simple'], currency)}",
            f"with cost to serve:  ({money(r['arpa'])} x {r['gross_margin']:.2f} - "
            f"{money(r['cost_to_serve'])}) / {r['churn']:.3f} = {money(r['ltv'], currency)}",
            f"discounted at {d:.0%}:   {money(margin)} x {1 + d:.2f} / ({d:.2f} + "
            f"{r['churn']:.3f}) = {money(r['ltv_discounted'], currency)}",
            f"LTV / CAC = {money(r['ltv_discounted'])} / {money(r['cac'])} = "
            f"{r['ltv_to_cac']:.1f}; {paid_back}",
        ]
    )
