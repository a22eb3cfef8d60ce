"""Exports as they come: three public shapes loaded with a mapping only, drafts that need only
the business decisions, and every rule of the mapping language for such exports."""

import textwrap

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import csworkbook
from csworkbook import DataError
from csworkbook.cli import main
from csworkbook.exports.draft import draft_mapping
from csworkbook.retention import metrics, plausibility, survival

from .conftest import ROOT
from .fixtures.exports import make

FIXTURES = ROOT / "tests" / "fixtures" / "exports"
# the export's own churn flag: file, column, churned value
FLAGS = {
    "telecom": ("telecom_churn.csv", "Churn", "Yes"),
    "card": ("card_attrition.csv", "Attrition_Flag", "Attrited Customer"),
    "saas": ("accounts.csv", "churn_flag", "True"),
}


def flagged(name):
    file, column, value = FLAGS[name]
    return int((pd.read_csv(FIXTURES / name / file, dtype=str)[column] == value).sum())


def churned(ds):
    return plausibility.overview(ds).set_index("figure").at["churned customers", "value"]


# --- the fixtures ----------------------------------------------------------------------


def test_fixtures_are_what_make_py_writes():
    for path, text in make.files().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path}: run tests/fixtures/exports/make.py"
        )


@pytest.mark.parametrize("name", list(FLAGS))
def test_each_shape_loads_with_a_mapping_only_and_counts_its_own_churn(name):
    ds = csworkbook.load(FIXTURES / name, mapping=FIXTURES / name / "mapping.yaml")
    assert ds.load_report.ok
    assert churned(ds) == flagged(name) > 0


@pytest.mark.parametrize("name", ["telecom", "card"])
def test_flat_files_churn_in_renewals_survival_and_the_trailing_year(name):
    ds = csworkbook.load(FIXTURES / name, mapping=FIXTURES / name / "mapping.yaml")
    n = flagged(name)
    assert (ds.renewals["outcome"] == "churned").sum() == n  # `where:` kept the churned rows
    acct = ds.load_report.accounting.set_index("table")
    assert acct.at["renewals", "filtered"] == acct.at["renewals", "rows_read"] - n
    life = survival.lifetimes(ds.mrr_monthly)
    assert life["churned"].sum() == n and len(life) == len(ds.accounts)
    year = metrics.trailing_year(ds.mrr_monthly, ds.as_of).iloc[0]
    assert 0 < year["logo_churn"] < 1  # churn dated on as_of counts (the end-date convention)


def test_saas_export_joins_usage_through_subscriptions_and_churn_events():
    ds = csworkbook.load(FIXTURES / "saas", mapping=FIXTURES / "saas" / "mapping.yaml")
    subs = pd.read_csv(FIXTURES / "saas" / "subscriptions.csv", dtype=str)
    usage = pd.read_csv(FIXTURES / "saas" / "feature_usage.csv", dtype=str)
    expected = usage["subscription_id"].map(subs.set_index("subscription_id")["account_id"])
    assert sorted(ds.events["account_id"]) == sorted(expected)
    assert len(ds.usage) and ds.tickets["category"].isna().all()  # tickets without category
    events = pd.read_csv(FIXTURES / "saas" / "churn_events.csv", dtype=str)
    assert set(ds.renewals["account_id"]) == set(events["account_id"])
    assert (ds.renewals["outcome"] == "churned").all() and (ds.renewals["arr_after"] == 0).all()
    notes = "\n".join(ds.load_report.notes["churn_events"])
    assert "refunds:" in notes and "not recurring revenue" in notes
    assert plausibility.check(ds).empty


# --- drafts ------------------------------------------------------------------------------


def fill(text, name):
    """What the analyst decides by hand: the segment, and as_of where the export has no date."""
    m = yaml.safe_load(text)
    if m["as_of"] == "TODO":
        m["as_of"] = yaml.safe_load((FIXTURES / name / "mapping.yaml").read_text())["as_of"]
    seg = m["tables"]["accounts"]["columns"]["segment"]
    if seg == "TODO":
        seg = {"value": "smb"}
    else:
        seg["values"] = {k: "smb" if v == "TODO" else v for k, v in seg["values"].items()}
    m["tables"]["accounts"]["columns"]["segment"] = seg
    return m


