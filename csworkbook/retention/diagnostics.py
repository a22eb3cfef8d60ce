"""Checks that a dataset holds realistic, discoverable structure.

* :func:`calibration` compares trailing-year retention with public SaaS benchmark ranges.
* :func:`signal_auc` shows how well renewals can be told from churn using usage alone
  versus usage plus relationship, support, NPS and outcome signals.
* :func:`usage_vs_all` sets that comparison beside the workbook's two others (notebook 11's
  churn prediction, notebooks 12-13's health scores): same question, three definitions.
* :func:`heavy_user_deciles` shows churn by usage decile with and without the heavy-user
  scenarios the generator planted.

README quotes them on the demo dataset; ``tests/test_structure.py`` recomputes them.
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
from threadpoolctl import threadpool_limits

from ..data.dataset import Dataset
from ..stats import clustered_auc, clustered_rates
from . import models
from .features import BEHAVIOUR_EXTRAS, OTHER_FEATURES, USAGE_FEATURES, account_signals
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
    """Trailing-year GRR, NRR and logo churn beside the benchmark range for each: one row per
    benchmark whose group the data holds (a dataset of one segment gets the company-wide rows
    and that segment's)."""
    overall = trailing_year(ds.mrr_monthly, ds.as_of)
    by_seg = trailing_year(ds.mrr_monthly, ds.as_of, accounts=ds.accounts, by="segment")
    values = pd.concat([overall, by_seg])
    out = BENCHMARKS[BENCHMARKS["group"].isin(values.index)].reset_index(drop=True)
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


def _cv_scores(X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, folds: int) -> np.ndarray:
    model = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    with threadpool_limits(1):
        p = cross_val_predict(
            model, X, y, groups=groups, cv=GroupKFold(n_splits=folds), method="predict_proba"
        )
    return p[:, 1]


def _renewal_scores(ds: Dataset, *, lead_days: int = 30, folds: int = 5):
    obs = renewal_observations(ds)
    X = account_signals(ds, obs, lead_days=lead_days)[USAGE_FEATURES + OTHER_FEATURES]
    y = obs["churned"].to_numpy()
    groups = obs["account_id"].to_numpy()
    scores = {
        "usage only": _cv_scores(X[USAGE_FEATURES], y, groups, folds),
        "all signals": _cv_scores(X, y, groups, folds),
    }
    return obs, scores


def signal_auc(ds: Dataset, *, lead_days: int = 30, folds: int = 5) -> pd.DataFrame:
    """Cross-validated AUC of a logistic regression that tells churn from renewal.

    Folds are grouped by account so no account is in both training and test data.

    Returns
    -------
    DataFrame indexed by model (``usage only``, ``all signals``) with ``auc``,
    ``renewals`` and ``churn_rate``.
    """
    obs, scores = _renewal_scores(ds, lead_days=lead_days, folds=folds)
    y = obs["churned"].to_numpy()
    rows = {k: float(roc_auc_score(y, s)) for k, s in scores.items()}
    return pd.DataFrame(
        {"auc": rows, "renewals": len(obs), "churn_rate": float(y.mean())}
    ).rename_axis("model")


# ---- heavy users ---------------------------------------------------------------------------


def heavy_user_deciles(
    obs: pd.DataFrame,
    X: pd.DataFrame,
    truth: pd.DataFrame | None = None,
    *,
    metric: str = "active_share",
    n_boot: int = 300,
    seed: int = 0,
) -> pd.DataFrame:
    """Churn rate by decile of a usage ``metric``, for all accounts and, when the generator's
    ``truth`` table is given, without the accounts it planted with a heavy-usage scenario
    (:data:`csworkbook.synth.HEAVY_SCENARIOS`: heavy users who churn anyway).

    Deciles are cut once, on every observation with a value, so both groups are read on the
    same usage ranges. Intervals resample accounts (:func:`csworkbook.stats.clustered_rates`):
    each account is observed every month and its months are not independent.

    Returns
    -------
    Long DataFrame with ``decile`` (1 = lowest), ``accounts`` (which group), ``observations``,
    ``customers``, ``churn_rate``, ``low`` and ``high``.
    """
    from ..synth import HEAVY_SCENARIOS

    v = X[metric]
    have = v.notna().to_numpy()
    d = pd.DataFrame(
        {
            "account_id": obs["account_id"].to_numpy()[have],
            "churned": np.asarray(obs["churned"], dtype=float)[have],
            "decile": (pd.qcut(v[have].rank(method="first"), 10, labels=False) + 1).to_numpy(),
        }
    )
    groups = {"all accounts": d}
    if truth is not None:
        heavy = truth.loc[truth["scenario"].isin(HEAVY_SCENARIOS), "account_id"]
        groups["without heavy-user scenarios"] = d[~d["account_id"].isin(heavy)]
    parts = []
    for name, g in groups.items():
        r = clustered_rates(
            g, value="churned", cluster="account_id", by="decile", n_boot=n_boot, seed=seed
        )
        parts.append(r.reset_index().assign(accounts=name))
    out = pd.concat(parts, ignore_index=True).rename(columns={"rows": "observations"})
    return out[["decile", "accounts", "observations", "customers", "rate", "low", "high"]].rename(
        columns={"rate": "churn_rate"}
    )


# ---- one question, three definitions ---------------------------------------------------------

# the columns of :func:`csworkbook.retention.observations.observation_dataset`
ALL_SIGNALS = [*USAGE_FEATURES, *OTHER_FEATURES, *BEHAVIOUR_EXTRAS, "segment"]
DEFINITIONS = pd.DataFrame(
    [
        (
            "renewals (csworkbook diagnose)",
            "renewal decisions of annual-or-longer contracts",
            "the renewal; signals 30 days before",
            f"{len(USAGE_FEATURES)} usage signals vs those + {len(OTHER_FEATURES)} others; "
            "logistic regression",
            "5-fold cross-validation grouped by account",
        ),
        (
            "monthly observations (notebook 11)",
            "every customer every 28 days",
            "churn 4 to 17 weeks later",
            f"{len(models.USAGE_ONLY)} usage signals vs all {len(ALL_SIGNALS)} (with segment, "
            "tenure); model chosen on validation",
            "later test period, once",
        ),
        (
            "health scores (notebooks 12-13)",
            "every customer every 14 days for 2 years",
            "churn within 90 days",
            "usage-only vs holistic scorecard; designed weights, nothing fitted",
            "every past date",
        ),
    ],
    columns=["definition", "grain", "horizon", "features", "evaluation"],
).set_index("definition")


def _auc_row(y, scores: dict, accounts, *, n_boot: int, seed: int) -> dict:
    y = np.asarray(y, dtype=bool)
    out = clustered_auc(
        y, scores, np.asarray(accounts), baseline="usage only", n_boot=n_boot, seed=seed
    )
    a = out.loc["all signals"]
    return {
        "observations": len(y),
        "accounts": int(pd.Series(accounts).nunique()),
        "churn_rate": float(y.mean()),
        "usage_only": float(out.loc["usage only", "auc"]),
        "all_signals": float(a["auc"]),
        "difference": float(a["vs_usage only"]),
        "diff_low": float(a["diff_low"]),
        "diff_high": float(a["diff_high"]),
    }


def _from_comparison(prediction) -> dict:
    """The :func:`_auc_row` of a test comparison holding one candidate per signal set, with
    the interval it was computed with (its differences are against its baseline)."""
    t = prediction.table
    best = models.best_per_signals(t)
    u, a = t.loc[best["usage only"]], t.loc[best["all signals"]]
    if t.attrs["baseline"] == a.name:  # the table holds usage minus all signals
        diff, lo, hi = -u["diff"], -u["diff_high"], -u["diff_low"]
    elif t.attrs["baseline"] == u.name:
        diff, lo, hi = a["diff"], a["diff_low"], a["diff_high"]
    else:
        raise ValueError("the comparison's baseline must be one of its two finalists")
    return {
        "observations": len(prediction.y),
        "accounts": int(pd.Series(prediction.accounts).nunique()),
        "churn_rate": float(np.mean(prediction.y)),
        "usage_only": float(u["auc"]),
        "all_signals": float(a["auc"]),
        "difference": float(diff),
        "diff_low": float(lo),
        "diff_high": float(hi),
    }


def usage_vs_all(
    ds: Dataset,
    *,
    health: pd.DataFrame,
    prediction=None,
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Usage-only against all-signals AUC under the workbook's three definitions, side by
    side: renewal decisions (README, :func:`signal_auc`), monthly observations with a model
    chosen on a validation period and tested once (notebook 11) and designed health
    scorecards on customer-dates (notebooks 12-13).

    Parameters
    ----------
    ds : Dataset
    health : DataFrame
        Notebooks 12-13's backtest: one row per account and past scoring date with
        ``account_id``, ``churned`` and the two scorecards' scores (higher = healthier) in
        columns ``usage only`` and ``all signals`` (the holistic scorecard).
    prediction : Comparison, optional
        Notebook 11's test-period comparison (:func:`csworkbook.retention.models.compare_models`
        on the test rows, one candidate per signal set); computed on the demo's periods when
        omitted (:func:`demo_prediction`).
    n_boot, seed
        Replicates of the account-resampling bootstrap for the AUC difference of the
        renewal and health rows (the notebook-11 row keeps the interval of ``prediction``,
        so both tables print the same figures).

    Returns
    -------
    :data:`DEFINITIONS` with ``observations``, ``accounts``, ``churn_rate``, ``usage_only``
    and ``all_signals`` AUC, and their ``difference`` with a 95% interval
    (``diff_low``, ``diff_high``) from resampling accounts.
    """
    rows = {}
    obs, scores = _renewal_scores(ds)
    rows["renewals (csworkbook diagnose)"] = _auc_row(
        obs["churned"], scores, obs["account_id"], n_boot=n_boot, seed=seed
    )
    if prediction is None:
        prediction = demo_prediction(ds, seed=seed)
    rows["monthly observations (notebook 11)"] = _from_comparison(prediction)
    # a health score is high for healthy customers: its churn ranking is the negated score
    rows["health scores (notebooks 12-13)"] = _auc_row(
        health["churned"].astype(bool),
        {k: -health[k].to_numpy(dtype=float) for k in ("usage only", "all signals")},
        health["account_id"],
        n_boot=n_boot,
        seed=seed,
    )
    return DEFINITIONS.join(pd.DataFrame(rows).T.rename_axis("definition"))


def readable_definitions(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`usage_vs_all` table as text: AUCs to two decimals, the difference with its
    95% interval, observations and churn rate."""
    t = table
    return pd.DataFrame(
        {
            **{c: t[c] for c in ("grain", "horizon", "features", "evaluation")},
            "observations": t["observations"].map("{:,.0f}".format),
            "churn rate": t["churn_rate"].map("{:.1%}".format),
            "usage only": t["usage_only"].map("{:.2f}".format),
            "all signals": t["all_signals"].map("{:.2f}".format),
            "difference (95% CI)": [
                f"{d:+.2f} ({lo:+.2f} to {hi:+.2f})"
                for d, lo, hi in zip(t["difference"], t["diff_low"], t["diff_high"], strict=True)
            ],
        },
        index=t.index,
    )


def demo_prediction(ds: Dataset, *, valid_from=None, test_from=None, seed: int = 0):
    """Notebook 11's churn prediction: monthly observations, candidates chosen on the
    validation period, the best of each signal set tested once
    (:func:`csworkbook.retention.models.validate_then_test`). Returns the test
    :class:`~csworkbook.retention.models.Comparison`."""
    from .observations import observation_dataset

    obs, X = observation_dataset(ds)
    v, t = models.default_periods(ds.as_of, valid_from=valid_from, test_from=test_from)
    periods = models.time_split(obs, valid_from=v, test_from=t)
    _, test = models.validate_then_test(X, obs["churned"], obs["account_id"], periods, seed=seed)
    return test
