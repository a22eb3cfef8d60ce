"""Churn prediction with an honest evaluation: a model chosen on a validation period and
reported once on a later test period, AUC intervals that resample accounts, Brier beside
the base rate's, lift and precision beside the base rate, calibration, and per-account
drivers a CSM can read."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from ..stats import clustered_auc
from .features import USAGE_FEATURES

# What product usage alone says: level, breadth and trend, recency and change of key actions.
USAGE_ONLY = [*USAGE_FEATURES, "days_since_active", "key_actions_pct_change"]
# The signal sets the models are compared on; ``None`` means every column of X (usage plus
# relationship, support, NPS, outcomes, tenure and segment).
SIGNAL_SETS = {"usage only": USAGE_ONLY, "all signals": None}
LOGISTIC, BOOSTING = "logistic L1", "gradient boosting"


class Periods(NamedTuple):
    """Boolean masks over observations, one per period (see :func:`time_split`)."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    before_test: np.ndarray


def default_periods(as_of, *, valid_from=None, test_from=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Validation and test start dates for :func:`time_split`: those given, or the defaults
    of notebook 11 — test on the last 9 months before ``as_of``, validate on the 8 before.

    Examples
    --------
    >>> [d.date().isoformat() for d in default_periods(pd.Timestamp("2025-12-31"))]
    ['2024-08-01', '2025-04-01']
    >>> default_periods("2025-12-31", test_from="2025-06-01")[1].date().isoformat()
    '2025-06-01'
    """
    day = pd.Timedelta(days=1)
    as_of = pd.Timestamp(as_of)
    v = pd.Timestamp(valid_from) if valid_from else as_of - pd.DateOffset(months=17) + day
    t = pd.Timestamp(test_from) if test_from else as_of - pd.DateOffset(months=9) + day
    return v, t


def time_split(
    obs: pd.DataFrame,
    *,
    test_from,
    valid_from=None,
    lead_days: int = 28,
    horizon_days: int = 91,
) -> Periods:
    """Masks for training, validation and test periods that never let the future leak in.

    * ``test``: observations dated ``test_from`` or later.
    * ``valid``: observations dated ``valid_from`` or later whose whole label window
      (``lead_days + horizon_days``) closed before ``test_from``.
    * ``train``: observations whose label window closed before ``valid_from`` (before
      ``test_from`` when there is no validation period).
    * ``before_test``: every observation whose label window closed before ``test_from``,
      what the chosen model is refitted on before its one look at the test period.

    No label a model learns from depends on what happened in the period it is judged on.

    Examples
    --------
    >>> obs = pd.DataFrame({"obs_date": pd.date_range("2024-01-01", periods=12, freq="28D")})
    >>> p = time_split(obs, valid_from="2024-05-01", test_from="2024-09-01", lead_days=0,
    ...                horizon_days=28)
    >>> [obs.obs_date[m].dt.strftime("%m-%d").tolist() for m in p[:3]]  # 04-22, 08-12: gaps
    [['01-01', '01-29', '02-26', '03-25'], ['05-20', '06-17', '07-15'], ['09-09', '10-07', '11-04']]
    """
    t = pd.Timestamp(test_from)
    v = t if valid_from is None else pd.Timestamp(valid_from)
    if v > t:
        raise ValueError(f"valid_from={v.date()} is after test_from={t.date()}")
    label_end = obs["obs_date"] + pd.Timedelta(days=lead_days + horizon_days)
    before_test = (label_end <= t).to_numpy()
    train = (label_end <= v).to_numpy()
    valid = ((obs["obs_date"] >= v) & (label_end <= t)).to_numpy()
    test = (obs["obs_date"] >= t).to_numpy()
    if not train.any() or not test.any() or (valid_from is not None and not valid.any()):
        raise ValueError(
            f"valid_from={v.date()}, test_from={t.date()} leave {train.sum()} training, "
            f"{valid.sum()} validation and {test.sum()} test rows"
        )
    return Periods(train, valid, test, before_test)


def describe_periods(obs: pd.DataFrame, periods: Periods) -> pd.DataFrame:
    """One row per period of :func:`time_split`: first and last observation date,
    observations, accounts, accounts that churn in a label window of the period, churn rate.

    >>> obs = pd.DataFrame({"obs_date": pd.to_datetime(["2024-01-01", "2024-06-01"]),
    ...                     "account_id": ["a", "b"], "churned": [False, True]})
    >>> describe_periods(obs, time_split(obs, test_from="2024-05-01"))["churned_accounts"].tolist()
    [0, 0, 1, 0]
    """
    rows = {}
    for name, m in periods._asdict().items():
        d = obs[m]
        rows[name.replace("_", " ")] = {
            "first_date": d["obs_date"].min(),
            "last_date": d["obs_date"].max(),
            "observations": len(d),
            "accounts": d["account_id"].nunique(),
            "churned_accounts": d.loc[d["churned"].astype(bool), "account_id"].nunique(),
            "churn_rate": d["churned"].mean() if len(d) else np.nan,
        }
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("period")
    for c in ("first_date", "last_date"):
        out[c] = pd.to_datetime(out[c]).dt.date
    return out.astype({c: int for c in ("observations", "accounts", "churned_accounts")})


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


def l1_logistic(*, C: float, seed: int, solver: str = "saga", **kwargs) -> LogisticRegression:
    """L1-penalised logistic regression, spelled for the installed scikit-learn: 1.8 moved
    the penalty into ``l1_ratio`` (Python 3.10 stops at 1.7, where ``l1_ratio`` alone
    would silently mean L2). Extra keyword arguments go to ``LogisticRegression``."""
    import sklearn

    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    penalty = {"l1_ratio": 1.0} if (major, minor) >= (1, 8) else {"penalty": "l1"}
    kwargs.setdefault("max_iter", 5000)
    return LogisticRegression(**penalty, solver=solver, C=C, random_state=seed, **kwargs)


def logistic_model(X: pd.DataFrame, *, C: float = 0.1, seed: int = 0) -> Pipeline:
    """Standardised L1 logistic regression: sparse, readable coefficients.

    Fitted by coordinate descent (liblinear), which reaches the optimum of this small,
    dense problem in a few dozen passes; saga needs thousands when a few customers sit
    twenty standard deviations out, and can stop short of the optimum while reporting
    convergence. liblinear penalises the intercept like a coefficient; scaling its column
    by 100 makes that penalty negligible (1/100 of the intercept's size)."""
    lr = l1_logistic(C=C, seed=seed, solver="liblinear", tol=1e-6, intercept_scaling=100)
    return Pipeline([("prep", _preprocess(X)), ("model", lr)])


def boosting_model(X: pd.DataFrame, *, seed: int = 0) -> Pipeline:
    """Histogram gradient boosting: catches interactions and non-linear effects."""
    hgb = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=seed
    )
    return Pipeline([("prep", _preprocess(X)), ("model", hgb)])


@dataclass(frozen=True)
class Candidate:
    """One model to compare: a signal set (a key of :data:`SIGNAL_SETS`), a model kind
    (:data:`LOGISTIC` or :data:`BOOSTING`) and, for the logistic, its inverse penalty C."""

    signals: str
    model: str
    C: float | None = None

    @property
    def name(self) -> str:
        kind = self.model if self.C is None else f"{self.model}, C={self.C:g}"
        return f"{self.signals} · {kind}"

    def columns(self, X: pd.DataFrame) -> list[str]:
        cols = SIGNAL_SETS[self.signals]
        return list(X.columns) if cols is None else [c for c in cols if c in X.columns]

    def make(self, X: pd.DataFrame, *, seed: int = 0) -> Pipeline:
        if self.model == LOGISTIC:
            return logistic_model(X, C=self.C, seed=seed)
        if self.model == BOOSTING:
            return boosting_model(X, seed=seed)
        raise ValueError(f"unknown model {self.model!r}")


def default_candidates(Cs=(0.1, 0.3, 1.0)) -> list[Candidate]:
    """The default comparison: per signal set, the L1 logistic at each C (strongest penalty
    first) and gradient boosting, simplest first (ties go to the simpler model)."""
    return [
        cand
        for signals in SIGNAL_SETS
        for cand in (
            *(Candidate(signals, LOGISTIC, C) for C in Cs),
            Candidate(signals, BOOSTING),
        )
    ]


def fit(candidate: Candidate, X: pd.DataFrame, y, *, seed: int = 0) -> Pipeline:
    """Fit a candidate on its columns of ``X``; a fit that stopped before converging raises.

    Runs on one thread: these fits are small, and a fixed thread count keeps every sum in
    the same order on every machine."""
    cols = candidate.columns(X)
    model = candidate.make(X[cols], seed=seed)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X[cols], np.asarray(y, dtype=bool))
    est = model.named_steps["model"]
    if np.max(est.n_iter_) >= est.max_iter and candidate.model == LOGISTIC:
        raise RuntimeError(f"{candidate.name} did not converge in {est.max_iter} iterations")
    return model