@pytest.mark.parametrize("name", list(FLAGS))
def test_draft_needs_only_the_business_decisions(name, tmp_path):
    text = draft_mapping(FIXTURES / name)
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as e:  # unfilled, every TODO is named with its line
        csworkbook.load(FIXTURES / name, mapping=path)
    todo = [line for line in text.splitlines() if "TODO" in line.split("#")[0]]
    message = str(e.value)
    assert 1 <= len(todo) <= 2 and "segment" in message and "line " in message
    assert ("`as_of`" in message) == ("as_of: TODO" in text)
    ds = csworkbook.load(FIXTURES / name, mapping=fill(text, name))
    assert churned(ds) == flagged(name)


def test_draft_of_a_flat_file_reads_tenure_flag_and_contract_type():
    text = draft_mapping(FIXTURES / "telecom" / "telecom_churn.csv")
    assert "contract_id: customerID  # one contract per customer" in text
    assert "start_date: {before_as_of: tenure, unit: months}" in text
    assert "end_date: {value: as_of, when: {column: Churn, in: ['Yes']}}" in text
    assert (
        "term_months: {column: Contract, values: {Month-to-month: 1, One year: 12, Two year: 24}}"
        in text
    )
    assert "arr: {column: MonthlyCharges, multiply: 12}" in text
    assert "as_of: TODO  # the date the export was taken" in text  # no activity dates
    assert "contract_id: Contract" not in text  # the contract type is not an id


def test_draft_of_a_folder_guesses_each_files_table():
    m = yaml.safe_load(draft_mapping(FIXTURES / "saas"))
    tables = {t: spec["file"] for t, spec in m["tables"].items()}
    assert tables == {
        "accounts": "accounts.csv",
        "contracts": "subscriptions.csv",
        "events": "feature_usage.csv",
        "tickets": "support_tickets.csv",
        "churn_events": "churn_events.csv",
    }
    assert m["tables"]["events"]["columns"]["account_id"] == {
        "column": "subscription_id",
        "lookup": {"file": "subscriptions.csv", "match": "subscription_id", "take": "account_id"},
    }
    assert str(m["as_of"]) == "2024-12-30"  # the latest date in the export
    assert m["derive"] == ["mrr_monthly", "usage"]
    assert m["tables"]["tickets"]["columns"]["priority"]["values"] == {"medium": "normal"}


@pytest.mark.parametrize(
    "header", ["customerID", "CLIENTNUM", "Customer ID", "Customerid", "顧客ID", "Account No"]
)
def test_ids_are_found_by_name_and_uniqueness(header, tmp_path):
    rows = [f"{1000 + i},{'Month-to-month' if i % 2 else 'One year'},{i % 30},{'Yes' if i % 5 == 0 else 'No'}"
            for i in range(60)]  # fmt: skip
    path = tmp_path / "flat.csv"
    path.write_text("\n".join([f"{header},Contract,tenure,Churn", *rows]) + "\n", encoding="utf-8")
    m = yaml.safe_load(draft_mapping(path))
    assert m["tables"]["accounts"]["columns"]["account_id"] == header
    assert m["tables"]["contracts"]["columns"]["contract_id"] == header


def test_a_low_cardinality_column_named_like_an_id_is_not_one(tmp_path):
    rows = [f"C{i},{'P1' if i % 2 else 'P2'},2024-01-{1 + i % 28:02d}" for i in range(80)]
    path = tmp_path / "x.csv"
    path.write_text("\n".join(["Customer ID,Plan ID,Start Date", *rows]) + "\n", encoding="utf-8")
    m = yaml.safe_load(draft_mapping(path))
    assert m["tables"]["contracts"]["columns"]["contract_id"] == "Customer ID"


