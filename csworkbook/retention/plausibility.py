"""Plausibility checks that speak up: figures a mapping can make wrong while every row loads.

A mapping can be valid row by row and still describe a company that cannot exist: nobody
ever churns (the churn flag was not mapped), NRR of 293% (overlapping subscriptions summed),
ARR of 0 everywhere (an export without amounts). :func:`check` runs each check below on a
:class:`~csworkbook.Dataset` and returns one row per warning, naming what it found, the
likely cause and the mapping fix; an empty table means nothing looked implausible.
:func:`overview` gives the headline figures to compare with the export's own (its churn flag,
its customer count). ``csworkbook validate`` prints both.

================== ==============================================================
check              speaks up when
================== ==============================================================
no_churn           no customer has churned (every one has a contract running at as_of)
all_churned        every customer has churned
logo_churn         logo churn over the year to as_of is exactly 0% or 100% (MRR)
grr_above_100      GRR above 100% (impossible: GRR gives no credit for expansion)
nrr_above_200      NRR above 200% over the year to as_of
overlapping        accounts hold overlapping contracts of one department and product
arr_zero           ARR is 0 on every contract
arr_constant       every contract has the same ARR
as_of_after_data   as_of lies more than 62 days after the latest date in the data
as_of_before_data  dates lie after as_of
cohort_grows       half the start-month cohorts (5+ customers) grow to 3x their first revenue
end_month_billed   contracts ended by as_of still have MRR in the month of as_of
================== ==============================================================

Examples
--------
>>> import csworkbook
>>> from csworkbook.retention import plausibility
>>> ds = csworkbook.load("tests/fixtures/exports/card",
...                      mapping="tests/fixtures/exports/card/mapping.yaml")
>>> plausibility.check(ds)["check"].tolist()
['arr_zero']
>>> plausibility.overview(ds).set_index("figure").at["churned customers", "value"]
65
"""

from __future__ import annotations

import pandas as pd

from .cohorts import cohort_matrix
from .metrics import trailing_year

COLUMNS = ["check", "finding", "likely_cause", "fix", "value"]
NRR_LIMIT = 2.0
GROWTH_LIMIT = 3.0
STALE_DAYS = 62
# The dated columns that record something happening (not computed from as_of).
ACTIVITY = {
    "contracts": ("start_date", "end_date"),
    "renewals": ("renewal_date",),
    "events": ("event_time",),
    "tickets": ("opened_at", "closed_at"),
    "nps": ("date",),
    "touchpoints": ("date",),
    "stakeholder_events": ("date",),
    "users": ("created_date", "deactivated_date"),
    "milestones": ("achieved_date",),
}
CHURN_FIX = (
    'map contracts.end_date for churned rows: `end_date: {value: as_of, when: {column: Churn, in: ["Yes"]}}` '
    "for a churn flag, `end_date: {column: End Date, when: {column: Status, in: [Churned]}}` for "
    "a status, or map the export's churn events under `churn_events:`"
)


def _row(check, finding, cause, fix, value) -> dict:
    return dict(zip(COLUMNS, (check, finding, cause, fix, value), strict=True))


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def churned_accounts(ds) -> pd.Index:
    """Accounts with at least one contract and none running at ``as_of``: every contract has
    an end date on or before it (the end-date convention: a churn dated on ``as_of`` counts).

    >>> import pandas as pd
    >>> from csworkbook import Dataset
    >>> k = pd.DataFrame({"account_id": ["a", "a", "b"],
    ...     "end_date": pd.to_datetime(["2025-01-01", "2025-12-31", None])})
    >>> list(churned_accounts(Dataset({"contracts": k}, as_of="2025-12-31")))
    ['a']
    """
    k = ds.contracts
    ended = k["end_date"].notna() & (k["end_date"] <= ds.as_of)
    every = ended.groupby(k["account_id"].to_numpy()).all()
    return every.index[every.to_numpy()]


def overview(ds) -> pd.DataFrame:
    """Headline figures to compare with the export's own: customers, churned customers (no
    contract running at ``as_of``), their share, and the trailing year's logo churn, GRR
    and NRR when monthly revenue is there."""
    rows = [("customers", len(ds.accounts))]
    if "contracts" in ds:
        churned = len(churned_accounts(ds))
        customers = ds.contracts["account_id"].nunique()
        rows += [
            ("customers with contracts", customers),
            ("churned customers", churned),
            ("churned share", round(churned / customers, 4) if customers else float("nan")),
        ]
    if "mrr_monthly" in ds and len(ds.mrr_monthly):
        year = trailing_year(ds.mrr_monthly, ds.as_of).iloc[0]
        rows += [(f"{label} (year to as_of)", round(float(year[k]), 4))
                 for k, label in (("logo_churn", "logo churn"), ("grr", "GRR"), ("nrr", "NRR"))]  # fmt: skip
    return pd.DataFrame(rows, columns=["figure", "value"], dtype=object)


