"""The renewal desk: which contracts renew soon, how likely each is to churn, what is at stake,
and the list cut to what a team of CSMs can actually work.

Renewal follow-up starts months before the date (principle 2). The desk lists every customer
with an annual-or-longer contract renewing within ``within_days`` of ``as_of``, with its health
(:mod:`csworkbook.health`, the holistic scorecard by default), a churn risk calibrated on the
renewals of the past year (the health score ``lead_days`` before each renewal, and the segment,
against what happened), the ARR renewing, the last CSM touchpoint and the open tickets.
Month-to-month customers renew every month: they belong to the health monitor, not the desk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.errors import DataError
from ..health import health_frame
from ..health.profiles import holistic_scorecard

# A health score needs at least one table of signals; the signals of the others are NA and the
# scorecard's missing-data policy scores what is there (its ``coverage`` says how much).
HEALTH_TABLES = ("usage", "nps", "tickets", "touchpoints", "stakeholder_events", "milestones")
ANY_SIGNAL = "|".join(HEALTH_TABLES)


def _scored(ds, obs: pd.DataFrame, scorecard) -> pd.DataFrame:
    """Health score and band of each (account_id, obs_date) in ``obs``."""
    frame = health_frame(ds, sorted(obs["obs_date"].unique()))
    card = scorecard or holistic_scorecard()
    scored = frame[["account_id", "obs_date"]].join(card.score(frame)[["score", "band"]])
    return obs.merge(scored, on=["account_id", "obs_date"], how="left")


def renewal_history(
    ds, *, lead_days: int = 90, days: int = 365, min_term_months: int = 12, scorecard=None
) -> pd.DataFrame:
    """Renewal decisions of annual-or-longer contracts in the ``days`` to ``as_of``, one row per
    account and renewal date: the ARR that came up, whether any of it churned, and the health
    score ``lead_days`` before (what a desk would have seen)."""
    ds.require(
        "contracts",
        "renewals.outcome",
        "mrr_monthly",
        ANY_SIGNAL,
        to="renewal history (the health score before each past renewal)",
    )
    r = ds.renewals.merge(ds.contracts[["contract_id", "term_months"]], on="contract_id")
    r = r[
        (r["term_months"] >= min_term_months)
        & (r["renewal_date"] > ds.as_of - pd.Timedelta(days=days))
    ]
    r = r[r["renewal_date"] <= ds.as_of]
    out = (
        r.assign(churned=r["outcome"] == "churned")
        .groupby(["account_id", "renewal_date"], as_index=False)
        .agg(arr=("arr_before", "sum"), churned=("churned", "any"))
    )
    out["obs_date"] = out["renewal_date"] - pd.Timedelta(days=lead_days)
    out["segment"] = out["account_id"].map(ds.accounts.set_index("account_id")["segment"])
    return _scored(ds, out, scorecard).dropna(subset=["score"]).reset_index(drop=True)


def _logistic(X: np.ndarray, y: np.ndarray, C: float, w: np.ndarray | None = None) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method, scikit-learn's objective
    (``0.5 |coef|^2 + C x log-loss``, intercept not penalised): intercept first, then coef.
    A few exact steps, so refits in a bootstrap take milliseconds."""
    Z = np.column_stack([np.ones(len(X)), X])
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    beta = np.zeros(Z.shape[1])
    pen = np.r_[0.0, np.full(X.shape[1], 1.0 / C)]
    for _ in range(50):
        p = 1 / (1 + np.exp(-(Z @ beta)))
        grad = Z.T @ (w * (p - y)) + pen * beta
        hess = (Z * (w * p * (1 - p))[:, None]).T @ Z + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


