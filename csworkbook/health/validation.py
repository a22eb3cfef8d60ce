"""Does the score predict anything? Backtests, bands, capacity, learned weights, tuning.

All functions take a *scored history*: one row per account and past scoring date with the
score, its band and ``churned`` (churn within the horizon after the date; rows whose
window is not over yet are left out by the caller with ``dropna``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.metrics import roc_auc_score

from ..retention.models import l1_logistic
from ..stats import wilson_interval
from .blindspots import caught

GREEN_WARNING = 0.8


def band_table(scored: pd.DataFrame, *, band: str = "band", y: str = "churned") -> pd.DataFrame:
    """Churn rate per band with a 95% Wilson interval and lift over the base rate.

    Examples
    --------
    >>> s = pd.DataFrame({"band": pd.Categorical(["red", "red", "green", "green"],
    ...                   categories=["red", "green"]), "churned": [True, False, False, False]})
    >>> band_table(s)["churn_rate"].tolist()
    [0.5, 0.0]
    """
    d = scored.dropna(subset=[y])
    yy = d[y].astype(bool)
    g = yy.groupby(d[band], observed=False)
    out = pd.DataFrame({"observations": g.size(), "churned": g.sum()})
    out["share"] = out["observations"] / out["observations"].sum()
    out["churn_rate"] = out["churned"] / out["observations"].replace(0, np.nan)
    lo, hi = wilson_interval(out["churned"].to_numpy(), out["observations"].to_numpy())
    out["ci_low"], out["ci_high"] = lo, hi
    out["lift"] = out["churn_rate"] / yy.mean()
    return out


def auc(scored: pd.DataFrame, *, score: str = "score", y: str = "churned") -> float:
    """AUC of the score as a churn ranking (low score = high risk)."""
    d = scored.dropna(subset=[y, score])
    return float(roc_auc_score(d[y].astype(bool), -d[score]))


def capacity(
    scored: pd.DataFrame, per_date: int, *, score: str = "score", y: str = "churned"
) -> pd.Series:
    """If CSMs can act on ``per_date`` accounts each scoring date, taking the lowest scores:
    precision (share of those who churn) and recall (share of all churners reached)."""
    d = scored.dropna(subset=[y, score])
    rank = d.groupby("obs_date")[score].rank(method="first")
    picked = rank <= per_date
    yy = d[y].astype(bool)
    return pd.Series(
        {
            "accounts_per_date": per_date,
            "precision": yy[picked].mean(),
            "recall": yy[picked].sum() / max(yy.sum(), 1),
            "base_rate": yy.mean(),
        }
    )


def red_precision_recall(scored: pd.DataFrame, *, worst: str = "red", y: str = "churned"):
    """Precision and recall of the worst band as a churn alarm."""
    d = scored.dropna(subset=[y])
    flag = d["band"].astype(object) == worst
    yy = d[y].astype(bool)
    return pd.Series(
        {
            "flagged_share": flag.mean(),
            "precision": yy[flag].mean() if flag.any() else np.nan,
            "recall": (yy & flag).sum() / max(yy.sum(), 1),
        }
    )


def warned_before_churn(history: pd.DataFrame, *, days=(60, 90), best: str = "green") -> pd.Series:
    """Of the accounts that churned, the share that were *not* in the best band on some
    scoring date ``days[0]``–``days[1]`` days before their churn date (the CSM had time)."""
    warned = caught(history, days=days, best=best)["caught"]
    return pd.Series({"churned_accounts": len(warned), "warned_share": warned.mean()})


def calibration(
    scored: pd.DataFrame, *, score: str = "score", y: str = "churned", bins: int = 10
) -> pd.DataFrame:
    """Churn rate by score decile: a usable score falls steadily from bottom to top."""
    d = scored.dropna(subset=[y, score])
    q = pd.qcut(d[score].rank(method="first"), bins, labels=False) + 1
    g = d.groupby(q)
    return pd.DataFrame(
        {
            "score_low": g[score].min(),
            "score_high": g[score].max(),
            "observations": g.size(),
            "churn_rate": g[y].apply(lambda s: s.astype(bool).mean()),
        }
    ).rename_axis("score_decile")


def green_warning(scored: pd.DataFrame, *, best: str = "green") -> str | None:
    """A sentence when more than 80% of accounts sit in the best band: such a score calls
    almost everyone healthy and hides risk."""
    share = (scored["band"].astype(object) == best).mean()
    if share > GREEN_WARNING:
        return (
            f"{share:.0%} of accounts are {best}: a score that calls almost everyone healthy "
            "cannot point a CSM anywhere; raise the thresholds or the band edges."
        )
    return None


def summary(scored: pd.DataFrame, *, per_date: int = 50) -> pd.Series:
    """One line per scorecard for side-by-side comparison."""
    bt = band_table(scored)
    cap = capacity(scored, per_date)
    red = red_precision_recall(scored)
    return pd.Series(
        {
            "auc": auc(scored),
            "red_share": red["flagged_share"],
            "red_churn_rate": bt["churn_rate"].iloc[0],
            "green_churn_rate": bt["churn_rate"].iloc[-1],
            "red_lift": bt["lift"].iloc[0],
            "red_recall": red["recall"],
            f"precision_top_{per_date}": cap["precision"],
            f"recall_top_{per_date}": cap["recall"],
        }
    )


# ---- learned weights --------------------------------------------------------------------


def learned_weights(
    X: pd.DataFrame, y, *, columns: list[str], C: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """L1 logistic regression of *renewal* on standardised measures.

    Returns per measure the coefficient and the change in renewal probability for +1
    standard deviation from the average account (others held at their mean); L1 sets
    redundant measures to 0. Missing values are filled with the column median.
    """
    Z = X[columns].astype(float)
    Z = Z.fillna(Z.median())
    sd = Z.std(ddof=0).replace(0, 1.0)
    Z = (Z - Z.mean()) / sd
    renew = ~np.asarray(y, dtype=bool)
    model = l1_logistic(C=C, seed=seed)
    model.fit(Z.to_numpy(), renew)
    b0 = model.intercept_[0]
    p0 = 1 / (1 + np.exp(-b0))
    coef = model.coef_[0]
    p1 = 1 / (1 + np.exp(-(b0 + coef)))
    out = pd.DataFrame(
        {"coef": coef, "renewal_change_per_sd": p1 - p0, "sd": sd.to_numpy()}, index=columns
    )
    out["learned_pct"] = 100 * out["coef"].abs() / max(out["coef"].abs().sum(), 1e-12)
    return out.rename_axis("column")


def correlated_groups(X: pd.DataFrame, columns: list[str], *, threshold: float = 0.5) -> pd.Series:
    """Cluster measures whose absolute (Spearman) correlation exceeds ``threshold``: the
    members of one cluster largely say the same thing."""
    corr = X[columns].astype(float).corr(method="spearman").abs().fillna(0.0)
    dist = 1 - corr.to_numpy()
    np.fill_diagonal(dist, 0.0)
    Z = linkage(squareform(np.clip(dist, 0, None), checks=False), method="average")
    return pd.Series(
        fcluster(Z, t=1 - threshold, criterion="distance"), index=columns, name="cluster"
    )


# ---- the tuner underneath the sliders -----------------------------------------------------


def tune(frame: pd.DataFrame, scorecard, group_weights: dict) -> dict:
    """Re-score ``frame`` with new group weights; return what the sliders show.

    Returns a dict with ``weights`` (% of score per group), ``bands`` (band table),
    ``auc`` and ``red_lift``.
    """
    card = scorecard.with_group_weights(group_weights)
    scored = pd.concat([frame[["account_id", "obs_date", "churned"]], card.score(frame)], axis=1)
    bt = band_table(scored)
    w = card.weights().groupby("group", sort=False)["pct_of_score"].sum()
    return {"weights": w, "bands": bt, "auc": auc(scored), "red_lift": float(bt["lift"].iloc[0])}