def _churn(ds) -> list[dict]:
    if "contracts" not in ds or ds.contracts.empty:
        return []
    customers = ds.contracts["account_id"].nunique()
    churned = len(churned_accounts(ds))
    if churned == 0:
        return [
            _row(
                "no_churn",
                f"no customer has churned: all {customers} have a contract running at as_of "
                f"{ds.as_of.date()}",
                "the churn flag or end date is not mapped, or every end date lies after as_of",
                CHURN_FIX,
                0.0,
            )
        ]
    if churned == customers:
        return [
            _row(
                "all_churned",
                f"every customer has churned: none of {customers} has a contract running at as_of "
                f"{ds.as_of.date()}",
                "an end date is mapped on every row (a term end or renewal date is not an end), "
                "or as_of lies after the data",
                "map the date as end_date only for churned rows (`when: {column: Status, in: "
                "[Churned]}`) and as renewal_date for the others; check `as_of:`",
                1.0,
            )
        ]
    return []


def retention_warnings(year: pd.Series) -> list[dict]:
    """Warnings on one row of :func:`~csworkbook.retention.metrics.revenue_retention`.

    >>> import pandas as pd
    >>> [w["check"] for w in retention_warnings(pd.Series(
    ...     {"units": 40, "logo_churn": 0.1, "grr": 1.02, "nrr": 2.93}))]
    ['grr_above_100', 'nrr_above_200']
    """
    out = []
    units, logo = int(year["units"]), year["logo_churn"]
    if units >= 10 and logo in (0.0, 1.0):
        out.append(
            _row(
                "logo_churn",
                f"logo churn over the year to as_of is exactly {_pct(logo)} of {units} customers",
                "churn does not reach monthly revenue: an MRR export that bills the last month "
                "of churned customers, or end dates that are not mapped"
                if logo == 0
                else "every customer of a year ago stops paying: end dates on every row, or "
                "monthly revenue that stops before as_of",
                CHURN_FIX if logo == 0 else "check end dates and `as_of:`",
                float(logo),
            )
        )
    if year["grr"] > 1 + 1e-9:
        out.append(
            _row(
                "grr_above_100",
                f"GRR over the year to as_of is {_pct(year['grr'])}; it cannot exceed 100%",
                "negative amounts or credits in monthly revenue",
                "map revenue as amounts of 0 or more; net credits off at the source",
                float(year["grr"]),
            )
        )
    if year["nrr"] > NRR_LIMIT:
        out.append(
            _row(
                "nrr_above_200",
                f"NRR over the year to as_of is {_pct(year['nrr'])} (GRR {_pct(year['grr'])}); "
                "public SaaS benchmarks stay below about 130%",
                "revenue counted more than once: subscriptions that overlap (a plan change "
                "adds a row and leaves the old one open), repeated rows, or ARR mapped from a "
                "cumulative total (TotalCharges, lifetime value)",
                "`replaced_by_next: true` under contracts if each row replaces the account's "
                "previous one; map end dates of superseded rows; map arr from the recurring "
                "amount (`arr: {column: MonthlyCharges, multiply: 12}`)",
                float(year["nrr"]),
            )
        )
    return out


def _overlaps(ds) -> list[dict]:
    if "contracts" not in ds or ds.contracts.empty:
        return []
    k = ds.contracts
    line = [c for c in ("account_id", "department", "product") if c in k]
    end = k["end_date"].fillna(ds.as_of + pd.Timedelta(days=1))
    steps = pd.concat(
        [
            k[line].assign(t=k["start_date"], d=1),
            k[line].assign(t=end, d=-1),
        ],
        ignore_index=True,
    ).sort_values([*line, "t", "d"], kind="stable")  # an end on a start day comes first
    steps["running"] = steps.groupby(line, observed=True, dropna=False)["d"].cumsum()
    most = steps.groupby("account_id", observed=True)["running"].max()
    over = int((most >= 2).sum())
    accounts = k["account_id"].nunique()
    if over < max(1, 0.1 * accounts) and most.max() < 3:
        return []
    return [
        _row(
            "overlapping",
            f"{over} of {accounts} accounts hold overlapping contracts of one department and "
            f"product (up to {int(most.max())} at once); their revenue adds up",
            "each plan change, renewal or seat change is exported as a new subscription while "
            "the old one stays open",
            "`replaced_by_next: true` under contracts (each row ends when the account's next "
            "one starts), or map the end date of superseded rows; keep overlapping rows only "
            "if they are really paid side by side (map `product:` / `department:` to tell them apart)",
            float(over),
        )
    ]