class RenewalRisk:
    """Churn probability at a renewal from the health score and the segment (logistic).

    Parameters
    ----------
    C : float, default 1.0
        Inverse strength of the L2 penalty, as scikit-learn's ``LogisticRegression(C=...)``
        (fitted by Newton's method here: the same answer, fast enough to bootstrap).

    Attributes
    ----------
    coef_ : Series
        Log-odds per 10 health points and per segment (against the first, alphabetically).
    intercept_ : float
    segments_ : list of str
    base_rate_ : float
        Churn share of the renewals fitted on.
    n_ : int
        Renewals fitted on.

    Examples
    --------
    >>> h = pd.DataFrame({"score": [20.0, 40, 60, 80] * 10, "segment": ["smb"] * 40,
    ...                   "churned": [True, True, False, False] * 10})
    >>> m = RenewalRisk().fit(h)
    >>> bool(m.predict_proba(h.iloc[:1])[0] > m.predict_proba(h.iloc[3:4])[0])
    True
    """

    def __init__(self, *, C: float = 1.0):
        self.C = C

    def _X(self, frame: pd.DataFrame) -> np.ndarray:
        seg = frame["segment"].astype(object).to_numpy()
        dummies = [(seg == s).astype(float) for s in self.segments_[1:]]
        return np.column_stack([frame["score"].to_numpy(dtype=float) / 10, *dummies])

    def fit(self, history: pd.DataFrame, sample_weight=None):
        """Fit on rows with ``score``, ``segment`` and ``churned``."""
        if len(history) == 0 or history["churned"].nunique() < 2:
            seen = (
                "no renewals"
                if len(history) == 0
                else ("only churned ones" if history["churned"].all() else "none that churned")
            )
            raise DataError(
                "the history needs renewals that churned and renewals that did not "
                f"({seen}): map every renewal of the period, renewed and churned"
            )
        self.segments_ = sorted(history["segment"].astype(object).unique())
        y = history["churned"].to_numpy(dtype=float)
        beta = _logistic(self._X(history), y, self.C, sample_weight)
        names = ["per_10_points", *(f"segment={s}" for s in self.segments_[1:])]
        self.coef_ = pd.Series(beta[1:], index=names)
        self.intercept_ = float(beta[0])
        self.base_rate_ = float(y.mean())
        self.n_ = len(history)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Churn probability of each row (``score``, ``segment``)."""
        return 1 / (1 + np.exp(-(self.intercept_ + self._X(frame) @ self.coef_.to_numpy())))


def renewal_desk(
    ds,
    *,
    within_days: int = 180,
    history=None,
    model=None,
    scorecard=None,
    min_term_months: int = 12,
) -> pd.DataFrame:
    """One row per customer with an annual-or-longer contract renewing within ``within_days``.

    Columns: ``renewal_date`` (its first renewal in the window) and ``days_to_renewal``,
    ``window`` ("next 90 days" or later), ``contracts`` and ``arr_renewing``, ``segment``,
    ``csm_id``, health ``score`` and ``band`` on ``as_of``, ``churn_risk`` (a
    :class:`RenewalRisk` fitted on :func:`renewal_history` unless given), ``arr_at_risk``
    (risk x ARR renewing), the last touchpoint (``last_touch``, ``last_touch_kind``,
    ``days_since_touch``) and ``open_tickets``. Sorted by ARR at risk.

    Needs contracts with renewal dates, monthly revenue and at least one table of health
    signals (:data:`HEALTH_TABLES`), and past renewals unless ``history`` or ``model`` is given;
    without touchpoints or tickets their columns are empty (NA), not zero.
    """
    ds.require("contracts.renewal_date", "mrr_monthly", ANY_SIGNAL, to="the renewal desk")
    c = ds.contracts
    due = c[
        c["end_date"].isna()
        & (c["term_months"] >= min_term_months)
        & (c["renewal_date"] > ds.as_of)
        & (c["renewal_date"] <= ds.as_of + pd.Timedelta(days=within_days))
    ]
    desk = due.groupby("account_id", as_index=False).agg(
        renewal_date=("renewal_date", "min"),
        contracts=("contract_id", "size"),
        arr_renewing=("arr", "sum"),
    )
    acc = ds.accounts.set_index("account_id")
    desk["segment"] = desk["account_id"].map(acc["segment"])
    desk["csm_id"] = desk["account_id"].map(acc["csm_id"])
    desk["days_to_renewal"] = (desk["renewal_date"] - ds.as_of).dt.days
    desk["window"] = np.where(
        desk["days_to_renewal"] <= 90, "next 90 days", f"91-{within_days} days"
    )
    desk = _scored(ds, desk.assign(obs_date=ds.as_of), scorecard).drop(columns="obs_date")
    if model is None:
        model = RenewalRisk().fit(
            renewal_history(ds, scorecard=scorecard) if history is None else history
        )
    scored = desk["score"].notna()
    desk["churn_risk"] = np.nan
    desk.loc[scored, "churn_risk"] = model.predict_proba(desk[scored])
    desk["arr_at_risk"] = desk["churn_risk"] * desk["arr_renewing"]
    if "touchpoints" in ds and not ds.touchpoints.empty:
        tp = ds.touchpoints[ds.touchpoints["date"] <= ds.as_of]
        last = tp.sort_values(["date", "touchpoint_id"]).groupby("account_id").tail(1)
        last = last.set_index("account_id")
        desk["last_touch"] = desk["account_id"].map(last["date"])
        desk["last_touch_kind"] = desk["account_id"].map(last["kind"])
    else:  # no CSM activities in the data: unknown, not "never touched"
        desk["last_touch"] = pd.Series(pd.NaT, index=desk.index, dtype="datetime64[ns]")
        desk["last_touch_kind"] = pd.Series(pd.NA, index=desk.index, dtype="string")
    desk["days_since_touch"] = (ds.as_of - desk["last_touch"]).dt.days
    if "tickets" in ds and not ds.tickets.empty:
        t = ds.tickets
        open_ = t[
            (t["opened_at"] <= ds.as_of) & (t["closed_at"].isna() | (t["closed_at"] > ds.as_of))
        ]
        desk["open_tickets"] = (
            desk["account_id"].map(open_.groupby("account_id").size()).fillna(0).astype(int)
        )
    else:  # no help desk in the data: unknown, not zero
        desk["open_tickets"] = pd.Series(pd.NA, index=desk.index, dtype="Int64")
    return desk.sort_values(["arr_at_risk", "account_id"], ascending=[False, True]).reset_index(
        drop=True
    )


def expected_renewal_arr(
    desk: pd.DataFrame,
    history: pd.DataFrame,
    *,
    n_boot: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Probability-weighted ARR expected to renew, per window and in total, with an interval.

    The interval carries both uncertainties: the risk model is refitted on renewals drawn with
    replacement from ``history`` (how well past renewals pin the risks down), and each
    replicate then draws every renewal's outcome (which of them actually churn).
    """
    rng = np.random.default_rng(seed)
    rows = desk.dropna(subset=["churn_risk"])
    arr = rows["arr_renewing"].to_numpy()
    windows = {w: (rows["window"] == w).to_numpy() for w in sorted(rows["window"].unique())}
    windows["total"] = np.ones(len(rows), dtype=bool)
    reps = {w: [] for w in windows}
    for _ in range(n_boot):
        sample = history.iloc[rng.integers(0, len(history), len(history))]
        if sample["churned"].nunique() < 2:
            continue
        p = RenewalRisk().fit(sample).predict_proba(rows)
        kept = arr * (rng.random(len(rows)) >= p)
        for w, m in windows.items():
            reps[w].append(kept[m].sum())
    a = (1 - confidence) / 2
    out = []
    for w, m in windows.items():
        lo, hi = np.quantile(reps[w], [a, 1 - a])
        out.append(
            {
                "window": w,
                "renewals": int(m.sum()),
                "arr_renewing": arr[m].sum(),
                "expected_arr": (arr[m] * (1 - rows["churn_risk"].to_numpy()[m])).sum(),
                "low": lo,
                "high": hi,
            }
        )
    return pd.DataFrame(out).set_index("window")


