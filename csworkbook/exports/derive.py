"""Canonical tables derived from others, for exports that lack them.

A CRM report has contracts but no monthly revenue; a product-analytics export has raw
events but no weekly usage. These functions rebuild the missing table from what is there,
so revenue retention, survival and early-warning analyses can run. Mapping files ask for
them with ``derive: [mrr_monthly, usage]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..events import usage_features

MRR_COLUMNS = {
    "contract_id": "string",
    "account_id": "string",
    "month": "datetime64[ns]",
    "mrr": "float64",
}
USAGE_COLUMNS = {
    "account_id": "string",
    "week": "datetime64[ns]",
    "active_users": "int64",
    "sessions": "int64",
    "key_actions": "int64",
    "features_used": "int64",
    "minutes": "float64",
}


def _empty(columns: dict) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


DERIVABLE = {
    "mrr_monthly": ("contracts",),
    "usage": ("events", "contracts"),
}


def mrr_from_contracts(contracts: pd.DataFrame, as_of) -> pd.DataFrame:
    """Monthly recurring revenue per contract, flat at ``arr / 12``.

    A contract is billed for every month whose first day falls before its ``end_date`` (the
    day service ended), starting with the month it starts in, as the synthetic worlds bill.
    **The month of** ``as_of`` **is the state at** ``as_of``: only contracts still running
    at ``as_of`` (no end date, or one after it) are billed in it. A churn dated on ``as_of``
    or earlier in its month (exports without dates record "left within the last month" as
    ``as_of``) therefore counts as churn in the year to ``as_of``: there is no later month
    in which its absence could show.
    Without price history, expansion and contraction inside a contract are invisible; a
    customer's upsell shows only when it arrives as a separate contract.

    Examples
    --------
    >>> k = pd.DataFrame({"contract_id": ["C1"], "account_id": ["A1"], "arr": [1200.0],
    ...     "start_date": pd.to_datetime(["2025-01-15"]), "end_date": pd.to_datetime(["2025-04-01"])})
    >>> mrr_from_contracts(k, "2025-12-31")["mrr"].tolist()
    [100.0, 100.0, 100.0]
    >>> k["end_date"] = pd.to_datetime(["2025-12-31"])   # churned on as_of: December unbilled
    >>> mrr_from_contracts(k, "2025-12-31")["month"].dt.month.tolist()[-1]
    11
    """
    as_of = pd.Timestamp(as_of)
    if contracts.empty:
        return _empty(MRR_COLUMNS)
    first = contracts["start_date"].dt.to_period("M")
    # the month of the last day served; an end on the 1st serves nothing that month
    end = contracts["end_date"]
    last = (end - pd.Timedelta(days=1)).dt.to_period("M")
    running = end.isna() | (end > as_of)  # running at as_of: billed through the month of as_of
    month = pd.Period(as_of, "M")
    last = last.where(~running, month).where(running | (last < month), month - 1)
    n = (last - first).map(lambda d: d.n if pd.notna(d) else -1).astype(int) + 1
    n = np.clip(n.to_numpy(), 0, None)
    rows, offset = _spread(n)
    months = (first.to_numpy()[rows] + offset) if len(rows) else []
    out = pd.DataFrame(
        {
            "contract_id": contracts["contract_id"].to_numpy()[rows],
            "account_id": contracts["account_id"].to_numpy()[rows],
            "month": pd.PeriodIndex(months, freq="M").to_timestamp(),
            "mrr": contracts["arr"].to_numpy(dtype=float)[rows] / 12.0,
        }
    )
    return out.astype({"contract_id": "string", "account_id": "string"})


def usage_from_events(
    events: pd.DataFrame,
    contracts: pd.DataFrame | None = None,
    *,
    as_of=None,
    key_events=None,
    session_gap_minutes: float = 30.0,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """Weekly usage per account from raw product events.

    Parameters
    ----------
    events : DataFrame
        Canonical ``events`` (event_time, account_id, user_id, event_name, feature).
    contracts : DataFrame, optional
        With ``as_of``, weeks in which the account had an active contract but no event are
        kept as zero-usage weeks (from the first week the export covers): silence is the
        signal early warning looks for.
    key_events : list of str, optional
        Event names that count as value-creating ``key_actions``; default all events.
    session_gap_minutes : float
        A user's events further apart than this start a new session (the analytics tools'
        usual 30 minutes); minutes are summed over sessions from first to last event.
    engine : {"duckdb", "pandas", "spark"}
        Where the aggregation runs (:func:`csworkbook.events.usage_features`).

    Examples
    --------
    >>> e = pd.DataFrame({"account_id": ["A1"] * 3, "user_id": ["u1", "u1", "u2"],
    ...     "event_time": pd.to_datetime(["2025-03-03 09:00", "2025-03-03 09:20", "2025-03-04 10:00"]),
    ...     "event_name": ["report_sent", "login", "login"], "feature": ["reports", None, None]})
    >>> usage_from_events(e, key_events=["report_sent"])[["active_users", "sessions", "key_actions"]].values.tolist()
    [[2, 2, 1]]
    """
    out = usage_features(
        events,
        engine=engine,
        key_events=key_events,
        session_gap_minutes=session_gap_minutes,
    )
    return fill_zero_weeks(out, contracts, as_of)


def fill_zero_weeks(out: pd.DataFrame, contracts: pd.DataFrame | None, as_of) -> pd.DataFrame:
    """Weekly usage plus the weeks with a contract running and no event, as zeros, from the
    first week the events cover (before it, silence means no data, not no use)."""
    if out.empty:
        return _empty(USAGE_COLUMNS)
    first_week = out["week"].min()
    out = out.set_index(["account_id", "week"])
    if contracts is not None and as_of is not None and len(out):
        weeks = _active_weeks(contracts, as_of)
        weeks = weeks[weeks.get_level_values("week") >= first_week]
        out = out.reindex(weeks.union(out.index), fill_value=0)
    out = out.reset_index()
    return out.astype(USAGE_COLUMNS)[list(USAGE_COLUMNS)]


def _spread(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts ``n`` per contract: the contract of each expanded row and its step
    (0, 1, … n-1) from the contract's first month or week."""
    rows = np.repeat(np.arange(len(n)), n)
    return rows, np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)


def _active_weeks(contracts: pd.DataFrame, as_of) -> pd.MultiIndex:
    """(account_id, Monday) for every week in which an account had a contract running."""
    as_of = pd.Timestamp(as_of)
    start = contracts["start_date"] - pd.to_timedelta(contracts["start_date"].dt.weekday, "D")
    end = contracts["end_date"].fillna(as_of + pd.Timedelta(days=1)).clip(upper=as_of)
    n = ((end - start).dt.days // 7 + 1).clip(lower=0).to_numpy()
    rows, offset = _spread(n)
    weeks = start.to_numpy()[rows] + offset * np.timedelta64(7, "D")
    idx = pd.MultiIndex.from_arrays(
        [contracts["account_id"].to_numpy()[rows], weeks], names=["account_id", "week"]
    )
    return idx.drop_duplicates()
