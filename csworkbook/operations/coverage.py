"""Touch models, CSM capacity and coverage: loyalty built by a system, not by one person
(principle 5).

A CS organisation decides how much human time each customer gets (high, low or tech touch),
gives each CSM a book it can cover, and checks that the plan happens: touchpoints per customer
and quarter, by touch model and channel. A relationship that lives in one person ends when that
person leaves; :func:`renewal_relationships` puts the number of people engaged at a customer and
a champion's departure beside each renewal. One-to-many programmes (webinars, trainings) carry
tech touch; :func:`programme_adoption` and :func:`programme_effect` compare adoption around them
with the same weeks of customers who had none (an association, never proof of an effect).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..retention.features import seats_at
from ..stats import cluster_draws, wilson_interval

TIERS = ("tech", "low", "high")  # cheapest to most human time
# How each kind of touchpoint reaches the customer. Trainings count as one-to-many: a session
# teaches many users at once, even when it is booked for one customer.
CHANNELS = {
    "onboarding_call": "one-to-one",
    "check_in": "one-to-one",
    "qbr": "one-to-one",
    "ebr": "one-to-one",
    "training": "one-to-many",
    "webinar": "one-to-many",
    "email": "digital",
}


def book_at(ds, at=None) -> pd.DataFrame:
    """The paying customers on ``at`` (default ``as_of``): one row per account with ``arr``
    (its MRR that month x 12) and, where the accounts table has them, ``segment``,
    ``touch_model``, ``csm_id`` and ``icp_fit``.

    Examples
    --------
    >>> import csworkbook
    >>> book = book_at(csworkbook.load("datasets/demo"))  # doctest: +SKIP
    """
    ds.require("accounts", "mrr_monthly", to="the book of paying customers")
    at = ds.as_of if at is None else pd.Timestamp(at)
    m = ds.mrr_monthly
    arr = m[m["month"] == at.to_period("M").to_timestamp()].groupby("account_id")["mrr"].sum()
    arr = 12 * arr[arr > 0]
    cols = [c for c in ("segment", "touch_model", "csm_id", "icp_fit") if c in ds.accounts]
    out = ds.accounts.drop_duplicates("account_id").set_index("account_id")[cols]
    out = out.reindex(arr.index).assign(arr=arr.to_numpy())
    out.index.name = "account_id"
    return out.reset_index()


def touch_rule(
    book: pd.DataFrame, *, high_arr: float, low_arr: float, min_fit: float | None = None
) -> pd.Series:
    """The touch model a written rule gives each account: ``high`` from ``high_arr`` of ARR,
    ``low`` from ``low_arr``, ``tech`` below; with ``min_fit``, an account whose ``icp_fit`` is
    below it moves one tier down (human time is spent where the fit promises a return; an
    unknown fit moves nothing).

    Examples
    --------
    >>> b = pd.DataFrame({"arr": [200.0, 200.0, 50.0, 10.0], "icp_fit": [0.9, 0.1, 0.9, None]})
    >>> touch_rule(b, high_arr=100, low_arr=40, min_fit=0.3).tolist()
    ['high', 'low', 'low', 'tech']
    """
    arr = book["arr"].to_numpy(dtype=float)
    tier = np.where(arr >= high_arr, 2, np.where(arr >= low_arr, 1, 0))
    if min_fit is not None and "icp_fit" in book:
        fit = pd.to_numeric(book["icp_fit"], errors="coerce").to_numpy(dtype=float)
        tier = np.where(fit < min_fit, np.maximum(tier - 1, 0), tier)  # NaN < x is False
    return pd.Series(np.array(TIERS)[tier], index=book.index, name="rule")


def segment_summary(book: pd.DataFrame, by: str = "touch_model") -> pd.DataFrame:
    """Accounts, ARR, share of ARR, median ARR and mean ICP fit per group of ``by``.

    Examples
    --------
    >>> b = pd.DataFrame({"touch_model": ["high", "tech", "tech"], "arr": [300.0, 50.0, 150.0],
    ...                   "icp_fit": [0.8, 0.2, 0.4]})
    >>> segment_summary(b).loc["tech", ["accounts", "arr", "arr_share", "median_arr"]].tolist()
    [2.0, 200.0, 0.4, 100.0]
    """
    g = book.groupby(by, observed=True)
    out = pd.DataFrame({"accounts": g.size(), "arr": g["arr"].sum()})
    out["arr_share"] = out["arr"] / out["arr"].sum()
    out["median_arr"] = g["arr"].median()
    if "icp_fit" in book:
        out["mean_fit"] = g["icp_fit"].mean()
    return out


def csm_books(book: pd.DataFrame) -> pd.DataFrame:
    """One row per CSM: the touch model of its book, the accounts it holds and their ARR
    (accounts without a CSM, the pooled tech touch, are left out). Largest book first.

    Examples
    --------
    >>> b = pd.DataFrame({"touch_model": ["high", "high", "low", "tech"],
    ...                   "csm_id": ["H1", "H1", "L1", None], "arr": [10.0, 20.0, 5.0, 1.0]})
    >>> csm_books(b)[["accounts", "arr"]].to_dict("index")
    {'H1': {'accounts': 2, 'arr': 30.0}, 'L1': {'accounts': 1, 'arr': 5.0}}
    """
    owned = book[book["csm_id"].notna()]
    g = owned.groupby("csm_id")
    out = pd.DataFrame(
        {
            "touch_model": g["touch_model"].agg(lambda s: s.mode().iloc[0]),
            "accounts": g.size(),
            "arr": g["arr"].sum(),
        }
    )
    return out.sort_values(["touch_model", "accounts"], ascending=[True, False], kind="stable")


def capacity(book: pd.DataFrame, accounts_per_csm: dict[str, float]) -> pd.DataFrame:
    """Per touch model: accounts, ARR, CSMs holding them, accounts per CSM (median, smallest
    and largest book), ARR per CSM (median), and the CSMs the model needs at
    ``accounts_per_csm`` (``{"high": 20, "low": 70}``; a model absent from it is pooled).

    Examples
    --------
    >>> b = pd.DataFrame({"touch_model": ["high"] * 3 + ["tech"], "arr": [10.0, 20.0, 30.0, 1.0],
    ...                   "csm_id": ["H1", "H1", "H2", None]})
    >>> c = capacity(b, {"high": 2})
    >>> c.loc["high", ["accounts", "csms", "median_book", "largest_book", "csms_needed"]].tolist()
    [3.0, 2.0, 1.5, 2.0, 2.0]
    >>> int(c.loc["tech", "csms"]), float(c.loc["tech", "csms_needed"])
    (0, 0.0)
    """
    books = csm_books(book) if "csm_id" in book else pd.DataFrame(columns=["touch_model"])
    rows = {}
    for model, part in book.groupby("touch_model", observed=True):
        mine = books[books["touch_model"] == model]
        per = accounts_per_csm.get(model)
        rows[model] = {
            "accounts": len(part),
            "arr": part["arr"].sum(),
            "csms": len(mine),
            "median_book": mine["accounts"].median() if len(mine) else np.nan,
            "smallest_book": mine["accounts"].min() if len(mine) else np.nan,
            "largest_book": mine["accounts"].max() if len(mine) else np.nan,
            "arr_per_csm": mine["arr"].median() if len(mine) else np.nan,
            "csms_needed": float(np.ceil(len(part) / per)) if per else 0.0,
        }
    return pd.DataFrame(rows).T.rename_axis("touch_model").astype(float).astype({"csms": int})


def _paying_periods(mrr_monthly: pd.DataFrame, freq: str) -> pd.DataFrame:
    """(account_id, period) for every period in which the account paid in some month."""
    m = mrr_monthly[mrr_monthly["mrr"] > 0]
    return (
        pd.DataFrame({"account_id": m["account_id"], "period": m["month"].dt.to_period(freq)})
        .drop_duplicates()
        .reset_index(drop=True)
    )


def coverage(
    ds, *, freq: str = "Q", by: str = "touch_model", channels: dict | None = None
) -> pd.DataFrame:
    """Touchpoints per paying customer and period, by touch model (or another ``by`` column of
    the accounts, e.g. ``segment``) and channel.

    Per group and complete period (``freq``: "Q" or "M", ending by ``as_of``):
    ``accounts`` paying in it, touchpoints per account of each channel (``channels`` maps each
    kind of touchpoint to one; :data:`CHANNELS` by default), and ``touched``, the share of
    accounts with at least one one-to-one touchpoint, with its Wilson interval (one row per
    customer).

    Examples
    --------
    >>> from csworkbook import Dataset
    >>> day = pd.to_datetime
    >>> ds = Dataset({
    ...     "accounts": pd.DataFrame({"account_id": ["a", "b"], "touch_model": ["low", "low"]}),
    ...     "contracts": pd.DataFrame({"account_id": ["a", "b"]}),
    ...     "mrr_monthly": pd.DataFrame({"account_id": ["a", "b"], "mrr": [10.0, 20.0],
    ...                                  "month": day(["2025-01-01", "2025-01-01"])}),
    ...     "touchpoints": pd.DataFrame({"account_id": ["a", "b"], "kind": ["check_in", "email"],
    ...                                  "date": day(["2025-01-09", "2025-02-03"])})},
    ...     as_of="2025-03-31")
    >>> coverage(ds).loc[("low", pd.Period("2025Q1")), ["accounts", "touched"]].tolist()
    [2.0, 0.5]
    """
    ds.require("accounts", "mrr_monthly", "touchpoints", to="touchpoint coverage")
    channels = CHANNELS if channels is None else channels
    paying = _paying_periods(ds.mrr_monthly, freq)
    paying = paying[paying["period"].dt.end_time.dt.normalize() <= ds.as_of]
    group = ds.accounts.drop_duplicates("account_id").set_index("account_id")[by]
    paying[by] = paying["account_id"].map(group)
    tp = ds.touchpoints
    tp = pd.DataFrame(
        {
            "account_id": tp["account_id"],
            "period": tp["date"].dt.to_period(freq),
            "channel": tp["kind"].map(channels).fillna("other"),
        }
    )
    per = tp.groupby(["account_id", "period", "channel"]).size().unstack(fill_value=0)
    per = paying.join(per, on=["account_id", "period"]).fillna({c: 0 for c in per.columns})
    names = [c for c in dict.fromkeys([*channels.values(), "other"]) if c in per.columns]
    g = per.groupby([by, "period"], observed=True)
    out = g[names].mean().add_suffix(" per account")
    out.insert(0, "accounts", g.size())
    hit = per["one-to-one"] > 0 if "one-to-one" in per else pd.Series(False, index=per.index)
    touched = hit.groupby([per[by], per["period"]], observed=True).sum()
    out["touched"] = touched / out["accounts"]
    lo, hi = wilson_interval(touched, out["accounts"])
    out["low"], out["high"] = np.clip(lo, 0, 1), np.clip(hi, 0, 1)  # no -1e-18 at 0 events
    return out


def renewal_relationships(ds, *, min_term_months: int = 12, days: int = 365) -> pd.DataFrame:
    """Every renewal decision of an annual-or-longer contract, one row per account and renewal
    date, beside the people the customer had engaged and the champions it lost.

    Columns: ``renewed`` (no contract of the account churned that day), ``segment``,
    ``contacts`` (distinct survey respondents in the ``days`` before; NA without surveys) and
    ``contacts_band`` (0, 1, 2, 3+), ``days_since_champion_left`` (the latest departure before
    the date; NA if none) and ``champion`` (left 0-6 months before, 6-12 months before, or not
    within the year; NA without stakeholder events).

    Examples
    --------
    >>> from csworkbook import Dataset
    >>> day = pd.to_datetime
    >>> ds = Dataset({
    ...     "accounts": pd.DataFrame({"account_id": ["a"], "segment": ["smb"]}),
    ...     "contracts": pd.DataFrame({"contract_id": ["c"], "account_id": ["a"],
    ...                                "term_months": [12]}),
    ...     "renewals": pd.DataFrame({"contract_id": ["c"], "account_id": ["a"],
    ...                               "renewal_date": day(["2025-06-01"]), "outcome": ["renewed"]}),
    ...     "nps": pd.DataFrame({"account_id": ["a", "a"], "user_id": ["u1", "u2"],
    ...                          "date": day(["2025-01-10", "2025-02-10"])})},
    ...     as_of="2025-12-31")
    >>> renewal_relationships(ds)[["renewed", "contacts_band"]].to_dict("records")
    [{'renewed': True, 'contacts_band': '2'}]
    """
    ds.require("contracts", "renewals.outcome", to="renewals beside relationships")
    r = ds.renewals.merge(ds.contracts[["contract_id", "term_months"]], on="contract_id")
    r = r[(r["term_months"] >= min_term_months) & (r["renewal_date"] <= ds.as_of)]
    out = (
        r.assign(churned=r["outcome"] == "churned")
        .groupby(["account_id", "renewal_date"], as_index=False)["churned"]
        .any()
    )
    out["renewed"] = ~out.pop("churned")
    acc = ds.accounts.drop_duplicates("account_id").set_index("account_id")
    out["segment"] = out["account_id"].map(acc["segment"]) if "segment" in acc else pd.NA
    keys = out[["account_id", "renewal_date"]]
    out["contacts"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["contacts_band"] = pd.Series(pd.NA, index=out.index, dtype="object")
    if "nps" in ds and len(ds.nps) and ds.nps["user_id"].notna().any():
        n = keys.merge(ds.nps[["account_id", "user_id", "date"]], on="account_id")
        n = n[(n["date"] < n["renewal_date"]) & (n["date"] >= n["renewal_date"] - _days(days))]
        k = n.groupby(["account_id", "renewal_date"])["user_id"].nunique()
        got = pd.MultiIndex.from_frame(keys).map(k.to_dict()).fillna(0).astype(int)
        out["contacts"] = pd.array(np.asarray(got), dtype="Int64")
        out["contacts_band"] = np.where(got >= 3, "3+", np.asarray(got).astype(str))
    out["days_since_champion_left"] = np.nan
    out["champion"] = pd.Series(pd.NA, index=out.index, dtype="object")
    if "stakeholder_events" in ds and len(ds.stakeholder_events):
        s = ds.stakeholder_events
        s = keys.merge(
            s.loc[s["event"] == "champion_left", ["account_id", "date"]], on="account_id"
        )
        s = s[s["date"] < s["renewal_date"]]
        latest = s.groupby(["account_id", "renewal_date"])["date"].max()
        when = pd.MultiIndex.from_frame(keys).map(latest.to_dict())
        since = (out["renewal_date"] - pd.to_datetime(np.asarray(when))).dt.days
        out["days_since_champion_left"] = since.to_numpy(dtype=float)
        out["champion"] = np.select(
            [since <= 182, since <= 365],
            ["left 0-6 months before", "left 6-12 months before"],
            "none left within the year",
        )
    return out


def _days(n: int) -> pd.Timedelta:
    return pd.Timedelta(days=n)


def programme_adoption(
    ds,
    kind: str,
    *,
    touch_models=None,
    weeks: int = 4,
    min_tenure_days: int = 182,
) -> pd.DataFrame:
    """Adoption (weekly active users / seats) in the ``weeks`` weeks before and after each week
    of each account, for the weeks with a touchpoint of ``kind`` (``attended``) and the weeks
    with none within ``weeks`` weeks either side (the comparison).

    Only accounts of ``touch_models`` (default: those that receive ``kind`` at all), past their
    first ``min_tenure_days`` (onboarding lifts usage whatever else happens), and weeks whose
    before and after windows are complete. ``change`` is after minus before.

    Examples
    --------
    >>> import csworkbook
    >>> weeks = programme_adoption(csworkbook.load("datasets/demo"), "webinar")  # doctest: +SKIP
    >>> programme_effect(weeks).loc["difference", ["change", "low", "high"]]       # doctest: +SKIP
    """
    ds.require("usage", "touchpoints", "contracts", to="adoption around programmes")
    acc = ds.accounts.drop_duplicates("account_id").set_index("account_id")
    tp = ds.touchpoints[ds.touchpoints["kind"] == kind]
    if touch_models is None:
        touch_models = sorted(tp["account_id"].map(acc["touch_model"]).dropna().unique())
    keep = acc.index[acc["touch_model"].isin(list(touch_models))]
    u = ds.usage[ds.usage["account_id"].isin(keep)]
    obs = u[["account_id"]].assign(obs_date=u["week"])
    share = u["active_users"].to_numpy(dtype=float) / np.clip(
        seats_at(ds.contracts, obs).to_numpy(), 1, None
    )
    wide = pd.DataFrame({"account_id": u["account_id"], "week": u["week"], "share": share})
    wide = wide.pivot_table(index="week", columns="account_id", values="share")
    if wide.empty:
        return pd.DataFrame(columns=["account_id", "week", "attended", "before", "after", "change"])
    wide = wide.reindex(pd.date_range(wide.index.min(), wide.index.max(), freq="7D"))
    before = wide.rolling(weeks).mean().shift(1)  # weeks w-k..w-1, all present
    after = wide[::-1].rolling(weeks).mean().shift(1)[::-1]  # weeks w+1..w+k
    monday = tp["date"] - pd.to_timedelta(tp["date"].dt.dayofweek, unit="D")
    hits = pd.DataFrame({"week": monday.to_numpy(), "account_id": tp["account_id"].to_numpy()})
    hits = hits.groupby(["week", "account_id"]).size().unstack(fill_value=0)
    hits = hits.reindex(index=wide.index, columns=wide.columns, fill_value=0)
    near = hits.rolling(2 * weeks + 1, center=True, min_periods=1).sum() - hits
    # one row per week and account, read straight off the aligned week x account grids
    n_weeks, n_acc = wide.shape
    long = pd.DataFrame(
        {
            "week": np.repeat(wide.index.to_numpy(), n_acc),
            "account_id": np.tile(wide.columns.to_numpy(), n_weeks),
            "attended": hits.to_numpy().ravel() > 0,
            "near": near.to_numpy().ravel() > 0,
            "before": before.to_numpy().ravel(),
            "after": after.to_numpy().ravel(),
        }
    )
    long = long.dropna(subset=["before", "after"])
    start = (
        long["account_id"].map(acc["first_contract_date"]) if "first_contract_date" in acc else None
    )
    if start is not None:
        long = long[(long["week"] - start).dt.days >= min_tenure_days]
    long = long[long["attended"] | ~long["near"]]
    long["change"] = long["after"] - long["before"]
    cols = ["account_id", "week", "attended", "before", "after", "change"]
    return long[cols].sort_values(["account_id", "week"], kind="stable").reset_index(drop=True)


def programme_effect(events: pd.DataFrame, *, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Attended weeks against comparison weeks, like with like.

    Rows ``attended`` and ``comparison``: account-weeks, accounts, mean adoption before and
    after, mean change. Row ``difference``: the attended weeks' change minus the mean change of
    the comparison accounts *in the same calendar week* (season, product releases and the data's
    own drift cancel out), averaged over attended weeks, with an interval that resamples
    accounts (``seed``). Weeks without both kinds of rows are left out of the difference.

    Examples
    --------
    >>> e = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "week": pd.to_datetime(["2025-01-06"] * 4),
    ...                   "attended": [True, True, False, False], "before": [0.2, 0.4, 0.3, 0.3],
    ...                   "after": [0.3, 0.5, 0.3, 0.4]})
    >>> e["change"] = e["after"] - e["before"]
    >>> round(float(programme_effect(e, n_boot=50).loc["difference", "change"]), 3)
    0.05
    """
    rows = {}
    for name, part in (
        ("attended", events[events["attended"]]),
        ("comparison", events[~events["attended"]]),
    ):
        rows[name] = {
            "account_weeks": len(part),
            "accounts": part["account_id"].nunique(),
            "before": part["before"].mean(),
            "after": part["after"].mean(),
            "change": part["change"].mean(),
        }
    both = events.groupby("week")["attended"].agg(["any", "all"])
    shared = both.index[both["any"] & ~both["all"]]
    e = events[events["week"].isin(shared)]
    est, lo, hi = np.nan, np.nan, np.nan
    if len(e):
        codes, _, draws = cluster_draws(e["account_id"], n_boot=n_boot, seed=seed)
        wk, weeks = pd.factorize(e["week"], sort=True)
        k, w = draws.shape[1], len(weeks)
        cell = codes.astype(np.int64) * w + wk

        def sums(mask, values):
            return np.bincount(cell[mask], weights=values[mask], minlength=k * w).reshape(k, w)

        att = e["attended"].to_numpy()
        ch = e["change"].to_numpy(dtype=float)
        ones = np.ones(len(e))
        c_sum, c_n = sums(~att, ch), sums(~att, ones)
        a_sum, a_n = sums(att, ch), sums(att, ones)

        def diff(weights):  # weights: (reps, k) account weights
            n_c, n_a = weights @ c_n, weights @ a_n
            ok = n_c > 0  # a week whose comparison accounts were not drawn drops out
            m = np.divide(weights @ c_sum, n_c, out=np.zeros_like(n_c), where=ok)
            num = np.where(ok, weights @ a_sum - n_a * m, 0).sum(axis=1)
            den = np.where(ok, n_a, 0).sum(axis=1)
            return np.divide(num, den, out=np.full(len(den), np.nan), where=den > 0)

        est = float(diff(np.ones((1, k)))[0])
        lo, hi = np.nanquantile(diff(draws), [0.025, 0.975])
    rows["difference"] = {
        "account_weeks": len(e),
        "accounts": e["account_id"].nunique(),
        "change": est,
        "low": lo,
        "high": hi,
    }
    return pd.DataFrame(rows).T.rename_axis("weeks").astype(float)
