"""The product is the scalable differentiator (principle 6): customer feedback weighted by
revenue, the asks of the customers who left, a roadmap ranked by ARR at risk, and whether
shipping what customers asked kept them.

Feedback arrives through several doors: support tickets filed as feature requests, survey
comments, notes CSMs take at meetings (the ``feedback`` table gathers them, each filed under a
theme and a roadmap request with the date it shipped). Counting asks rewards the customers who
ask loudest; counting customers treats a small shop like the largest account; weighting by ARR
says what the revenue asks for, and weighting by ARR *at risk* what the revenue that may leave
asks for::

    arr = feedback.account_arr(cs.contracts, cs.as_of)       # in force, or what a leaver left with
    current = arr.drop(feedback.churn_dates(cs.contracts, cs.as_of).index)
    feedback.demand(cs.feedback, current, by="theme")        # asks, customers, ARR per theme
    feedback.churned_asks(cs.feedback, cs.contracts, cs.as_of)   # what the lost ARR asked for
    feedback.priorities(cs.feedback, arr, feedback.churn_risk(cs), cs.as_of)
    rows = feedback.loop_closed(outcomes.renewal_decisions(cs, days=None), cs.feedback)
    feedback.loop_rates(rows)          # renewal rates, shipped or not: one row per customer
    feedback.shipped_effect(rows)      # raw vs within-segment difference, customers resampled

What the data cannot show: whether shipping a request *caused* anyone to renew. Roadmaps are
weighted by revenue, so customers whose requests shipped are larger, and larger customers
churn less anyway; the comparison within segments removes part of that, never all of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..stats import cluster_draws, wilson_interval

SHIPPED, NOT_SHIPPED = "request shipped", "not shipped"


def account_arr(contracts: pd.DataFrame, as_of) -> pd.Series:
    """ARR per account: in force at ``as_of`` for customers, the ARR they left with for
    former customers (the contracts that ended on their last end date).

    Examples
    --------
    >>> c = pd.DataFrame({"account_id": ["a", "a", "b", "b"], "arr": [10.0, 5, 7, 3],
    ...                   "start_date": pd.to_datetime(["2024-01-01"] * 4),
    ...                   "end_date": pd.to_datetime([None, "2024-06-01", "2025-01-01",
    ...                                               "2025-01-01"])})
    >>> account_arr(c, "2025-12-31").to_dict()
    {'a': 10.0, 'b': 10.0}
    """
    at = pd.Timestamp(as_of)
    c = contracts[contracts["start_date"] <= at]
    live = c["end_date"].isna() | (c["end_date"] > at)
    now = c[live].groupby("account_id")["arr"].sum()
    gone = c[~c["account_id"].isin(now.index)]
    last = gone["end_date"] == gone.groupby("account_id")["end_date"].transform("max")
    final = gone[last].groupby("account_id")["arr"].sum()
    return pd.concat([now, final]).sort_index().rename("arr")


def churn_dates(contracts: pd.DataFrame, as_of) -> pd.Series:
    """Churn date of each former customer: no contract in force at ``as_of``, the last one
    ended on this date.

    >>> c = pd.DataFrame({"account_id": ["a", "b"], "start_date": pd.to_datetime(["2024-01-01"] * 2),
    ...                   "end_date": pd.to_datetime([None, "2025-03-01"])})
    >>> churn_dates(c, "2025-12-31").astype(str).to_dict()
    {'b': '2025-03-01'}
    """
    at = pd.Timestamp(as_of)
    c = contracts[contracts["start_date"] <= at]
    live = (c["end_date"].isna() | (c["end_date"] > at)).groupby(c["account_id"]).any()
    ended = c.groupby("account_id")["end_date"].max()
    return ended[~live.reindex(ended.index).to_numpy()].dropna().rename("churn_date")


def demand(feedback: pd.DataFrame, arr: pd.Series, *, by="theme", as_of=None) -> pd.DataFrame:
    """Asks, customers and ARR per theme (or request, or any column of ``feedback``).

    ``feedback`` rows whose account has no ARR in ``arr`` are left out, so ``arr`` chooses
    the customers (e.g. :func:`account_arr` restricted to current customers). ARR counts each
    customer once per group however often it asked. ``by`` may be a list (``["theme",
    "segment"]`` after adding the segment to ``feedback``). With ``as_of``, asks made after it
    are left out.

    Returns ``asks``, ``customers``, ``arr``, ``arr_share`` (of all ARR in ``arr``), and the
    rank of each group by asks and by ARR; sorted by ARR.

    Examples
    --------
    >>> f = pd.DataFrame({"account_id": ["a", "a", "a", "b", "c"],
    ...                   "theme": ["mobile", "mobile", "mobile", "sso", "sso"]})
    >>> d = demand(f, pd.Series({"a": 10.0, "b": 100.0, "c": 50.0}))
    >>> d[["asks", "customers", "arr", "rank_by_asks", "rank_by_arr"]].to_dict("index")
    {'sso': {'asks': 2, 'customers': 2, 'arr': 150.0, 'rank_by_asks': 2, 'rank_by_arr': 1}, \
'mobile': {'asks': 3, 'customers': 1, 'arr': 10.0, 'rank_by_asks': 1, 'rank_by_arr': 2}}
    """
    groups = [by] if isinstance(by, str) else list(by)
    f = feedback[feedback["account_id"].isin(arr.index)]
    if as_of is not None:
        f = f[f["date"] <= pd.Timestamp(as_of)]
    f = f.assign(arr=f["account_id"].map(arr).to_numpy(dtype=float))
    out = f.groupby(groups).agg(asks=("account_id", "size"), customers=("account_id", "nunique"))
    once = f.drop_duplicates([*groups, "account_id"])
    out["arr"] = once.groupby(groups)["arr"].sum()
    total = float(arr.sum())
    out["arr_share"] = out["arr"] / total if total > 0 else np.nan
    out["rank_by_asks"] = out["asks"].rank(ascending=False, method="min").astype(int)
    out["rank_by_arr"] = out["arr"].rank(ascending=False, method="min").astype(int)
    out = out.reset_index().sort_values(["arr", *groups], ascending=[False] + [True] * len(groups))
    return out.set_index(groups if len(groups) > 1 else groups[0])


def churned_asks(
    feedback: pd.DataFrame,
    contracts: pd.DataFrame,
    as_of,
    *,
    days: int = 365,
    by: str = "request",
) -> pd.DataFrame:
    """What the ARR lost in the ``days`` to ``as_of`` had asked for before it left, beside
    what the customers still here asked for.

    Per ``by`` group: ``churned`` (customers lost in the window who asked before their churn
    date) and ``churned_arr`` (the ARR they left with), ``churned_share`` (of all ARR lost in
    the window); ``kept`` customers (in force at ``as_of``) who asked, ``kept_arr``,
    ``kept_share`` (of all ARR in force); and ``over``, how many times more of the lost ARR
    than of the kept ARR asked for it. Sorted by churned ARR. ``attrs`` holds the ARR lost,
    the customers lost and the share of that ARR whose customer had asked for anything.

    Examples
    --------
    >>> t = pd.to_datetime
    >>> c = pd.DataFrame({"account_id": ["a", "b", "c"], "arr": [10.0, 30, 60],
    ...                   "start_date": t(["2024-01-01"] * 3),
    ...                   "end_date": t(["2025-06-01", None, None])})
    >>> f = pd.DataFrame({"account_id": ["a", "b", "c"], "request": ["sso", "sso", "app"],
    ...                   "date": t(["2025-02-01", "2025-03-01", "2025-04-01"])})
    >>> out = churned_asks(f, c, "2025-12-31")
    >>> out.loc["sso", ["churned_arr", "churned_share", "kept_share"]].round(3).tolist()
    [10.0, 1.0, 0.333]
    """
    at = pd.Timestamp(as_of)
    arr = account_arr(contracts, at)
    churn = churn_dates(contracts, at)
    lost = churn[churn > at - pd.Timedelta(days=days)]
    kept = arr.index.difference(churn.index)
    f = feedback.assign(churn_date=feedback["account_id"].map(lost))
    f_lost = f[f["churn_date"].notna() & (f["date"] < f["churn_date"])]
    f_kept = f[f["account_id"].isin(kept) & (f["date"] <= at)]
    lost_arr, kept_arr = float(arr.reindex(lost.index).sum()), float(arr.reindex(kept).sum())

    def side(rows, total, name):
        once = rows.drop_duplicates([by, "account_id"])
        g = once.assign(arr=once["account_id"].map(arr)).groupby(by)
        s = pd.DataFrame({name: g.size(), f"{name}_arr": g["arr"].sum()})
        s[f"{name}_share"] = s[f"{name}_arr"] / total if total > 0 else np.nan
        return s

    out = side(f_lost, lost_arr, "churned").join(side(f_kept, kept_arr, "kept"), how="outer")
    counts = ["churned", "kept"]
    out[counts] = out[counts].fillna(0).astype(int)
    out = out.fillna({c: 0.0 for c in out.columns if c not in counts})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["over"] = out["churned_share"] / out["kept_share"]
    out = out.reset_index().sort_values(["churned_arr", by], ascending=[False, True])
    out = out.set_index(by)
    asked = f_lost["account_id"].unique()
    out.attrs.update(
        lost_arr=lost_arr,
        lost_customers=len(lost),
        asked_share=float(arr.reindex(asked).sum()) / lost_arr if lost_arr > 0 else np.nan,
    )
    return out


def churn_risk(ds: Dataset, *, scorecard=None) -> pd.Series:
    """Each current customer's chance of churning at a renewal, from its health score on
    ``as_of`` and its segment: the renewal desk's model
    (:class:`csworkbook.value.renewals.RenewalRisk`), fitted on last year's annual renewals.
    For a month-to-month customer it stands for a year's risk of an annual one."""
    from ..health import health_frame
    from ..health.profiles import holistic_scorecard
    from ..value.renewals import RenewalRisk, renewal_history

    model = RenewalRisk().fit(renewal_history(ds, scorecard=scorecard))
    frame = health_frame(ds, [ds.as_of])
    card = scorecard or holistic_scorecard()
    scored = frame[["account_id"]].join(card.score(frame)[["score"]]).dropna(subset=["score"])
    scored["segment"] = scored["account_id"].map(ds.accounts.set_index("account_id")["segment"])
    risk = model.predict_proba(scored)
    return pd.Series(risk, index=scored["account_id"].to_numpy(), name="churn_risk").sort_index()


