"""What a usage-only score misses: per scenario, per quadrant, in churned ARR.

Works on two scored histories of the same accounts and dates (usually a usage-only and a
holistic scorecard), each with ``account_id``, ``obs_date``, ``churn_date``, ``churned``,
``arr``, ``score`` and ``band``. A churner counts as **caught** by a score when it was not
in the best band on some scoring date 60–90 days before it churned (a CSM had time to act).
"""

from __future__ import annotations

import pandas as pd

WINDOW = (60, 90)


def caught(history: pd.DataFrame, *, days=WINDOW, best: str = "green") -> pd.DataFrame:
    """Per churned account: was it flagged in the window, and the ARR it had then."""
    h = history.dropna(subset=["churn_date"])
    before = (h["churn_date"] - h["obs_date"]).dt.days
    win = h[(before >= days[0]) & (before <= days[1])]
    g = win.groupby("account_id")
    return pd.DataFrame(
        {"caught": (win["band"].astype(object) != best).groupby(win["account_id"]).any(),
         "arr": g["arr"].max()}
    )  # fmt: skip


def false_alarms(history: pd.DataFrame, *, worst: str = "red") -> pd.Series:
    """Per account that did not churn in the observed window: share of its scoring dates
    spent in the worst band (a CSM's wasted attention)."""
    h = history.dropna(subset=["churned"])
    h = h[~h["churned"].astype(bool) & h["churn_date"].isna()]
    return (h["band"].astype(object) == worst).groupby(h["account_id"]).mean()


def scenario_table(histories: dict, truth: pd.DataFrame) -> pd.DataFrame:
    """For each blind-spot scenario (from ``truth``) and score: accounts, how many churned,
    the share of churners each score caught 60–90 days ahead, and for accounts that stayed,
    the share of their dates each score spent in red."""
    scen = truth.set_index("account_id")["scenario"]
    first = next(iter(histories.values()))
    accounts = pd.Series(first["account_id"].unique())
    churners = first.dropna(subset=["churn_date"])["account_id"].unique()
    rows = pd.DataFrame({"scenario": accounts.map(scen).to_numpy()}, index=accounts.to_numpy())
    rows["churned"] = rows.index.isin(churners)
    out = rows.groupby("scenario").agg(accounts=("churned", "size"), churned=("churned", "sum"))
    for name, h in histories.items():
        c = caught(h)["caught"]
        fa = false_alarms(h)
        out[f"caught · {name}"] = c.groupby(c.index.map(scen)).mean()
        out[f"red while staying · {name}"] = fa.groupby(fa.index.map(scen)).mean()
    return out


def churned_arr_missed(history: pd.DataFrame) -> pd.Series:
    """Churned ARR whose account was still in the best band 60–90 days before churn."""
    c = caught(history)
    total = c["arr"].sum()
    missed = c.loc[~c["caught"], "arr"].sum()
    return pd.Series(
        {"churned_accounts": len(c), "churned_arr": total, "missed_arr": missed,
         "missed_share": missed / total if total else float("nan")}
    )  # fmt: skip


def quadrants(
    usage: pd.DataFrame, holistic: pd.DataFrame, *, at, usage_cut: float = 50.0
) -> pd.DataFrame:
    """Accounts on one date by usage (usage-only score high / low) × overall health
    (holistic band) with how many churned within the horizon: heavy users who churn and
    light users who stay show up off the diagonal."""
    at = pd.Timestamp(at)
    u = usage[usage["obs_date"] == at].set_index("account_id")
    h = holistic[holistic["obs_date"] == at].set_index("account_id")
    d = pd.DataFrame(
        {
            "usage": pd.Categorical(
                (u["score"] >= usage_cut).map({True: "high usage", False: "low usage"}),
                categories=["high usage", "low usage"],
            ),
            "health": h["band"],
            "churned": u["churned"].astype("boolean"),
        }
    ).dropna(subset=["churned"])
    g = d.groupby(["usage", "health"], observed=False)["churned"]
    return pd.DataFrame({"accounts": g.size(), "churn_rate": g.mean()})
