"""Checks that a dataset holds realistic, discoverable structure.

* :func:`calibration` compares trailing-year retention with public SaaS benchmark ranges.
* :func:`signal_auc` shows how well renewals can be told from churn using usage alone
  versus usage plus relationship, support, NPS and outcome signals.

README quotes both on the demo dataset; ``tests/test_structure.py`` recomputes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .dataset import Dataset
from .features import usage_features, window_agg
from .metrics import trailing_year

# Benchmark ranges for a B2B SaaS company's trailing twelve months.
# GRR / NRR: SaaS Capital's annual B2B SaaS retention surveys (medians around 90-92% GRR and
# 100-105% NRR, NRR rising with contract value). Logo churn by segment: ranges commonly
# quoted by SaaS practitioners (SMB 2-4% a month, enterprise under ~10% a year).
BENCHMARKS = pd.DataFrame(
    [
        ("all", "grr", 0.85, 0.95),
        ("all", "nrr", 0.98, 1.12),
        ("enterprise", "logo_churn", 0.02, 0.10),
        ("mid_market", "logo_churn", 0.06, 0.18),
        ("smb", "logo_churn", 0.20, 0.40),
        ("enterprise", "nrr", 1.00, 1.25),
        ("smb", "grr", 0.60, 0.85),
    ],
    columns=["group", "metric", "low", "high"],
)

USAGE_FEATURES = [
    "active_share",
    "sessions_per_user",
    "key_actions_per_week",
    "features_used",
    "active_users_trend",
    "key_actions_trend",
]
OTHER_FEATURES = [
    "nps_mean",
    "nps_detractors",
    "low_csat_tickets",
    "urgent_tickets",
    "champion_left",
    "sponsor_or_reorg",
    "business_reviews",
    "negative_touches",
    "positive_touches",
    "days_to_first_value",
    "icp_fit",
]


def calibration(ds: Dataset) -> pd.DataFrame:
    """Trailing-year GRR, NRR and logo churn beside the benchmark range for each."""
    overall = trailing_year(ds.mrr_monthly, ds.as_of)
    by_seg = trailing_year(ds.mrr_monthly, ds.as_of, accounts=ds.accounts, by="segment")
    values = pd.concat([overall, by_seg])
    out = BENCHMARKS.copy()
    out["value"] = [values.loc[g, m] for g, m in zip(out["group"], out["metric"], strict=True)]
    out["within"] = out["value"].between(out["low"], out["high"])
    return out


def renewal_observations(ds: Dataset, *, min_term_months: int = 12) -> pd.DataFrame:
    """Renewal decisions of contracts with terms of at least ``min_term_months``:
    ``account_id``, ``obs_date`` (the renewal date), ``seats`` and ``churned``."""
    ren = ds.renewals.merge(ds.contracts[["contract_id", "term_months", "seats"]], on="contract_id")
    ren = ren[ren["term_months"] >= min_term_months]
    return pd.DataFrame(
        {
            "account_id": ren["account_id"].to_numpy(),
            "obs_date": ren["renewal_date"].to_numpy(),
            "seats": ren["seats"].astype(float).to_numpy(),
            "churned": (ren["outcome"] == "churned").to_numpy(),
        }
    )


def signal_features(ds: Dataset, obs: pd.DataFrame, *, lead_days: int = 30) -> pd.DataFrame:
    """Usage and non-usage signals known ``lead_days`` before each observation date."""
    out = usage_features(obs, ds.usage, obs["seats"], lead_days=lead_days)
    nps = window_agg(
        obs,
        ds.nps.assign(detractor=ds.nps["score"] <= 6),
        "date",
        {"nps_mean": ("score", "mean"), "nps_detractors": ("detractor", "sum")},
        days=365,
        lead_days=lead_days,
    )
    t = ds.tickets.assign(
        date=ds.tickets["opened_at"],
        low=ds.tickets["csat"] <= 2,
        urgent=ds.tickets["priority"] == "urgent",
    )
    tix = window_agg(
        obs,
        t,
        "date",
        {"low_csat_tickets": ("low", "sum"), "urgent_tickets": ("urgent", "sum")},
        days=180,
        lead_days=lead_days,
    )
    st = ds.stakeholder_events.assign(
        champ=ds.stakeholder_events["event"] == "champion_left",
        other=ds.stakeholder_events["event"] != "champion_left",
    )
    stake = window_agg(
        obs,
        st,
        "date",
        {"champion_left": ("champ", "sum"), "sponsor_or_reorg": ("other", "sum")},
        days=240,
        lead_days=lead_days,
    )
    tp = ds.touchpoints.assign(
        review=ds.touchpoints["kind"].isin(["qbr", "ebr"]),
        neg=ds.touchpoints["sentiment"] == "negative",
        pos=ds.touchpoints["sentiment"] == "positive",
    )
    reviews = window_agg(
        obs, tp, "date", {"business_reviews": ("review", "sum")}, days=365, lead_days=lead_days
    )
    mood = window_agg(
        obs,
        tp,
        "date",
        {"negative_touches": ("neg", "sum"), "positive_touches": ("pos", "sum")},
        days=180,
        lead_days=lead_days,
    )
    fv = ds.milestones[ds.milestones["milestone"] == "first_value"].set_index("account_id")[
        "achieved_date"
    ]
    acc = ds.accounts.set_index("account_id")
    first = acc["first_contract_date"].reindex(obs["account_id"]).to_numpy()
    ttv = (pd.to_datetime(fv.reindex(obs["account_id"]).to_numpy()) - first).days
    out = pd.concat([out, nps, tix, stake, reviews, mood], axis=1)
    out["days_to_first_value"] = np.asarray(ttv, dtype=float)
    out["icp_fit"] = acc["icp_fit"].reindex(obs["account_id"]).to_numpy()
    return out[USAGE_FEATURES + OTHER_FEATURES]


def _cv_auc(X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, folds: int) -> float:
    model = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    p = cross_val_predict(
        model, X, y, groups=groups, cv=GroupKFold(n_splits=folds), method="predict_proba"
    )
    return float(roc_auc_score(y, p[:, 1]))


def signal_auc(ds: Dataset, *, lead_days: int = 30, folds: int = 5) -> pd.DataFrame:
    """Cross-validated AUC of a logistic regression that tells churn from renewal.

    Folds are grouped by account so no account is in both training and test data.

    Returns
    -------
    DataFrame indexed by model (``usage only``, ``all signals``) with ``auc``,
    ``renewals`` and ``churn_rate``.
    """
    obs = renewal_observations(ds)
    X = signal_features(ds, obs, lead_days=lead_days)
    y = obs["churned"].to_numpy()
    groups = obs["account_id"].to_numpy()
    rows = {
        "usage only": _cv_auc(X[USAGE_FEATURES], y, groups, folds),
        "all signals": _cv_auc(X, y, groups, folds),
    }
    return pd.DataFrame(
        {"auc": rows, "renewals": len(obs), "churn_rate": float(y.mean())}
    ).rename_axis("model")