def priorities(
    feedback: pd.DataFrame, arr: pd.Series, risk: pd.Series, as_of, *, by: str = "request"
) -> pd.DataFrame:
    """Requests not shipped by ``as_of``, ranked three ways: by asks, by the ARR of the current
    customers asking (each once), and by their ARR at risk (ARR x churn risk).

    Only customers with a risk (current customers) count. ARR at risk is what may leave
    among the customers asking, not what shipping would keep: that needs the effect of
    shipping, which observational data does not give (see :func:`shipped_effect`).

    Examples
    --------
    >>> f = pd.DataFrame({"account_id": ["a", "a", "b", "c"],
    ...                   "request": ["app", "app", "sso", "app"],
    ...                   "date": pd.Timestamp("2025-06-01"), "shipped_date": pd.NaT})
    >>> p = priorities(f, pd.Series({"a": 10.0, "b": 100.0, "c": 50.0}),
    ...                pd.Series({"a": 0.5, "b": 0.1, "c": 0.2}), "2025-12-31")
    >>> p[["asks", "arr", "arr_at_risk", "rank_by_asks", "rank_by_arr"]].to_dict("index")
    {'app': {'asks': 3, 'arr': 60.0, 'arr_at_risk': 15.0, 'rank_by_asks': 1, 'rank_by_arr': 2}, \
'sso': {'asks': 1, 'arr': 100.0, 'arr_at_risk': 10.0, 'rank_by_asks': 2, 'rank_by_arr': 1}}
    """
    at = pd.Timestamp(as_of)
    # an ask made after as_of was not known then (a dataset loaded with an earlier as_of)
    f = feedback[feedback["date"] <= at]
    f = f[f["shipped_date"].isna() | (f["shipped_date"] > at)]
    f = f[f["account_id"].isin(risk.index) & f["account_id"].isin(arr.index)]
    money = arr.reindex(risk.index).fillna(0.0)
    out = f.groupby(by).agg(asks=("account_id", "size"), customers=("account_id", "nunique"))
    once = f.drop_duplicates([by, "account_id"])
    out["arr"] = once.groupby(by)["account_id"].agg(lambda a: money.reindex(a).sum())
    out["arr_at_risk"] = once.groupby(by)["account_id"].agg(
        lambda a: (money.reindex(a) * risk.reindex(a)).sum()
    )
    out["mean_risk"] = out["arr_at_risk"] / out["arr"].where(out["arr"] > 0)
    for col, name in (("asks", "rank_by_asks"), ("arr", "rank_by_arr")):
        out[name] = out[col].rank(ascending=False, method="min").astype(int)
    out["rank_by_arr_at_risk"] = out["arr_at_risk"].rank(ascending=False, method="min").astype(int)
    out = out.reset_index().sort_values(["arr_at_risk", by], ascending=[False, True])
    return out.set_index(by)


