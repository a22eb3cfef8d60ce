"""Does the score predict anything? Backtests, bands, capacity, learned weights, tuning.

All functions take a *scored history*: one row per account and past scoring date with
``account_id``, ``obs_date``, the score, its band and ``churned`` (churn within the horizon
after the date; rows whose window is not over yet are left out by the caller with
``dropna``).

Such a history counts every customer many times (it is scored every two weeks), and its rows
are not independent. A rate over customer-dates therefore comes with an interval that
resamples customers with all their rows (a cluster bootstrap, :mod:`csworkbook.stats`), and
every table says how many rows (customer-dates) and how many distinct customers it rests on.
A rate over customers (one row each) gets a Wilson interval.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score

from ..data.errors import DataError
from ..retention.models import l1_logistic
from ..stats import clustered_auc, clustered_rates, wilson_interval
from .blindspots import WINDOW, caught

GREEN_WARNING = 0.8
N_BOOT = 1000


def band_table(
    scored: pd.DataFrame,
    *,
    band: str = "band",
    y: str = "churned",
    cluster: str = "account_id",
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Churn rate per band, with a 95% interval that resamples customers, and lift.

    Returns per band: ``rows`` (customer-dates), ``customers`` (distinct; a customer who
    moved between bands counts in each), ``churned`` (rows followed by churn within the
    horizon), ``share`` of all rows, ``churn_rate``, ``low`` / ``high`` (cluster bootstrap
    over ``cluster``) and ``lift`` (churn rate over the overall rate).

    Examples
    --------
    >>> s = pd.DataFrame({"account_id": ["a", "a", "b", "c"],
    ...                   "band": pd.Categorical(["red", "red", "green", "green"],
    ...                   categories=["red", "green"]), "churned": [True, False, False, False]})
    >>> band_table(s, n_boot=100)[["rows", "customers", "churn_rate"]].to_dict("index")
    {'red': {'rows': 2, 'customers': 1, 'churn_rate': 0.5}, 'green': {'rows': 2, 'customers': 2, 'churn_rate': 0.0}}
    """
    d = scored.dropna(subset=[y])
    d = d.assign(_churned=d[y].astype(bool).to_numpy())
    r = clustered_rates(d, value="_churned", cluster=cluster, by=band, n_boot=n_boot, seed=seed)
    r.index = r.index.astype(object)
    labels = d[band].cat.categories if isinstance(d[band].dtype, pd.CategoricalDtype) else r.index
    r = r.reindex(list(labels))
    rows = r["rows"].fillna(0).astype(int)
    out = pd.DataFrame(
        {
            "rows": rows,
            "customers": r["customers"].fillna(0).astype(int),
            "churned": r["events"].fillna(0).astype(int),
            "share": rows / rows.sum(),
            "churn_rate": r["rate"],
            "low": r["low"],
            "high": r["high"],
        }
    )
    out["lift"] = out["churn_rate"] / d["_churned"].mean()
    return out.rename_axis(band)


def auc(scored: pd.DataFrame, *, score: str = "score", y: str = "churned") -> float:
    """AUC of the score as a churn ranking (low score = high risk)."""
    d = scored.dropna(subset=[y, score])
    return float(roc_auc_score(d[y].astype(bool), -d[score]))


