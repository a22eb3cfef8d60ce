"""What an export's columns are, judged from their names and contents, for drafts.

:func:`profile` describes every column of a file once (distinct values, dates, numbers);
:func:`find` matches a canonical column to a header by the spellings exports use;
:func:`is_id` tells identifiers (``customerID``, ``CLIENTNUM``, ``Customer ID``, ``顧客ID``)
from low-cardinality text such as a contract type, which is never an id; :func:`file_table`
guesses which table a file feeds; :func:`churn_flag`, :func:`durations` and :func:`tenure`
read the columns flat churn files carry instead of dates.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import pandas as pd

from ..data.errors import DataError
from .numbers import parse_numbers
from .parse import parse_dates

# Spellings of canonical columns in CRM, billing, support and analytics exports, compared
# after :func:`norm` (lower case, words split at _ - and camelCase).
SYNONYMS = {
    "account_id": ["account id", "company id", "customer id", "client id", "clientnum",
                   "client num", "customer number", "member id", "顧客id", "取引先id", "会社id"],
    "name": ["account name", "company name", "company", "customer name", "取引先名", "会社名"],
    "industry": ["industry", "vertical", "業種"],
    "region": ["region", "billing country", "country", "地域", "国"],
    "segment": ["segment", "customer segment", "tier", "plan tier", "セグメント"],
    "size_band": ["size band", "company size", "employees", "従業員規模"],
    "csm_id": ["csm id", "csm", "account owner", "owner", "担当者"],
    "first_contract_date": ["customer since", "signup date", "sign up date", "created date",
                            "close date", "契約開始日"],
    "acquisition_channel": ["acquisition channel", "referral source", "lead source", "channel",
                            "source", "type"],
    "contract_id": ["subscription id", "contract id", "contract number", "opportunity id",
                    "契約id", "契約番号"],
    "product": ["product", "product name", "製品"],
    "department": ["department", "部署"],
    "start_date": ["start date", "contract start date", "contract start", "subscription start",
                   "開始日"],
    "end_date": ["end date", "ended at", "contract end date", "churn date", "cancel date",
                 "cancellation date", "終了日", "解約日"],
    "renewal_date": ["renewal date", "next renewal date", "次回更新日"],
    "term_months": ["contract term (months)", "term (months)", "term months", "term",
                    "contract", "contract type", "billing frequency", "billing period",
                    "billing interval", "interval", "契約期間(月)"],
    "auto_renew": ["auto renew", "auto renew flag", "autorenew", "自動更新"],
    "arr": ["arr", "arr amount", "annual recurring revenue", "acv", "amount", "年額"],
    "seats": ["seats", "quantity", "licenses", "licences", "ライセンス数"],
    "event_time": ["event time", "timestamp", "time", "event date", "usage date", "occurred at",
                   "date"],
    "event_name": ["event name", "event", "feature name", "action"],
    "feature": ["feature", "feature name", "product area"],
    "user_id": ["user id", "person id", "contact id"],
    "ticket_id": ["ticket id", "case id", "case number", "ticket number"],
    "opened_at": ["opened at", "submitted at", "created at", "created", "opened", "date opened"],
    "closed_at": ["closed at", "resolved at", "closed", "date closed"],
    "priority": ["priority", "severity", "優先度"],
    "category": ["category", "type", "topic", "カテゴリ"],
    "csat": ["csat", "satisfaction score", "satisfaction", "rating"],
    "churn_date": ["churn date", "churned at", "cancel date", "cancellation date", "end date"],
    "reason": ["reason code", "churn reason", "reason", "cancel reason", "cancellation reason"],
    "refund": ["refund amount usd", "refund amount", "refund"],
}  # fmt: skip
MONTHLY = ["monthly charges", "monthly charge", "mrr", "mrr amount", "monthly fee",
           "monthly amount", "monthly revenue", "月額"]  # fmt: skip
TENURE = {"months": ["tenure", "tenure months", "months on book", "months as customer",
                     "customer months", "契約月数"],
          "days": ["tenure days", "days as customer", "customer days"],
          "years": ["tenure years", "years as customer"]}  # fmt: skip
CHURN_FLAG = ["churn", "churned", "attrition flag", "attrition", "exited", "churn flag",
              "is churned", "cancelled", "canceled", "left", "解約"]  # fmt: skip
ID_WORD = re.compile(r"(?:^|\s)(?:id|num|number|no|nr|key|code|番号)$")
ID_JOINED = re.compile(
    r"(?:account|customer|client|company|member|subscription|contract|ticket|case|user|event|"
    r"usage|顧客|取引先|会社|契約)(?:id|num|number|no|nr|番号)$"
)
ENTITY = (
    ("ticket", r"ticket|case|チケット|問い合わせ"),
    ("contract", r"subscription|contract|契約|deal|opportunity"),
    ("account", r"account|customer|client|company|member|顧客|取引先|会社"),
    ("user", r"user|person|contact"),
    ("event", r"event|usage|activity|log"),
    ("churn", r"churn|cancel"),
)
FILE_TABLES = (
    ("churn_events", r"churn events?|cancell?ations?|cancel events?"),
    ("tickets", r"ticket|support|case"),
    ("events", r"usage|event|activity|feature|log"),
    ("contracts", r"subscription|contract|deal|order|plan"),
    ("accounts", r"account|customer|compan|client|crm"),
)
POSITIVE = re.compile(r"^(yes|y|true|t|1|churn(ed)?|attrited.*|exited|left|cancel+ed|はい|解約)$")
DATE_LIKE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
NEGATIVE = re.compile(r"\b(no|not|non|existing|active|retained|stay)")


def norm(header) -> str:
    """A header as spellings are compared: ``customerID`` -> ``customer id``,
    ``Attrition_Flag`` -> ``attrition flag``, ``ＭＲＲ`` -> ``mrr``.

    >>> norm("customerID"), norm("Months_on_book"), norm("CLIENTNUM"), norm("顧客ID")
    ('customer id', 'months on book', 'clientnum', '顧客id')
    """
    text = unicodedata.normalize("NFKC", str(header))
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return " ".join(re.sub(r"[_\-./]+", " ", text).lower().split())


class Column(NamedTuple):
    header: str
    filled: int  # non-empty cells
    distinct: int
    unique: bool  # every filled value differs
    dates: pd.Series | None  # parsed, when most values are dates
    numbers: pd.Series | None  # parsed, when most values are numbers
    values: pd.Series  # the cells as text


def profile(frame: pd.DataFrame) -> dict[str, Column]:
    """Every column of a file described once."""
    out = {}
    for header in frame.columns:
        s = frame[header]
        filled = s.dropna()
        dates = numbers = None
        sample = filled.head(2000)
        if len(filled) and sample.str.contains(DATE_LIKE).mean() >= 0.9:
            try:
                d = parse_dates(sample).values
                dates = d if d.notna().mean() >= 0.9 else None
            except DataError:  # ambiguous day/month order: a date all the same
                dates = pd.Series(pd.NaT, index=sample.index)
        if len(filled):
            try:
                n = parse_numbers(sample).values
                numbers = n if n.notna().mean() >= 0.9 else None
            except DataError:
                numbers = None
        out[header] = Column(
            header,
            len(filled),
            filled.nunique(),
            bool(len(filled)) and not filled.duplicated().any(),
            dates,
            numbers if dates is None else None,
            s,
        )
    return out


def low_cardinality(c: Column) -> bool:
    """Text with few distinct values (a contract type, a status): never an identifier. A
    small file is judged by the share of values that repeat."""
    if c.filled < 50:
        return c.distinct < max(2, c.filled / 2)
    return c.distinct <= max(10, 0.05 * c.filled)


def is_id(c: Column) -> bool:
    """An identifier by its name (…ID, …NUM, …No, …key, 番号) and its contents."""
    text = norm(c.header)
    named = ID_WORD.search(text) or ID_JOINED.search(text.replace(" ", ""))
    return bool(named) and not low_cardinality(c) and c.dates is None


def entity(header) -> str | None:
    """What an identifier names: account, contract, ticket, user, event or churn."""
    text = norm(header)
    return next((name for name, pat in ENTITY if re.search(pat, text)), None)


def find(cols: dict[str, Column], canonical: str | None, extra=(), taken=()) -> str | None:
    """The header holding a canonical column: its own name, a known spelling, in that order
    (``extra`` spellings when ``canonical`` is None)."""
    own = [norm(canonical), *SYNONYMS.get(canonical, [])] if canonical else []
    wanted = [*own, *extra]
    by_norm = {norm(h): h for h in cols if h not in taken}
    for w in wanted:
        if w in by_norm:
            return by_norm[w]
    return None


def file_table(name: str, cols: dict[str, Column]) -> str:
    """The table a file of a multi-file export feeds, by its name and then its columns."""
    stem = norm(name.rsplit(".", 1)[0])
    for table, pat in FILE_TABLES:
        if re.search(pat, stem):
            return table
    ids = {entity(h): c for h, c in cols.items() if is_id(c)}
    if "ticket" in ids:
        return "tickets"
    if find(cols, "churn_date") and find(cols, "reason"):
        return "churn_events"
    if "contract" in ids and ids["contract"].unique:
        return "contracts"
    if find(cols, "event_time") and find(cols, "event_name"):
        return "events"
    return "accounts"


def churn_flag(cols: dict[str, Column]) -> tuple[str, str] | None:
    """A two-valued churn column (``Churn`` Yes/No, ``Attrition_Flag``) and its churned value."""
    header = find(cols, None, CHURN_FLAG)
    if header is None or cols[header].distinct != 2:
        return None
    values = list(cols[header].values.dropna().unique())
    yes = [v for v in values if POSITIVE.match(v.strip().lower())]
    if len(yes) != 1:
        yes = [v for v in values if not NEGATIVE.search(v.lower())]
    return (header, yes[0]) if len(yes) == 1 else None


def tenure(cols: dict[str, Column]) -> tuple[str, str] | None:
    """A tenure column (whole months, days or years as a customer) and its unit."""
    for unit, names in TENURE.items():
        header = find(cols, None, names)
        if header is not None and cols[header].numbers is not None:
            return header, unit
    return None


def durations(c: Column) -> dict[str, int | None]:
    """Months per spelling of a contract-type column (``Month-to-month`` 1, ``One year`` 12,
    ``annual`` 12); None for spellings that name no length.

    >>> col = profile(pd.DataFrame({"c": ["Month-to-month", "One year", "Two year", "x"]}))["c"]
    >>> durations(col)
    {'Month-to-month': 1, 'One year': 12, 'Two year': 24, 'x': None}
    """
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "1": 1, "2": 2, "3": 3}
    out = {}
    for v in c.values.dropna().unique()[:30]:
        t = norm(v)
        n = next((words[w] for w in t.split() if w in words), 1)
        if re.search(r"month to month|monthly|^month$|^1 month", t):
            out[v] = 1
        elif re.search(r"quarter", t):
            out[v] = 3
        elif re.search(r"annual|yearly|^year$|year", t):
            out[v] = 12 * n
        elif m := re.fullmatch(r"(\d+) months?", t):
            out[v] = int(m.group(1))
        else:
            out[v] = None
    return out
