"""The seven levers of lifetime value, as a model a team can move one lever at a time.

The seven levers (in the seed text's order) and what each moves in this model:

1. **loyalty** (ロイヤルティ): customers who stay grow with you: net ARR added at renewals,
   as a share of ARR a year (``upsell``);
2. **revenue per customer** (顧客単価): first-year ARR of a new customer (``arpa_new``);
3. **purchase frequency** (購買頻度): add-on purchases (departments, cross-sold products) per
   customer a year (``addons_per_year``), each worth ``addon_arr``;
4. **cost to acquire and serve** (獲得・維持コスト): CAC and the yearly cost to serve, together;
5. **customers won** (獲得顧客数): new customers a month (``new_per_month``);
6. **churn rate** (解約率): churn in a customer's first year (``churn_first_year``);
7. **length of retention** (継続期間): years an established customer stays, ``1 /
   churn_later`` (churn after the first year).

With one constant churn rate, levers 6 and 7 would be the same number; customers differ, so
churn in the first year and churn afterwards are measured apart (notebook 14, sBG).

:func:`lever_inputs` measures every input per segment from a Dataset, :func:`project` turns
them into the lifetime value of a new customer and the company's ARR some years out,
:func:`simulate_levers` moves levers by percentages (the lever simulator) and
:func:`sensitivity` moves each one by the same ±X% for a tornado chart.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..retention.survival import kaplan_meier, lifetimes, survival_at
from .ltv import NEEDS, arr_at, unit_costs


class Lever(NamedTuple):
    key: str
    number: int
    japanese: str
    label: str
    direction: int  # +1: more is better; -1: less is better


LEVERS = (
    Lever("loyalty", 1, "ロイヤルティ", "loyalty: upsell at renewal", +1),
    Lever("revenue_per_customer", 2, "顧客単価", "revenue per new customer", +1),
    Lever("purchase_frequency", 3, "購買頻度", "add-on purchases a year", +1),
    Lever("cost", 4, "獲得・維持コスト", "cost to acquire and serve", -1),
    Lever("customers_won", 5, "獲得顧客数", "customers won a month", +1),
    Lever("churn_rate", 6, "解約率", "churn rate in the first year", -1),
    Lever("retention_length", 7, "継続期間", "years an established customer stays", +1),
)
LEVER_KEYS = tuple(lv.key for lv in LEVERS)
_PARAMS = {
    "loyalty": ("upsell",),
    "revenue_per_customer": ("arpa_new",),
    "purchase_frequency": ("addons_per_year",),
    "cost": ("cac", "cost_to_serve"),
    "customers_won": ("new_per_month",),
    "churn_rate": ("churn_first_year",),
}


def lever_label(key: str, *, japanese: bool = True) -> str:
    """``"6 churn rate in the first year (解約率)"`` (without the Japanese for plot fonts
    that lack it).

    >>> lever_label("churn_rate", japanese=False)
    '6 churn rate in the first year'
    """
    lv = LEVERS[LEVER_KEYS.index(key)]
    return f"{lv.number} {lv.label}" + (f" ({lv.japanese})" if japanese else "")


def _churn_by_year(ds, groups: pd.Series) -> pd.DataFrame:
    """Churn in the first year and in the second (of those who made it), per group, from
    Kaplan-Meier on account lifetimes; the second year falls back to the first when the data
    is too short to see it."""
    lt = lifetimes(ds.mrr_monthly)
    lt["group"] = lt["account_id"].map(groups).to_numpy()
    rows = {}
    for g, part in lt.groupby("group"):
        km = kaplan_meier(part["months"], part["churned"])
        s12 = survival_at(km, 12)
        s24 = survival_at(km, 24) if km.index.max() >= 24 else np.nan
        c1 = 1 - s12
        c2 = 1 - s24 / s12 if np.isfinite(s24) and s12 > 0 else c1
        rows[g] = {"churn_first_year": c1, "churn_later": c2}
    return pd.DataFrame.from_dict(rows, orient="index")


def lever_inputs(
    ds,
    *,
    by: str = "segment",
    gross_margin: float = 0.85,
    discount_rate: float = 0.10,
    cac=None,
    cost_to_serve=None,
) -> pd.DataFrame:
    """Every input of the lever model, measured per group over the year to ``as_of``.

    Columns: ``customers_young``, ``customers_established``, ``arr_young`` and
    ``arr_established`` (paying customers now, and their ARR, in and after their first year), ``new_per_month`` and ``arpa_new`` (customers won a month in the last year
    and their first month's MRR x 12), ``churn_first_year`` and ``churn_later``,
    ``upsell`` (net ARR added at renewals in the year / ARR a year ago), ``addons_per_year``
    and ``addon_arr`` (contracts added by existing customers in the year, per customer paying
    a year ago, and their mean ARR), then ``gross_margin``, ``cost_to_serve``, ``cac`` and
    ``discount_rate``. Data without renewals or add-ons give 0 for those levers.

    Examples
    --------
    >>> import csworkbook
    >>> lever_inputs(csworkbook.load("datasets/demo")).loc["smb", "churn_first_year"]  # doctest: +SKIP
    """
    ds.require(*NEEDS, to="the levers of lifetime value")
    as_of, year_ago = ds.as_of, ds.as_of - pd.DateOffset(years=1)
    acc = ds.accounts.set_index("account_id")
    groups = acc[by].astype(object)
    arr = arr_at(ds)
    arr = arr[arr > 0] if (arr > 0).any() else arr
    young = (acc["first_contract_date"].reindex(arr.index) > year_ago).to_numpy()
    g_arr = groups.reindex(arr.index).to_numpy()
    out = pd.DataFrame(
        {
            "customers_young": arr[young].groupby(g_arr[young]).size(),
            "customers_established": arr[~young].groupby(g_arr[~young]).size(),
            "arr_young": arr[young].groupby(g_arr[young]).sum(),
            "arr_established": arr[~young].groupby(g_arr[~young]).sum(),
        }
    ).astype(float)
    won = acc.index[(acc["first_contract_date"] > year_ago) & (acc["first_contract_date"] <= as_of)]
    m = ds.mrr_monthly[ds.mrr_monthly["mrr"] > 0]
    monthly = m.groupby(["account_id", "month"])["mrr"].sum()  # sorted: first month first
    new = (monthly.groupby(level="account_id").first() * 12).reindex(won).dropna()
    out["new_per_month"] = pd.Series(groups.reindex(won).to_numpy()).value_counts() / 12
    out["arpa_new"] = new.groupby(groups.reindex(new.index).to_numpy()).mean()
    out = out.join(_churn_by_year(ds, groups))
    arr_then = arr_at(ds, year_ago)
    arr_then = arr_then[arr_then > 0]
    base = arr_then.groupby(groups.reindex(arr_then.index).to_numpy()).agg(["sum", "size"])
    if "renewals" in ds and not ds.renewals.empty:
        r = ds.renewals
        r = r[
            (r["renewal_date"] > year_ago)
            & (r["renewal_date"] <= as_of)
            & (r["outcome"] != "churned")
        ]
        r = r[r["account_id"].isin(arr_then.index)]
        added = (
            (r["arr_after"] - r["arr_before"])
            .groupby(groups.reindex(r["account_id"]).to_numpy())
            .sum()
        )
        out["upsell"] = added.reindex(base.index).fillna(0) / base["sum"]
    else:
        out["upsell"] = 0.0
    c = ds.contracts
    later = c["start_date"] > acc["first_contract_date"].reindex(c["account_id"]).to_numpy()
    add = c[
        later
        & (c["start_date"] > year_ago)
        & (c["start_date"] <= as_of)
        & c["account_id"].isin(arr_then.index)
    ]
    g_add = groups.reindex(add["account_id"]).to_numpy()
    out["addons_per_year"] = add.groupby(g_add).size().reindex(base.index).fillna(0) / base["size"]
    out["addon_arr"] = add.groupby(g_add)["arr"].mean()
    costs = unit_costs(ds, by=by, cac=cac, cost_to_serve=cost_to_serve)
    out = out.join(costs[["cac", "cost_to_serve"]])
    out = out.fillna(
        {
            "customers_young": 0.0,
            "customers_established": 0.0,
            "arr_young": 0.0,
            "arr_established": 0.0,
            "new_per_month": 0.0,
            "upsell": 0.0,
            "addons_per_year": 0.0,
            "addon_arr": 0.0,
        }
    )
    out["gross_margin"] = gross_margin
    out["discount_rate"] = discount_rate
    out.index.name = by
    return out


def project(inputs: pd.DataFrame, *, years: int = 3, horizon_years: int = 10) -> pd.DataFrame:
    """Lifetime value of a new customer and ARR ``years`` from now, per group and for all.

    A new customer pays ``arpa_new`` a year at the start of each year. While it stays, its ARR
    grows by ``upsell`` a year and it buys ``addons_per_year`` add-ons worth ``addon_arr``
    each; it survives its first year with ``1 - churn_first_year`` and each later one with
    ``1 - churn_later``. Each year's margin (ARR x gross margin - cost to serve) is
    discounted, over at most ``horizon_years`` (a customer who grows faster than it churns has
    no finite value otherwise). ``ltv_net`` subtracts the CAC.

    ARR is projected month by month: this year's customers age into established ones, each
    pool churns at its monthly rate, grows and buys add-ons, and ``new_per_month`` customers
    arrive paying ``arpa_new``.

    >>> p = pd.DataFrame({"customers_young": [0.0], "customers_established": [0.0],
    ...     "arr_young": [0.0], "arr_established": [0.0], "new_per_month": [1.0],
    ...     "arpa_new": [1200.0], "churn_first_year": [0.5], "churn_later": [0.5], "upsell": [0.0],
    ...     "addons_per_year": [0.0], "addon_arr": [0.0], "cac": [100.0], "cost_to_serve": [0.0],
    ...     "gross_margin": [1.0], "discount_rate": [0.0]}, index=["smb"])
    >>> float(project(p, horizon_years=3).loc["smb", "ltv"])  # 1200 x (1 + 0.5 + 0.25)
    2100.0
    """
    p = inputs
    col = lambda name: p[name].to_numpy(dtype=float)  # noqa: E731
    u, f, s = col("upsell"), col("addons_per_year"), col("addon_arr")
    c1, c2 = col("churn_first_year"), col("churn_later")
    ltv = np.zeros(len(p))
    alive, arr, addon = np.ones(len(p)), col("arpa_new"), np.zeros(len(p))
    for t in range(horizon_years):
        margin = (arr + addon) * col("gross_margin") - col("cost_to_serve")
        ltv += alive * margin / (1 + col("discount_rate")) ** t
        alive = alive * (1 - (c1 if t == 0 else c2))
        arr, addon = arr * (1 + u), addon * (1 + u) + f * s

    h1, h2 = 1 - (1 - c1) ** (1 / 12), 1 - (1 - c2) ** (1 / 12)
    grow = (1 + u) ** (1 / 12)
    n_y, n_e = col("customers_young"), col("customers_established")
    a_y, a_e = col("arr_young"), col("arr_established")
    # a group that won nobody last year has no new customer's ARR (NaN), and adds none
    won_arr = np.where(col("new_per_month") > 0, col("new_per_month") * col("arpa_new"), 0.0)
    for _ in range(12 * years):
        age_n, age_a = n_y / 12, a_y / 12  # this year's customers turning one, spread evenly
        bought = (n_y + n_e) * f / 12 * s
        n_y = (n_y - age_n) * (1 - h1) + col("new_per_month")
        a_y = (a_y - age_a) * (1 - h1) * grow + won_arr
        n_e = (n_e + age_n) * (1 - h2)
        a_e = (a_e + age_a) * (1 - h2) * grow + bought
    out = pd.DataFrame(
        {
            "new_per_month": p["new_per_month"],
            "ltv": ltv,
            "cac": p["cac"],
            "arr_now": p["arr_young"] + p["arr_established"],
            f"arr_in_{years}y": a_y + a_e,
            f"customers_in_{years}y": n_y + n_e,
        },
        index=p.index,
    )
    n = out["new_per_month"] if out["new_per_month"].sum() > 0 else pd.Series(1.0, index=out.index)
    n = n.where(out["ltv"].notna(), 0.0)  # a group with no new customer to value adds no weight
    total = out.sum()
    won = n.sum()  # per new customer: weighted by who is won
    total["ltv"] = (n * out["ltv"]).sum() / won if won else np.nan
    total["cac"] = (n * out["cac"]).sum() / won if won else np.nan
    out.loc["all"] = total
    out["ltv_net"] = out["ltv"] - out["cac"]
    out["ltv_to_cac"] = out["ltv"] / out["cac"]
    return out


def _stable(change):
    """A relative change rounded far below meaning (1e-12), -0 made 0: a lever that cannot
    move an outcome reads 0.000 on every machine, never -0.000."""
    return np.round(change, 12) + 0.0


def apply_levers(inputs: pd.DataFrame, changes: dict) -> pd.DataFrame:
    """The inputs with levers moved: ``changes`` maps a lever key to a % change of what it
    measures (``{"churn_rate": -10}``: first-year churn 10% lower; ``{"retention_length":
    10}``: established customers stay 10% longer, their churn divided by 1.1).

    >>> p = pd.DataFrame({"churn_first_year": [0.2], "churn_later": [0.1]})
    >>> apply_levers(p, {"churn_rate": -10, "retention_length": 25}).round(3).values.tolist()
    [[0.18, 0.08]]
    """
    unknown = set(changes) - set(LEVER_KEYS)
    if unknown:
        raise ValueError(f"unknown lever(s) {sorted(unknown)}; levers are {list(LEVER_KEYS)}")
    p = inputs.copy()
    for key, pct in changes.items():
        factor = 1 + pct / 100
        if factor < 0:
            raise ValueError(f"{key}: a change of {pct}% would make it negative")
        if key == "retention_length":
            p["churn_later"] = (p["churn_later"] / factor).clip(upper=1) if factor else 1.0
        else:
            for col in _PARAMS[key]:
                p[col] = p[col] * factor
    for col in ("churn_first_year", "churn_later"):
        if col in p:
            p[col] = p[col].clip(upper=1.0)
    return p


def simulate_levers(inputs: pd.DataFrame, changes: dict, *, years: int = 3, **kw) -> pd.DataFrame:
    """The lever simulator: company-wide figures now and with ``changes`` (see
    :func:`apply_levers`), one row per measure.

    >>> p = pd.DataFrame({"customers_young": [0.0], "customers_established": [1.0],
    ...     "arr_young": [0.0], "arr_established": [1200.0], "new_per_month": [1.0],
    ...     "arpa_new": [1200.0], "churn_first_year": [0.5], "churn_later": [0.5], "upsell": [0.0],
    ...     "addons_per_year": [0.0], "addon_arr": [0.0], "cac": [100.0], "cost_to_serve": [0.0],
    ...     "gross_margin": [1.0], "discount_rate": [0.0]}, index=["smb"])
    >>> simulate_levers(p, {"cost": -50}).loc["CAC", ["baseline", "with levers"]].tolist()
    [100.0, 50.0]
    """
    base = project(inputs, years=years, **kw).loc["all"]
    moved = project(apply_levers(inputs, changes), years=years, **kw).loc["all"]
    names = {
        "ltv": "LTV of a new customer",
        "cac": "CAC",
        "ltv_net": "LTV minus CAC",
        "ltv_to_cac": "LTV / CAC",
        "arr_now": "ARR now",
        f"arr_in_{years}y": f"ARR in {years} years",
    }
    out = pd.DataFrame({"baseline": base[list(names)], "with levers": moved[list(names)]})
    out["change"] = _stable(out["with levers"] / out["baseline"] - 1)
    out.index = [names[k] for k in out.index]
    return out


def sensitivity(inputs: pd.DataFrame, *, change: float = 10, years: int = 3, **kw) -> pd.DataFrame:
    """Each lever moved ``change`` % for the better and for the worse, one at a time: the %
    change in LTV minus CAC of a new customer and in ARR ``years`` out (tornado data),
    largest effect first.

    >>> import csworkbook
    >>> sensitivity(lever_inputs(csworkbook.load("datasets/demo")))  # doctest: +SKIP
    """
    base = project(inputs, years=years, **kw).loc["all"]
    arr = f"arr_in_{years}y"
    rows = []
    for lv in LEVERS:
        for side, sign in (("better", 1), ("worse", -1)):
            moved = project(
                apply_levers(inputs, {lv.key: sign * lv.direction * change}), years=years, **kw
            )
            moved = moved.loc["all"]
            rows.append(
                {
                    "lever": lever_label(lv.key),
                    "key": lv.key,
                    "side": side,
                    "ltv_net_change": _stable(moved["ltv_net"] / base["ltv_net"] - 1),
                    "arr_change": _stable(moved[arr] / base[arr] - 1),
                }
            )
    long = pd.DataFrame(rows)
    wide = long.pivot(index="lever", columns="side", values=["ltv_net_change", "arr_change"])
    wide.columns = [f"{a}_{b}" for a, b in wide.columns]
    wide["key"] = long.groupby("lever")["key"].first()
    size = wide[[c for c in wide.columns if c != "key"]].abs().max(axis=1)
    return wide.assign(largest=size).sort_values("largest", ascending=False).drop(columns="largest")