def predict(candidate: Candidate, model: Pipeline, X: pd.DataFrame) -> np.ndarray:
    """Churn probabilities of a fitted candidate."""
    with threadpool_limits(1):
        return model.predict_proba(X[candidate.columns(X)])[:, 1]


def lift_at(y, p, share: float = 0.1) -> float:
    """Churn rate among the ``share`` highest-scored observations over the overall rate."""
    return precision_at(y, p, share) / float(np.asarray(y, dtype=float).mean())


def precision_at(y, p, share: float = 0.1) -> float:
    """Churn rate among the ``share`` highest-scored observations (ties broken by order).

    >>> precision_at([1, 0, 0, 1], [0.9, 0.8, 0.1, 0.2], share=0.5)
    0.5
    """
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    k = max(1, int(round(share * len(y))))
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].mean())


def evaluate(y, p, *, train_base_rate: float | None = None) -> pd.Series:
    """AUC, Brier score beside the *base-rate Brier* (the Brier of predicting the training
    base rate for everyone, the bar any model must clear), precision and lift in the top
    decile beside the base rate.

    >>> s = evaluate([0, 0, 0, 1], [0.1, 0.2, 0.1, 0.6], train_base_rate=0.5)
    >>> float(s["base_rate_brier"]), float(s["base_rate"])
    (0.25, 0.25)
    """
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=float)
    ref = float(y.mean()) if train_base_rate is None else float(train_base_rate)
    return pd.Series(
        {
            "auc": roc_auc_score(y, p),
            "brier": brier_score_loss(y, p),
            "base_rate_brier": float(np.mean((y - ref) ** 2)),
            "precision_top_decile": precision_at(y, p, 0.1),
            "base_rate": float(y.mean()),
            "lift_top_decile": lift_at(y, p, 0.1),
            "observations": len(y),
        }
    )


