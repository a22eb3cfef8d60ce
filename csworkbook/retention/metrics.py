"""Churn and retention metrics on canonical tables: pure functions, DataFrames in and out.

Principle 8 asks *what* churns: a customer company, one of its departments, or a single
contract. Every function here takes ``unit=`` (``"account"``, ``"department"`` or
``"contract"``) and measures the same thing at that grain, so the choice can be compared.

Revenue retention compares each unit's MRR in two months: the units paying in the start
month form the cohort; GRR caps each unit's end MRR at its start MRR (no credit for
expansion, full debit for contraction and churn), NRR does not.

A unit *is a customer* in a month when it pays (MRR above 0). A unit that never pays
anything in the data (ARR 0: free plans, or an export without amounts) is a customer in the
months it has an MRR row, so logo churn, cohorts and survival still count it; its revenue
figures stay undefined rather than reading as 100% churn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

UNITS = ("account", "department", "contract")


def _month(x) -> pd.Timestamp:
    return pd.Timestamp(x).to_period("M").to_timestamp()


def unit_keys(mrr_monthly: pd.DataFrame, contracts: pd.DataFrame | None, unit: str) -> pd.Series:
    """The unit each MRR row belongs to: ``account_id``, ``account_id/department`` or
    ``contract_id``."""
    if unit == "account":
        return mrr_monthly["account_id"]
    if unit == "contract":
        return mrr_monthly["contract_id"]
    if unit == "department":
        if contracts is None:
            raise ValueError(
                "unit='department' needs contracts= (it holds each contract's department)"
            )
        dept = mrr_monthly["contract_id"].map(contracts.set_index("contract_id")["department"])
        return mrr_monthly["account_id"] + "/" + dept
    raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")


def unit_mrr(mrr_monthly: pd.DataFrame, contracts=None, *, unit: str = "account") -> pd.DataFrame:
    """Wide MRR table: one row per unit, one column per month (every month in the data),
    zeros where the unit paid nothing. The index also carries ``account_id``."""
    key = unit_keys(mrr_monthly, contracts, unit)
    wide = mrr_monthly.assign(unit=key.to_numpy()).pivot_table(
        index=["unit", "account_id"], columns="month", values="mrr", aggfunc="sum", fill_value=0.0
    )
    months = pd.date_range(wide.columns.min(), wide.columns.max(), freq="MS")
    return wide.reindex(columns=months, fill_value=0.0)


def _never_paid(mrr_monthly: pd.DataFrame, key: pd.Series) -> pd.Index:
    """Units whose MRR is never above 0 anywhere in the data."""
    top = mrr_monthly["mrr"].groupby(key.to_numpy()).max()
    return top.index[~(top > 0).to_numpy()]


def unit_active(
    mrr_monthly: pd.DataFrame, contracts=None, *, unit: str = "account"
) -> pd.DataFrame:
    """Like :func:`unit_mrr`, True where the unit is a customer: it pays that month, or,
    for a unit that never pays in the data (ARR 0), it has an MRR row that month.

    Examples
    --------
    >>> m = pd.DataFrame({"contract_id": ["c", "c", "f"], "account_id": ["a", "a", "b"],
    ...                   "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"]),
    ...                   "mrr": [100.0, 0.0, 0.0]})
    >>> unit_active(m).astype(int).to_numpy().tolist()
    [[1, 0], [1, 0]]
    """
    wide = unit_mrr(mrr_monthly, contracts, unit=unit)
    key = unit_keys(mrr_monthly, contracts, unit)
    active = wide > 0
    never = _never_paid(mrr_monthly, key)
    if len(never):
        rows = mrr_monthly[key.isin(never).to_numpy()]
        seen = rows.assign(unit=key[key.isin(never)].to_numpy()).pivot_table(
            index=["unit", "account_id"], columns="month", values="mrr", aggfunc="size"
        )
        seen = seen.reindex(index=wide.index, columns=wide.columns).fillna(0) > 0
        active = active | seen
    return active


def mrr_movements(
    mrr_monthly: pd.DataFrame, contracts=None, *, unit: str = "account"
) -> pd.DataFrame:
    """Monthly MRR bridge: new, expansion, reactivation, contraction and churn.

    A unit is *new* the first month it pays, *reactivated* when it pays again after a month
    at zero, *churned* when it goes to zero. ``ending_mrr = starting_mrr + new + expansion +
    reactivation - contraction - churn`` holds for every month.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"contract_id": ["c"] * 3, "account_id": ["a"] * 3,
    ...                   "month": pd.date_range("2024-01-01", periods=3, freq="MS"),
    ...                   "mrr": [100.0, 120.0, 90.0]})
    >>> mrr_movements(m)[["new", "expansion", "contraction"]].to_numpy().tolist()
    [[100.0, 0.0, 0.0], [0.0, 20.0, 0.0], [0.0, 0.0, 30.0]]
    """
    wide = unit_mrr(mrr_monthly, contracts, unit=unit).to_numpy()
    prev = np.column_stack([np.zeros(len(wide)), wide[:, :-1]])
    ever_before = np.column_stack(
        [np.zeros(len(wide), dtype=bool), np.maximum.accumulate(wide > 0, axis=1)[:, :-1]]
    )
    starts = (prev == 0) & (wide > 0)
    up = (prev > 0) & (wide > prev)
    down = (prev > 0) & (wide < prev) & (wide > 0)
    gone = (prev > 0) & (wide == 0)
    out = pd.DataFrame(
        {
            "starting_mrr": prev.sum(axis=0),
            "new": np.where(starts & ~ever_before, wide, 0).sum(axis=0),
            "expansion": np.where(up, wide - prev, 0).sum(axis=0),
            "reactivation": np.where(starts & ever_before, wide, 0).sum(axis=0),
            "contraction": np.where(down, prev - wide, 0).sum(axis=0),
            "churn": np.where(gone, prev, 0).sum(axis=0),
            "ending_mrr": wide.sum(axis=0),
            "units_churned": gone.sum(axis=0),
            "units_active": (wide > 0).sum(axis=0),
        },
        index=pd.date_range(
            mrr_monthly["month"].min(), periods=wide.shape[1], freq="MS", name="month"
        ),
    )
    return out.round(2)


def revenue_retention(
    mrr_monthly: pd.DataFrame,
    start,
    end,
    *,
    accounts: pd.DataFrame | None = None,
    contracts: pd.DataFrame | None = None,
    by: str | None = None,
    unit: str = "account",
) -> pd.DataFrame:
    """Logo churn, MRR churn, GRR and NRR of the units paying in the start month.

    Parameters
    ----------
    mrr_monthly : DataFrame
        Canonical ``mrr_monthly`` table.
    start, end : date-like
        Months compared (any day in the month).
    accounts : DataFrame, optional
        Canonical ``accounts`` table, needed when ``by`` is given.
    contracts : DataFrame, optional
        Canonical ``contracts`` table, needed for ``unit="department"``.
    by : str, optional
        An ``accounts`` column to break the figures down by (e.g. ``"segment"``).
    unit : {"account", "department", "contract"}
        What counts as one customer.

    Returns
    -------
    DataFrame with one row per group (or one row ``all``): ``units`` in the cohort,
    ``start_mrr``, ``end_mrr``, ``logo_churn``, ``mrr_churn`` (churn + contraction),
    ``net_mrr_churn`` (less expansion), ``grr`` and ``nrr``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"contract_id": ["c1", "c2", "c1", "c2"],
    ...                   "account_id": ["a", "b", "a", "b"],
    ...                   "month": pd.to_datetime(["2024-01-01"] * 2 + ["2025-01-01"] * 2),
    ...                   "mrr": [100.0, 100.0, 150.0, 0.0]})
    >>> revenue_retention(m, "2024-01", "2025-01")[["grr", "nrr", "logo_churn"]].round(2)
          grr   nrr  logo_churn
    all   0.5  0.75         0.5
    """
    s, e = _month(start), _month(end)
    if e <= s:
        raise ValueError(f"end month {e.date()} must come after start month {s.date()}")
    never = _never_paid(mrr_monthly, unit_keys(mrr_monthly, contracts, unit))
    m = mrr_monthly[mrr_monthly["month"].isin([s, e])]
    key = unit_keys(m, contracts, unit)
    wide = m.assign(unit=key.to_numpy()).pivot_table(
        index=["unit", "account_id"],
        columns="month",
        values="mrr",
        aggfunc=["sum", "size"],
        fill_value=0,
    )
    rows = wide["size"].reindex(columns=[s, e], fill_value=0).to_numpy() > 0
    wide = wide["sum"].reindex(columns=[s, e], fill_value=0.0).astype(float)
    wide.columns = ["start_mrr", "end_mrr"]
    free = wide.index.get_level_values("unit").isin(never)  # a customer by its rows
    here = (wide.to_numpy() > 0) | (rows & free[:, None])
    cohort = wide[here[:, 0]].reset_index()
    cohort["kept"] = np.minimum(cohort["end_mrr"], cohort["start_mrr"])
    cohort["lost"] = ~here[here[:, 0], 1]
    if by is None:
        groups = pd.Series("all", index=cohort.index)
    else:
        if accounts is None:
            raise ValueError("pass accounts= to break retention down by an account column")
        groups = cohort["account_id"].map(accounts.set_index("account_id")[by])
    g = cohort.groupby(groups.to_numpy(), observed=True)
    out = pd.DataFrame(
        {"units": g.size(), "start_mrr": g["start_mrr"].sum(), "end_mrr": g["end_mrr"].sum()}
    )
    out["logo_churn"] = g["lost"].mean()
    out["grr"] = g["kept"].sum() / out["start_mrr"]
    out["nrr"] = out["end_mrr"] / out["start_mrr"]
    out["mrr_churn"] = 1 - out["grr"]
    out["net_mrr_churn"] = 1 - out["nrr"]
    if by is None:  # an empty cohort (no customer in the start month) is still one row
        out = out.reindex(["all"]).fillna({"units": 0, "start_mrr": 0.0, "end_mrr": 0.0})
        out["units"] = out["units"].astype(int)
    out.index.name = by
    return out


def trailing_year(mrr_monthly: pd.DataFrame, as_of, **kwargs) -> pd.DataFrame:
    """:func:`revenue_retention` over the twelve months ending in the month of ``as_of``."""
    end = _month(as_of)
    return revenue_retention(mrr_monthly, end - pd.DateOffset(months=12), end, **kwargs)


def churn_by_unit(mrr_monthly, contracts, start, end, **kwargs) -> pd.DataFrame:
    """The same period measured with each unit of measure, one row per unit (principle 8).

    Examples
    --------
    >>> m = pd.DataFrame({"contract_id": ["c1", "c1"], "account_id": ["a", "a"],
    ...                   "month": pd.to_datetime(["2024-01-01", "2025-01-01"]), "mrr": [0.0, 0.0]})
    >>> k = pd.DataFrame({"contract_id": ["c1"], "department": ["ops"]})
    >>> churn_by_unit(m, k, "2024-01", "2025-01")[["units", "logo_churn", "grr"]]
                units  logo_churn  grr
    unit
    account       1.0         0.0  NaN
    department    1.0         0.0  NaN
    contract      1.0         0.0  NaN
    """
    rows = {
        u: revenue_retention(mrr_monthly, start, end, contracts=contracts, unit=u, **kwargs).iloc[0]
        for u in UNITS
    }
    return pd.DataFrame(rows).T.rename_axis("unit")


def activity_churn(usage: pd.DataFrame, start, end, *, days: int = 28) -> pd.Series:
    """Share of accounts active in the ``days`` before ``start`` with no active user in the
    ``days`` before ``end`` (inactive customers who may still be paying)."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    active = usage[usage["active_users"] > 0]

    def active_in(t):
        w = active[(active["week"] < t) & (active["week"] >= t - pd.Timedelta(days=days))]
        return set(w["account_id"])

    before, after = active_in(s), active_in(e)
    lost = len(before - after)
    return pd.Series(
        {
            "active_at_start": len(before),
            "inactive_at_end": lost,
            "activity_churn": lost / max(len(before), 1),
        }
    )