def _arr(ds) -> list[dict]:
    if "contracts" not in ds or len(ds.contracts) < 2:
        return []
    arr = ds.contracts["arr"]
    if (arr == 0).all():
        return [
            _row(
                "arr_zero",
                f"ARR is 0 on all {len(arr)} contracts: GRR, NRR and MRR cannot be measured; "
                "churn, cohorts and survival count customers by their months of service",
                "the export has no amounts, or arr is mapped to a constant 0 or an empty column",
                "map arr from a recurring amount if the export has one (`arr: {column: "
                "MonthlyCharges, multiply: 12}`); otherwise read only customer counts",
                0.0,
            )
        ]
    if arr.nunique() == 1 and len(arr) >= 10:
        return [
            _row(
                "arr_constant",
                f"every contract has ARR {arr.iloc[0]:,.2f}: revenue figures only repeat "
                "customer counts",
                "arr mapped to a constant (`value:`) or a list price",
                "map the amount each customer pays",
                float(arr.iloc[0]),
            )
        ]
    return []


def _latest(ds) -> tuple[pd.Timestamp | None, str]:
    found = []
    for table, cols in ACTIVITY.items():
        if table in ds:
            found += [
                (ds[table][c].max(), f"{table}.{c}") for c in cols if ds[table][c].notna().any()
            ]
    if "usage" in ds and len(ds.usage):
        used = ds.usage[(ds.usage["active_users"] > 0) | (ds.usage["sessions"] > 0)]
        if len(used):
            found.append((used["week"].max(), "usage.week"))
    if not found:
        return None, ""
    return max(found, key=lambda x: x[0])


def _as_of(ds) -> list[dict]:
    latest, where = _latest(ds)
    if latest is None:
        return []
    gap = (ds.as_of - pd.Timestamp(latest).normalize()).days
    if gap > STALE_DAYS:
        return [
            _row(
                "as_of_after_data",
                f"as_of {ds.as_of.date()} is {gap} days after the latest date in the data "
                f"({pd.Timestamp(latest).date()}, {where})",
                "as_of is not the day the export was taken: customers without an end date "
                "count as active for months nobody saw",
                "set `as_of:` to the day the export was taken (often the latest date in it), "
                "or pass --as-of",
                float(gap),
            )
        ]
    if gap < -1:
        return [
            _row(
                "as_of_before_data",
                f"the data has dates after as_of {ds.as_of.date()} (up to "
                f"{pd.Timestamp(latest).date()}, {where})",
                "as_of is earlier than the day the export was taken",
                "set `as_of:` to the day the export was taken",
                float(gap),
            )
        ]
    return []


def _cohorts(ds) -> list[dict]:
    if "mrr_monthly" not in ds or ds.mrr_monthly.empty or not (ds.mrr_monthly["mrr"] > 0).any():
        return []
    m = cohort_matrix(ds.mrr_monthly, kind="revenue", min_size=5).drop(columns="size")
    peak = m.max(axis=1).dropna()
    if peak.empty or peak.median() < GROWTH_LIMIT:
        return []
    worst = peak.idxmax()
    return [
        _row(
            "cohort_grows",
            f"half of the {len(peak)} start-month cohorts grow to {peak.median():.1f}x their "
            f"first month's revenue or more (the {worst:%Y-%m} cohort to {peak.max():.1f}x)",
            "revenue added without revenue ending: overlapping subscriptions, repeated rows, "
            "or amounts that accumulate (totals to date)",
            "`replaced_by_next: true` under contracts, `distinct: true` for repeated rows, or "
            "map arr from the recurring amount",
            float(peak.median()),
        )
    ]


def _end_month(ds) -> list[dict]:
    if "mrr_monthly" not in ds or "contracts" not in ds:
        return []
    k, month = ds.contracts, ds.as_of.to_period("M").to_timestamp()
    ended = k.loc[k["end_date"].notna() & (k["end_date"] <= ds.as_of), "contract_id"]
    m = ds.mrr_monthly
    billed = m[(m["month"] == month) & (m["mrr"] > 0) & m["contract_id"].isin(ended)]
    n = billed["contract_id"].nunique()
    if not n:
        return []
    return [
        _row(
            "end_month_billed",
            f"{n} contract(s) that ended by as_of still have MRR in {month:%Y-%m}: their churn "
            "is not counted in the year to as_of",
            "monthly revenue mapped from an export that bills the final month; the month of "
            "as_of shows what runs at as_of",
            "derive monthly revenue (`derive: [mrr_monthly]`), or drop those rows at the source",
            float(n),
        )
    ]


def check(ds) -> pd.DataFrame:
    """Every plausibility warning for a dataset: ``check``, ``finding``, ``likely_cause``,
    ``fix`` (the mapping change) and ``value`` (the figure that tripped it).

    Examples
    --------
    >>> import csworkbook
    >>> check(csworkbook.load("datasets/demo")).empty
    True
    """
    rows = _churn(ds)
    if "mrr_monthly" in ds and len(ds.mrr_monthly):
        rows += retention_warnings(trailing_year(ds.mrr_monthly, ds.as_of).iloc[0])
    for one in (_overlaps, _arr, _as_of, _cohorts, _end_month):
        rows += one(ds)
    return pd.DataFrame(rows, columns=COLUMNS)
