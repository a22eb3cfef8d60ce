"""A synthetic world re-shaped as the exports analysts actually receive.

Each function takes a canonical :class:`~csworkbook.data.dataset.Dataset` and returns a
DataFrame laid out like one tool's export: its column names, value spellings, date and
number formats. :func:`write_examples` writes them with the tools' file quirks (a report
footer, CP932 with Japanese headers, yen amounts, full-width digits) for the mapping
templates in ``datasets/mappings/``. The layouts follow the tools' public documentation;
they are shapes, not copies of any customer's file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.dataset import Dataset

_TYPE = {
    "partner": "Customer - Channel",
    "inbound": "Customer - Direct",
    "outbound": "Customer - Direct",
    "self_serve": "Customer - Direct",
}
_SEGMENT = {"enterprise": "Enterprise", "mid_market": "Mid-Market", "smb": "SMB"}
_SEGMENT_JA = {"enterprise": "エンタープライズ", "mid_market": "ミッドマーケット", "smb": "SMB"}
FEATURES = ("dashboards", "reports", "alerts", "workflows", "integrations", "exports")


def _title(s: pd.Series) -> pd.Series:
    return s.str.replace("_", " ").str.capitalize()


def _last_renewal(ds: Dataset) -> pd.DataFrame:
    churned = ds.renewals[ds.renewals["outcome"] == "churned"]
    return churned.drop_duplicates("contract_id", keep="last").set_index("contract_id")


def salesforce_report(ds: Dataset) -> pd.DataFrame:
    """An "Accounts with Contracts" report: one row per contract, account fields repeated,
    UK-locale dates (D/M/YYYY), amounts with thousands separators."""
    k = ds.contracts.merge(ds.accounts, on="account_id")
    churn = _last_renewal(ds)
    dmy = "%d/%m/%Y"
    term_end = k["end_date"].fillna(k["renewal_date"]) - pd.Timedelta(days=1)
    ended = k["end_date"].notna()
    return pd.DataFrame(
        {
            "Account ID": "0015g000" + k["account_id"].str[1:],
            "Account Name": k["name"],
            "Type": k["acquisition_channel"].map(_TYPE),
            "Industry": _title(k["industry"]),
            "Billing Country": k["region"],
            "Segment": k["segment"].map(_SEGMENT),
            "Customer Since": k["first_contract_date"].dt.strftime(dmy),
            "Contract Number": "000" + k["contract_id"].str[1:],
            "Contract Start Date": k["start_date"].dt.strftime(dmy),
            "Contract End Date": term_end.dt.strftime(dmy),
            "Contract Term (months)": k["term_months"],
            "Customer Status": np.where(ended, "Churned", "Active"),
            "ARR": k["arr"].map("{:,.2f}".format),
            "Licenses": k["seats"],
            "Auto Renew": np.where(k["auto_renew"], "TRUE", "FALSE"),
            "Churn Reason": _title(k["contract_id"].map(churn["churn_reason"]).astype("string")),
        }
    )


def hubspot_exports(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Companies and deals as exported from a Japanese-language HubSpot portal."""
    a, k = ds.accounts, ds.contracts
    ymd = "%Y/%m/%d"
    companies = pd.DataFrame(
        {
            "レコードID": a["account_id"].str[1:].astype(int) + 9_000_000,
            "会社名": a["name"],
            "業種": _title(a["industry"]),
            "国/地域": a["region"],
            "セグメント": a["segment"].map(_SEGMENT_JA),
            "顧客になった日": a["first_contract_date"].dt.strftime(ymd),
        }
    )
    seats = k["seats"].astype(str)
    # a hand-typed field: some seat counts were entered with full-width digits
    wide = seats.str.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    deals = pd.DataFrame(
        {
            "レコードID": k["contract_id"].str[1:].astype(int) + 5_000_000,
            "取引名": k["department"] + " / " + k["product"],
            "関連付けられた会社ID": k["account_id"].str[1:].astype(int) + 9_000_000,
            "契約開始日": k["start_date"].dt.strftime(ymd),
            "解約日": k["end_date"].dt.strftime(ymd),
            "次回更新日": k["renewal_date"].dt.strftime(ymd),
            "契約期間(月)": k["term_months"],
            "年間契約額": k["arr"].map("￥{:,.0f}".format),
            "ライセンス数": seats.where(k.index % 7 != 3, wide),
            "自動更新": np.where(k["auto_renew"], "はい", "いいえ"),
        }
    )
    return companies, deals


