"""Raw product events behind the world's weekly usage.

Every usage row (account, week: active users, sessions, key actions, features used,
minutes) is laid out as events whose weekly aggregates give that row back exactly, under
the definitions :func:`csworkbook.events.usage_features` uses (a user's events more than
30 minutes apart start a new session; minutes run from a session's first to its last
event; ``key_actions`` count :data:`KEY_EVENTS`; features are distinct non-empty
``feature`` values):

- each active user has at least one session, the remaining sessions go to random active
  users; the users are distinct seats of the account's ``users`` table;
- the week's minutes (in tenths) are split over its sessions; a session opens with
  ``login`` and its events are spaced at most 30 minutes apart, a user's sessions more
  than 30 minutes apart, all between Monday 06:00 and Sunday 23:00;
- key actions go to random sessions; every event after ``login`` names a feature, the
  week's first events covering its distinct features.

Events are written month by month as Parquet partitions (``month=YYYY-MM``) with
microsecond timestamps. Chunks are the months of the week starts and each has its own
random stream, so the bytes do not depend on how many processes write them.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

KEY_EVENTS = ("report_sent", "workflow_run", "dashboard_shared")
OTHER_EVENTS = ("page_view", "search", "record_updated")
EVENT_NAMES = np.array(["login", *KEY_EVENTS, *OTHER_EVENTS])
FEATURES = np.array(
    [
        "reports",
        "dashboards",
        "workflows",
        "integrations",
        "alerts",
        "search",
        "exports",
        "admin",
        "api",
        "mobile",
        "comments",
        "templates",
    ]
)
_US = 1_000_000
_MIN = 60 * _US
_GAP = 30 * _MIN  # a longer pause starts a new session
_DAY_START = 6 * 60 * _MIN  # Monday 06:00
_WINDOW = (6 * 24 + 17) * 60 * _MIN  # until Sunday 23:00
_STEPS = np.array([1, 5, 7, 11])  # coprime with 12: a stride through distinct features
_STREAM = 0xE7E475  # keeps the events' random numbers apart from the world's
# A chunk is a month of 2,000 accounts (about 0.5 million events): small enough that two
# processes stay well inside 2 GB whatever the world's size.
ACCOUNTS_PER_CHUNK = 2_000


@dataclass(frozen=True)
class EventsWritten:
    """What :func:`write_events` wrote."""

    path: Path
    events: int
    account_weeks: int
    customer_months: int
    files: int


def _spread(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent row and position (0 … n-1) of each child when row i has n[i] children."""
    parent = np.repeat(np.arange(len(n)), n)
    return parent, np.arange(parent.size) - np.repeat(np.cumsum(n) - n, n)


def _group_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(group, weights=values, minlength=n_groups)


def _split(total: np.ndarray, parent: np.ndarray, pos: np.ndarray, rng) -> np.ndarray:
    """Random non-negative integer parts of each ``total`` over its children, summing to it
    exactly (the rounding remainder goes to the first child)."""
    w = rng.random(parent.size) + 1e-9
    share = w / _group_sum(w, parent, len(total))[parent]
    part = np.floor(total[parent] * share).astype(np.int64)
    rest = total - np.bincount(parent, weights=part, minlength=len(total)).astype(np.int64)
    part[pos == 0] += rest[parent[pos == 0]]
    return part