def test_cli_mapping_init_takes_a_folder(tmp_path, capsys):
    out = tmp_path / "m.yaml"
    assert main(["mapping", "init", str(FIXTURES / "saas"), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "complete the 1 line(s) marked TODO" in said and "csworkbook validate" in said
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["tables"]["churn_events"]
    assert main(["mapping", "init", str(FIXTURES / "saas"), "--sheet", "x"]) == 2
    assert main(["mapping", "init", str(tmp_path)]) == 2  # no export in it (only m.yaml)
    assert "no export files" in capsys.readouterr().err


# --- the rules, one by one ---------------------------------------------------------------

FLAT = "id,tenure,Churn,MRR,Plan,Industry\n"


def load(tmp_path, tables, rows, *, header=FLAT, top="", mode="strict", files=None):
    (tmp_path / "x.csv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text(
        f"as_of: 2025-12-31\nfile: x.csv\n{top}tables:\n{textwrap.indent(textwrap.dedent(tables), '  ')}",
        encoding="utf-8",
    )
    return csworkbook.load(tmp_path, mapping=m, mode=mode)


ACCOUNTS = """
accounts:
  columns:
    account_id: id
    segment: {value: smb}
    first_contract_date: {before_as_of: tenure, unit: months}
"""
CONTRACTS = """
contracts:
  columns:
    contract_id: id
    account_id: id
    start_date: {before_as_of: tenure, unit: months}
    end_date: {value: as_of, when: {column: Churn, in: ["Yes"]}}
    term_months: {value: 1}
    arr: {column: MRR, multiply: 12}
    seats: {value: 1}
    auto_renew: {value: true}
"""
ROWS = ["A1,0,No,10,Basic,Retail", "A2,1,Yes,20,Pro,Retail", "A3,13,No,30,Pro,Media"]


def test_dates_before_as_of_from_a_tenure(tmp_path):
    ds = load(tmp_path, ACCOUNTS + CONTRACTS, ROWS)
    k = ds.contracts.set_index("contract_id")
    assert k["start_date"].dt.strftime("%Y-%m-%d").to_dict() == {
        "A1": "2025-12-31", "A2": "2025-11-30", "A3": "2024-11-30"
    }  # fmt: skip
    assert k["end_date"].isna().tolist() == [True, False, True]
    assert k.at["A2", "end_date"] == pd.Timestamp("2025-12-31")
    assert "first_contract_date (tenure months before as_of)" in ds.load_report.notes["accounts"]


@pytest.mark.parametrize(
    ("unit", "tenure", "start"),
    [("days", "10", "2025-12-21"), ("weeks", "2", "2025-12-17"), ("years", "2", "2023-12-31")],
)
def test_tenure_units(tmp_path, unit, tenure, start):
    tables = ACCOUNTS.replace("unit: months", f"unit: {unit}")
    ds = load(tmp_path, tables + CONTRACTS, [f"A1,{tenure},No,10,Basic,Retail"])
    assert ds.accounts.at[0, "first_contract_date"] == pd.Timestamp(start)


def test_tenures_that_cannot_be_one_are_rejected_with_their_reason(tmp_path):
    rows = [*ROWS, "A4,2.5,No,10,Basic,Retail", "A5,-3,No,10,Basic,Retail", "A6,ten,No,1,B,R",
            "A7,99999,No,10,Basic,Retail"]  # fmt: skip
    ds = load(tmp_path, ACCOUNTS + CONTRACTS, rows, mode="lenient")
    why = ds.load_report.rejected["accounts"].set_index("source_row")["reason"]
    assert (
        why[5] == "first_contract_date: tenure '2.5' is not a whole number of months from 0 to 1200"
    )
    assert "'-3' is not a whole number" in why[6] and "'99999' is not a whole" in why[8]
    assert why[7] == "first_contract_date: tenure 'ten' is not a number of months"
    fixes = ds.load_report.problems()["fix"].tolist()
    assert any("correct the tenure" in f for f in fixes)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{before_as_of: tenure}", r"m.yaml, line 9: `tables.accounts.columns.first_contract_date`: `before_as_of:` needs `unit:`"),
        ("{before_as_of: tenure, unit: month}", r"line 9: `.*unit`: 'month' is not a unit. Did you mean 'months'\?"),
        ("{column: x, unit: months}", r"`.*first_contract_date.unit`: belongs beside `before_as_of:`"),
        ("{before_as_of: tenure, unit: months, column: x}", r"has both `column:` and `before_as_of:`"),
    ],
)  # fmt: skip
def test_tenure_rule_problems_name_line_and_key(tmp_path, rule, message):
    tables = ACCOUNTS.replace("{before_as_of: tenure, unit: months}", rule)
    with pytest.raises(DataError, match=message):
        load(tmp_path, tables + CONTRACTS, ROWS)


