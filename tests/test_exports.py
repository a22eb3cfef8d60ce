"""Bad-input corpus for real exports: every case ends in a clear error or an accounted load.

Each case writes an export (and mapping) into a temporary folder, then checks that the
message names the file, the column and the rows and says what to do, or, in lenient mode,
that rows read = accepted + rejected with the expected reasons.
"""

import textwrap

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csworkbook
from csworkbook import DataError
from csworkbook.cli import main as cli
from csworkbook.exports.parse import date_order
from csworkbook.exports.read import detect_encoding
from csworkbook.reports import neutralise_formulas

HEADER = "Account ID,Account Name,Segment,Customer Since,MRR,Seats,Auto Renew"
GOOD = [
    "A1,Aozora KK,Enterprise,2024-01-15,1000,50,TRUE",
    "A2,Kaze Inc,SMB,2024-04-03,200,5,FALSE",
    "A3,Mori GmbH,Mid-Market,2024-02-01,500,20,TRUE",
]
MAPPING = """
as_of: 2025-12-31
file: crm.csv
tables:
  accounts:
    columns:
      account_id: Account ID
      name: Account Name
      industry: {value: unknown}
      region: {value: Japan}
      size_band: {value: unknown}
      segment: {column: Segment, values: {Enterprise: enterprise, Mid-Market: mid_market, SMB: smb}}
      touch_model: {value: low}
      acquisition_channel: {value: unknown}
      first_contract_date: {column: Customer Since%(datefmt)s}
  contracts:
    columns:
      contract_id: Account ID
      account_id: Account ID
      department: {value: all}
      product: {value: Core}
      start_date: {column: Customer Since%(datefmt)s}
      term_months: {value: 12}
      arr: {column: MRR, multiply: 12}
      seats: Seats
      auto_renew: Auto Renew
"""


def write(
    tmp_path,
    rows=None,
    *,
    header=HEADER,
    name="crm.csv",
    encoding="utf-8",
    raw=None,
    datefmt="",
    mapping=None,
):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_bytes(
            ("\n".join([header, *(GOOD if rows is None else rows)]) + "\n").encode(encoding)
        )
    m = tmp_path / "map.yaml"
    text = MAPPING % {"datefmt": f", date_format: '{datefmt}'" if datefmt else ""}
    m.write_text(
        textwrap.dedent(mapping if mapping is not None else text).replace("crm.csv", name),
        encoding="utf-8",
    )
    return path, m


def lenient(path, m):
    ds = csworkbook.load(path, mapping=m, mode="lenient")
    acct = ds.load_report.accounting
    assert (acct.rows_read == acct.accepted + acct.merged + acct.rejected).all()
    return ds, ds.load_report


def rejected_reasons(report, table="accounts"):
    return report.rejected[table].set_index("source_row")["reason"].to_dict()


# ---- cases that stop with a clear error ------------------------------------------------