def stripe_exports(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and subscriptions as the billing dashboard exports them: UTC timestamps,
    a unit price per billing interval times a quantity."""
    a, k = ds.accounts, ds.contracts
    ts = "%Y-%m-%d %H:%M"
    customers = pd.DataFrame(
        {
            "id": "cus_" + a["account_id"].str[1:],
            "Description": a["name"],
            "Email": "billing@" + a["name"].str.lower().str.replace(" ", "-") + ".example",
            "Created (UTC)": (a["first_contract_date"] + pd.Timedelta(hours=9)).dt.strftime(ts),
            "segment (metadata)": a["segment"],
        }
    )
    monthly = k["term_months"] == 1
    per_seat = k["arr"] / k["seats"].clip(lower=1)
    canceled = k["end_date"] - pd.Timedelta(days=14)
    subs = pd.DataFrame(
        {
            "id": "sub_" + k["contract_id"].str[1:],
            "Customer ID": "cus_" + k["account_id"].str[1:],
            "Plan": np.where(monthly, "core-monthly", "core-annual"),
            "Product": k["product"],
            "Quantity": k["seats"].clip(lower=1),
            "Interval": np.where(monthly, "month", "year"),
            "Amount": np.where(monthly, per_seat / 12, per_seat).round(2),
            "Currency": "usd",
            "Status": np.where(k["end_date"].notna(), "canceled", "active"),
            "Start Date (UTC)": k["start_date"].dt.strftime(ts),
            "Canceled At (UTC)": canceled.dt.strftime(ts),
            "Ended At (UTC)": k["end_date"].dt.strftime(ts),
            "Cancel At Period End": np.where(k["auto_renew"], "false", "true"),
        }
    )
    return customers, subs


def amplitude_events(ds: Dataset, *, weeks: int = 18, seed: int = 0) -> pd.DataFrame:
    """A flattened event export (one JSON event per row) for the last ``weeks`` weeks:
    sessions and key actions per account-week follow the world's weekly usage, capped so
    the file stays small."""
    rng = np.random.default_rng(seed)
    u = ds.usage[ds.usage["week"] > ds.as_of - pd.Timedelta(weeks=weeks)]
    users = ds.users.groupby("account_id")["user_id"].agg(list)
    rows = []
    for r in u.itertuples(index=False):
        people = users.get(r.account_id, [])
        n_sessions = min(int(r.sessions), 2)
        if not people or n_sessions == 0:
            continue
        for _ in range(n_sessions):
            start = r.week + pd.Timedelta(minutes=int(rng.integers(0, 5 * 24 * 60)))
            who = people[int(rng.integers(0, min(len(people), max(r.active_users, 1))))]
            n_key = int(rng.random() < min(1.0, r.key_actions / max(r.sessions, 1)))
            names = ["session_start"] + (["report_sent"] if n_key else ["dashboard_viewed"])
            for i, name in enumerate(names):
                rows.append(
                    (
                        start + pd.Timedelta(minutes=3 * i),
                        who,
                        name,
                        r.account_id,
                        FEATURES[int(rng.integers(0, len(FEATURES)))] if i else None,
                    )
                )
    e = pd.DataFrame(rows, columns=["t", "user", "event_type", "account_id", "feature"])
    e = e[e["t"] <= ds.as_of + pd.Timedelta(hours=23)].sort_values("t", kind="stable")
    return pd.DataFrame(
        {
            "event_time": e["t"].dt.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "user_id": e["user"].str.lower() + "@customer.example",
            "event_type": e["event_type"],
            "groups.company": "0015g000" + e["account_id"].str[1:],
            "event_properties.feature": e["feature"],
        }
    ).reset_index(drop=True)


FOOTER = [
    "",
    '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."',
    '"Confidential Information - Do Not Distribute"',
    '"Generated By:  Example User  31/12/2025 18:00"',
]


def write_examples(folder, *, n_accounts: int = 60, seed: int = 11, as_of="2025-12-31") -> list:
    """Write the example exports of every mapping template into ``folder``; returns paths."""
    from . import generate

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ds = generate(n_accounts=n_accounts, seed=seed, as_of=as_of, months=24)
    out = []

    def put(name: str, text: str, encoding: str = "utf-8") -> None:
        path = folder / name
        path.write_bytes(text.replace("\r\n", "\n").encode(encoding))
        out.append(path)

    put(
        "salesforce_accounts_with_contracts.csv",
        salesforce_report(ds).to_csv(index=False) + "\n".join(FOOTER) + "\n",
    )
    companies, deals = hubspot_exports(ds)
    put("hubspot_companies.csv", companies.to_csv(index=False), "cp932")
    put("hubspot_deals.csv", deals.to_csv(index=False), "cp932")
    customers, subs = stripe_exports(ds)
    put("stripe_customers.csv", customers.to_csv(index=False))
    put("stripe_subscriptions.csv", subs.to_csv(index=False))
    put("amplitude_events.csv", amplitude_events(ds, seed=seed).to_csv(index=False))
    return out
