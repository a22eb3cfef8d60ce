"""The economics of acting: what working a risk list is worth, and how to know the save rate.

Working a customer at risk saves its ARR only if the customer would have left and the play
changes its mind. The first part is the risk; the second, the **save rate**, is the share of
would-be churns a play prevents. It cannot be read off the accounts a team worked (they were
chosen because they looked at risk, and many would have stayed anyway); it takes a randomised
comparison: enrol the at-risk customers, give the play to a random part of them, and compare
churn with the rest (:func:`uplift`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..data.errors import DataError
from ..stats import wilson_interval


def capacity(n_csms: int, hours_per_csm_week: float, weeks: float, hours_per_account: float) -> int:
    """Customers a team can work: ``n_csms x hours a week x weeks / hours per customer``.

    >>> capacity(4, 6, 13, 8)
    39
    """
    return int(n_csms * hours_per_csm_week * weeks // hours_per_account)


def arr_saved(
    risk_list: pd.DataFrame,
    *,
    k: int,
    save_rate: float,
    order: str = "arr_at_risk",
    risk: str = "churn_risk",
    arr: str = "arr_renewing",
) -> pd.Series:
    """Expected ARR saved by working the top ``k`` of ``risk_list`` ranked by ``order``:
    the sum over them of risk x ARR x save rate (the play saves a would-be churn with
    probability ``save_rate``), beside the ARR at risk on the whole list.

    >>> lst = pd.DataFrame({"churn_risk": [0.5, 0.1], "arr_renewing": [100.0, 1000.0]})
    >>> lst["arr_at_risk"] = lst.churn_risk * lst.arr_renewing
    >>> float(arr_saved(lst, k=1, save_rate=0.4)["arr_saved"])
    40.0
    """
    ranked = risk_list.sort_values(order, ascending=False, kind="stable").head(k)
    at_risk = (ranked[risk] * ranked[arr]).sum()
    total = (risk_list[risk] * risk_list[arr]).sum()
    return pd.Series(
        {
            "accounts_worked": len(ranked),
            "arr_worked": ranked[arr].sum(),
            "arr_at_risk_worked": at_risk,
            "share_of_arr_at_risk": at_risk / total if total > 0 else np.nan,
            "arr_saved": at_risk * save_rate,
        }
    )


def saved_curve(
    risk_list: pd.DataFrame, *, save_rate: float, orders: dict | None = None, step: int = 10
) -> pd.DataFrame:
    """Expected ARR saved against the number of customers worked, for several ways of
    ordering the list (long format: ``accounts``, ``order``, ``arr_saved``)."""
    orders = orders or {
        "ARR at risk (risk x ARR)": "arr_at_risk",
        "risk only": "churn_risk",
        "ARR only": "arr_renewing",
    }
    ks = np.unique(np.r_[np.arange(0, len(risk_list), step), len(risk_list)])
    rows = [
        {
            "accounts": k,
            "order": name,
            "arr_saved": arr_saved(risk_list, k=k, save_rate=save_rate, order=col)["arr_saved"],
        }
        for name, col in orders.items()
        for k in ks
    ]
    return pd.DataFrame(rows)


def play_outcomes(ds, experiment: str = "save_play") -> pd.DataFrame:
    """The customers enrolled in ``experiment`` with what happened at the renewal the play
    targeted: ``churned`` (any contract renewing that day churned) and ``arr_at_target`` (the
    ARR that came up for renewal then, 0 if none did)."""
    ds.require("experiments", "renewals", to=f"the outcomes of the {experiment!r} experiment")
    ex = ds.experiments[ds.experiments["experiment"] == experiment]
    if ex.empty:
        raise DataError(
            f"no customer enrolled in {experiment!r}; experiments: {sorted(ds.experiments.experiment.unique())}"
        )
    r = ds.renewals.assign(churned=ds.renewals["outcome"] == "churned")
    at = r.groupby(["account_id", "renewal_date"]).agg(
        churned=("churned", "any"), arr_at_target=("arr_before", "sum")
    )
    out = ex.join(at, on=["account_id", "target_date"])
    out["churned"] = out["churned"].fillna(False).astype(bool)
    out["arr_at_target"] = out["arr_at_target"].fillna(0.0)
    return out.reset_index(drop=True)


def uplift(outcomes: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Churn per arm, and the play's effect with intervals.

    Rows ``control`` and ``treatment``: customers, churned, churn rate and its Wilson
    interval. Row ``difference``: churn prevented, in percentage points of the treated
    (control minus treatment; Newcombe's hybrid score interval). Row ``save rate``: the share
    of would-be churns prevented, ``1 - treatment / control`` (Katz log interval of the ratio).

    >>> o = pd.DataFrame({"arm": ["control"] * 100 + ["treatment"] * 100,
    ...                   "churned": [True] * 40 + [False] * 60 + [True] * 30 + [False] * 70})
    >>> round(float(uplift(o).loc["save rate", "estimate"]), 3)
    0.25
    """
    z = norm.ppf(0.5 + confidence / 2)
    rows = {}
    for arm in ("control", "treatment"):
        part = outcomes[outcomes["arm"] == arm]
        n, k = len(part), int(part["churned"].sum())
        lo, hi = wilson_interval(k, n, confidence)
        rows[arm] = {
            "customers": n,
            "churned": k,
            "estimate": k / n if n else np.nan,
            "low": float(lo),
            "high": float(hi),
        }
    c, t = rows["control"], rows["treatment"]
    diff = c["estimate"] - t["estimate"]
    rows["difference"] = {
        "estimate": diff,
        "low": diff - np.hypot(c["estimate"] - c["low"], t["high"] - t["estimate"]),
        "high": diff + np.hypot(c["high"] - c["estimate"], t["estimate"] - t["low"]),
    }
    if c["churned"] and t["churned"]:
        log_rr = np.log(t["estimate"] / c["estimate"])
        se = np.sqrt(1 / t["churned"] - 1 / t["customers"] + 1 / c["churned"] - 1 / c["customers"])
        rows["save rate"] = {
            "estimate": 1 - np.exp(log_rr),
            "low": 1 - np.exp(log_rr + z * se),
            "high": 1 - np.exp(log_rr - z * se),
        }
    else:
        rows["save rate"] = {"estimate": np.nan, "low": np.nan, "high": np.nan}
    return pd.DataFrame.from_dict(rows, orient="index")[
        ["customers", "churned", "estimate", "low", "high"]
    ]


def naive_before_after(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The comparison a team without a control group makes: churn the risk list expected when
    the customers were enrolled (before) against the churn that happened (after), per arm.

    The treated arm's "save rate" here credits the play with everything that changed. The
    control arm shows how much of that would have happened anyway: customers put on a list
    because their risk *looked* high were, on average, less at risk than they looked
    (regression to the mean), so their churn falls with no play at all."""
    rows = {}
    for arm, part in outcomes.groupby("arm"):
        before = part["risk_at_enrolment"].mean()
        after = part["churned"].mean()
        rows[arm] = {
            "customers": len(part),
            "expected_before": before,
            "churned_after": after,
            "naive_save_rate": 1 - after / before,
        }
    return pd.DataFrame.from_dict(rows, orient="index")
