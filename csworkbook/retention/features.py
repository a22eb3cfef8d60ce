"""Account features computed strictly from data before an observation date.

Every function takes ``obs``, a frame with ``account_id`` and ``obs_date`` (one row per
observation), and returns a frame aligned to ``obs``'s index. Only rows dated before
``obs_date - lead_days`` are seen, so labels after the observation date cannot leak in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Features the workbook's models use: usage alone, then everything else a CS team can see.
USAGE_FEATURES = [
    "active_share",
    "sessions_per_user",
    "key_actions_per_week",
    "features_used",
    "active_users_trend",
    "key_actions_trend",
]
# More behaviour, kept out of the two lists above so README's AUC comparison stays as defined.
BEHAVIOUR_EXTRAS = [
    "days_since_active",
    "tenure_days",
    "key_actions_pct_change",
    "business_reviews_per_year",
]
OTHER_FEATURES = [
    "recommend_mean",
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


def window_agg(
    obs: pd.DataFrame,
    table: pd.DataFrame,
    date_col: str,
    aggs: dict[str, tuple[str, str]],
    *,
    days: int,
    lead_days: int = 0,
) -> pd.DataFrame:
    """Aggregate ``table`` rows of each observation's account dated in
    ``[obs_date - lead_days - days, obs_date - lead_days)``.

    Parameters
    ----------
    obs : DataFrame
        ``account_id`` and ``obs_date`` columns.
    table : DataFrame
        Rows with ``account_id`` and ``date_col``.
    aggs : dict
        Output column -> (input column, pandas aggregation name), as for ``DataFrame.agg``.
    days, lead_days : int
        Window length and the gap left before the observation date.

    Returns
    -------
    DataFrame indexed like ``obs``; observations with no rows get NaN (counts get 0).
    Values and dtypes are those of merging ``obs`` with ``table`` on ``account_id``,
    filtering to the window and grouping, without the merge (see :class:`Timeline`).

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"account_id": ["a"], "obs_date": pd.to_datetime(["2025-03-01"])})
    >>> t = pd.DataFrame({"account_id": ["a", "a"], "date": pd.to_datetime(["2025-01-15", "2025-02-27"])})
    >>> window_agg(obs, t, "date", {"n": ("date", "count")}, days=60, lead_days=7)["n"].tolist()
    [1]
    """
    tl = Timeline(table, date_col, _reach(obs, days, lead_days))
    return tl.agg(obs, aggs, days=days, lead_days=lead_days)


def _merge_window_agg(obs, table, date_col, aggs, days, lead_days) -> pd.DataFrame:
    """:func:`window_agg` by definition, for what the fast path leaves: merge, filter, group."""
    o = obs[["account_id", "obs_date"]].reset_index(drop=True)
    o["_obs"] = np.arange(len(o))
    m = o.merge(table, on="account_id", how="inner")
    hi = m["obs_date"] - pd.Timedelta(days=lead_days)
    m = m[(m[date_col] < hi) & (m[date_col] >= hi - pd.Timedelta(days=days))]
    return m.groupby("_obs").agg(**{k: pd.NamedAgg(c, f) for k, (c, f) in aggs.items()})


def _finish(out: pd.DataFrame, obs: pd.DataFrame, aggs: dict) -> pd.DataFrame:
    """Observations without rows get NaN, or 0 for counts and sums."""
    out = out.reindex(range(len(obs)))
    for k, (_, f) in aggs.items():
        if f in ("count", "size", "sum"):
            out[k] = out[k].fillna(0)
    out.index = obs.index
    return out


def _kind(ids: pd.Series) -> str:
    """The dtype kind of account ids (of their categories when categorical)."""
    return getattr(ids.dtype, "categories", ids).dtype.kind


def _ns(s: pd.Series):
    """int64 nanoseconds of a plain datetime column (NaT is int64's minimum), else None."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M":
        return s.to_numpy(dtype="datetime64[ns]").view("i8")
    return None


_NAT = np.iinfo(np.int64).min


def _reach(obs: pd.DataFrame, days: int, lead_days: int):
    """``(start, end)`` nanoseconds: the dates some window of ``obs`` covers, or None."""
    when = _ns(obs["obs_date"])
    when = when[when != _NAT] if when is not None else []
    if len(when) == 0:
        return None
    lead, span = pd.Timedelta(days=lead_days).value, pd.Timedelta(days=days).value
    return when.min() - lead - span, when.max() - lead


def _as_dtype(values: np.ndarray, dtype):
    """``values`` as an array of ``dtype``, NaN as missing; masked arrays are built directly
    (``pd.array`` checks every value of a large array first)."""
    if isinstance(dtype, np.dtype):
        return values.astype(dtype)
    if hasattr(dtype, "numpy_dtype"):  # Int64, Float64, boolean
        mask = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
        data = np.where(mask, 0, values).astype(dtype.numpy_dtype)
        return dtype.construct_array_type()(data, mask)
    return pd.array(values, dtype=dtype)


# Whole numbers summing below 2**53 add up exactly in float64 in any order, so differences
# of running totals equal pandas' compensated per-group sums to the last bit.
_EXACT = 2.0**53


class Timeline:
    """A table's rows ordered by account, then date: one account's rows in any date window
    are one contiguous slice, found by binary search.

    Windowed counts, sums and means are differences of running totals, and the latest date
    in a window is the slice's last row. The cost grows with the rows plus the observations,
    where merging each observation with all of its account's rows grows with their product.
    Built once per table, a timeline answers any number of windows.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"account_id": ["a", "a", "b"], "v": [1, 2, 5],
    ...                   "date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-15"])})
    >>> obs = pd.DataFrame({"account_id": ["a", "b"], "obs_date": pd.to_datetime(["2025-03-01"] * 2)})
    >>> Timeline(t, "date").agg(obs, {"total": ("v", "sum")}, days=45)["total"].tolist()
    [2, 5]
    """

    def __init__(self, table: pd.DataFrame, date_col: str, reach=None):
        self.table, self.date_col, self._cache, self._rows = table, date_col, {}, None
        self.pos = t = _ns(table[date_col])
        if t is None:  # not plain datetimes: every window goes the merge's way
            return
        # rows no window can see (outside ``reach``, undated) are left out before any hashing
        lo, hi = reach if reach is not None else (_NAT + 1, np.iinfo(np.int64).max)
        pos = np.flatnonzero((t >= lo) & (t < hi))
        ids = table["account_id"].to_numpy(dtype=object)
        codes, accounts = pd.factorize(ids if len(pos) == len(t) else ids[pos])
        pos, codes = pos[codes >= 0], codes[codes >= 0]
        rank, dates = pd.factorize(t[pos], sort=True)
        self.accounts, self.dates = pd.Index(accounts), dates
        # ordered like (account, date), so that one binary search finds a window's bound
        keys = codes * len(dates) + rank
        if (np.diff(keys) < 0).any():
            order = np.argsort(keys, kind="stable")
            pos, keys = pos[order], keys[order]
        self.pos, self.keys = pos, keys

    def subset(self, mask) -> Timeline:
        """The timeline of the rows where ``mask`` (aligned to the table) holds."""
        # as in indexing, a missing value in the mask leaves the row out
        rows = pd.Series(mask).to_numpy(dtype=bool, na_value=False)
        out = self._keep(rows[self.pos] if self.pos is not None else None)
        out._rows = rows if self._rows is None else rows & self._rows
        return out

    def around(self, obs: pd.DataFrame, days: int, lead_days: int = 0) -> Timeline:
        """The timeline of the rows that some window of ``obs`` can see, so that running
        totals cover only those (one year of three for a single scoring date)."""
        reach = _reach(obs, days, lead_days) if self.pos is not None else None
        if reach is None:
            return self
        first, stop = np.searchsorted(self.dates, reach)
        if first == 0 and stop == len(self.dates):
            return self
        rank = self.keys % len(self.dates)
        return self._keep((rank >= first) & (rank < stop))

    def _keep(self, keep) -> Timeline:
        out = object.__new__(Timeline)
        out.__dict__.update(self.__dict__, _cache={})
        if keep is not None:
            out.pos, out.keys = self.pos[keep], self.keys[keep]
        return out

    def _covers(self, obs: pd.DataFrame, aggs: dict) -> bool:
        """Whether the merge this replaces would see the same rows and column names."""
        cols, ids = self.table.columns, obs["account_id"]
        return (
            self.pos is not None
            and _ns(obs["obs_date"]) is not None
            and _kind(ids) == _kind(self.table["account_id"])
            and not ids.isna().any()
            and not {"obs_date", "_obs"} & set(cols)
            and all(c in cols for c, _ in aggs.values())
        )

    def bounds(self, obs: pd.DataFrame, days: int, lead_days: int):
        """Slice ``[lo, hi)`` of the timeline in each observation's window."""
        code = self.accounts.get_indexer(obs["account_id"])
        when = _ns(obs["obs_date"])
        known = (code >= 0) & (when != _NAT)
        hi_t = np.where(known, when, 0) - pd.Timedelta(days=lead_days).value
        base = np.where(known, code, 0) * len(self.dates)

        def first_from(t):  # first row of the account dated t or later
            return np.searchsorted(self.keys, base + np.searchsorted(self.dates, t))

        lo = first_from(hi_t - pd.Timedelta(days=days).value)
        hi = np.maximum(first_from(hi_t), lo)
        return np.where(known, lo, 0), np.where(known, hi, 0)

    def agg(self, obs: pd.DataFrame, aggs: dict, *, days: int, lead_days: int = 0):
        """Aggregate each observation's window, as :func:`window_agg`."""
        if not self._covers(obs, aggs):
            table = self.table if self._rows is None else self.table[self._rows]
            out = _merge_window_agg(obs, table, self.date_col, aggs, days, lead_days)
            return _finish(out, obs, aggs)
        lo, hi = self.bounds(obs, days, lead_days)
        hit = np.flatnonzero(hi > lo)
        if len(hit) == 0:
            return _finish(self._expand(hit, lo, hi, aggs), obs, aggs)
        probe = self._expand(hit[:1], lo, hi, aggs)  # pandas' result dtypes, from one window
        cols = {}
        for name, (col, func) in aggs.items():
            values = self._fast(col, func, lo[hit], hi[hit])
            if values is None:
                cols[name] = self._expand(hit, lo, hi, {name: (col, func)})[name].array
            else:
                cols[name] = _as_dtype(values, probe[name].dtype)
        return _finish(pd.DataFrame(cols, index=hit), obs, aggs)

    def _expand(self, hit, lo, hi, aggs) -> pd.DataFrame:
        """The rows inside the windows, grouped by pandas: exact for any aggregation, with
        memory bounded by those rows rather than by every row of each account."""
        n = hi[hit] - lo[hit]
        owner = np.repeat(hit, n)
        rows = self.pos[np.repeat(lo[hit] - np.cumsum(n) + n, n) + np.arange(n.sum())]
        order = np.lexsort((rows, owner))  # pandas meets an observation's rows in table order
        m = self.table[list({c: 0 for c, _ in aggs.values()})].take(rows[order])
        m = m.reset_index(drop=True).assign(_obs=owner[order])
        return m.groupby("_obs").agg(**{k: pd.NamedAgg(c, f) for k, (c, f) in aggs.items()})

    def _running(self, col: str):
        """Running totals of the column's values (None where they would not be exact) and
        of its non-missing cells (None when none is missing), in timeline order."""
        if col not in self._cache:
            s = self.table[col].take(self.pos)
            v = s.to_numpy(dtype=np.float64, na_value=0) if s.dtype.kind in "biuf" else None
            if v is not None and not (
                np.abs(v).max(initial=0) * len(v) < _EXACT and (v == np.round(v)).all()
            ):
                v = None
            missing = s.isna().to_numpy()
            self._cache[col] = (
                None if v is None else np.concatenate([[0], np.cumsum(v)]),
                np.concatenate([[0], np.cumsum(~missing)]) if missing.any() else None,
            )
        return self._cache[col]

    def _fast(self, col, func, lo, hi):
        """Per-window values of one aggregation, or None to let pandas do it."""
        if func in ("max", "min") and col == self.date_col:  # rows are in date order
            return self.table[col].to_numpy()[self.pos[hi - 1 if func == "max" else lo]]
        if func not in ("size", "count", "sum", "mean"):
            return None
        total, count = self._running(col) if func != "size" else (None, None)
        count = hi - lo if count is None else count[hi] - count[lo]
        if func in ("size", "count") or total is None:
            return count if func in ("size", "count") else None
        total = total[hi] - total[lo]
        return total if func == "sum" else np.where(count > 0, total / np.maximum(count, 1), np.nan)


def completed_weeks(usage: pd.DataFrame) -> pd.DataFrame:
    """Weekly rows dated by the week's last day (Sunday): a week counts before a date only
    once it is over, so a Wednesday observation never sees that week's Thursday."""
    return usage.assign(week=usage["week"] + pd.Timedelta(days=6))


_USAGE_MEANS = {
    c: (c, "mean") for c in ["active_users", "sessions", "key_actions", "features_used"]
}


def usage_features(
    obs: pd.DataFrame, usage, seats: pd.Series, *, lead_days: int = 30
) -> pd.DataFrame:
    """Level, breadth and trend of product usage before each observation.

    ``usage`` is the weekly usage table (or a :class:`Timeline` of its completed weeks);
    ``seats`` gives licensed seats per observation (aligned to ``obs``).
    """
    weeks = usage if isinstance(usage, Timeline) else Timeline(completed_weeks(usage), "week")
    weeks = weeks.around(obs, 112, lead_days)
    recent = weeks.agg(obs, _USAGE_MEANS, days=28, lead_days=lead_days)
    base = weeks.agg(obs, _USAGE_MEANS, days=84, lead_days=lead_days + 28)
    out = pd.DataFrame(index=obs.index)
    out["active_share"] = recent["active_users"] / seats.clip(lower=1)
    out["sessions_per_user"] = recent["sessions"] / recent["active_users"].replace(0, np.nan)
    out["key_actions_per_week"] = recent["key_actions"]
    out["features_used"] = recent["features_used"]
    out["key_actions_pct_change"] = (
        recent["key_actions"] / base["key_actions"].replace(0, np.nan) - 1
    )
    out["active_users_trend"] = log_ratio(recent["active_users"], base["active_users"])
    out["key_actions_trend"] = log_ratio(recent["key_actions"], base["key_actions"])
    return out


# numpy's log, exp and friends are vectorised per CPU (AVX-512, AVX2, NEON) and may differ in
# the last bit between machines; tree models bin features at quantiles, so one bit can move a
# customer across a bin edge and grow another tree. Rounding far below any meaningful
# difference makes such features identical on every machine.
STABLE_DECIMALS = 9


def log_ratio(recent: pd.Series, base: pd.Series) -> pd.Series:
    """``log(1 + recent) - log(1 + base)``: the trend of a count, symmetric for rises and
    falls, rounded to :data:`STABLE_DECIMALS` so it is the same on every machine.

    >>> import pandas as pd
    >>> log_ratio(pd.Series([3.0, 1.0]), pd.Series([1.0, 3.0])).round(3).tolist()
    [0.693, -0.693]
    """
    return (np.log1p(recent) - np.log1p(base)).round(STABLE_DECIMALS)


def account_signals(ds, obs: pd.DataFrame, *, lead_days: int = 0) -> pd.DataFrame:
    """Usage and non-usage signals known ``lead_days`` before each observation date.

    ``obs`` needs ``account_id``, ``obs_date`` and ``seats`` (licensed seats at that date).
    Returns :data:`USAGE_FEATURES` and :data:`OTHER_FEATURES` columns aligned to ``obs``."""

    # every window looks the observations' accounts up: categories make that one lookup per
    # account instead of one per observation
    keyed = obs.assign(account_id=pd.Categorical.from_codes(*pd.factorize(obs["account_id"])))
    # each table is ordered once for all of its windows; usage keeps its whole history for
    # the last active week. Weeks are dated by their last day, as in completed_weeks.
    u = ds.usage
    weeks = {"account_id": u["account_id"], "week": u["week"] + pd.Timedelta(days=6)}
    weeks = Timeline(pd.DataFrame(weeks | {c: u[c] for c in _USAGE_MEANS}, copy=False), "week")
    out = [usage_features(keyed, weeks, obs["seats"], lead_days=lead_days)]
    n, t, e, tp = ds.nps, ds.tickets, ds.stakeholder_events, ds.touchpoints
    # fmt: off
    events = [  # table, its date, columns the windows read, then (days, aggregations) per window
        (n, n["date"], {"score": n["score"], "detractor": n["score"] <= 6},
         [(365, {"recommend_mean": ("score", "mean"), "nps_detractors": ("detractor", "sum")})]),
        (t, t["opened_at"], {"low": t["csat"] <= 2, "urgent": t["priority"] == "urgent"},
         [(180, {"low_csat_tickets": ("low", "sum"), "urgent_tickets": ("urgent", "sum")})]),
        (e, e["date"], {"champ": e["event"] == "champion_left",
                        "other": e["event"] != "champion_left"},
         [(240, {"champion_left": ("champ", "sum"), "sponsor_or_reorg": ("other", "sum")})]),
        (tp, tp["date"], {"review": tp["kind"].isin(["qbr", "ebr"]),
                          "neg": tp["sentiment"] == "negative",
                          "pos": tp["sentiment"] == "positive"},
         [(365, {"business_reviews": ("review", "sum")}),
          (180, {"negative_touches": ("neg", "sum"), "positive_touches": ("pos", "sum")})]),
    ]
    # fmt: on
    for table, date, cols, windows in events:
        # only the columns the windows read, uncopied: event tables can be large
        rows = pd.DataFrame({"account_id": table["account_id"], "date": date, **cols}, copy=False)
        tl = Timeline(rows, "date", _reach(obs, max(d for d, _ in windows), lead_days))
        out += [tl.agg(keyed, aggs, days=d, lead_days=lead_days) for d, aggs in windows]
    fv = ds.milestones[ds.milestones["milestone"] == "first_value"].set_index("account_id")[
        "achieved_date"
    ]
    acc = ds.accounts.set_index("account_id")
    first = acc["first_contract_date"].reindex(obs["account_id"]).to_numpy()
    cutoff = obs["obs_date"] - pd.Timedelta(days=lead_days)
    reached = pd.to_datetime(fv.reindex(obs["account_id"]).to_numpy())
    # first value not reached by the cutoff is not known yet: count the days waited so far,
    # a lower bound that grows while the customer waits (never the future date itself)
    seen = reached.where(reached <= cutoff.to_numpy(), cutoff.to_numpy())
    ttv = (pd.DatetimeIndex(seen) - pd.DatetimeIndex(first)).days
    out = pd.concat(out, axis=1)
    out["days_to_first_value"] = np.asarray(ttv, dtype=float)
    out["icp_fit"] = acc["icp_fit"].reindex(obs["account_id"]).to_numpy()
    last = weeks.subset(ds.usage["active_users"] > 0).agg(
        keyed, {"last": ("week", "max")}, days=3650, lead_days=lead_days
    )["last"]
    out["days_since_active"] = (cutoff - last).dt.days.astype(float)
    out["tenure_days"] = (cutoff.to_numpy() - first).astype("timedelta64[D]").astype(float)
    out["business_reviews_per_year"] = tenure_scaled(
        out["business_reviews"], out["tenure_days"], 365
    )
    return out[USAGE_FEATURES + OTHER_FEATURES + BEHAVIOUR_EXTRAS]


def tenure_scaled(counts: pd.Series, tenure_days: pd.Series, window_days: int) -> pd.Series:
    """Scale a count over a ``window_days`` window up for customers younger than the window,
    so a three-month-old account is not judged on a year's worth of opportunities.

    >>> import pandas as pd
    >>> tenure_scaled(pd.Series([2.0, 2.0]), pd.Series([91.0, 730.0]), 365).round(2).tolist()
    [8.02, 2.0]
    """
    exposure = np.clip(tenure_days.to_numpy(dtype=float), 1, window_days)
    return counts * window_days / exposure


def contracts_in_force(contracts: pd.DataFrame, obs: pd.DataFrame, columns: list) -> pd.DataFrame:
    """One row per observation and contract in force on its date; ``_obs`` is the
    observation's position in ``obs``."""
    m = obs[["account_id", "obs_date"]].reset_index(drop=True)
    m["_obs"] = np.arange(len(m))
    wanted = list(dict.fromkeys(["account_id", "start_date", "end_date", *columns]))
    c = m.merge(contracts[wanted], on="account_id")
    live = (c["start_date"] <= c["obs_date"]) & (
        c["end_date"].isna() | (c["end_date"] > c["obs_date"])
    )
    return c[live]


def in_force(contracts: pd.DataFrame, obs: pd.DataFrame, column: str, *, live=None) -> pd.Series:
    """Sum of ``column`` (seats, ARR) over each observation's contracts in force on its date;
    ``live``, the rows of :func:`contracts_in_force` if already joined, saves joining again."""
    c = contracts_in_force(contracts, obs, [column]) if live is None else live
    total = c.groupby("_obs")[column].sum().reindex(range(len(obs)), fill_value=0)
    return pd.Series(total.to_numpy(dtype=float), index=obs.index, name=column)


def seats_at(contracts: pd.DataFrame, obs: pd.DataFrame) -> pd.Series:
    """Licensed seats of each observation's account on its date (contracts in force)."""
    return in_force(contracts, obs, "seats")
