"""Aggregates of each observation's account over a window of days before its date.

``window_agg`` is the definition every feature rests on: rows of ``table`` dated in
``[obs_date - lead_days - days, obs_date - lead_days)``. :class:`Timeline` computes it without
pairing every observation with every row: a table is ordered once by (account, date), a
window is a contiguous slice found by binary search, and counts, sums and means are
differences of running totals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
    tl = Timeline(table, date_col, window_reach(obs, days, lead_days))
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


def window_reach(obs: pd.DataFrame, days: int, lead_days: int):
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
        reach = window_reach(obs, days, lead_days) if self.pos is not None else None
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