@dataclass
class Comparison:
    """What :func:`compare_models` returns: ``table`` (one row per candidate); by candidate
    name the fitted ``models``, their ``scores`` on the evaluation rows and the
    ``candidates``; and the evaluation rows' labels ``y`` and ``accounts``."""

    table: pd.DataFrame
    models: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)
    candidates: dict = field(default_factory=dict)
    y: np.ndarray | None = None
    accounts: np.ndarray | None = None


def compare_models(
    X: pd.DataFrame,
    y,
    accounts,
    *,
    fit_rows,
    eval_rows,
    candidates: list[Candidate],
    baseline: str | None = None,
    n_boot: int = 500,
    seed: int = 0,
) -> Comparison:
    """Fit each candidate on ``fit_rows`` and judge it on ``eval_rows``.

    Parameters
    ----------
    X, y, accounts
        Features, churn labels and the account of each observation (the unit resampled
        for intervals: an account observed every month is one customer, not twelve).
    fit_rows, eval_rows : boolean arrays
        Rows to fit on and rows to judge on (e.g. from :func:`time_split`).
    candidates : list of Candidate
    baseline : str, optional
        Candidate name the AUC differences are taken against (default: the highest AUC).
    n_boot, seed
        Bootstrap replicates over accounts, and their seed.

    Returns
    -------
    Comparison whose ``table`` has per candidate ``signals``, ``model``, ``C``, ``auc`` with
    ``auc_low``/``auc_high``, ``diff`` (AUC minus the baseline's, on the same resampled
    accounts) with ``diff_low``/``diff_high``, then the columns of :func:`evaluate` (Brier
    against the base-rate Brier of the fitting rows) and ``accounts``/``churned_accounts``
    of the evaluation rows. ``table.attrs["baseline"]`` names the baseline.
    """
    y = np.asarray(y, dtype=bool)
    accounts = np.asarray(accounts)
    fit_rows, eval_rows = np.asarray(fit_rows, dtype=bool), np.asarray(eval_rows, dtype=bool)
    out = Comparison(table=pd.DataFrame())
    train_rate = float(y[fit_rows].mean())
    for cand in candidates:
        model = fit(cand, X[fit_rows], y[fit_rows])
        out.models[cand.name] = model
        out.scores[cand.name] = predict(cand, model, X[eval_rows])
        out.candidates[cand.name] = cand
    ye, acc = y[eval_rows], accounts[eval_rows]
    out.y, out.accounts = ye, acc
    points = {k: float(roc_auc_score(ye, s)) for k, s in out.scores.items()}
    baseline = baseline or max(points, key=points.get)  # first of equals: the simpler
    boot = clustered_auc(ye, out.scores, acc, baseline=baseline, n_boot=n_boot, seed=seed)
    rows = []
    for name, cand in out.candidates.items():
        ev = evaluate(ye, out.scores[name], train_base_rate=train_rate)
        b = boot.loc[name]
        rows.append(
            {
                "candidate": name,
                "signals": cand.signals,
                "model": cand.model,
                "C": cand.C,
                "auc": b["auc"],
                "auc_low": b["low"],
                "auc_high": b["high"],
                "diff": b["vs_" + baseline],
                "diff_low": b["diff_low"],
                "diff_high": b["diff_high"],
                **ev.drop("auc").to_dict(),
                "accounts": len(np.unique(acc)),
                "churned_accounts": len(np.unique(acc[ye])),
            }
        )
    out.table = pd.DataFrame(rows).set_index("candidate")
    out.table.attrs["baseline"] = baseline
    return out