def test_before_as_of_and_as_of_only_in_date_columns(tmp_path):
    tables = ACCOUNTS.replace(
        "segment: {value: smb}", "segment: {before_as_of: tenure, unit: days}"
    )
    with pytest.raises(DataError, match=r"`.*segment.before_as_of`: applies to date columns"):
        load(tmp_path, tables + CONTRACTS, ROWS)
    tables = ACCOUNTS.replace("account_id: id", "account_id: {value: as_of}")
    ds = load(
        tmp_path,
        tables + CONTRACTS.replace("account_id: id", "account_id: {value: as_of}"),
        ROWS[:1],
    )
    assert ds.accounts.at[0, "account_id"] == "as_of"  # text, not the date


SUBS = "sub,account\nS1,A1\nS2,A1\nS3,A2\n"
USAGE = """
events:
  columns:
    event_time: day
    account_id: {column: sub, lookup: {file: subs.csv, match: sub, take: account}}
    event_name: feature
"""


def test_lookup_takes_a_column_of_another_file(tmp_path):
    tables = ACCOUNTS + CONTRACTS + USAGE.replace("events:", "events:\n  file: usage.csv")
    usage = "sub,day,feature\nS1,2025-03-01,api\nS3,2025-03-02,api\nS9,2025-03-03,api\nS2,2025-03-04,x\n"
    subs = SUBS + "S2,A2\n"  # S2 belongs to two accounts: ambiguous
    ds = load(tmp_path, tables, ROWS, files={"usage.csv": usage, "subs.csv": subs}, mode="lenient")
    assert ds.events["account_id"].tolist() == ["A1", "A2"]
    why = ds.load_report.rejected["events"].set_index("source_row")["reason"].to_dict()
    assert why == {
        4: "account_id: sub 'S9' is not in subs.csv (column 'sub')",
        5: "account_id: sub 'S2' matches rows of subs.csv with different 'account'",
    }
    fixes = set(ds.load_report.problems()["fix"])
    assert "add the missing row to the looked-up file, or correct the key" in fixes


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        ("{file: subs.csv, match: sub}", r"`tables.events.columns.account_id.lookup`: `lookup:` needs `take:`"),
        ("{file: subs.csv, match: sub, take: acount}", r"subs.csv: column 'acount' for events.account_id is not in the file. Did you mean \['account'\]"),
        ("{file: TODO, match: sub, take: account}", r"`tables.events.columns.account_id.lookup.file`: still TODO"),
        ("{file: nope.csv, match: sub, take: account}", r"nope.csv: no such file"),
        ("[subs.csv]", r"write it as `{file: other.csv"),
    ],
)  # fmt: skip
def test_lookup_problems_are_clear(tmp_path, lookup, message):
    tables = (
        ACCOUNTS
        + CONTRACTS
        + USAGE.replace("events:", "events:\n  file: usage.csv").replace(
            "{file: subs.csv, match: sub, take: account}", lookup
        )
    )
    with pytest.raises(DataError, match=message):
        load(
            tmp_path,
            tables,
            ROWS,
            files={"usage.csv": "sub,day,feature\nS1,2025-03-01,a\n", "subs.csv": SUBS},
        )


def test_lookup_needs_the_key_column(tmp_path):
    tables = USAGE.replace("column: sub, ", "")
    with pytest.raises(DataError, match=r"lookup`: needs `column:` beside it"):
        load(tmp_path, ACCOUNTS + CONTRACTS + tables, ROWS)


RENEWALS = """
renewals:
  where: {column: Churn, in: ["Yes"]}
  columns:
    contract_id: id
    account_id: id
    renewal_date: {value: as_of}
    outcome: {value: churned}
    arr_before: {column: MRR, multiply: 12}
    arr_after: {value: 0}
"""