def work_list(
    desk: pd.DataFrame,
    *,
    n_csms: int,
    hours_per_csm_week: float = 6.0,
    hours_per_play: float = 8.0,
    weeks: float = 13.0,
) -> pd.DataFrame:
    """The desk tiered by ARR at risk and cut to capacity.

    A team of ``n_csms``, each giving ``hours_per_csm_week`` to renewals for ``weeks``, can run
    ``capacity`` renewal plays of ``hours_per_play`` hours. Tier *1 CSM play*: the customers
    with the most ARR at risk, up to capacity. Tier *2 digital*: the rest that are not green
    (reminder sequences, pooled webinars). Tier *3 standard*: green customers, renewed by the
    ordinary process. ``share_of_risk`` is the running share of all ARR at risk covered.
    """
    capacity = int(n_csms * hours_per_csm_week * weeks // hours_per_play)
    out = desk.sort_values(["arr_at_risk", "account_id"], ascending=[False, True]).reset_index(
        drop=True
    )
    rank = np.arange(len(out))
    green = out["band"].astype(object).eq("green").to_numpy()
    out["tier"] = np.where(
        rank < capacity, "1 CSM play", np.where(green, "3 standard", "2 digital")
    )
    total = out["arr_at_risk"].sum()
    out["share_of_risk"] = out["arr_at_risk"].fillna(0).cumsum() / total if total > 0 else np.nan
    out.attrs["capacity"] = capacity
    return out


def desk_summary(desk: pd.DataFrame) -> pd.DataFrame:
    """Customers, ARR renewing, ARR at risk and mean risk per window (and tier, if tiered)."""
    keys = ["window", "tier"] if "tier" in desk else ["window"]
    return desk.groupby(keys).agg(
        customers=("account_id", "size"),
        arr_renewing=("arr_renewing", "sum"),
        arr_at_risk=("arr_at_risk", "sum"),
        mean_risk=("churn_risk", "mean"),
    )