def select_model(table: pd.DataFrame) -> str:
    """The candidate with the highest AUC in a :func:`compare_models` table (the first of
    equals, i.e. the simpler). Pass it the *validation* table: choosing on the test period
    would make the test figure a best-of-many, not an estimate."""
    return str(table["auc"].idxmax())


def best_per_signals(table: pd.DataFrame) -> pd.Series:
    """Per signal set, the candidate with the highest AUC in a :func:`compare_models` table."""
    return table.groupby("signals", sort=False)["auc"].idxmax()


def validate_then_test(
    X: pd.DataFrame,
    y,
    accounts,
    periods: Periods,
    *,
    candidates: list[Candidate] | None = None,
    n_boot: int = 500,
    seed: int = 0,
) -> tuple[Comparison, Comparison]:
    """Notebook 11's procedure in one call. Fit every candidate on the training period and
    judge it on the validation period; keep the best of each signal set there; refit those
    on everything labelled before the test period and judge them once on it, with AUC
    differences taken against the overall validation winner (:func:`select_model`).

    Returns the validation and the test :class:`Comparison`.
    """
    cands = default_candidates() if candidates is None else candidates
    valid = compare_models(
        X,
        y,
        accounts,
        fit_rows=periods.train,
        eval_rows=periods.valid,
        candidates=cands,
        n_boot=n_boot,
        seed=seed,
    )
    finalists = [valid.candidates[name] for name in best_per_signals(valid.table)]
    test = compare_models(
        X,
        y,
        accounts,
        fit_rows=periods.before_test,
        eval_rows=periods.test,
        candidates=finalists,
        baseline=select_model(valid.table),
        n_boot=n_boot,
        seed=seed,
    )
    return valid, test


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`compare_models` table as text at the precision its intervals support: AUC
    to two decimals with its 95% interval, the AUC difference from the baseline (the
    ``reference`` row) with its interval, Brier beside the base-rate Brier, and churn
    among the top-scored 10% (precision) and lift beside the base rate."""

    def ci(point, lo, hi, fmt):
        return [
            f"{p:{fmt}} ({a:{fmt}} to {b:{fmt}})" for p, a, b in zip(point, lo, hi, strict=True)
        ]

    t = table
    ref = t.index == t.attrs.get("baseline")
    return pd.DataFrame(
        {
            "AUC (95% CI)": ci(t["auc"], t["auc_low"], t["auc_high"], ".2f"),
            "AUC difference (95% CI)": np.where(
                ref, "reference", ci(t["diff"], t["diff_low"], t["diff_high"], "+.2f")
            ),
            "Brier": t["brier"].map("{:.3f}".format),
            "base-rate Brier": t["base_rate_brier"].map("{:.3f}".format),
            "top-10% churn": t["precision_top_decile"].map("{:.1%}".format),
            "base rate": t["base_rate"].map("{:.1%}".format),
            "lift": t["lift_top_decile"].map("{:.1f}×".format),
        },
        index=t.index,
    ).rename_axis(None)


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
    order = np.argsort(-contrib.to_numpy(), axis=1, kind="stable")[:, :top]
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