def test_where_feeds_a_table_from_some_rows_and_accounts_for_the_rest(tmp_path):
    ds = load(tmp_path, ACCOUNTS + CONTRACTS + RENEWALS, ROWS)
    assert ds.renewals["contract_id"].tolist() == ["A2"]
    acct = ds.load_report.accounting.set_index("table")
    assert acct.loc["renewals", ["rows_read", "accepted", "filtered", "rejected"]].tolist() == [
        3,
        1,
        2,
        0,
    ]
    assert acct.at["contracts", "filtered"] == 0
    assert (
        "renewals from x.csv: 3 rows read = 1 accepted + 2 left out (where:) + 0 rejected"
        in str(ds.load_report)
    )
    assert (
        "where: 1 of 3 row(s) kept (Churn in ['Yes']); 2 left out"
        in ds.load_report.notes["renewals"]
    )
    # without where: the accounting keeps its usual columns
    plain = load(tmp_path, ACCOUNTS + CONTRACTS, ROWS)
    assert "filtered" not in plain.load_report.accounting.columns


def test_where_with_several_conditions_and_blank_cells(tmp_path):
    rows = [*ROWS, "A4,5,Yes,10,,Retail"]
    tables = RENEWALS.replace(
        'where: {column: Churn, in: ["Yes"]}',
        'where: [{column: Churn, in: ["Yes"]}, {column: Plan, not_in: [""]}]',
    )
    ds = load(tmp_path, ACCOUNTS + CONTRACTS + tables, rows)
    assert ds.renewals["contract_id"].tolist() == ["A2"]  # A4 has no plan


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("{column: Churned, in: [Yes]}", r"column 'Churned' for renewals.where is not in the file. Did you mean \['Churn'\]"),
        ("{column: Churn}", r"line 23: `tables.renewals.where`: needs exactly one of `in:"),
        ("Churn", r"`tables.renewals.where`: write it as `{column: Status, in: \[Churned\]}`"),
    ],
)  # fmt: skip
def test_where_problems(tmp_path, where, message):
    tables = RENEWALS.replace('{column: Churn, in: ["Yes"]}', where)
    with pytest.raises(DataError, match=message):
        load(tmp_path, ACCOUNTS + CONTRACTS + tables, ROWS)


def test_blank_spellings_and_value_maps_that_apply_to_blanks(tmp_path):
    header = "id,tenure,Churn,MRR,Plan,Industry,Score\n"
    rows = ["A1,0,No,10,Basic,Retail,4", "A2,1,Yes,-,Pro,Unknown,No answer", "A3,2,No, ,Pro,None,"]
    contracts = CONTRACTS.replace(
        "arr: {column: MRR, multiply: 12}",
        'arr: {column: MRR, multiply: 12, values: {"-": 0, "": 5}}',
    )
    tables = ACCOUNTS.replace(
        "segment: {value: smb}", "segment: {value: smb}\n    icp_fit: {column: Score, blank: [No answer], multiply: 0.2}"
    )  # fmt: skip
    ds = load(tmp_path, tables + contracts, rows, header=header)
    assert ds.contracts.set_index("contract_id")["arr"].to_dict() == {
        "A1": 120.0,
        "A2": 0.0,
        "A3": 60.0,
    }
    assert ds.accounts["icp_fit"].isna().tolist() == [False, True, True]
    assert ds.accounts.at[0, "icp_fit"] == pytest.approx(0.8)
    # "None" is read as blank, and a value map can still name it; `null` means an empty cell
    tables = ACCOUNTS.replace(
        "segment: {value: smb}", "segment: {value: smb}\n    industry: {column: Industry, values: {None: media, Unknown: retail}}"
    )  # fmt: skip
    ds = load(tmp_path, tables + contracts, rows, header=header)
    assert ds.accounts["industry"].tolist() == ["Retail", "retail", "media"]