def events_for_weeks(usage: dict, pool_start, pool_size, seed: int, chunk: int) -> dict:
    """Events of some usage rows, as integer codes (see :func:`write_events`).

    ``usage`` holds numpy arrays: ``acc`` (account code), ``week`` (Monday,
    datetime64[us]), ``active_users``, ``sessions``, ``key_actions``, ``features_used``,
    ``tenths`` (minutes × 10). ``pool_start[acc]`` / ``pool_size[acc]`` locate the account's
    users in the user dictionary.
    """
    rng = np.random.default_rng([seed, _STREAM, chunk])
    acc, users, sessions = usage["acc"], usage["active_users"], usage["sessions"]
    keys, feats = usage["key_actions"], usage["features_used"]
    n_rows = len(acc)
    if np.any(sessions < users) or np.any((sessions == 0) & (keys > 0)):
        raise ValueError(
            "a usage row has fewer sessions than active users, or key actions without a session"
        )
    if np.any(users > pool_size[acc]):
        raise ValueError("a usage row has more active users than the account has users")

    # sessions: the first `users` go one to each active user, the rest to random ones
    s_row, s_pos = _spread(sessions)
    n_s = s_row.size
    extra = s_pos >= users[s_row]
    u = s_pos.copy()
    u[extra] = np.floor(rng.random(int(extra.sum())) * users[s_row[extra]]).astype(np.int64)
    offset = np.floor(rng.random(n_rows) * pool_size[acc]).astype(np.int64)
    user = pool_start[acc[s_row]] + (offset[s_row] + u) % pool_size[acc[s_row]]
    span = _split(usage["tenths"], s_row, s_pos, rng) * (_MIN // 10)

    # key actions to random sessions of their week
    k_row, _ = _spread(keys)
    first_s = np.cumsum(sessions) - sessions
    k_ses = first_s[k_row] + np.floor(rng.random(k_row.size) * sessions[k_row]).astype(np.int64)
    k_per_s = np.bincount(k_ses, minlength=n_s)

    # events per session: enough to keep pauses within 30 minutes, one per key action,
    # and in each week at least as many feature events as features used
    need_gap = np.where(span > 0, -(-span // _GAP) + 1, 1)
    n_ev = np.maximum(need_gap, k_per_s + 1)
    short = np.maximum(feats - np.bincount(s_row, weights=n_ev - 1, minlength=n_rows), 0)
    n_ev[first_s[(short > 0) & (sessions > 0)]] += short[(short > 0) & (sessions > 0)].astype(
        np.int64
    )

    # session starts: a user's sessions in order, pauses over 30 minutes, inside the week
    # rows ascending, a row's sessions in order: a stable sort on (row, user) keeps that order
    row_user = s_row * (int(pool_size.max()) + 1) + (user - pool_start[acc[s_row]])
    order = np.argsort(row_user, kind="stable")
    grp_key = row_user[order]
    new_grp = np.r_[True, grp_key[1:] != grp_key[:-1]]
    grp = np.cumsum(new_grp) - 1
    n_grp = int(grp[-1]) + 1 if n_s else 0
    k_in = np.bincount(grp, minlength=n_grp)
    slack = _WINDOW - _group_sum(span[order].astype(float), grp, n_grp) - k_in * (_GAP + _MIN)
    if np.any(slack < 0):
        raise ValueError("a user's sessions do not fit in a week")
    w = rng.random(n_s)
    w_sum = _group_sum(w, grp, n_grp) + rng.random(n_grp)  # the last share is after the end
    pause = np.floor(slack[grp] * w / w_sum[grp]).astype(np.int64) + np.where(
        new_grp, 0, _GAP + _MIN
    )
    step = pause + np.r_[0, span[order][:-1]] * ~new_grp
    csum = np.cumsum(step)
    grp_first = np.flatnonzero(new_grp)
    before = csum[grp_first] - step[grp_first]
    start = np.empty(n_s, dtype=np.int64)
    start[order] = csum - before[grp]
    week_us = usage["week"].astype("datetime64[us]").astype(np.int64)
    start += week_us[s_row] + _DAY_START

    # events: evenly spaced through the session with a jitter that keeps every pause
    # inside (0, 30 min]; the first at the start and the last at the end
    e_first = np.cumsum(n_ev) - n_ev  # index of each session's first event
    e_ses = np.repeat(np.arange(n_s), n_ev)
    e_pos = np.arange(e_ses.size) - np.repeat(e_first, n_ev)
    spacing = span / np.maximum(n_ev - 1, 1)
    room = 0.9 * np.minimum(spacing, _GAP - spacing)
    jitter = (rng.random(e_ses.size, dtype=np.float32) - 0.5) * np.repeat(room, n_ev)
    jitter[e_first] = 0
    t = np.repeat(start, n_ev) + np.round(e_pos * np.repeat(spacing, n_ev) + jitter).astype(
        np.int64
    )
    t[e_first + n_ev - 1] = start + span

    # names: login, then the session's key actions, then other events
    key = (e_pos >= 1) & (e_pos <= k_per_s[e_ses])
    name = np.zeros(e_ses.size, dtype=np.int8)
    name[key] = 1 + np.floor(rng.random(int(key.sum())) * len(KEY_EVENTS)).astype(np.int8)
    other = e_pos > k_per_s[e_ses]
    name[other] = (
        1
        + len(KEY_EVENTS)
        + np.floor(rng.random(int(other.sum())) * len(OTHER_EVENTS)).astype(np.int8)
    )

    # features: the week's non-login events in order cover its distinct features first
    e_row = s_row[e_ses]
    has = e_pos > 0
    f_row = e_row[has]
    f_rank = np.arange(f_row.size) - np.repeat(
        np.cumsum(np.bincount(f_row, minlength=n_rows)) - np.bincount(f_row, minlength=n_rows),
        np.bincount(f_row, minlength=n_rows),
    )
    f_n = feats[f_row]
    slot = np.where(
        f_rank < f_n, f_rank, np.floor(rng.random(f_row.size) * np.maximum(f_n, 1))
    ).astype(np.int64)
    f_off = np.floor(rng.random(n_rows) * len(FEATURES)).astype(np.int64)
    f_step = _STEPS[np.floor(rng.random(n_rows) * len(_STEPS)).astype(np.int64)]
    feature = np.full(e_ses.size, -1, dtype=np.int8)
    feature[has] = np.where(f_n > 0, (f_off[f_row] + slot * f_step[f_row]) % len(FEATURES), -1)

    return {
        "time_us": t,
        "acc": acc[e_row].astype(np.int32),
        "user": user[e_ses].astype(np.int32),
        "name": name,
        "feature": feature,
    }


def _dictionary(codes: np.ndarray, values: np.ndarray):
    """A dictionary column holding only the values these codes use."""
    import pyarrow as pa

    present = np.zeros(len(values), dtype=bool)
    present[codes] = True
    remap = np.cumsum(present) - 1
    return pa.DictionaryArray.from_arrays(
        pa.array(remap[codes].astype(np.int32)), pa.array(values[present], pa.string())
    )


def _table(ev: dict, accounts: np.ndarray, users: np.ndarray):
    import pyarrow as pa

    feature = ev["feature"]
    fcodes = pa.array(np.where(feature < 0, 0, feature).astype(np.int32), mask=feature < 0)
    return pa.table(
        {
            "event_time": pa.array(ev["time_us"].astype("datetime64[us]")),
            "account_id": _dictionary(ev["acc"], accounts),
            "user_id": _dictionary(ev["user"], users),
            "event_name": pa.DictionaryArray.from_arrays(
                pa.array(ev["name"].astype(np.int32)), pa.array(EVENT_NAMES)
            ),
            "feature": pa.DictionaryArray.from_arrays(fcodes, pa.array(FEATURES)),
        }
    )


_SHARED: dict = {}  # the arrays every chunk reads, sent once to each process


def _share(pool_start, pool_size, accounts, users) -> None:
    _SHARED.update(pool_start=pool_start, pool_size=pool_size, accounts=accounts, users=users)


def _write_chunk(job) -> tuple[int, int]:
    """Generate one chunk and write it, split by calendar month of the events."""
    import pyarrow.parquet as pq

    usage, seed, chunk, folder = job
    pool_start, pool_size = _SHARED["pool_start"], _SHARED["pool_size"]
    accounts, users = _SHARED["accounts"], _SHARED["users"]
    ev = events_for_weeks(usage, pool_start, pool_size, seed, chunk)
    months = ev["time_us"].astype("datetime64[us]").astype("datetime64[M]")
    files = 0
    for m in np.unique(months):
        sel = months == m
        part = {k: v[sel] for k, v in ev.items()}
        out = Path(folder) / f"month={m}" / f"part-{chunk:06d}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            _table(part, accounts, users),
            out,
            compression="snappy",
            use_dictionary=["account_id", "user_id", "event_name", "feature"],
            column_encoding={"event_time": "DELTA_BINARY_PACKED"},
        )
        files += 1
    return len(ev["time_us"]), files


def _shared(ds) -> tuple:
    """Account and user dictionaries, and where each account's users start and how many."""
    users = np.sort(ds.users["user_id"].astype(str).to_numpy())
    accounts = np.sort(ds.accounts["account_id"].astype(str).to_numpy())
    u_acc = np.searchsorted(
        accounts, ds.users.set_index("user_id")["account_id"].reindex(users).astype(str).to_numpy()
    )
    pool_size = np.bincount(u_acc, minlength=len(accounts))
    pool_start = np.cumsum(pool_size) - pool_size
    if not np.all(np.diff(u_acc) >= 0):
        raise ValueError("user ids must sort within their account (the world's 'A00001-U000')")
    return pool_start, pool_size, accounts, users


def _jobs(ds, seed: int, folder: Path, accounts: np.ndarray):
    """One job per calendar month of week starts and block of accounts, in order: chunks
    of a fixed shape, so their random streams do not depend on the number of processes."""
    usage = ds.usage
    acc = np.searchsorted(accounts, usage["account_id"].astype(str).to_numpy())
    week = usage["week"].to_numpy().astype("datetime64[D]")
    tenths = np.round(usage["minutes"].to_numpy() * 10).astype(np.int64)
    month = week.astype("datetime64[M]")
    block = acc // ACCOUNTS_PER_CHUNK
    order = np.lexsort((acc, week, block, month))
    key = month[order].astype(np.int64) * 100_000 + block[order]
    bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    months = np.unique(month)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        sel = order[lo:hi]
        m = int(np.searchsorted(months, month[sel[0]]))
        chunk = m * 1000 + int(block[sel[0]])
        part = {
            "acc": acc[sel],
            "week": week[sel],
            "tenths": tenths[sel],
            **{
                c: usage[c].to_numpy()[sel].astype(np.int64)
                for c in ("active_users", "sessions", "key_actions", "features_used")
            },
        }
        yield (part, seed, chunk, str(folder))


def write_events(ds, folder, *, seed: int = 7, jobs: int | None = None, progress=False):
    """Write the raw product events behind ``ds.usage`` as partitioned Parquet.

    Parameters
    ----------
    ds : Dataset
        A world from :func:`csworkbook.synth.generate` (its ``usage`` and ``users``).
    folder : path
        Written atomically: ``folder/month=YYYY-MM/part-NNNN.parquet``.
    seed : int
        Seed of the events' own random stream; the same seed gives the same bytes, with any
        number of ``jobs``.
    jobs : int, optional
        Processes writing chunks in parallel (default: the CPUs available, at most 4).
    progress : bool
        Show a progress bar over the chunks.

    Examples
    --------
    >>> import tempfile
    >>> from csworkbook import synth
    >>> ds = synth.generate(40, seed=3)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     done = write_events(ds, Path(d) / "events", seed=3, jobs=1)
    >>> done.events > 10 * int(ds.usage["sessions"].sum()) // 10
    True
    """
    from tqdm.auto import tqdm

    from ..data.atomic import replaced_folder

    jobs = jobs or min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2)
    shared = _shared(ds)
    all_jobs = list(_jobs(ds, seed, Path(folder), shared[2]))
    total = files = 0
    folder = Path(folder)
    ours = {p.name for p in folder.glob("month=*")} | {"_events.json"}
    with replaced_folder(folder, allowed=ours) as tmp:
        all_jobs = [(*j[:-1], str(tmp)) for j in all_jobs]
        bar = tqdm(total=len(all_jobs), unit="chunk", disable=not progress, desc="events")
        if jobs == 1:
            _share(*shared)
            results = map(_write_chunk, all_jobs)
        else:
            pool = ProcessPoolExecutor(jobs, initializer=_share, initargs=shared)
            results = pool.map(_write_chunk, all_jobs)
        for n, f in results:
            total += n
            files += f
            bar.update(1)
        bar.close()
        if jobs != 1:
            pool.shutdown()
        sidecar = {"key_events": list(KEY_EVENTS), "seed": seed, "events": total}
        (Path(tmp) / "_events.json").write_text(json.dumps(sidecar, indent=1) + "\n")
    months = ds.usage["week"].dt.to_period("M")
    return EventsWritten(
        path=Path(folder),
        events=total,
        account_weeks=len(ds.usage),
        customer_months=int(pd.MultiIndex.from_arrays([ds.usage["account_id"], months]).nunique()),
        files=files,
    )