ERROR_CASES = {
    "empty file": (dict(raw=b""), r"crm.csv: the file is empty.*Export it again"),
    "blank lines only": (dict(raw=b"\n\n  \n"), r"crm.csv: the file is empty"),
    "missing column": (
        dict(header=HEADER.replace("Segment", "Tier")),
        r"crm.csv: column 'Segment' for accounts.segment is not in the file.*'Tier'.*fix `segment:`",
    ),
    "renamed column gets a suggestion": (
        dict(header=HEADER.replace("Account Name", "Account  Nam")),
        r"column 'Account Name'.*Did you mean \['Account Nam'",
    ),
    "ambiguous day/month order": (
        dict(
            rows=[
                r.replace("2024-01-15", "03/04/2024")
                .replace("2024-04-03", "05/06/2024")
                .replace("2024-02-01", "01/02/2024")
                for r in GOOD
            ]
        ),
        r"crm.csv: column 'Customer Since'.*'03/04/2024'.*fit both day/month orders.*date_format",
    ),
    "mixed day/month orders": (
        dict(
            rows=[
                r.replace("2024-01-15", "13/04/2024").replace("2024-04-03", "04/13/2024")
                for r in GOOD
            ]
        ),
        r"mix day/month orders.*date_format",
    ),
    "missing file": (dict(name="crm.csv", raw=b"x"), None),  # replaced below
    "unknown file type": (
        dict(name="crm.json", raw=b"{}"),
        r"crm.json: unknown file type '.json'.*CSV, TSV, Excel",
    ),
    "old xls": (
        dict(name="crm.xls", raw=b"x"),
        r"crm.xls: old .xls workbooks are not supported.*xlsx",
    ),
    "wrong encoding stated": (
        dict(
            encoding="cp932",
            rows=["A1,青空株式会社,Enterprise,2024-01-15,1000,50,TRUE"],
            mapping=MAPPING.replace("as_of:", "encoding: utf-8\nas_of:") % {"datefmt": ""},
        ),
        r"crm.csv: cannot be read as utf-8.*Set `encoding:`.*cp932",
    ),
    "mapping without tables": (
        dict(mapping="as_of: 2025-12-31\n"),
        r"map.yaml, line 1: `tables`: needs a `tables:` section",
    ),
    "mapping without as_of": (
        dict(mapping=MAPPING.replace("as_of: 2025-12-31", "") % {"datefmt": ""}),
        r"map.yaml, line \d+: `as_of`: missing. Add `as_of: YYYY-MM-DD`",
    ),
    "mapping not yaml": (dict(mapping="tables: [unclosed\n"), r"map.yaml, line 2: not valid YAML"),
    "unknown table": (
        dict(mapping="as_of: 2025-12-31\ntables:\n  acounts: {}\n"),
        r"map.yaml, line 3: `tables.acounts`: unknown table. Did you mean `accounts`\?",
    ),
    "unknown canonical column": (
        dict(
            mapping=(MAPPING % {"datefmt": ""}).replace(
                "      name: Account Name", "      nmae: Account Name"
            )
        ),
        r"map.yaml, line 8: `tables.accounts.columns.nmae`: table 'accounts' has no column 'nmae'. "
        r"Did you mean `name`\?",
    ),
    "required table not mapped": (
        dict(mapping=(MAPPING % {"datefmt": ""}).split("  contracts:")[0]),
        r"map the required table\(s\) \['contracts'\]",
    ),
    "strict mode stops with the report": (
        dict(rows=[*GOOD, "A4,Bad,Enterprise,2024-01-01,abc,1,TRUE"]),
        r"strict mode.*contracts from crm.csv: 4 rows read = 3 accepted \+ 1 rejected.*column 'MRR' \(arr\).*rows 5.*fix:",
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_error_cases_are_clear(case, tmp_path):
    kwargs, pattern = ERROR_CASES[case]
    path, m = write(tmp_path, **kwargs)
    if case == "missing file":
        path.unlink()
        pattern = r"crm.csv: no such file"
    with pytest.raises(DataError, match=f"(?s){pattern}"):
        csworkbook.load(path, mapping=m)


def test_missing_mapping_file(tmp_path):
    with pytest.raises(DataError, match="mapping file not found.*mapping init"):
        csworkbook.load(tmp_path, mapping=tmp_path / "nope.yaml")


# ---- cases that load, with every row accounted for --------------------------------------

ROW_CASES = {
    "thousands separators and currency": (
        ['A1,Aozora,Enterprise,2024-01-15,"1,000",50,TRUE', "A2,Kaze,SMB,2024-04-03,¥200,5,FALSE"],
        {},
        {},
    ),
    "full-width digits": (["A1,Aozora,Enterprise,2024-01-15,１０００,５０,TRUE"], {}, {}),
    "blank-looking cells in optional": ([*GOOD], {}, {}),
    "blank required cell": (
        ["A1, ,Enterprise,2024-01-15,1000,50,TRUE", *GOOD[1:]],
        {2: r"name: empty"},
        {},
    ),
    "excel TRUE/FALSE and yes/no": (
        ["A1,Aozora,Enterprise,2024-01-15,1000,50,yes", "A2,Kaze,SMB,2024-04-03,200,5,No"],
        {},
        {},
    ),
    "unknown boolean": (
        ["A1,Aozora,Enterprise,2024-01-15,1000,50,maybe"],
        {},
        {2: r"auto_renew: 'maybe' is not a bool"},
    ),
    "text in number": (
        [*GOOD, "A4,Bad,SMB,2024-01-01,12k,1,TRUE"],
        {},
        {5: r"arr: '12k' is not a float"},
    ),
    "fractional seats": (
        [*GOOD, "A4,Bad,SMB,2024-01-01,10,1.5,TRUE"],
        {},
        {5: r"seats: '1.5' is not a int"},
    ),
    "negative money": (
        [*GOOD, "A4,Refund,SMB,2024-01-01,-50,1,TRUE"],
        {},
        {5: r"arr: -600 is below 0"},
    ),
    "parenthesised negative": (
        [*GOOD, "A4,Refund,SMB,2024-01-01,(50),1,TRUE"],
        {},
        {5: r"arr: -600 is below 0"},
    ),
    "unmapped category": (
        [*GOOD, "A4,New,Startup,2024-01-01,10,1,TRUE"],
        {5: r"segment: 'Startup' is not one of"},
        {},
    ),
    "future date": (
        [*GOOD, "A4,Later,SMB,2027-01-01,10,1,TRUE"],
        {5: r"after as_of 2025-12-31"},
        {5: r"start_date: 2027-01-01 is after"},
    ),
    "not a date": (
        [*GOOD, "A4,When,SMB,last spring,10,1,TRUE"],
        {5: r"first_contract_date: 'last spring' is not a date"},
        {},
    ),
    "duplicate key": (
        [*GOOD, GOOD[0]],
        {5: r"duplicate account_id"},
        {5: r"duplicate contract_id"},
    ),
    "trailing spaces in headers": ([*GOOD], {}, {}),
    "japanese date format": (["A1,Aozora,Enterprise,2024年1月15日,1000,50,TRUE"], {}, {}),
    "slashed ISO date": (["A1,Aozora,Enterprise,2024/01/15,1000,50,TRUE"], {}, {}),
    "unambiguous d/m/y": (
        ["A1,Aozora,Enterprise,15/01/2024,1000,50,TRUE", "A2,Kaze,SMB,03/04/2024,200,5,FALSE"],
        {},
        {},
    ),
    "header only": ([], {}, {}),
}


@pytest.mark.parametrize("case", list(ROW_CASES))
def test_row_cases_are_accounted(case, tmp_path):
    rows, acc_reasons, con_reasons = ROW_CASES[case]
    header = HEADER.replace("Segment", " Segment ") if "trailing spaces" in case else HEADER
    path, m = write(tmp_path, rows=rows, header=header)
    ds, report = lenient(path, m)
    got_a, got_c = rejected_reasons(report, "accounts"), rejected_reasons(report, "contracts")
    assert set(got_a) == set(acc_reasons), got_a
    for row, pattern in acc_reasons.items():
        assert pd.Series([got_a[row]]).str.contains(pattern).all(), got_a[row]
    for row, pattern in con_reasons.items():
        assert pd.Series([got_c[row]]).str.contains(pattern).all(), got_c[row]
    assert report.accounting.set_index("table").at["accounts", "rows_read"] == len(rows)


def test_parsed_values_are_right(tmp_path):
    path, m = write(
        tmp_path,
        rows=[
            'A1,Aozora,Enterprise,2024年1月15日,"1,000",５０,yes',
            "A2,Kaze,SMB,15/01/2024,¥200,5,いいえ",
        ],
    )
    ds, _ = lenient(path, m)
    c = ds.contracts.set_index("contract_id")
    assert (
        c.loc["A1", "arr"] == 12000
        and c.loc["A1", "seats"] == 50
        and bool(c.loc["A1", "auto_renew"])
    )
    assert c.loc["A2", "arr"] == 2400 and not bool(c.loc["A2", "auto_renew"])
    assert (ds.accounts.first_contract_date == pd.Timestamp("2024-01-15")).all()


def test_orphans_are_rejected_with_their_source_row(tmp_path):
    rows = [*GOOD, "A4,Kaze,SMB,2024-01-01,10,1,TRUE"]
    mapping = (MAPPING % {"datefmt": ""}).replace(
        "segment: {column: Segment, values: {Enterprise: enterprise, Mid-Market: mid_market, SMB: smb}}",
        "segment: {column: Segment, values: {Enterprise: enterprise, Mid-Market: mid_market}}",
    )
    path, m = write(tmp_path, rows=rows, mapping=mapping)
    ds, report = lenient(path, m)
    orphans = rejected_reasons(report, "contracts")
    assert set(orphans) == {3, 5} and all("has no row in accounts" in r for r in orphans.values())


def test_encodings_bom_cp932_and_tsv(tmp_path):
    jp = [
        "A1,青空株式会社,Enterprise,2024-01-15,1000,50,TRUE",
        "A2,風商事,SMB,2024-04-03,200,5,FALSE",
    ]
    for enc in ("utf-8-sig", "cp932"):
        path, m = write(tmp_path, rows=jp, encoding=enc)
        ds, report = lenient(path, m)
        assert ds.accounts.name.tolist() == ["青空株式会社", "風商事"], enc
        assert f"encoding {enc}" in report.notes["accounts"]
    tsv = [r.replace(",", "\t") for r in GOOD]
    path, m = write(tmp_path, rows=tsv, header=HEADER.replace(",", "\t"), name="crm.tsv")
    assert len(lenient(path, m)[0].accounts) == 3


def test_japanese_headers_in_cp932(tmp_path):
    header = "顧客ID,会社名,セグメント,契約開始日,月額,席数,自動更新"
    mapping = MAPPING % {"datefmt": ""}
    for en, ja in zip(HEADER.split(","), header.split(","), strict=True):
        mapping = mapping.replace(f": {en}\n", f": {ja}\n").replace(
            f"column: {en}", f"column: {ja}"
        )
    path, m = write(tmp_path, rows=GOOD, header=header, encoding="cp932", mapping=mapping)
    assert len(lenient(path, m)[0].contracts) == 3


def test_excel_with_title_rows_and_named_sheet(tmp_path):
    path = tmp_path / "crm.xlsx"
    body = pd.DataFrame([r.split(",") for r in GOOD], columns=HEADER.split(","))
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame([["Account report"], ["exported 2025-12-31"]]).to_excel(
            xl, sheet_name="Report", header=False, index=False
        )
        body.to_excel(xl, sheet_name="Report", startrow=3, index=False)
    _, m = write(tmp_path, name="crm.xlsx", raw=path.read_bytes())
    m.write_text(m.read_text().replace("file: crm.xlsx", "file: crm.xlsx\nsheet: Report"))
    ds, report = lenient(path, m)
    assert len(ds.accounts) == 3 and any(
        "header found on sheet row 4" in n for n in report.notes["accounts"]
    )
    assert report.rejected["accounts"].empty
    m.write_text(m.read_text().replace("sheet: Report", "sheet: Sheet9"))
    with pytest.raises(
        DataError, match=r"crm.xlsx: no sheet named 'Sheet9'; the workbook has \['Report'\]"
    ):
        csworkbook.load(path, mapping=m)


def test_excel_every_sheet_is_one_table_with_sheet_row_numbers(tmp_path):
    path = tmp_path / "crm.xlsx"
    rows = [r.split(",") for r in GOOD] + [["A4", "Umi", "Gold", "2024-05-01", "1", "1", "TRUE"]]
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(rows[:2], columns=HEADER.split(",")).to_excel(
            xl, sheet_name="Jan", index=False
        )
        pd.DataFrame(rows[2:], columns=HEADER.split(",")).to_excel(
            xl, sheet_name="Feb", index=False
        )
    _, m = write(tmp_path, name="crm.xlsx", raw=path.read_bytes())
    m.write_text(m.read_text().replace("file: crm.xlsx", "file: crm.xlsx\nsheet: '*'"))
    ds, report = lenient(path, m)
    assert len(ds.accounts) == 3
    assert report.rejected["accounts"]["source_row"].tolist() == ["Feb!3"]
    assert "crm.xlsx [all sheets], column 'Segment'" in str(report)
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(rows[:2], columns=HEADER.split(",")).to_excel(
            xl, sheet_name="Jan", index=False
        )
        pd.DataFrame([["x"]], columns=["Other"]).to_excel(xl, sheet_name="Notes", index=False)
    with pytest.raises(DataError, match=r"crm.xlsx \[Notes\]: its headers \['Other'\] differ"):
        csworkbook.load(path, mapping=m)


def test_cli_validate_writes_safe_rejects_and_exits_1(tmp_path, capsys):
    path, m = write(tmp_path, rows=[*GOOD, "A4,=HYPERLINK(1),SMB,2024-01-01,x,1,TRUE"])
    assert (
        cli(["validate", str(path), "--mapping", str(m), "--rejects", str(tmp_path / "rej")]) == 1
    )
    out = capsys.readouterr().out
    assert "contracts from crm.csv: 4 rows read = 3 accepted + 1 rejected" in out
    text = (tmp_path / "rej" / "contracts.rejects.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    path, m = write(tmp_path)
    assert cli(["validate", str(path), "--mapping", str(m)]) == 0


def test_mapping_init_drafts_what_it_can(tmp_path, capsys):
    path, _ = write(tmp_path)
    assert cli(["mapping", "init", str(path)]) == 0
    draft = capsys.readouterr().out
    assert (
        "account_id: Account ID" in draft
        and "name: Account Name" in draft
        and "as_of: TODO" in draft
    )


def test_helpers():
    assert detect_encoding("青空".encode("cp932")) == "cp932"
    assert detect_encoding(b"\xef\xbb\xbfa,b") == "utf-8-sig"
    assert (
        date_order(pd.Series(["13/01/2024"])) == "dmy"
        and date_order(pd.Series(["01/13/2024"])) == "mdy"
    )
    assert date_order(pd.Series(["2024-01-13"])) is None
    safe = neutralise_formulas(pd.DataFrame({"a": ["=1+1", "+x", "ok", None], "n": [1, 2, 3, 4]}))
    assert safe.a.tolist()[:3] == ["'=1+1", "'+x", "ok"] and safe.n.tolist() == [1, 2, 3, 4]


# ---- fuzzing: anything thrown at the loader ends in a Dataset or a DataError ------------
# Deterministic (derandomize) and sized to keep the whole property suite under a minute.

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "1,234",
            "１２",
            "2024-13-45",
            "31/02/2024",
            "TRUE",
            "=cmd",
            '"',
            "\t",
            "Enterprise",
            "10\x0000",
            "Aozo\x00ra KK",
            "\x0b",
            "1.234,56",
            "12,5",
            "200,50",
            "1.500",
            "€5",
            "$5",
            "¥1,200",
            "inf",
            "nan",
            "1e308",
            "▲5",
            "2024-01",
            "2024",
            "45306",
            "ｱｵｿﾞﾗ",
            "青空",
            "2024-01-15T01:00:00+09:00",
            "2024-01-15T01:00:00Z",
            "Total",
            "Generated by me",
            "A1",
        ]
    ),  # fmt: skip
)


