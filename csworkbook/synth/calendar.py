"""Time axis of the synthetic world: integer days and months from the world's start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Calendar:
    """Days are counted from ``start`` (day 0); months are first-of-month indices."""

    start: pd.Timestamp
    as_of: pd.Timestamp
    n_months: int
    month_day: np.ndarray  # day offset of the first day of month m, for m beyond as_of too

    @classmethod
    def build(cls, as_of, months: int) -> Calendar:
        as_of = pd.Timestamp(as_of).normalize()
        start = (as_of.to_period("M") - (months - 1)).to_timestamp()
        firsts = pd.date_range(start, periods=months + 48, freq="MS")
        return cls(start, as_of, months, (firsts - start).days.to_numpy())

    @property
    def last_day(self) -> int:
        return int((self.as_of - self.start).days)

    def month_of_day(self, day: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.month_day, day, side="right") - 1

    def to_dates(self, day) -> pd.DatetimeIndex:
        """Day offsets (float NaN allowed) to dates."""
        day = np.asarray(day, dtype="float64")
        out = np.full(day.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        ok = np.isfinite(day)
        # whole nanoseconds from the start, rounded once, so dates and minutes come out exact
        ns = np.round(day[ok] * 86_400e9).astype("int64").astype("timedelta64[ns]")
        out[ok] = np.datetime64(self.start.to_datetime64(), "ns") + ns
        return pd.DatetimeIndex(out)

    def seasonal_factor(self, day: np.ndarray) -> np.ndarray:
        """Usage dips in holiday weeks (New Year, Golden Week, Obon, Christmas)."""
        dates = self.to_dates(day)
        doy = dates.dayofyear.to_numpy()
        f = np.ones(len(doy))
        f[(doy <= 4) | (doy >= 358)] = 0.55
        f[(doy >= 120) & (doy <= 127)] = 0.75  # Golden Week
        f[(doy >= 225) & (doy <= 231)] = 0.8  # Obon
        return f


def count_in_window(ev_key: np.ndarray, ev_day: np.ndarray, q_key, q_lo, q_hi) -> np.ndarray:
    """For each query, how many events of the same key fall in ``[q_lo, q_hi)``.

    Vectorised with one sort and two binary searches, so it scales to millions of rows.
    """
    q_key = np.asarray(q_key, dtype=np.int64)
    if len(ev_key) == 0:
        return np.zeros(len(q_key), dtype=np.int64)
    span = np.int64(1 << 20)  # more days than any world spans
    ev = np.sort(np.asarray(ev_key, dtype=np.int64) * span + np.asarray(ev_day, dtype=np.int64))
    lo = q_key * span + np.asarray(q_lo, dtype=np.int64)
    hi = q_key * span + np.asarray(q_hi, dtype=np.int64)
    return np.searchsorted(ev, hi, side="left") - np.searchsorted(ev, lo, side="left")


def pairs_in(acc, month, ref_acc, ref_month) -> np.ndarray:
    """Whether each (account, month) pair occurs among the reference pairs.

    A lookup in a dense account x month grid: linear in the pairs, where ``np.isin`` on keys
    like ``account * 10_000 + month`` sorts or hashes them (and grows faster than the data).

    >>> pairs_in([0, 1, 1], [3, 3, 4], ref_acc=[1], ref_month=[3]).tolist()
    [False, True, False]
    """
    acc, month = np.asarray(acc, dtype=np.int64), np.asarray(month, dtype=np.int64)
    ref_acc, ref_month = np.asarray(ref_acc, dtype=np.int64), np.asarray(ref_month, dtype=np.int64)
    if len(acc) == 0 or len(ref_acc) == 0:
        return np.zeros(len(acc), dtype=bool)
    first = min(month.min(), ref_month.min())
    seen = np.zeros(
        (max(acc.max(), ref_acc.max()) + 1, max(month.max(), ref_month.max()) - first + 1), bool
    )
    seen[ref_acc, ref_month - first] = True
    return seen[acc, month - first]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def poisson_times(rng, key: np.ndarray, lo: np.ndarray, hi: np.ndarray, rate_per_year: np.ndarray):
    """Events of a Poisson process on ``[lo, hi)`` days per key: returns (key, day) arrays."""
    length = np.clip(hi - lo, 0, None)
    n = rng.poisson(np.asarray(rate_per_year) * length / 365.25)
    keys = np.repeat(key, n)
    days = np.repeat(lo, n) + rng.random(n.sum()) * np.repeat(length, n)
    return keys, np.floor(days).astype(np.int64)


def schedule(rng, key, first_day, last_day, every_days: float, keep_p, jitter: float = 3.0):
    """A regular cadence from ``first_day`` every ``every_days`` until ``last_day``,
    each occurrence kept with probability ``keep_p`` (scalar or per key)."""
    first_day = np.asarray(first_day, dtype=np.float64)
    n = (
        np.floor(np.clip(np.asarray(last_day) - first_day, 0, None) / every_days).astype(np.int64)
        + 1
    )
    n = np.where(np.asarray(last_day) >= first_day, n, 0)
    keys = np.repeat(key, n)
    j = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    days = np.repeat(first_day, n) + j * every_days + rng.normal(0, jitter, n.sum())
    p = np.repeat(np.broadcast_to(keep_p, np.shape(key)), n)
    keep = (rng.random(n.sum()) < p) & (days <= np.repeat(last_day, n))
    return keys[keep], np.round(days[keep]).astype(np.int64)


def numbered(prefix, numbers, width: int) -> np.ndarray:
    """Ids such as ``"A00042"``: ``prefix`` (a string or an array of them) and ``numbers``
    zero-padded to ``width``. Unlike ``np.char.zfill`` it also works on no numbers at all
    (a tiny world may have no user at some account).

    >>> numbered("A", [1, 42], 5).tolist()
    ['A00001', 'A00042']
    >>> numbered("A", [], 5).tolist()
    []
    """
    text = np.asarray(numbers).astype(str)
    if text.size == 0:
        return np.array([], dtype=str)
    return np.char.add(prefix, np.char.zfill(text, width))
