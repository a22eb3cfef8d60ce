"""Customers expect big success (principle 3): experience and outcome as two axes.

Customer success = customer experience + customer outcome (CS = CX + CO). The experience is
how the journey feels to the customer: what its people answer in surveys (NPS), how its
support tickets ended (CSAT), the mood CSMs record at meetings. The outcome is whether it
reaches the business goals it bought the product for, stated at kickoff and reviewed since
(``goals``, ``goal_reviews``). The *success gap* is the distance between the two: customers
who say they are happy but are not getting where they wanted to go.

Everything is read at a renewal decision, a fixed time before it, so nothing a customer did
afterwards leaks in::

    axes = outcomes.two_axes(cs)                  # one row per customer: its latest renewal
    outcomes.quadrants(axes)                      # renewal rate per quadrant, Wilson intervals
    outcomes.predictive_power(axes)               # AUC of each axis, customers resampled
    outcomes.revenue_after_first_year(cs.mrr_monthly, cs.as_of)   # what renewals still decide
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..retention.metrics import nps
from ..stats import clustered_auc, wilson_interval

LEAD_DAYS = 90  # signals are read this long before each renewal (time to act on them)
WINDOW_DAYS = 365  # experience signals: the year up to the reading
HAPPY_NPS = 0.0  # "says it is happy": more promoters than detractors among its answers
REACHED = 0.7  # "reaching its goals": on average 70% of the way to its targets
QUADRANTS = (
    "happy, reaching goals",
    "happy, not reaching goals",  # the success gap
    "unhappy, reaching goals",
    "unhappy, not reaching goals",
)


def renewal_decisions(
    ds: Dataset,
    *,
    days: int | None = 730,
    lead_days: int = LEAD_DAYS,
    min_term_months: int = 12,
    latest: bool = True,
) -> pd.DataFrame:
    """Renewal decisions of annual-or-longer contracts: one row per account and renewal date.

    Parameters
    ----------
    ds : Dataset
        Needs contracts and renewals (renewed ones included).
    days : int or None, default 730
        Only decisions in the ``days`` up to ``as_of``; None keeps the whole history.
    lead_days : int, default 90
        ``obs_date`` is this many days before the renewal: signals are read up to it.
    min_term_months : int, default 12
        Month-to-month contracts "renew" every month; they are left out.
    latest : bool, default True
        Keep each account's latest decision only, so rows are customers (Wilson intervals
        apply); otherwise every decision, several per customer.

    Returns
    -------
    DataFrame with ``account_id``, ``renewal_date``, ``obs_date``, ``arr`` (ARR that came up),
    ``churned`` (any of it churned) and ``segment``.

    Examples
    --------
    >>> import csworkbook
    >>> d = renewal_decisions(csworkbook.load("datasets/demo"))  # doctest: +SKIP
    >>> d.account_id.is_unique                                   # doctest: +SKIP
    True
    """
    ds.require("contracts", "renewals.outcome", to="renewal decisions")
    r = ds.renewals.merge(ds.contracts[["contract_id", "term_months"]], on="contract_id")
    keep = (r["term_months"] >= min_term_months) & (r["renewal_date"] <= ds.as_of)
    if days is not None:
        keep &= r["renewal_date"] > ds.as_of - pd.Timedelta(days=days)
    r = r[keep]
    out = (
        r.assign(churned=r["outcome"] == "churned")
        .groupby(["account_id", "renewal_date"], as_index=False)
        .agg(arr=("arr_before", "sum"), churned=("churned", "any"))
    )
    if latest:
        out = out.sort_values(["account_id", "renewal_date"], kind="stable")
        out = out.groupby("account_id").tail(1)
    out.insert(2, "obs_date", out["renewal_date"] - pd.Timedelta(days=lead_days))
    out["segment"] = out["account_id"].map(ds.accounts.set_index("account_id")["segment"])
    return out.reset_index(drop=True)


def _window(table: pd.DataFrame, date: str, decisions: pd.DataFrame, days: int) -> pd.DataFrame:
    """Rows of ``table`` dated in the ``days`` up to each decision's ``obs_date``."""
    m = table.merge(decisions[["account_id", "renewal_date", "obs_date"]], on="account_id")
    return m[(m[date] <= m["obs_date"]) & (m[date] > m["obs_date"] - pd.Timedelta(days=days))]


