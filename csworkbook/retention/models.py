"""Churn prediction with an honest evaluation: time-based split, AUC, lift, calibration,
and per-account drivers a CSM can read."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def time_split(obs: pd.DataFrame, *, test_from, lead_days: int = 28, horizon_days: int = 91):
    """Boolean masks (train, test) that never let the future leak into training.

    Test observations are dated ``test_from`` or later. Training observations must have
    their whole label window closed before ``test_from``, so no training label depends on
    what happened during the test period.
    """
    t = pd.Timestamp(test_from)
    label_end = obs["obs_date"] + pd.Timedelta(days=lead_days + horizon_days)
    train = (label_end <= t).to_numpy()
    test = (obs["obs_date"] >= t).to_numpy()
    if not train.any() or not test.any():
        raise ValueError(
            f"test_from={t.date()} leaves {train.sum()} training and {test.sum()} test rows"
        )
    return train, test


def _preprocess(X: pd.DataFrame) -> ColumnTransformer:
    cat = [
        c for c in X.columns if X[c].dtype == object or str(X[c].dtype) in ("string", "category")
    ]
    num = [c for c in X.columns if c not in cat]
    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                num,
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat),
        ],
        verbose_feature_names_out=False,
    )


def l1_logistic(*, C: float, seed: int) -> LogisticRegression:
    """L1-penalised logistic regression, spelled for the installed scikit-learn: 1.8 moved
    the penalty into ``l1_ratio`` (Python 3.10 stops at 1.7, where ``l1_ratio`` alone
    would silently mean L2)."""
    import sklearn

    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    if (major, minor) >= (1, 8):
        return LogisticRegression(
            l1_ratio=1.0, solver="saga", C=C, max_iter=5000, random_state=seed
        )
    return LogisticRegression(penalty="l1", solver="saga", C=C, max_iter=5000, random_state=seed)


def logistic_model(X: pd.DataFrame, *, C: float = 0.1, seed: int = 0) -> Pipeline:
    """Standardised L1 logistic regression: sparse, readable coefficients."""
    lr = l1_logistic(C=C, seed=seed)
    return Pipeline([("prep", _preprocess(X)), ("model", lr)])


def boosting_model(X: pd.DataFrame, *, seed: int = 0) -> Pipeline:
    """Histogram gradient boosting: catches interactions and non-linear effects."""
    hgb = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=seed
    )
    return Pipeline([("prep", _preprocess(X)), ("model", hgb)])


def lift_at(y, p, share: float = 0.1) -> float:
    """Churn rate among the ``share`` highest-scored observations over the overall rate."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    k = max(1, int(round(share * len(y))))
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].mean() / y.mean())


def evaluate(y, p) -> pd.Series:
    """AUC, lift in the top decile, Brier score and base rate of one set of predictions."""
    y = np.asarray(y, dtype=bool)
    return pd.Series(
        {
            "auc": roc_auc_score(y, p),
            "lift_top_decile": lift_at(y, p, 0.1),
            "brier": brier_score_loss(y, p),
            "base_rate": y.mean(),
            "observations": len(y),
        }
    )


def calibration_table(y, p, *, bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed churn in equal-count bins of the prediction."""
    d = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(p, dtype=float)})
    d["bin"] = pd.qcut(d["p"].rank(method="first"), bins, labels=False) + 1
    out = d.groupby("bin").agg(
        predicted=("p", "mean"), observed=("y", "mean"), observations=("y", "size")
    )
    out.index.name = "prediction_bin"
    return out


def coefficients(model: Pipeline) -> pd.Series:
    """Standardised coefficients of a fitted :func:`logistic_model`: the change in churn
    log-odds per standard deviation (or for a category), zeros dropped, largest first."""
    names = model.named_steps["prep"].get_feature_names_out()
    coef = pd.Series(model.named_steps["model"].coef_[0], index=names)
    coef = coef[coef != 0]
    return coef.reindex(coef.abs().sort_values(ascending=False).index)


def drivers(model: Pipeline, X: pd.DataFrame, *, top: int = 3) -> pd.DataFrame:
    """Per observation, the features that push a :func:`logistic_model`'s churn risk up
    most (standardised value × coefficient), as text a CSM can read."""
    prep = model.named_steps["prep"]
    Z = pd.DataFrame(prep.transform(X), columns=prep.get_feature_names_out(), index=X.index)
    contrib = Z * model.named_steps["model"].coef_[0]
    order = np.argsort(-contrib.to_numpy(), axis=1)[:, :top]
    cats = (
        set(prep.named_transformers_["cat"].get_feature_names_out())
        if "cat" in prep.named_transformers_
        else set()
    )
    # "low recommend_mean" reads better than a signed z-score; categories are named as they are.
    label = np.where(Z.to_numpy() > 0, "high ", "low ").astype(object) + Z.columns.to_numpy()
    label[:, [c in cats for c in Z.columns]] = Z.columns.to_numpy()[[c in cats for c in Z.columns]]
    vals = np.take_along_axis(contrib.to_numpy(), order, axis=1)
    names = np.take_along_axis(label, order, axis=1)
    text = [
        ", ".join(f"{n} (+{v:.2f})" for n, v in zip(nm, val, strict=True) if v > 0) or "none"
        for nm, val in zip(names, vals, strict=True)
    ]
    return pd.DataFrame({"risk_drivers": text}, index=X.index)