def test_null_in_a_value_map_empties_only_columns_that_may_be_empty(tmp_path):
    tables = ACCOUNTS.replace(
        "segment: {value: smb}", "segment: {column: Plan, values: {Basic: smb, Pro: null}}"
    )
    with pytest.raises(
        DataError,
        match=r"line 8: `.*segment.values.Pro`: maps to nothing, but segment cannot be empty",
    ):
        load(tmp_path, tables + CONTRACTS, ROWS)


def test_optional_blanks_never_reject_a_row_or_orphan_its_contracts(tmp_path):
    rows = [*ROWS, "A4,3,No,10,Basic,"]
    plain = ACCOUNTS.replace(
        "segment: {value: smb}", "segment: {value: smb}\n    industry: Industry"
    )
    ds = load(tmp_path, plain + CONTRACTS, rows, mode="lenient")
    assert "A4" not in set(ds.contracts["account_id"])  # the blank rejected the account...
    assert "has no row in accounts" in ds.load_report.rejected["contracts"]["reason"].iloc[0]
    optional = plain.replace("industry: Industry", "industry: {column: Industry, optional: true}")
    ds = load(tmp_path, optional + CONTRACTS, rows)  # ...optional keeps both
    assert ds.accounts.set_index("account_id").at["A4", "industry"] == "unknown"
    assert "A4" in set(ds.contracts["account_id"])
    assert any("industry: 1 blank cell(s) filled with 'unknown' (optional; rows 5)" in n
               for n in ds.load_report.notes["accounts"])  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("segment: {column: Plan, optional: true}", r"segment.optional`: accounts.segment cannot be empty: say what a blank cell means with `values: {\"\": ...}`"),
        ("industry: {column: Industry, optional: 1}", r"industry.optional`: must be true or false; got the number 1"),
        ("segment: {value: SMB}", r"line 8: `.*segment.value`: 'SMB' is not one of enterprise, mid_market, smb."),
        ("segment: {value: TODO}", r"segment.value`: still TODO from the draft: choose one of enterprise, mid_market, smb \(a business decision\)"),
    ],
)  # fmt: skip
def test_optional_and_constant_problems(tmp_path, rule, message):
    tables = ACCOUNTS.replace("segment: {value: smb}", rule)
    if "industry" in rule:
        tables = tables.replace(rule, f"segment: {{value: smb}}\n    {rule}")
    with pytest.raises(DataError, match=message):
        load(tmp_path, tables + CONTRACTS, ROWS)


def test_optional_with_a_value_for_blanks(tmp_path):
    rule = 'segment: {column: Plan, optional: true, values: {Basic: smb, Pro: mid_market, "": smb}}'
    ds = load(
        tmp_path,
        ACCOUNTS.replace("segment: {value: smb}", rule) + CONTRACTS,
        [*ROWS, "A4,1,No,5,,x"],
    )
    assert ds.accounts["segment"].tolist() == ["smb", "mid_market", "mid_market", "smb"]


# --- churn events and replaced subscriptions ----------------------------------------------

SAAS_ACCOUNTS = "account,plan\nA1,Basic\nA2,Pro\nA3,Pro\n"
SAAS_SUBS = (
    "sub,account,start,end,mrr\n"
    "S1,A1,2024-01-10,,100\nS2,A1,2024-05-20,,150\n"  # a plan change that never ended S1
    "S3,A2,2024-02-01,2025-02-20,200\n"  # ended shortly before its churn event was recorded
    "S4,A3,2024-03-01,,300\n"
)
CHURN = "account,date,reason,refund\nA1,2025-06-30,budget,25\nA2,2025-03-01,competitor,0\n"
SAAS = """
accounts:
  file: accounts.csv
  columns: {account_id: account, segment: {value: smb}, first_contract_date: {value: 2024-01-01}}
contracts:
  file: subs.csv
  replaced_by_next: true
  columns:
    contract_id: sub
    account_id: account
    start_date: start
    end_date: end
    term_months: {value: 1}
    arr: {column: mrr, multiply: 12}
    seats: {value: 1}
    auto_renew: {value: true}
churn_events:
  file: churn.csv
  columns:
    account_id: account
    churn_date: date
    reason: {column: reason, values: {budget: budget_cuts, competitor: switched_to_competitor}}
    refund: refund
"""