def experience(ds: Dataset, decisions: pd.DataFrame, *, days: int = WINDOW_DAYS) -> pd.DataFrame:
    """What the customer's experience looked like in the ``days`` before each decision.

    Columns: ``nps`` (promoters minus detractors among its answers, -100 to 100, with
    :func:`csworkbook.retention.metrics.nps`; not the mean answer) and ``nps_answers``;
    ``csat`` (mean satisfaction of its rated tickets, 1-5) and ``csat_answers``;
    ``sentiment`` (share of positive minus share of negative CSM touchpoints, -1 to 1) and
    ``touches``. A table the dataset lacks leaves its columns NA (unknown, not zero).

    Examples
    --------
    >>> import pandas as pd
    >>> from csworkbook import Dataset
    >>> day = pd.Timestamp("2025-06-01")
    >>> ds = Dataset({"accounts": pd.DataFrame({"account_id": ["a"]}),
    ...               "contracts": pd.DataFrame({"account_id": ["a"]}),
    ...               "nps": pd.DataFrame({"account_id": ["a"] * 3, "date": [day] * 3,
    ...                                    "score": [10, 9, 3]})}, as_of="2025-12-31")
    >>> d = pd.DataFrame({"account_id": ["a"], "renewal_date": [pd.Timestamp("2025-09-01")],
    ...                   "obs_date": [pd.Timestamp("2025-07-01")]})
    >>> experience(ds, d)[["nps", "nps_answers"]].round(1).to_dict("records")
    [{'nps': 33.3, 'nps_answers': 3.0}]
    """
    keys = ["account_id", "renewal_date"]
    out = decisions[keys].copy()
    idx = pd.MultiIndex.from_frame(out)

    def per(table, date, column, fn, name, count):
        if table not in ds or ds[table].empty:
            out[name], out[count] = np.nan, np.nan
            return
        w = _window(ds[table], date, decisions, days)
        g = w.groupby(keys)[column]
        out[name] = g.agg(fn).reindex(idx).to_numpy(dtype=float)
        out[count] = g.count().reindex(idx).fillna(0).to_numpy(dtype=float)

    per("nps", "date", "score", nps, "nps", "nps_answers")
    per("tickets", "opened_at", "csat", "mean", "csat", "csat_answers")  # rated tickets count
    if "touchpoints" in ds and not ds.touchpoints.empty:
        tp = ds.touchpoints
        mood = (tp["sentiment"] == "positive").astype(float) - (tp["sentiment"] == "negative")
        ds = Dataset({**ds.tables, "touchpoints": tp.assign(_mood=mood)}, ds.as_of, ds.meta)
    per("touchpoints", "date", "_mood", "mean", "sentiment", "touches")
    return out


def outcome(ds: Dataset, decisions: pd.DataFrame) -> pd.DataFrame:
    """How far each customer had got towards the goals it stated, at each decision's
    ``obs_date``.

    Columns: ``goals`` (stated by then), ``achieved`` (of them, target met by then),
    ``goals_read`` (achieved or reviewed at least once) and ``progress``: the mean over the
    goals read of the share of the target reached at the latest review (an achieved goal
    counts 1, progress beyond the target is capped at 1). A customer with no goal read yet
    has no measured outcome (NA), which is itself worth knowing.

    Examples
    --------
    >>> import pandas as pd
    >>> from csworkbook import Dataset
    >>> t = pd.Timestamp
    >>> goals = pd.DataFrame({"goal_id": ["g1", "g2"], "account_id": ["a", "a"],
    ...                       "stated_date": [t("2024-01-10")] * 2,
    ...                       "achieved_date": [t("2024-09-01"), pd.NaT]})
    >>> reviews = pd.DataFrame({"goal_id": ["g1", "g2", "g2"], "account_id": ["a"] * 3,
    ...                         "date": [t("2024-09-01"), t("2024-06-01"), t("2024-12-01")],
    ...                         "progress": [1.2, 0.3, 0.5]})
    >>> ds = Dataset({"accounts": pd.DataFrame({"account_id": ["a"]}),
    ...               "contracts": pd.DataFrame({"account_id": ["a"]}),
    ...               "goals": goals, "goal_reviews": reviews}, as_of="2025-12-31")
    >>> d = pd.DataFrame({"account_id": ["a"], "renewal_date": [t("2025-01-10")],
    ...                   "obs_date": [t("2024-10-12")]})
    >>> outcome(ds, d)[["goals", "achieved", "progress"]].to_dict("records")
    [{'goals': 2.0, 'achieved': 1.0, 'progress': 0.65}]
    """
    keys = ["account_id", "renewal_date"]
    out = decisions[keys].copy()
    idx = pd.MultiIndex.from_frame(out)
    ds.require("goals", to="customer outcomes (the goals customers stated)")
    g = ds.goals.merge(decisions[["account_id", *keys[1:], "obs_date"]], on="account_id")
    g = g[g["stated_date"] <= g["obs_date"]].copy()
    g["done"] = g["achieved_date"].notna() & (g["achieved_date"] <= g["obs_date"])
    reviews = ds.tables.get("goal_reviews")
    if reviews is not None and not reviews.empty:
        r = reviews.drop(columns="account_id").merge(
            g[["goal_id", "renewal_date", "obs_date"]], on="goal_id"
        )
        r = r[r["date"] <= r["obs_date"]]
        r = r.sort_values(["goal_id", "renewal_date", "date"], kind="stable")
        latest = r.groupby(["goal_id", "renewal_date"], as_index=False)["progress"].last()
        g = g.merge(latest, on=["goal_id", "renewal_date"], how="left")
    else:
        g["progress"] = np.nan
    g["progress"] = np.where(g["done"], 1.0, np.minimum(g["progress"].astype(float), 1.0))
    per = g.groupby(keys)
    out["goals"] = per.size().reindex(idx).fillna(0).to_numpy(dtype=float)
    out["achieved"] = per["done"].sum().reindex(idx).fillna(0).to_numpy(dtype=float)
    out["goals_read"] = per["progress"].count().reindex(idx).fillna(0).to_numpy(dtype=float)
    out["progress"] = per["progress"].mean().reindex(idx).to_numpy(dtype=float)
    return out


