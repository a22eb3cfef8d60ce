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

from ..data.dataset import Dataset
from .features import OTHER_FEATURES, USAGE_FEATURES, account_signals
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
    X = account_signals(ds, obs, lead_days=lead_days)[USAGE_FEATURES + OTHER_FEATURES]
    y = obs["churned"].to_numpy()
    groups = obs["account_id"].to_numpy()
    rows = {
        "usage only": _cv_auc(X[USAGE_FEATURES], y, groups, folds),
        "all signals": _cv_auc(X, y, groups, folds),
    }
    return pd.DataFrame(
        {"auc": rows, "renewals": len(obs), "churn_rate": float(y.mean())}
    ).rename_axis("model")