def saas(tmp_path, tables=SAAS, churn=CHURN, subs=SAAS_SUBS, mode="strict"):
    files = {"accounts.csv": SAAS_ACCOUNTS, "subs.csv": subs, "churn.csv": churn}
    return load(tmp_path, tables, [], header="", files=files, mode=mode)


def test_churn_events_end_contracts_and_become_churned_renewals(tmp_path):
    ds = saas(tmp_path)
    k = ds.contracts.set_index("contract_id")["end_date"].dt.strftime("%Y-%m-%d")
    # S1 replaced when S2 started (on the 1st of that month), S2 ended by the churn event,
    # S3 kept its own end (days before the event), S4 runs on
    assert k.fillna("-").to_dict() == {
        "S1": "2024-05-01",
        "S2": "2025-06-30",
        "S3": "2025-02-20",
        "S4": "-",
    }
    r = ds.renewals.set_index("contract_id")
    assert r["churn_reason"].to_dict() == {"S2": "budget_cuts", "S3": "switched_to_competitor"}
    assert r.at["S2", "arr_before"] == 1800.0 and (r["arr_after"] == 0).all()
    assert r.at["S3", "renewal_date"] == pd.Timestamp("2025-02-20")
    notes = ds.load_report.notes
    assert (
        "replaced_by_next: 1 contract(s) end when the account's next one starts"
        in notes["contracts"]
    )
    assert (
        "refunds: 25.00 in 1 event(s) (not recurring revenue: ARR and MRR are unchanged)"
        in notes["churn_events"]
    )
    assert sorted(plausibility.churned_accounts(ds)) == ["A1", "A2"]


def test_a_churn_event_without_a_running_contract_is_rejected_with_its_reason(tmp_path):
    churn = CHURN + "A3,2024-01-15,budget,0\nA9,2025-01-01,budget,0\n"  # before A3 started; no A9
    ds = saas(tmp_path, churn=churn, mode="lenient")
    why = ds.load_report.rejected["churn_events"].set_index("source_row")["reason"].to_dict()
    assert why[4].startswith("churn_date: no contract of account 'A3' runs on 2024-01-15")
    assert why[5] == "account_id: 'A9' has no row in accounts"
    problems = ds.load_report.problems().set_index("column")
    assert (
        "an event ends the contracts running on its date"
        in problems.at["'date' (churn_date)", "fix"]
    )


def test_churn_events_name_their_contract(tmp_path):
    tables = SAAS.replace("    refund: refund\n", "    refund: refund\n    contract_id: sub\n")
    churn = "account,date,reason,refund,sub\nA3,2025-01-31,budget,0,S4\n"
    ds = saas(tmp_path, tables=tables, churn=churn)
    assert ds.renewals["contract_id"].tolist() == ["S4"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("churn_events:", "renewals:\n  columns: {}\nchurn_events:"), r"`tables.churn_events`: churn events make the renewals table, which is mapped too"),
        (("replaced_by_next: true", "replaced_by_next: 1"), r"replaced_by_next`: must be true or false"),
        (("  file: accounts.csv\n", "  file: accounts.csv\n  replaced_by_next: true\n"), r"`tables.accounts.replaced_by_next`: applies to contracts"),
        (("churn_events:", "churn_event:"), r"`tables.churn_event`: unknown table. Did you mean `churn_events`\?"),
    ],
)  # fmt: skip
def test_churn_event_and_replacement_problems(tmp_path, edit, message):
    with pytest.raises(DataError, match=message):
        saas(tmp_path, tables=SAAS.replace(*edit))


def test_churn_events_need_contracts(tmp_path):
    tables = SAAS.split("contracts:")[0] + "churn_events:" + SAAS.split("churn_events:")[1]
    with pytest.raises(DataError, match="churn_events need the contracts table mapped"):
        saas(tmp_path, tables=tables)