def two_axes(
    ds: Dataset,
    *,
    days: int | None = 730,
    lead_days: int = LEAD_DAYS,
    window_days: int = WINDOW_DAYS,
) -> pd.DataFrame:
    """Each customer's latest annual renewal with its experience and its outcome, read
    ``lead_days`` before: :func:`renewal_decisions`, :func:`experience`, :func:`outcome`."""
    d = renewal_decisions(ds, days=days, lead_days=lead_days)
    keys = ["account_id", "renewal_date"]
    return d.merge(experience(ds, d, days=window_days), on=keys).merge(outcome(ds, d), on=keys)


def quadrant(axes: pd.DataFrame, *, happy: float = HAPPY_NPS, reached: float = REACHED):
    """The quadrant of each row: happy when ``nps > happy``, reaching its goals when
    ``progress >= reached``; NA when either axis is unmeasured.

    >>> a = pd.DataFrame({"nps": [100, 100, -100, 0, None], "progress": [0.9, 0.2, 0.8, 0.1, 1]})
    >>> quadrant(a).tolist()
    ['happy, reaching goals', 'happy, not reaching goals', 'unhappy, reaching goals', \
'unhappy, not reaching goals', nan]
    """
    h = axes["nps"].to_numpy(dtype=float)
    p = axes["progress"].to_numpy(dtype=float)
    label = np.where(
        h > happy,
        np.where(p >= reached, QUADRANTS[0], QUADRANTS[1]),
        np.where(p >= reached, QUADRANTS[2], QUADRANTS[3]),
    ).astype(object)
    label[np.isnan(h) | np.isnan(p)] = np.nan
    return pd.Series(label, index=axes.index, name="quadrant")