def loop_closed(decisions: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Renewal decisions of customers who had asked for something before, each with whether
    one of their requests shipped between their ask and the renewal.

    ``decisions`` has one row per account and ``renewal_date`` with ``churned`` (and any other
    columns, kept): :func:`csworkbook.operations.outcomes.renewal_decisions`. An ask counts
    when it came before the renewal and before its request shipped (asking for what already
    exists is not a request the roadmap answered). Adds ``asks``, ``shipped`` (bool) and
    ``group`` ("request shipped" or "not shipped").

    Examples
    --------
    >>> t = pd.to_datetime
    >>> d = pd.DataFrame({"account_id": ["a", "b", "c"], "churned": [False, True, False],
    ...                   "renewal_date": t(["2025-06-01"] * 3)})
    >>> f = pd.DataFrame({"account_id": ["a", "b"], "date": t(["2024-09-01", "2024-10-01"]),
    ...                   "shipped_date": t(["2025-02-01", None])})
    >>> loop_closed(d, f)[["account_id", "asks", "shipped"]].to_dict("records")
    [{'account_id': 'a', 'asks': 1, 'shipped': True}, {'account_id': 'b', 'asks': 1, \
'shipped': False}]
    """
    keys = ["account_id", "renewal_date"]
    m = feedback[["account_id", "date", "shipped_date"]].merge(decisions[keys], on="account_id")
    open_ask = m["shipped_date"].isna() | (m["shipped_date"] > m["date"])
    m = m[(m["date"] < m["renewal_date"]) & open_ask]
    m = m.assign(answered=m["shipped_date"].notna() & (m["shipped_date"] <= m["renewal_date"]))
    per = m.groupby(keys).agg(asks=("date", "size"), shipped=("answered", "any")).reset_index()
    out = decisions.merge(per, on=keys)
    out["asks"] = out["asks"].astype(int)
    out["shipped"] = out["shipped"].astype(bool)
    out["group"] = np.where(out["shipped"], SHIPPED, NOT_SHIPPED)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def loop_rates(rows: pd.DataFrame, *, by: str | None = None, confidence: float = 0.95):
    """Renewal rate of the customers whose request shipped and of those whose did not, with
    its denominator and Wilson interval (customers are independent units).

    ``rows`` is :func:`loop_closed` on one decision per customer (``renewal_decisions(...,
    latest=True)``); several decisions per customer would need intervals that resample
    customers (:func:`shipped_effect`), so they are refused. ``by`` adds a grouping column
    (``"segment"``). Returns ``customers``, ``renewed``, ``renewal_rate``, ``low``, ``high``.

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": list("abcde"), "churned": [False, False, True, True, False],
    ...                   "group": [SHIPPED, SHIPPED, SHIPPED, NOT_SHIPPED, NOT_SHIPPED]})
    >>> loop_rates(r)[["customers", "renewed", "renewal_rate"]].round(3).to_dict("index")
    {'request shipped': {'customers': 3, 'renewed': 2, 'renewal_rate': 0.667}, \
'not shipped': {'customers': 2, 'renewed': 1, 'renewal_rate': 0.5}}
    """
    if not rows["account_id"].is_unique:
        raise ValueError(
            "loop_rates needs one row per customer (renewal_decisions(..., latest=True)); "
            "for every decision use shipped_effect, whose intervals resample customers"
        )
    keys = [*([by] if by else []), "group"]
    kept = ~rows["churned"].astype(bool)
    g = kept.groupby([rows[k] for k in keys])
    out = pd.DataFrame({"customers": g.size(), "renewed": g.sum().astype(int)})
    out["renewal_rate"] = out["renewed"] / out["customers"]
    out["low"], out["high"] = wilson_interval(out["renewed"], out["customers"], confidence)
    # shipped first, then not: the comparison reads top to bottom
    order = {SHIPPED: 0, NOT_SHIPPED: 1}
    return out.sort_index(key=lambda ix: ix.map(order) if ix.name == "group" else ix)


def shipped_effect(
    rows: pd.DataFrame,
    *,
    by: str = "segment",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Churn at renewal with and without a shipped request, overall and within each ``by``
    group, and the difference adjusted for ``by`` (Mantel-Haenszel weights, n1 n0 / n).

    Rows of ``rows`` are renewal decisions (:func:`loop_closed`); a customer renewing several
    times counts several times, so every interval resamples customers (``account_id``).
    ``difference`` is churn with a shipped request minus churn without, in shares.

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": list("abcdefgh"), "segment": ["big"] * 4 + ["small"] * 4,
    ...                   "shipped": [True, True, True, False, True, False, False, False],
    ...                   "churned": [False, False, False, False, True, True, True, False]})
    >>> e = shipped_effect(r, n_boot=50)
    >>> e["difference"].round(3).to_dict()
    {'all decisions': -0.25, 'big': 0.0, 'small': 0.333, 'within segment': 0.167}
    """
    y = rows["churned"].astype(bool).to_numpy(dtype=float)
    s = rows["shipped"].astype(bool).to_numpy()
    # a missing group is a group of its own: sorting NaN among names would fail
    strata = rows[by].astype("string").fillna("(missing)").astype(object).to_numpy()
    names = sorted(pd.unique(strata).tolist())
    codes, _, draws = cluster_draws(rows["account_id"], n_boot=n_boot, seed=seed)
    W = np.vstack([np.ones(draws.shape[1]), draws])[:, codes]  # point estimate, then replicates

    def cell(mask):
        n = W[:, mask].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return n, (W[:, mask] * y[mask]).sum(axis=1) / n

    def line(mask):
        n1, p1 = cell(mask & s)
        n0, p0 = cell(mask & ~s)
        return n1, p1, n0, p0, p1 - p0

    table = {"all decisions": line(np.ones(len(rows), dtype=bool))}
    num, den = 0.0, 0.0
    for name in names:
        n1, p1, n0, p0, diff = table[name] = line(strata == name)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where((n1 > 0) & (n0 > 0), n1 * n0 / (n1 + n0), 0.0)
        num = num + w * np.nan_to_num(diff)
        den = den + w
    with np.errstate(invalid="ignore", divide="ignore"):
        adjusted = num / den
    table[f"within {by}"] = (None, None, None, None, adjusted)
    a = (1 - confidence) / 2
    out = []
    for name, (n1, p1, n0, p0, diff) in table.items():
        lo, hi = (
            np.nanquantile(diff[1:], [a, 1 - a]) if np.isfinite(diff[1:]).any() else (np.nan,) * 2
        )
        out.append(
            {
                "group": name,
                "decisions_shipped": np.nan if n1 is None else int(round(n1[0])),
                "churn_shipped": np.nan if p1 is None else p1[0],
                "decisions_not": np.nan if n0 is None else int(round(n0[0])),
                "churn_not": np.nan if p0 is None else p0[0],
                "difference": diff[0],
                "low": lo,
                "high": hi,
            }
        )
    return pd.DataFrame(out).set_index("group")