def annual_from_monthly(rate):
    """Compound a monthly churn rate into the annual rate: ``1 - (1 - m) ** 12``.

    Computed as ``-expm1(12 * log1p(-m))`` so tiny rates keep their precision."""
    return -np.expm1(12 * np.log1p(-np.asarray(rate, dtype=float)))


def monthly_from_annual(rate):
    """The monthly churn rate that compounds to ``rate`` over twelve months."""
    return -np.expm1(np.log1p(-np.asarray(rate, dtype=float)) / 12)


def nps(scores) -> float:
    """Net Promoter Score of 0–10 answers: % promoters (9–10) minus % detractors (0–6),
    from -100 to 100. The mean answer is a different number and is not NPS.

    >>> nps([10, 9, 8, 7, 6, 0])
    0.0
    >>> nps([10, 10, 9, 3])
    50.0
    """
    s = pd.Series(scores, dtype=float).dropna()
    if s.empty:
        return float("nan")
    return float(100 * ((s >= 9).mean() - (s <= 6).mean()))


def nps_table(
    responses: pd.DataFrame, *, by: str | None = None, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """NPS per group with its answer counts and a 95% interval that resamples customers
    (several people at one customer answer alike, so answers are not independent).

    ``responses`` needs ``account_id`` and ``score`` (0–10), plus ``by`` if given.
    Returns ``answers``, ``customers``, ``promoters``, ``passives``, ``detractors`` (shares),
    ``nps``, ``low``, ``high``, and ``mean_score`` (the 0–10 average, for comparison).
    """
    from ..stats import clustered_rates

    r = responses.dropna(subset=["score"])
    r = r.assign(_net=(r["score"] >= 9).astype(float) - (r["score"] <= 6).astype(float))
    out = clustered_rates(r, value="_net", cluster="account_id", by=by, n_boot=n_boot, seed=seed)
    keys = r[by] if by is not None else pd.Series("all", index=r.index)
    g = r.groupby(keys.to_numpy())["score"]
    table = pd.DataFrame(
        {
            "answers": out["rows"],
            "customers": out["customers"],
            "promoters": g.apply(lambda s: (s >= 9).mean()).reindex(out.index),
            "passives": g.apply(lambda s: s.between(7, 8).mean()).reindex(out.index),
            "detractors": g.apply(lambda s: (s <= 6).mean()).reindex(out.index),
            "nps": 100 * out["rate"],
            "low": 100 * out["low"],
            "high": 100 * out["high"],
            "mean_score": g.mean().reindex(out.index),
        }
    )
    return table