def quadrants(
    axes: pd.DataFrame, *, happy: float = HAPPY_NPS, reached: float = REACHED
) -> pd.DataFrame:
    """Customers, ARR and renewal rate per quadrant, with Wilson intervals (one row per
    customer: use :func:`two_axes`, whose rows are customers).

    Returns a DataFrame indexed by quadrant (in :data:`QUADRANTS` order) with ``customers``,
    ``share`` (of the customers measured on both axes), ``arr``, ``renewed``,
    ``renewal_rate``, ``low`` and ``high``. ``attrs["unmeasured"]`` counts the customers
    left out because one axis is missing.

    Examples
    --------
    >>> a = pd.DataFrame({"nps": [50, 50, -20, 10], "progress": [0.9, 0.3, 0.8, 0.9],
    ...                   "arr": [10.0, 20, 30, 40], "churned": [False, True, False, False]})
    >>> q = quadrants(a)
    >>> q["customers"].tolist(), q["renewal_rate"].tolist()
    ([2, 1, 1, 0], [1.0, 0.0, 1.0, nan])
    """
    q = quadrant(axes, happy=happy, reached=reached)
    ok = q.notna()
    d = axes[ok].assign(quadrant=q[ok], renewed=~axes.loc[ok, "churned"].astype(bool))
    out = d.groupby("quadrant").agg(
        customers=("renewed", "size"), arr=("arr", "sum"), renewed=("renewed", "sum")
    )
    out = out.reindex(list(QUADRANTS)).fillna(0)
    out[["customers", "renewed"]] = out[["customers", "renewed"]].astype(int)
    out.insert(1, "share", out["customers"] / max(int(ok.sum()), 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["renewal_rate"] = out["renewed"] / out["customers"]
    out["low"], out["high"] = wilson_interval(out["renewed"], out["customers"])
    out.attrs["unmeasured"] = int((~ok).sum())
    return out


def predictive_power(
    axes: pd.DataFrame,
    scores: dict[str, str] | None = None,
    *,
    baseline: str = "outcome (goal progress)",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """How well each axis tells renewals from churns: AUC with an interval that resamples
    customers, each score on the same customers, and each one's difference from ``baseline``.

    ``scores`` maps a label to a column of ``axes`` (higher = more likely to renew); by
    default goal progress, NPS, CSAT and CSM sentiment, plus *outcome and NPS together*
    (the mean of their percentile ranks); a default score that no customer has (the dataset
    lacks its table) is left out rather than emptying the comparison. Only rows where every
    score is measured count; ``attrs["customers"]`` and ``attrs["renewal_rate"]`` describe
    them.

    Examples
    --------
    >>> a = pd.DataFrame({"account_id": list("abcdef"), "churned": [1, 1, 0, 0, 1, 0],
    ...                   "progress": [.1, .3, .8, .9, .2, .7], "nps": [0, 50, 50, -50, 0, 100]})
    >>> t = predictive_power(a, {"outcome": "progress", "NPS": "nps"}, baseline="outcome",
    ...                      n_boot=50)
    >>> t["auc"].round(3).to_dict()
    {'outcome': 1.0, 'NPS': 0.611}
    """
    if scores is None:
        scores = {
            "outcome (goal progress)": "progress",
            "NPS": "nps",
            "CSAT": "csat",
            "CSM sentiment": "sentiment",
        }
        scores = {k: c for k, c in scores.items() if c in axes and axes[c].notna().any()}
        together = (
            "outcome and NPS together" if {"progress", "nps"} <= set(scores.values()) else None
        )
    else:
        together = None
    cols = list(dict.fromkeys(scores.values()))
    d = axes.dropna(subset=cols)
    values = {label: d[col].to_numpy(dtype=float) for label, col in scores.items()}
    if together is not None:
        values[together] = (
            d["progress"].rank(pct=True).to_numpy() + d["nps"].rank(pct=True).to_numpy()
        ) / 2
    renewed = ~d["churned"].astype(bool).to_numpy()
    out = clustered_auc(
        renewed, values, d["account_id"].to_numpy(), baseline=baseline, n_boot=n_boot, seed=seed
    )
    out.attrs["customers"] = int(d["account_id"].nunique())
    out.attrs["renewal_rate"] = float(renewed.mean()) if len(d) else float("nan")
    return out


def revenue_after_first_year(
    mrr_monthly: pd.DataFrame, as_of, *, min_months: int = 24
) -> pd.Series:
    """How much of what customers paid came after their first year (the power shift of a
    subscription: a perpetual licence was paid up front, a subscription is earned again at
    every renewal).

    Counts customers whose first paid month is at least ``min_months`` before the month of
    ``as_of``, and their revenue from that first month up to ``as_of``: ``customers``,
    ``first_year`` (months 1-12), ``after`` (month 13 on), ``share_after``.

    Examples
    --------
    >>> m = pd.DataFrame({"account_id": ["a"] * 24, "mrr": [10.0] * 24,
    ...                   "month": pd.date_range("2024-01-01", periods=24, freq="MS")})
    >>> revenue_after_first_year(m, "2025-12-31").to_dict()
    {'customers': 1.0, 'first_year': 120.0, 'after': 120.0, 'share_after': 0.5}
    """
    end = pd.Timestamp(as_of)
    end_n = end.year * 12 + end.month
    m = mrr_monthly[mrr_monthly["mrr"] > 0]
    n = m["month"].dt.year.to_numpy() * 12 + m["month"].dt.month.to_numpy()
    m, n = m[n <= end_n], n[n <= end_n]
    first = pd.Series(n, index=m.index).groupby(m["account_id"]).transform("min").to_numpy()
    age = n - first  # months since the first paid month: 0-11 is the first year
    old = end_n - first + 1 >= min_months
    m, age = m[old], age[old]
    first_year = float(m.loc[age < 12, "mrr"].sum())
    after = float(m.loc[age >= 12, "mrr"].sum())
    total = first_year + after
    return pd.Series(
        {
            "customers": float(m["account_id"].nunique()),
            "first_year": first_year,
            "after": after,
            "share_after": after / total if total > 0 else float("nan"),
        }
    )