@settings(FUZZ, max_examples=160)
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=9), max_size=6),
    encoding=st.sampled_from(
        ["utf-8", "utf-8-sig", "cp932", "utf-16", "utf-16-le", "cp1252", "euc_jp"]
    ),
    header=st.sampled_from([HEADER, HEADER.replace("MRR", "ＭＲＲ"), HEADER + ", MRR ", "a,b", ""]),
    sep=st.sampled_from([",", ";", "\t"]),
    top=st.sampled_from(["", 'decimal: ","\n', "currency: JPY\n", "timezone: Asia/Tokyo\n"]),
)
def test_fuzz_loader_never_crashes(tmp_path, rows, encoding, header, sep, top):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=sep).writerows([header.split(",") if header else [], *rows])
    try:
        data = buf.getvalue().encode(encoding, errors="replace")
    except UnicodeEncodeError:
        return
    mapping = (MAPPING % {"datefmt": ""}).replace(
        "as_of: 2025-12-31\n", f"as_of: 2025-12-31\n{top}"
    )
    path, m = write(tmp_path, raw=data, mapping=mapping)
    try:
        ds = csworkbook.load(path, mapping=m, mode="lenient")
    except DataError as e:
        assert "crm.csv" in str(e) or "map.yaml" in str(e)
        return
    acct = ds.load_report.accounting
    assert (acct.rows_read == acct.accepted + acct.merged + acct.rejected).all()


@settings(FUZZ, max_examples=500)
@given(
    body=st.binary(max_size=120),
    lead=st.sampled_from(
        [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"PK\x03\x04", b"a,b\n", b"\x00a\x00,\x00b\x00\n"]
    ),
    suffix=st.sampled_from([".csv", ".tsv", ".txt", ".xlsx", ".parquet"]),
)
def test_fuzz_any_bytes_read_as_a_table_or_a_clear_error(tmp_path, body, lead, suffix):
    from csworkbook.exports.read import read_export

    path = tmp_path / f"export{suffix}"
    path.write_bytes(lead + body)
    try:
        raw = read_export(path)
    except DataError as e:
        assert "export" in str(e), e
        return
    assert len(raw.frame) == len(raw.row_numbers)
    assert all(len(v) == len(raw.frame) for v in (*raw.issues.values(), *raw.native.values()))
