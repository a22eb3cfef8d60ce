"""Export shapes that are not canonical tables, turned into canonical facts.

- **Churn events** (``tables: churn_events:``): one row per customer who left, with the
  date, a reason and a refund, as SaaS billing and CRM tools export them. Each event ends
  the account's contracts still running on that date (their ``end_date``) and becomes one
  ``renewals`` row per contract it ends (outcome ``churned``, the reason, ARR before and 0
  after). Refunds are summed in the report; they are not recurring revenue.
- **Subscriptions replaced by the next one** (``replaced_by_next: true`` under
  ``contracts``): exports that add a subscription row at every plan change without ending
  the previous one. Summed, the overlapping rows multiply an account's revenue (NRR far
  above 200%); with the option each row ends when the account's next one starts.

Both are pure functions of mapped tables; :mod:`~csworkbook.exports.load` calls them after
the tables are mapped and before tables are derived.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..data.schema import CHURN_REASONS, Col, Table

CHURN_EVENTS = Table(
    "churn_events",
    "one row per customer departure (mapping shape, not a canonical table)",
    (),
    (
        Col("account_id", "string", "Customer company that left."),
        Col("churn_date", "date", "Day the customer left (its contracts end that day)."),
        Col("reason", "string", "Why it left.", nullable=True, allowed=CHURN_REASONS),
        Col("refund", "float", "Amount refunded.", nullable=True, min_value=0),
        Col("contract_id", "string", "The contract that ended, if named.", nullable=True),
    ),
    references={"account_id": "accounts.account_id", "contract_id": "contracts.contract_id"},
)
SHAPES = {"churn_events": CHURN_EVENTS}
# A contract whose own end date lies this close to a churn event is the one it ended.
MATCH_DAYS = 31


class ChurnResult(NamedTuple):
    contracts: pd.DataFrame  # with end dates set by the events
    renewals: pd.DataFrame  # one churned renewal per contract an event ended
    reasons: pd.Series  # per event: why it matched no contract (None when it did)
    notes: list


def apply_churn_events(events: pd.DataFrame, contracts: pd.DataFrame) -> ChurnResult:
    """End contracts and write churned renewals from churn events.

    An event ends the contract it names (``contract_id``) or else every contract of its
    account running on the churn date: started by then, and open (no ``end_date``), ending
    later, or ended at most 31 days before (the event was recorded late). Contracts open or
    ending later get the churn date as ``end_date``; the others keep theirs. An event that
    ends no contract gets a reason (it is rejected).

    Examples
    --------
    >>> k = pd.DataFrame({"contract_id": ["K1", "K2"], "account_id": ["A", "A"],
    ...     "start_date": pd.to_datetime(["2024-01-01", "2025-01-01"]),
    ...     "end_date": pd.to_datetime([None, None]), "renewal_date": pd.to_datetime([None] * 2),
    ...     "arr": [1200.0, 600.0]})
    >>> e = pd.DataFrame({"account_id": ["A"], "churn_date": pd.to_datetime(["2025-06-30"]),
    ...     "reason": ["budget_cuts"], "refund": [50.0], "contract_id": [None]})
    >>> out = apply_churn_events(e, k)
    >>> out.renewals[["contract_id", "renewal_date", "arr_before", "churn_reason"]].values.tolist()
    [['K1', Timestamp('2025-06-30 00:00:00'), 1200.0, 'budget_cuts'], ['K2', Timestamp('2025-06-30 00:00:00'), 600.0, 'budget_cuts']]
    """
    k = contracts.reset_index(drop=True).copy()
    pairs = (
        events.reset_index(drop=True)
        .reset_index(names="event")
        .merge(
            k.reset_index(names="k")[["k", "account_id", "contract_id", "start_date", "end_date"]],
            on="account_id",
            suffixes=("", "_k"),
        )
    )
    named = pairs["contract_id"].notna()
    late = pairs["end_date"] >= pairs["churn_date"] - pd.Timedelta(days=MATCH_DAYS)
    running = (pairs["start_date"] <= pairs["churn_date"]) & (pairs["end_date"].isna() | late)
    hit = np.where(named, pairs["contract_id"] == pairs["contract_id_k"], running)
    pairs = pairs[hit].sort_values(["k", "churn_date", "event"], kind="stable")
    pairs = pairs.drop_duplicates("k", keep="first")  # an ended contract ends once
    ended = pairs.set_index("k")["churn_date"]
    own = k.loc[ended.index, "end_date"]
    opened = (own.isna() | (own > ended)).to_numpy()  # open, or running past the event
    k.loc[ended.index[opened], "end_date"] = ended[opened].to_numpy()
    k.loc[ended.index, "renewal_date"] = pd.NaT
    matched = pd.Series(events.reset_index(drop=True).index).isin(pairs["event"])
    ev = events.reset_index(drop=True)
    reasons = pd.Series(
        [
            None
            if ok
            else f"churn_date: no contract of account {a!r} runs on {d.date()} (started by then, not ended more than {MATCH_DAYS} days before)"
            for ok, a, d in zip(matched, ev["account_id"], ev["churn_date"], strict=True)
        ],
        index=ev.index,
        dtype=object,
    )
    got = k.loc[pairs["k"]]
    renewals = pd.DataFrame(
        {
            "contract_id": got["contract_id"].to_numpy(),
            "account_id": got["account_id"].to_numpy(),
            "renewal_date": got["end_date"].to_numpy(),
            "outcome": "churned",
            "arr_before": got["arr"].to_numpy(dtype=float),
            "arr_after": 0.0,
            "churn_reason": pairs["reason"].to_numpy(),
        }
    ).astype({"contract_id": "string", "account_id": "string", "churn_reason": "string"})
    renewals["outcome"] = renewals["outcome"].astype("string")
    notes = [
        f"{int(matched.sum())} event(s) ended {len(pairs)} contract(s) "
        f"({int(opened.sum())} open or ending later now end on the churn date) and made "
        f"{len(renewals)} churned renewal(s)"
    ]
    refunds = ev["refund"].where(matched.to_numpy())
    if refunds.notna().any():
        notes.append(
            f"refunds: {float(refunds.sum()):,.2f} in {int((refunds > 0).sum())} event(s) "
            "(not recurring revenue: ARR and MRR are unchanged)"
        )
    return ChurnResult(k, renewals, reasons, notes)


def replace_by_next(contracts: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """End each contract when the next one of the same account, department and product
    starts (exports that add a row per plan change); the number of contracts changed.

    The replaced contract ends on the first day of the month the next one starts (or on its
    own start, if later), so the month of the change is billed once, to the new contract.

    Examples
    --------
    >>> k = pd.DataFrame({"contract_id": ["K1", "K2"], "account_id": ["A", "A"],
    ...     "department": ["x", "x"], "product": ["p", "p"],
    ...     "start_date": pd.to_datetime(["2024-01-01", "2024-07-01"]),
    ...     "end_date": pd.to_datetime([None, None]), "renewal_date": pd.to_datetime([None] * 2)})
    >>> out, n = replace_by_next(k)
    >>> out["end_date"].dt.date.astype(str).tolist(), n
    (['2024-07-01', 'NaT'], 1)
    >>> k.loc[1, "start_date"] = pd.Timestamp("2024-07-16")   # mid-month: July is the new one's
    >>> replace_by_next(k)[0]["end_date"].dt.date.astype(str).tolist()
    ['2024-07-01', 'NaT']
    """
    k = contracts.copy()
    line = [c for c in ("account_id", "department", "product") if c in k]
    order = k.sort_values([*line, "start_date", "contract_id"], kind="stable")
    nxt = order.groupby(line, observed=True, dropna=False)["start_date"].shift(-1)
    later = nxt > order["start_date"]  # a row starting the same day replaces nothing
    change = later & (order["end_date"].isna() | (order["end_date"] > nxt))
    idx = order.index[change.to_numpy()]
    month = nxt[change].dt.to_period("M").dt.to_timestamp()
    k.loc[idx, "end_date"] = month.where(
        month > order.loc[idx, "start_date"], order.loc[idx, "start_date"]
    ).to_numpy()
    if "renewal_date" in k:
        k.loc[idx, "renewal_date"] = pd.NaT
    return k, len(idx)