def auc_table(
    scored: pd.DataFrame,
    scores: dict,
    *,
    baseline: str | None = None,
    y: str = "churned",
    cluster: str = "account_id",
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """AUC of several health scores on the same customer-dates, with intervals that
    resample customers, and with ``baseline`` each score's paired difference from it.

    Parameters
    ----------
    scored : DataFrame
        The customer-dates: ``y`` and ``cluster`` columns.
    scores : dict of str to array-like
        Health scores aligned to ``scored`` (high = healthy; AUC ranks low scores as risk).
    baseline : str, optional
        Name in ``scores`` to compare the others with (``vs_<baseline>``, ``diff_low``,
        ``diff_high``: the difference is clear of noise when its interval excludes 0).

    Returns
    -------
    DataFrame indexed by score name: ``rows``, ``customers``, ``auc``, ``low``, ``high``
    (and the difference columns). Rows without an outcome, or without a value for any of
    the scores, are left out, so that every score is judged on the same rows.

    Examples
    --------
    >>> s = pd.DataFrame({"account_id": list("aabbcc"), "churned": [0, 0, 1, 1, 0, 1]})
    >>> auc_table(s, {"h": [9, 8, 2, 1, 7, 3]}, n_boot=50)[["rows", "customers", "auc"]].to_dict("index")
    {'h': {'rows': 6, 'customers': 3, 'auc': 1.0}}
    """
    values = {k: np.asarray(v, dtype=float) for k, v in scores.items()}
    keep = scored[y].notna().to_numpy() & np.all([np.isfinite(v) for v in values.values()], 0)
    d = scored[keep]
    risk = {k: -v[keep] for k, v in values.items()}
    out = clustered_auc(
        d[y].astype(bool).to_numpy(),
        risk,
        d[cluster].to_numpy(),
        baseline=baseline,
        n_boot=n_boot,
        seed=seed,
    )
    out.insert(0, "customers", d[cluster].nunique())
    out.insert(0, "rows", len(d))
    return out.rename_axis("score")


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


def _flag_in_window(history: pd.DataFrame, flag: pd.Series, days) -> tuple[pd.Series, int]:
    """The churners' rule applied to every row, with every calendar day as a pretend churn
    date. Each pretend date's window (``days[0]``–``days[1]`` days before it) opens on the
    first scoring date inside it; a row opens the windows of the ``n`` pretend dates that
    put it first (``n`` = the scoring interval). Returns per row how many of its ``n``
    windows hold a ``flag`` (NA where a window runs past the history) and ``n``: counts
    rather than shares, so that the bootstrap sums stay exact integers on every CPU."""
    span = days[1] - days[0]
    acc = pd.factorize(history["account_id"], sort=True)[0].astype(np.int64)
    day = history["obs_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    grid = np.diff(np.unique(day))
    n = min(int(grid.min()) if len(grid) else 1, span + 1)
    key = acc * 10**7 + day
    order = np.argsort(key, kind="stable")
    k = key[order]
    total = np.r_[0, np.cumsum(flag.to_numpy(dtype=np.int64)[order])]
    start = np.arange(len(k))
    hits = sum(
        (total[np.searchsorted(k, k + span - j, side="right")] - total[start] > 0).astype(int)
        for j in range(n)
    )
    out = np.empty(len(k), dtype=float)
    out[order] = hits
    complete = day + span <= day.max()
    return pd.Series(np.where(complete, out, np.nan), index=history.index), n


def warned_before_churn(
    history: pd.DataFrame,
    *,
    days=WINDOW,
    best: str = "green",
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Of the customers who churned, the share that were *not* in the best band on some
    scoring date ``days[0]``–``days[1]`` days before their churn date (the CSM had time),
    beside the same share for everybody, without which the first number says nothing.

    Rows:

    * ``churners: some date in the window``: one unit per churner with a scoring date in
      the window (``rows`` = those churners; Wilson interval over customers).
    * ``everyone: same rule, any day as churn date``: the churners' rule applied to every
      customer with every calendar day as a pretend churn date (``rows`` = the
      customer-dates that open such windows, each averaging its windows; interval resamples
      customers). With a scoring date every 14 days a window holds two or three dates, for
      churners and here alike.
    * ``everyone: on a single date``: every customer-date (``rows`` = customer-dates;
      interval resamples customers).

    Columns: ``customers``, ``rows``, ``not_<best>`` (the share), ``low``, ``high``.

    Examples
    --------
    >>> dates = pd.date_range("2025-01-01", periods=6, freq="14D")
    >>> h = pd.DataFrame({"account_id": ["a"] * 6 + ["b"] * 6, "obs_date": list(dates) * 2,
    ...     "band": ["red"] + ["green"] * 9 + ["red", "green"],
    ...     "churn_date": [pd.Timestamp("2025-04-01")] * 6 + [pd.NaT] * 6})
    >>> warned_before_churn(h, n_boot=50)[["rows", "not_green"]].round(3).to_dict("list")
    {'rows': [1, 6, 12], 'not_green': [1.0, 0.202, 0.167]}
    """
    flag = history["band"].astype(object) != best
    c = caught(history, days=days, best=best)
    lo, hi = wilson_interval(c["caught"].sum(), len(c))
    anyday, n = _flag_in_window(history, flag, days)
    parts = [
        history.assign(_flag=n * flag.astype(float), _who="b"),
        history.assign(_flag=anyday, _who="a").dropna(subset=["_flag"]),
    ]
    r = clustered_rates(
        pd.concat(parts), value="_flag", cluster="account_id", by="_who", n_boot=n_boot, seed=seed
    )
    r[["rate", "low", "high"]] = r[["rate", "low", "high"]] / n
    col = f"not_{best}"
    first = pd.DataFrame(
        {"customers": len(c), "rows": len(c), col: c["caught"].mean(), "low": lo, "high": hi},
        index=[f"churners: some date {days[0]}–{days[1]} d before churn"],
    )
    rest = r.rename(columns={"rate": col})[["customers", "rows", col, "low", "high"]]
    rest.index = ["everyone: same rule, any day as churn date", "everyone: on a single date"]
    out = pd.concat([first, rest.astype({"customers": int, "rows": int})])
    return out.rename_axis("who")


def calibration(
    scored: pd.DataFrame,
    *,
    score: str = "score",
    y: str = "churned",
    bins: int = 10,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Churn rate by score decile, with customer counts and an interval that resamples
    customers: a usable score's churn rate falls steadily from bottom to top."""
    d = scored.dropna(subset=[y, score])
    q = pd.qcut(d[score].rank(method="first"), bins, labels=False) + 1
    d = d.assign(_decile=q.to_numpy(), _churned=d[y].astype(bool).to_numpy())
    r = clustered_rates(
        d, value="_churned", cluster="account_id", by="_decile", n_boot=n_boot, seed=seed
    )
    g = d.groupby("_decile")[score]
    return pd.DataFrame(
        {
            "score_low": g.min(),
            "score_high": g.max(),
            "rows": r["rows"].to_numpy(),
            "customers": r["customers"].to_numpy(),
            "churn_rate": r["rate"].to_numpy(),
            "low": r["low"].to_numpy(),
            "high": r["high"].to_numpy(),
        }
    ).rename_axis("score_decile")


def green_warning(scored: pd.DataFrame, *, best: str = "green") -> str:
    """One sentence on the share of scores in the best band, with a warning when it is
    above 80%: such a score calls almost everyone healthy and hides risk.

    Examples
    --------
    >>> s = pd.DataFrame({"account_id": ["a", "b", "a", "b"], "band": ["green"] * 4})
    >>> green_warning(s)
    '100% of 4 scores (2 customers) are green, above 80%: a score that calls almost everyone healthy cannot point a CSM anywhere; raise the thresholds or the band edges.'
    """
    share = (scored["band"].astype(object) == best).mean()
    counts = f"{share:.0%} of {len(scored):,} scores ({scored['account_id'].nunique():,} customers)"
    if share > GREEN_WARNING:
        return (
            f"{counts} are {best}, above {GREEN_WARNING:.0%}: a score that calls almost "
            "everyone healthy cannot point a CSM anywhere; raise the thresholds or the band edges."
        )
    return f"{counts} are {best}, not above {GREEN_WARNING:.0%}: no warning."


def summary(scored: pd.DataFrame, *, per_date: int = 50, y: str = "churned") -> pd.Series:
    """One line per scorecard for side-by-side comparison: point estimates only (see
    :func:`auc_table` and :func:`band_table` for intervals)."""
    d = scored.dropna(subset=[y])
    rates = d[y].astype(bool).groupby(d["band"], observed=False).mean()
    cap = capacity(scored, per_date, y=y)
    red = red_precision_recall(scored, y=y)
    return pd.Series(
        {
            "auc": auc(scored, y=y),
            "red_share": red["flagged_share"],
            "red_churn_rate": rates.iloc[0],
            "green_churn_rate": rates.iloc[-1],
            "red_recall": red["recall"],
            f"precision_top_{per_date}": cap["precision"],
            f"recall_top_{per_date}": cap["recall"],
        }
    )


# ---- learned weights --------------------------------------------------------------------


def time_split(
    scored: pd.DataFrame, at, *, horizon_days: int = 90
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a backtest in time: rows to fit on, whose outcome window closed before ``at``
    (``obs_date + horizon_days <= at``), and rows to judge on, scored on or after ``at``.
    No outcome seen while fitting falls in the judging period.

    Examples
    --------
    >>> s = pd.DataFrame({"obs_date": pd.to_datetime(["2024-01-01", "2024-12-01", "2025-02-01"])})
    >>> [len(p) for p in time_split(s, "2025-01-01")]
    [1, 1]
    """
    at = pd.Timestamp(at)
    fit = scored[scored["obs_date"] + pd.Timedelta(days=horizon_days) <= at]
    judge = scored[scored["obs_date"] >= at]
    return fit, judge


def learned_weights(
    X: pd.DataFrame, y, *, columns: list[str], C: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """L1 logistic regression of *renewal* on standardised measures.

    Returns per measure the coefficient, the change in renewal probability for +1 standard
    deviation from the average account (others held at their mean), the ``fill`` (median),
    ``mean`` and ``sd`` used to standardise (for :func:`learned_score`), and each measure's
    share of the absolute coefficients (``learned_pct``). L1 sets redundant measures to 0.
    Fit on one period and judge on another (:func:`time_split`): in-sample, a fitted score
    always looks better than it is.

    A measure with no values at all (its table missing from the data) cannot be weighed: it
    is left out of the result, and ``attrs["note"]`` says which (``attrs["left_out"]`` lists
    them); :func:`learned_score` then reads the measures that were fitted.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=500), "noise": rng.normal(size=500)})
    >>> churn = rng.random(500) < 1 / (1 + np.exp(2 + 1.5 * X["x"]))
    >>> w = learned_weights(X, churn, columns=["x", "noise"])
    >>> bool(w.loc["x", "coef"] > 0.5), float(w.loc["noise", "coef"])
    (True, 0.0)
    >>> w = learned_weights(X.assign(nps=np.nan), churn, columns=["x", "noise", "nps"])
    >>> list(w.index), w.attrs["note"]
    (['x', 'noise'], 'left out, no values to learn from: nps')
    """
    Z = X[columns].astype(float)
    empty = [c for c in columns if Z[c].isna().all()]
    if len(empty) == len(columns):
        raise DataError(
            f"learned weights: none of the measures {columns} has a value; the tables they "
            "come from are missing or empty"
        )
    columns = [c for c in columns if c not in empty]
    Z = Z[columns]
    fill = Z.median()
    Z = Z.fillna(fill)
    mean, sd = Z.mean(), Z.std(ddof=0).replace(0, 1.0)
    Z = (Z - mean) / sd
    renew = ~np.asarray(y, dtype=bool)
    model = l1_logistic(C=C, seed=seed).set_params(tol=1e-8, max_iter=20000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a fit that stopped early is no fit
        model.fit(Z.to_numpy(), renew)
    b0 = model.intercept_[0]
    p0 = 1 / (1 + np.exp(-b0))
    coef = model.coef_[0]
    p1 = 1 / (1 + np.exp(-(b0 + coef)))
    out = pd.DataFrame(
        {
            "coef": coef,
            "renewal_change_per_sd": p1 - p0,
            "fill": fill.to_numpy(),
            "mean": mean.to_numpy(),
            "sd": sd.to_numpy(),
        },
        index=columns,
    )
    out["learned_pct"] = 100 * out["coef"].abs() / max(out["coef"].abs().sum(), 1e-12)
    out = out.rename_axis("column")
    out.attrs["left_out"] = empty
    out.attrs["note"] = f"left out, no values to learn from: {', '.join(empty)}" if empty else ""
    return out


def learned_score(weights: pd.DataFrame, X: pd.DataFrame) -> pd.Series:
    """The learned weights as a score on new rows: the model's log-odds of renewal (up to
    its constant), standardised with the fitting period's median, mean and sd. Higher is
    healthier, so it ranks like a health score.

    Examples
    --------
    >>> w = pd.DataFrame({"coef": [2.0], "fill": [0.0], "mean": [1.0], "sd": [0.5]}, index=["x"])
    >>> learned_score(w, pd.DataFrame({"x": [1.0, 2.0, None]})).tolist()
    [0.0, 4.0, -4.0]
    """
    cols = list(weights.index)
    Z = (X[cols].astype(float).fillna(weights["fill"]) - weights["mean"]) / weights["sd"]
    return pd.Series(Z.to_numpy() @ weights["coef"].to_numpy(), index=X.index, name="learned")


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


def tune(frame: pd.DataFrame, scorecard, group_weights: dict, *, n_boot: int = 100) -> dict:
    """Re-score ``frame`` with new group weights; return what the sliders show.

    Returns a dict with ``weights`` (% of score per group), ``bands`` (band table; its
    interval from only ``n_boot`` replicates, to keep sliders responsive), ``auc`` and
    ``red_lift``.
    """
    card = scorecard.with_group_weights(group_weights)
    scored = pd.concat([frame[["account_id", "obs_date", "churned"]], card.score(frame)], axis=1)
    bt = band_table(scored, n_boot=n_boot)
    w = card.weights().groupby("group", sort=False)["pct_of_score"].sum()
    return {"weights": w, "bands": bt, "auc": auc(scored), "red_lift": float(bt["lift"].iloc[0])}