def test_tickets_without_a_category_are_tickets(tmp_path):
    tickets = "ticket,account,opened,prio\nT1,A1,2025-01-02 10:00,medium\n"
    tables = (
        SAAS
        + "tickets:\n  file: t.csv\n  columns: {ticket_id: ticket, account_id: account, opened_at: opened, priority: {column: prio, values: {medium: normal}}}\n"
    )
    ds = load(
        tmp_path,
        tables,
        [],
        header="",
        files={
            "accounts.csv": SAAS_ACCOUNTS,
            "subs.csv": SAAS_SUBS,
            "churn.csv": CHURN,
            "t.csv": tickets,
        },
    )
    assert ds.tickets["category"].isna().all() and ds.tickets["priority"].tolist() == ["normal"]


# --- the end-date convention ----------------------------------------------------------


@pytest.mark.parametrize("end", ["2025-12-31", "2025-12-10"])
def test_a_churn_in_the_month_of_as_of_counts(tmp_path, end):
    rows = [f"A{i},{12 + i},No,10,Basic,R" for i in range(9)] + ["A9,20,Yes,10,Basic,R"]
    tables = ACCOUNTS + CONTRACTS.replace("{value: as_of, when:", f"{{value: {end}, when:")
    ds = load(tmp_path, tables, rows, top="derive: [mrr_monthly]\n")
    dec = ds.mrr_monthly[ds.mrr_monthly["month"] == "2025-12-01"]
    assert "A9" not in set(dec["contract_id"]) and len(dec) == 9  # not billed in December
    year = metrics.trailing_year(ds.mrr_monthly, ds.as_of).iloc[0]
    assert year["logo_churn"] == pytest.approx(0.1) and year["grr"] == pytest.approx(0.9)


def test_a_contract_ending_after_as_of_is_billed_through_its_month(tmp_path):
    from csworkbook.exports.derive import mrr_from_contracts

    k = pd.DataFrame({"contract_id": ["K"], "account_id": ["A"], "arr": [120.0],
                      "start_date": pd.to_datetime(["2025-10-01"]),
                      "end_date": pd.to_datetime(["2026-01-01"])})  # fmt: skip
    assert mrr_from_contracts(k, "2025-12-31")["month"].dt.month.tolist() == [10, 11, 12]
    k["end_date"] = pd.to_datetime(["2025-12-01"])  # ended on the 1st: November was the last
    assert mrr_from_contracts(k, "2025-12-31")["month"].dt.month.tolist() == [10, 11]


def test_documented_mappings_pass_the_whole_file_check():
    import re

    from csworkbook.exports.spec import check_mapping

    for doc in (ROOT / "README.md", ROOT / "datasets" / "mappings" / "README.md"):
        blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
        assert blocks, doc
        for block in blocks:
            spec = yaml.safe_load(block)
            spec.setdefault("as_of", "2025-12-31")
            check_mapping(spec, doc.name)  # raises with every problem's line and key


NEW_KEYS = [
    "before_as_of",
    "unit",
    "lookup",
    "blank",
    "optional",
    "value",
    "values",
    "column",
    "when",
]
ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 99), st.text(max_size=5),
    st.sampled_from(["months", "days", "as_of", "TODO", "", "tenure", "x.csv", "match", "take"]),
)  # fmt: skip
ANY = st.recursive(
    ODD,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from([*NEW_KEYS, "file", "match", "take", "in", "not_in"]), inner, max_size=3
        ),
    ),
    max_leaves=8,
)


@settings(deadline=None, derandomize=True, database=None, max_examples=300)
@given(
    column=st.sampled_from(["start_date", "segment", "industry", "arr", "icp_fit", "account_id"]),
    rule=st.dictionaries(st.sampled_from(NEW_KEYS), ANY, max_size=4),
    where=ANY,
    replaced=ANY,
)
def test_fuzz_new_rules_end_in_a_mapping_or_a_clear_error(column, rule, where, replaced):
    from csworkbook.exports.spec import check_mapping

    table = "contracts" if column in ("start_date", "arr") else "accounts"
    spec = {
        "as_of": "2025-12-31",
        "tables": {
            table: {"where": where, "replaced_by_next": replaced, "columns": {column: rule}}
        },
    }
    try:
        out = check_mapping(spec, "m")
    except DataError as e:
        assert str(e).startswith("m") and "Traceback" not in str(e)
    else:
        assert table in out["tables"]
