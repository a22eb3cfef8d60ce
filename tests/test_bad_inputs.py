"""Bad inputs that used to be misread, cut or end in a traceback, one case each.

Every case ends in one of two ways: a :class:`DataError` whose message names the file, the
column (or the mapping key and line) and the rows, with the fix; or a lenient load in which
rows read = accepted + merged + rejected, the rejected rows carry their reason, and every
accepted value is exactly what the export says.
"""

import csv
import io
import os
import textwrap

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import csworkbook
from csworkbook import DataError

from .test_exports import GOOD, HEADER, MAPPING

BASE = MAPPING % {"datefmt": ""}
CELLS = HEADER.split(",")


def export(tmp_path, rows, *, header=CELLS, sep=",", encoding="utf-8", name="crm.csv", top=""):
    """Write rows (lists of cells, or ready lines) and the base mapping with ``top`` keys."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        if isinstance(r, str):
            buf.write(r + "\n")
        else:
            w.writerow(r)
    path = tmp_path / name
    path.write_bytes(buf.getvalue().encode(encoding))
    m = tmp_path / "map.yaml"
    text = textwrap.dedent(BASE).replace("crm.csv", name)
    m.write_text(text.replace("as_of: 2025-12-31\n", f"as_of: 2025-12-31\n{top}"), "utf-8")
    return path, m


def good(n=3):
    return [r.split(",") for r in GOOD[:n]]


def row(
    id="A4", name="Umi KK", segment="SMB", since="2024-05-01", mrr="100", seats="1", auto="TRUE"
):
    return [id, name, segment, since, mrr, seats, auto]


def lenient(path, m, **kw):
    ds = csworkbook.load(path, mapping=m, mode="lenient", **kw)
    acct = ds.load_report.accounting
    assert (acct.rows_read == acct.accepted + acct.merged + acct.rejected).all(), acct
    return ds


def reasons(ds, table="contracts"):
    return ds.load_report.rejected[table].set_index("source_row")["reason"].to_dict()


def stops(path, m, pattern):
    with pytest.raises(DataError, match=f"(?s){pattern}") as info:
        csworkbook.load(path, mapping=m, mode="lenient")
    return str(info.value)


# ---- numbers: decimal conventions, currency, finiteness -------------------------------

STOPS = {
    "decimal comma with point thousands": (
        ["1.234,56"],
        "",
        r"crm.csv: column 'MRR': values such as '1.234,56' \(rows 5\) only make sense with a "
        r'decimal comma.*`decimal: ","`',
    ),
    "space thousands and decimal comma": (
        ["1 234,56"],
        "",
        r"'1 234,56' \(rows 5\).*decimal comma",
    ),
    "nbsp thousands and decimal comma": (["1\u00a0234,56"], "", r"column 'MRR'.*decimal comma"),
    "short decimal comma": (["12,5"], "", r"column 'MRR': values such as '12,5' \(rows 5\)"),
    "cents after a comma": (["200,50", "19,99"], "", r"'200,50', '19,99' \(rows 5, 6\)"),
    "zero point five with a comma": (["0,5"], "", r"'0,5' \(rows 5\) only make sense"),
    "stated comma but values use a point": (
        ["1,234.56"],
        'decimal: ","\n',
        r"column 'MRR': values such as '1,234.56' \(rows 5\) only make sense with a decimal "
        r"point.*the mapping says ','",
    ),
    "mixed conventions in one column": (
        ["1,234.56", "12,5"],
        "",
        r"column 'MRR': the column mixes a decimal point.*'1,234.56' \(rows 5\).*"
        r"decimal comma.*'12,5' \(rows 6\)",
    ),
    "thousands with a point only": (
        ["1.500", "12.000"],
        "",
        r"column 'MRR': values such as '1.500', '12.000' \(rows 5, 6\) are thousands with a "
        r"decimal comma.*but fractions with a decimal point",
    ),
    "two currencies without currency:": (
        ["$200", "€300"],
        "",
        r"column 'MRR': amounts in different currencies: '\$' \(rows 5\) and '€' \(rows 6\).*"
        r"`currency:`",
    ),
    "yen and pounds": (["¥200", "£3"], "", r"'¥' \(rows 5\) and '£' \(rows 6\)"),
}


@pytest.mark.parametrize("case", list(STOPS))
def test_number_columns_in_doubt_stop(case, tmp_path):
    values, top, pattern = STOPS[case]
    rows = good() + [row(id=f"A{i + 4}", mrr=v) for i, v in enumerate(values)]
    stops(*export(tmp_path, rows, top=top), pattern)


def test_semicolon_file_with_decimal_commas_stops_then_reads(tmp_path):
    rows = [row(id="A1", mrr="200,50"), row(id="A2", mrr="1.000,00")]
    path, m = export(tmp_path, rows, sep=";")
    stops(path, m, r"crm.csv: column 'MRR': values such as '200,50', '1.000,00' \(rows 2, 3\)")
    path, m = export(tmp_path, rows, sep=";", top='decimal: ","\n')
    ds = lenient(path, m)
    assert ds.contracts.set_index("contract_id")["arr"].to_dict() == {"A1": 2406.0, "A2": 12000.0}
    assert "delimiter ';'" in ds.load_report.notes["contracts"]


READ = {
    "stated comma": (
        'decimal: ","\n',
        ["1.234,56", "12,5", "1 234,56", "0,5"],
        [14814.72, 150.0, 14814.72, 6.0],
    ),
    "default point": ("", ["1,234.56", "12.5", "1,000", "0.5"], [14814.72, 150.0, 12000.0, 6.0]),
    "stated point": ('decimal: "."\n', ["1,234.56", "1,000,000"], [14814.72, 12_000_000.0]),
    "swiss apostrophe": ("", ["1'234.50"], [14814.0]),
    "full-width digits and comma": ("", ["１，２３４．５"], [14814.0]),
    "yen sign with currency JPY": (
        "currency: JPY\n",
        ["¥1,200", "1,200円", "￥1,200", "JPY 1,200"],
        [14400.0] * 4,
    ),
    "dollar with currency USD": (
        "currency: USD\n",
        ["$1,200.50", "USD 10", "10 USD"],
        [14406.0, 120.0, 120.0],
    ),
    "euro with stated comma": (
        'currency: EUR\ndecimal: ","\n',
        ["€1.200,50", "12,00 €"],
        [14406.0, 144.0],
    ),
    "scientific notation": ("", ["1.5e3", "2E2"], [18000.0, 2400.0]),
    "integer under both": ('decimal: ","\n', ["1200", "1 200"], [14400.0, 14400.0]),
}


@pytest.mark.parametrize("case", list(READ))
def test_numbers_read_exactly(case, tmp_path):
    top, values, expected = READ[case]
    rows = good() + [row(id=f"A{i + 4}", mrr=v) for i, v in enumerate(values)]
    ds = lenient(*export(tmp_path, rows, top=top))
    arr = ds.contracts.set_index("contract_id")["arr"]
    assert [arr[f"A{i + 4}"] for i in range(len(values))] == pytest.approx(expected, rel=1e-12)
    assert not ds.load_report.rejected["contracts"].shape[0]


def test_column_rule_states_its_own_decimal(tmp_path):
    rows = good() + [row(mrr="12,5", seats="3")]
    path, m = export(tmp_path, rows)
    m.write_text(
        m.read_text("utf-8").replace(
            "{column: MRR, multiply: 12}", '{column: MRR, multiply: 12, decimal: ","}'
        ),
        "utf-8",
    )
    ds = lenient(path, m)
    assert ds.contracts.set_index("contract_id").at["A4", "arr"] == 150.0


def test_table_states_its_decimal(tmp_path):
    rows = good() + [row(mrr="12,5")]
    path, m = export(tmp_path, rows)
    m.write_text(
        m.read_text("utf-8").replace("  contracts:\n", '  contracts:\n    decimal: ","\n'), "utf-8"
    )
    assert lenient(path, m).contracts.set_index("contract_id").at["A4", "arr"] == 150.0


REJECT = {
    "inf spelled out": ("", "inf", r"arr: 'inf' is not a finite number"),
    "minus infinity": ("", "-Infinity", r"arr: '-Infinity' is not a finite number"),
    "nan spelled out": ("", "nan", r"arr: 'nan' is not a finite number"),
    "NaN spelled out": ("", "NaN", r"arr: 'NaN' is not a finite number"),
    "absurd magnitude": ("", "1e308", r"arr: '1e308' is beyond any real amount"),
    "overflow after multiply": ("", "9e14", r"arr: '9e14' is beyond any real amount"),
    "exponent overflow": ("", "1e999", r"arr: '1e999'"),
    "percent": ("", "12%", r"arr: '12%' is not a float"),
    "two decimal points": ("", "1.2.3", r"arr: '1.2.3' is not a float"),
    "bad grouping": ("", "1,23,4", r"arr: '1,23,4' is not a float"),
    "double sign": ("", "--5", r"arr: '--5' is not a float"),
    "euro in a dollar dataset": (
        "currency: USD\n",
        "€200",
        r"arr: '€200' is in € \(EUR\), not the dataset's currency USD",
    ),
    "yen in a dollar dataset": (
        "currency: USD\n",
        "¥200",
        r"arr: '¥200' is in ¥ \(JPY/CNY\), not the dataset's currency USD",
    ),
    "code of another currency": (
        "currency: JPY\n",
        "USD 200",
        r"arr: 'USD 200' is in USD, not the dataset's currency JPY",
    ),
    "point value under stated comma": (
        'decimal: ","\n',
        "1,234.56",
        r"arr: '1,234.56' does not fit decimal ','",
    ),
    "japanese negative triangle": ("", "▲500", r"arr: -6000 is below 0"),
    "unicode minus": ("", "−50", r"arr: -600 is below 0"),
}


@pytest.mark.parametrize("case", list(REJECT))
def test_unusable_numbers_are_rejected_with_the_reason(case, tmp_path):
    top, value, pattern = REJECT[case]
    extra = [row(id="A5", mrr="1,5")] if case == "point value under stated comma" else []
    ds = lenient(*export(tmp_path, good() + [row(mrr=value)] + extra, top=top))
    got = reasons(ds)
    assert set(got) == {5}, got
    assert pd.Series([got[5]]).str.contains(pattern).all(), got[5]
    assert set(ds.contracts.contract_id) == {"A1", "A2", "A3", *(["A5"] if extra else [])}


def test_huge_seats_and_fractional_counts_are_rejected(tmp_path):
    rows = good() + [row(seats="1e20"), row(id="A5", seats="2.5")]
    ds = lenient(*export(tmp_path, rows))
    got = reasons(ds)
    assert "seats: '1e20' is beyond any real amount" in got[5]
    assert "seats: '2.5' is not a int" in got[6]
    # a count written with a decimal comma is not read as 25
    path, m = export(tmp_path, good() + [row(seats="2,5")])
    stops(
        path,
        m,
        r"column 'Seats': values such as '2,5' \(rows 5\) only make sense with a decimal comma",
    )


def test_currency_without_currency_key_is_read_and_said(tmp_path):
    ds = lenient(*export(tmp_path, good() + [row(mrr="¥200")]))
    assert ds.contracts.set_index("contract_id").at["A4", "arr"] == 2400.0
    notes = "\n".join(ds.load_report.notes["contracts"])
    assert "column 'MRR': amounts marked '¥' (JPY/CNY); state `currency:`" in notes


def test_icp_fit_above_one_is_a_row_reason_not_a_failed_load(tmp_path):
    path, m = export(
        tmp_path, [r + ["0.5"] for r in good()] + [row() + ["85"]], header=CELLS + ["Fit"]
    )
    m.write_text(
        m.read_text("utf-8").replace(
            "      name: Account Name\n", "      name: Account Name\n      icp_fit: Fit\n"
        ),
        "utf-8",
    )
    ds = lenient(path, m)
    assert reasons(ds, "accounts") == {5: "icp_fit: 85 is above 1"}
    assert (
        "check the scale"
        in ds.load_report.problems().set_index("problem").at["… is above 1", "fix"]
    )


# ---- text: control characters, encodings, quoting, ragged rows -----------------------

CONTROLS = {
    "NUL inside a number": (
        row(mrr="10\x0000"),
        "contracts",
        r"arr: '10␀00' holds a control character \(U\+0000 NUL\)",
    ),
    "NUL inside a name": (
        row(name="Aozo\x00ra KK"),
        "accounts",
        r"name: 'Aozo␀ra KK' holds a control character \(U\+0000 NUL\)",
    ),
    "vertical tab in a name": (
        row(name="Aozora\x0bKK"),
        "accounts",
        r"name: 'Aozora␋KK' holds a control character \(U\+000B VERTICAL TAB\)",
    ),
    "escape in a segment": (
        row(segment="SMB\x1b"),
        "accounts",
        r"segment: 'SMB␛' holds a control character \(U\+001B ESCAPE\)",
    ),
    "C1 control in a name": (
        row(name="Kaze\x85"),
        "accounts",
        r"name: 'Kaze�' holds a control character \(U\+0085",
    ),
    "trailing NUL in an id": (
        row(id="A4\x00"),
        "accounts",
        r"account_id: 'A4␀' holds a control character",
    ),
    "DEL in a date": (
        row(since="2024-05-01\x7f"),
        "accounts",
        r"first_contract_date: '2024-05-01␡' holds a control character \(U\+007F DELETE\)",
    ),
}


@pytest.mark.parametrize("case", list(CONTROLS))
def test_control_characters_reject_the_row_and_never_cut_the_cell(case, tmp_path):
    cells, table, pattern = CONTROLS[case]
    ds = lenient(*export(tmp_path, good() + [cells]))
    got = reasons(ds, table)
    assert 5 in got and pd.Series([got[5]]).str.contains(pattern).all(), got
    rej = ds.load_report.rejected[table]
    assert rej.shape[0] >= 1 and "A4" not in set(ds.tables[table].iloc[:, 0])
    problems = ds.load_report.problems()
    assert problems["fix"].str.contains("the cell was not cut").any()


def test_control_character_in_an_unused_column_is_said_not_rejected(tmp_path):
    rows = [r + ["note"] for r in good()] + [row() + ["line\x0bbreak"]]
    ds = lenient(*export(tmp_path, rows, header=CELLS + ["Notes"]))
    assert ds.load_report.ok
    notes = "\n".join(ds.load_report.notes["accounts"])
    assert "column 'Notes' (not used by accounts) has 1 problem cell(s) (rows 5)" in notes


ENCODED = {
    "cp932 half-width katakana": ("cp932", "ｱｵｿﾞﾗ", "cp932"),
    "cp932 one half-width letter": ("cp932", "ｶ", "cp932"),
    "cp932 katakana and latin": ("cp932", "Aozora ｶﾌﾞｼｷｶﾞｲｼｬ", "cp932"),
    "cp932 kanji": ("cp932", "青空株式会社", "cp932"),
    "euc-jp": ("euc_jp", "青空株式会社 ｱｵｿﾞﾗ", "euc_jp"),
    "utf-16 with BOM": ("utf-16", "青空 ｱｵｿﾞﾗ", "utf-16"),
    "utf-16-le without BOM": ("utf-16-le", "青空", "utf-16-le"),
    "utf-16-be without BOM": ("utf-16-be", "Aozora", "utf-16-be"),
    "utf-8 with BOM": ("utf-8-sig", "青空", "utf-8-sig"),
    "western european cp1252": ("cp1252", "Société Générale", "cp1252"),
    "german cp1252": ("cp1252", "Müller Bäckerei GmbH", "cp1252"),
}


@pytest.mark.parametrize("case", list(ENCODED))
def test_encodings_are_detected_said_and_never_latin1(case, tmp_path):
    encoding, name, expected = ENCODED[case]
    ds = lenient(*export(tmp_path, [row(id="A1", name=name)], encoding=encoding))
    assert ds.accounts.name.tolist() == [name]
    assert f"encoding {expected}" in ds.load_report.notes["accounts"]


def test_stated_encoding_overrides_detection_and_is_said(tmp_path):
    path, m = export(
        tmp_path, [row(id="A1", name="ｱｵｿﾞﾗ")], encoding="cp932", top="encoding: cp932\n"
    )
    ds = lenient(path, m)
    assert ds.accounts.name.tolist() == ["ｱｵｿﾞﾗ"]
    assert "encoding cp932 (stated in the mapping)" in ds.load_report.notes["accounts"]


def test_utf16_headers_are_found_not_mojibake(tmp_path):
    path, m = export(tmp_path, good(), encoding="utf-16-le")
    assert len(lenient(path, m).contracts) == 3


def test_utf8_with_one_broken_byte_stops_with_its_line(tmp_path):
    path, m = export(tmp_path, [row(id="A1", name="青空株式会社"), row(id="A2", name="風商事")])
    data = path.read_bytes().replace("風".encode(), b"\xe9\xa2")  # a character cut in half
    path.write_bytes(data)
    stops(path, m, r"crm.csv, line 3 holds bytes that are not UTF-8.*Export it again")


def test_excel_file_saved_as_csv_is_named(tmp_path):
    path, m = export(tmp_path, good())
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    stops(path, m, r"crm.csv: this is an Excel workbook \(.xlsx\) saved under a text name")


def test_unclosed_quote_stops_at_its_line(tmp_path):
    path, m = export(
        tmp_path,
        good() + ['A4,"Umi KK,SMB,2024-05-01,100,1,TRUE', "A5,Kai,SMB,2024-05-01,100,1,TRUE"],
    )
    stops(path, m, r"crm.csv, line 5: a quote opens here and never closes")


def test_row_with_too_many_cells_is_rejected_in_every_table(tmp_path):
    ds = lenient(*export(tmp_path, good() + ["A4,Umi, KK,SMB,2024-05-01,100,1,TRUE"]))
    for table in ("accounts", "contracts"):
        assert "row: the row has 8 cells but the header has 7" in reasons(ds, table)[5]


def test_quoted_line_breaks_and_blank_lines_keep_file_line_numbers(tmp_path):
    rows = good(1) + [
        'A2,"Kaze\nInc",SMB,2024-04-03,200,5,FALSE',
        "",
        "A3,Mori,Gold,2024-02-01,500,20,TRUE",
    ]
    ds = lenient(*export(tmp_path, rows))
    assert reasons(ds, "accounts") == {
        6: "segment: 'Gold' is not one of enterprise, mid_market, smb"
    }
    assert ds.accounts.set_index("account_id").at["A2", "name"] == "Kaze\nInc"


def test_text_beyond_the_header_is_not_an_empty_row(tmp_path):
    ds = lenient(*export(tmp_path, good() + [",,,,,,,lost?"]))
    assert "row: the row has 8 cells but the header has 7" in reasons(ds, "accounts")[5]


def test_rows_of_empty_cells_are_skipped_and_said(tmp_path):
    ds = lenient(*export(tmp_path, good() + [",,,,,,", ",,,,,,"]))
    assert ds.load_report.accounting.set_index("table").at["accounts", "rows_read"] == 3
    assert "2 empty row(s) skipped" in ds.load_report.notes["accounts"]


def test_utf32_and_a_dos_end_of_file_mark(tmp_path):
    path, m = export(tmp_path, good(), encoding="utf-32")
    ds = lenient(path, m)
    assert "encoding utf-32" in ds.load_report.notes["accounts"] and len(ds.accounts) == 3
    path.write_bytes(path.read_bytes().decode("utf-32").encode("utf-8") + b"\x1a")
    ds = lenient(path, m)
    assert ds.load_report.ok and len(ds.accounts) == 3
    assert any("Ctrl-Z" in n for n in ds.load_report.notes["accounts"])


def test_a_cell_larger_than_any_real_one_stops_at_its_line(tmp_path):
    path, m = export(tmp_path, good() + [row(name="x" * 200_000)])
    stops(path, m, r"crm.csv, line 5: the line cannot be split into cells \(field larger")


def test_crlf_and_bom(tmp_path):
    path, m = export(tmp_path, good())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    ds = lenient(path, m)
    assert len(ds.accounts) == 3 and ds.load_report.ok


# ---- dates and times --------------------------------------------------------------------

DATES = {
    "offset kept as written": ("", "2024-01-15T01:00:00+09:00", "2024-01-15"),
    "offset converted to UTC": ("timezone: UTC\n", "2024-01-15T01:00:00+09:00", "2024-01-14"),
    "offset converted to Tokyo": ("timezone: Asia/Tokyo\n", "2024-01-14T20:00:00Z", "2024-01-15"),
    "Z kept as written": ("", "2024-01-14T20:00:00Z", "2024-01-14"),
    "compact offset": ("", "2024-01-15T23:30:00-0500", "2024-01-15"),
    "naive time in a date column": ("timezone: Asia/Tokyo\n", "2024-01-15 23:59", "2024-01-15"),
    "japanese date": ("", "2024年1月15日", "2024-01-15"),
}


@pytest.mark.parametrize("case", list(DATES))
def test_times_become_the_date_in_the_dataset_zone(case, tmp_path):
    top, value, expected = DATES[case]
    ds = lenient(*export(tmp_path, good() + [row(since=value)], top=top))
    assert ds.accounts.set_index("account_id").at["A4", "first_contract_date"] == pd.Timestamp(
        expected
    )
    assert ds.contracts.set_index("contract_id").at["A4", "start_date"] == pd.Timestamp(expected)


def test_mixed_offsets_without_a_timezone_stop(tmp_path):
    rows = good() + [
        row(since="2024-01-15T01:00:00+09:00"),
        row(id="A5", since="2024-01-15T01:00:00Z"),
    ]
    path, m = export(tmp_path, rows)
    stops(
        path,
        m,
        r"crm.csv: column 'Customer Since': times with different UTC offsets: '\+09:00' \(rows 5\) and '\+00:00' \(rows 6\).*`timezone: Asia/Tokyo`",
    )
    path, m = export(tmp_path, rows, top="timezone: Asia/Tokyo\n")
    starts = lenient(path, m).contracts.set_index("contract_id")["start_date"]
    assert starts["A4"] == pd.Timestamp("2024-01-15") and starts["A5"] == pd.Timestamp("2024-01-15")


PARTIAL = {
    "year and month": ("2024-01", r"first_contract_date: '2024-01' has no day"),
    "year only": ("2024", r"first_contract_date: '2024' has no day"),
    "japanese year and month": ("2024年1月", r"'2024年1月' has no day"),
    "month and year": ("01/2024", r"'01/2024' has no day"),
    "slashed year and month": ("2024/01", r"'2024/01' has no day"),
    "excel serial day": ("45306", r"'45306' is a spreadsheet day number"),
    "impossible day": ("2024-02-30", r"'2024-02-30' is not a date"),
    "not a date at all": ("soon", r"'soon' is not a date"),
}


@pytest.mark.parametrize("case", list(PARTIAL))
def test_partial_and_impossible_dates_are_rejected(case, tmp_path):
    value, pattern = PARTIAL[case]
    ds = lenient(*export(tmp_path, good() + [row(since=value)]))
    got = reasons(ds, "accounts")
    assert set(got) == {5} and pd.Series([got[5]]).str.contains(pattern).all(), got


def test_partial_dates_read_with_a_stated_format(tmp_path):
    path, m = export(tmp_path, [row(id="A1", since="2024-01"), row(id="A2", since="2023-11")])
    m.write_text(
        m.read_text("utf-8").replace(
            "{column: Customer Since}", '{column: Customer Since, date_format: "%Y-%m"}'
        ),
        "utf-8",
    )
    ds = lenient(path, m)
    assert ds.accounts.first_contract_date.tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2023-11-01"),
    ]


def test_epoch_seconds_shown_in_the_dataset_zone(tmp_path):
    path, m = export(tmp_path, [row(id="A1", since="1705248000")], top="timezone: Asia/Tokyo\n")
    m.write_text(
        m.read_text("utf-8").replace(
            "{column: Customer Since}", "{column: Customer Since, date_format: unix}"
        ),
        "utf-8",
    )
    # 2024-01-14 16:00 UTC is 2024-01-15 01:00 in Tokyo
    assert lenient(path, m).accounts.first_contract_date.tolist() == [pd.Timestamp("2024-01-15")]


def test_ambiguous_dates_name_their_rows(tmp_path):
    rows = [row(id="A1", since="03/04/2024"), row(id="A2", since="05/06/2024")]
    stops(
        *export(tmp_path, rows),
        r"column 'Customer Since': dates such as '03/04/2024', '05/06/2024' \(rows 2, 3\) fit both",
    )


# ---- headers, Excel, Parquet --------------------------------------------------------------

DUPLICATE_HEADERS = {
    "spaces around a copy": (
        " MRR ",
        r"crm.csv: 2 columns are named 'MRR' once .* cleaned \(column 5 'MRR', column 8 ' MRR '\), and contracts.arr uses it",
    ),
    "full-width copy": ("ＭＲＲ", r"\(column 5 'MRR', column 8 'ＭＲＲ'\)"),
    "exact copy": ("MRR", r"\(column 5 'MRR', column 8 'MRR'\).*Rename or remove the extra one"),
}


@pytest.mark.parametrize("case", list(DUPLICATE_HEADERS))
def test_duplicate_headers_used_by_the_mapping_stop(case, tmp_path):
    other, pattern = DUPLICATE_HEADERS[case]
    path, m = export(tmp_path, [r + ["9"] for r in good()], header=CELLS + [other])
    stops(path, m, pattern)


def test_duplicate_headers_not_used_are_said(tmp_path):
    path, m = export(tmp_path, [r + ["x", "y"] for r in good()], header=CELLS + ["Notes", " notes"])
    path.write_bytes(path.read_bytes().replace(b" notes", b"Notes "))
    ds = lenient(path, m)
    assert ds.load_report.ok
    assert (
        "columns 8, 9 are all named 'Notes' once cleaned ('Notes', 'Notes ')"
        in ds.load_report.notes["accounts"]
    )


def test_blank_header_cells_get_a_name(tmp_path):
    path, m = export(tmp_path, [r + ["x"] for r in good()], header=CELLS + [""])
    ds = lenient(path, m)
    assert len(ds.accounts) == 3


def _workbook(path, sheets, hidden_sheets=(), hidden_rows=()):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for r in rows:
            ws.append(r)
        if name in hidden_sheets:
            ws.sheet_state = "hidden"
        for r in hidden_rows:
            ws.row_dimensions[r].hidden = True
    book.save(path)


def excel_mapping(tmp_path, sheet=None):
    _, m = export(tmp_path, good(), name="crm.xlsx")
    if sheet is not None:
        m.write_text(
            m.read_text("utf-8").replace("file: crm.xlsx", f"file: crm.xlsx\nsheet: '{sheet}'"),
            "utf-8",
        )
    return tmp_path / "crm.xlsx", m


def test_hidden_first_sheet_is_not_read_by_default(tmp_path):
    path, m = excel_mapping(tmp_path)
    _workbook(path, {"Old": [CELLS, row(id="Z9")], "Data": [CELLS, *good()]}, hidden_sheets=["Old"])
    ds = lenient(path, m)
    assert sorted(ds.accounts.account_id) == ["A1", "A2", "A3"]
    notes = ds.load_report.notes["accounts"]
    assert "hidden sheet(s) ['Old'] not read" in notes and "sheet 'Data'" in notes


def test_hidden_sheet_named_in_the_mapping_is_read_and_said(tmp_path):
    path, m = excel_mapping(tmp_path, sheet="Old")
    _workbook(path, {"Data": [CELLS, *good()], "Old": [CELLS, *good(2)]}, hidden_sheets=["Old"])
    ds = lenient(path, m)
    assert len(ds.accounts) == 2
    assert any(
        "hidden in the workbook; read because the mapping names it" in n
        for n in ds.load_report.notes["accounts"]
    )


def test_hidden_rows_are_skipped_and_said_with_every_sheet(tmp_path):
    path, m = excel_mapping(tmp_path, sheet="*")
    _workbook(
        path,
        {"Jan": [CELLS, *good()], "Feb": [CELLS, row(), row(id="A5")]},
        hidden_sheets=["Mar"],
        hidden_rows=[3],
    )
    ds = lenient(path, m)
    assert sorted(ds.accounts.account_id) == ["A1", "A3", "A4"]  # row 3 of each sheet hidden
    notes = "\n".join(ds.load_report.notes["accounts"])
    assert notes.count("1 hidden row(s) skipped (rows 3); unhide them in Excel") == 2
    assert ds.load_report.accounting.set_index("table").at["accounts", "rows_read"] == 3


def test_excel_numbers_and_dates_ignore_text_conventions(tmp_path):
    import datetime as dt

    path, m = excel_mapping(tmp_path)
    m.write_text(
        m.read_text("utf-8").replace("as_of: 2025-12-31\n", 'as_of: 2025-12-31\ndecimal: ","\n')
        .replace("{column: Customer Since}", '{column: Customer Since, date_format: "%d/%m/%Y"}'),
        "utf-8",
    )  # fmt: skip
    cells = [["A1", "Aozora", "Enterprise", dt.datetime(2024, 1, 15), 1234.5, 3, True],
             ["A2", "Kaze", "SMB", "03/04/2024", "1.000,5", "2", "FALSE"]]  # fmt: skip
    _workbook(path, {"Data": [CELLS, *cells]})
    ds = lenient(path, m)
    k = ds.contracts.set_index("contract_id")
    assert k["arr"].to_dict() == {"A1": 14814.0, "A2": 12006.0}
    assert k["start_date"].to_dict() == {
        "A1": pd.Timestamp("2024-01-15"),
        "A2": pd.Timestamp("2024-04-03"),
    }
    assert bool(k.at["A1", "auto_renew"]) and k.at["A1", "seats"] == 3


def test_broken_workbook_is_named(tmp_path):
    path, m = excel_mapping(tmp_path)
    path.write_bytes(b"PK\x03\x04 not really a zip")
    stops(path, m, r"crm.xlsx: not a readable Excel workbook \(\w+\)")


def parquet_mapping(tmp_path, table):
    _, m = export(tmp_path, good(), name="crm.parquet")
    pq.write_table(table, tmp_path / "crm.parquet")
    return tmp_path / "crm.parquet", m


def _columns(**extra):
    base = {c: [r[i] for r in good()] for i, c in enumerate(CELLS)}
    base.update(extra)
    return pa.table(base)


def test_parquet_float_ids_and_numbers_read_as_written(tmp_path):
    ids = pa.array([1.0, 2.0, 3.0])
    path, m = parquet_mapping(
        tmp_path, _columns(**{"Account ID": ids, "MRR": pa.array([1000.0, 200.5, None])})
    )
    ds = lenient(path, m)
    assert sorted(ds.accounts.account_id) == ["1", "2", "3"]
    assert reasons(ds) == {3: "arr: empty"}
    assert ds.contracts.set_index("contract_id")["arr"].to_dict() == {"1": 12000.0, "2": 2406.0}


def test_parquet_timestamps_in_tokyo_keep_their_day(tmp_path):
    midnight = pd.to_datetime(["2024-01-15", "2024-04-03", "2024-02-01"]).tz_localize("Asia/Tokyo")
    table = _columns(**{"Customer Since": pa.array(midnight)})
    path, m = parquet_mapping(tmp_path, table)
    days = lenient(path, m).accounts.first_contract_date.tolist()
    assert days == list(pd.to_datetime(["2024-01-15", "2024-04-03", "2024-02-01"]))
    m.write_text(
        m.read_text("utf-8").replace("as_of: 2025-12-31\n", "as_of: 2025-12-31\ntimezone: UTC\n"),
        "utf-8",
    )
    assert lenient(path, m).accounts.first_contract_date.tolist()[0] == pd.Timestamp("2024-01-14")


NESTED = {
    # Parquet has no header line: its rows are numbered from 1
    "list in a used column": (
        pa.array([["a"], ["b", "c"], None]),
        "Account Name",
        {
            1: r"name: \"\['a'\]\" is a list \(nested data\)",
            2: r"name: \"\['b', 'c'\]\"",
            3: "name: empty",
        },
    ),
    "struct in a used column": (
        pa.array([{"x": 1}, {"x": 2}, {"x": 3}]),
        "Segment",
        {1: r"segment: \"\{'x': 1\}\" is a struct \(nested data\)"},
    ),
}


@pytest.mark.parametrize("case", list(NESTED))
def test_parquet_nested_cells_are_rejected_with_the_reason(case, tmp_path):
    values, column, expected = NESTED[case]
    path, m = parquet_mapping(tmp_path, _columns(**{column: values}))
    ds = lenient(path, m)
    got = reasons(ds, "accounts")
    for r, pattern in expected.items():
        assert pd.Series([got[r]]).str.contains(pattern).all(), got
    assert "problem" not in " ".join(ds.load_report.notes["accounts"])


def test_parquet_nested_cells_in_unused_columns_are_said(tmp_path):
    path, m = parquet_mapping(tmp_path, _columns(Tags=pa.array([["a"], [], None])))
    ds = lenient(path, m)
    assert ds.load_report.ok
    assert any(
        "column 'Tags' (not used by accounts) has 2 problem cell(s)" in n
        for n in ds.load_report.notes["accounts"]
    )


def test_parquet_decimals_booleans_and_dictionaries(tmp_path):
    import decimal

    table = _columns(
        MRR=pa.array(
            [decimal.Decimal("1000.50"), decimal.Decimal("200"), None], pa.decimal128(10, 2)
        ),
        **{
            "Auto Renew": pa.array([True, False, True]),
            "Segment": pa.array(["Enterprise", "SMB", "Mid-Market"]).dictionary_encode(),
        },
    )
    ds = lenient(*parquet_mapping(tmp_path, table))
    k = ds.contracts.set_index("contract_id")
    assert k["arr"].to_dict() == {"A1": 12006.0, "A2": 2400.0}
    assert k["auto_renew"].tolist() == [True, False]


def test_corrupt_parquet_is_named(tmp_path):
    path, m = parquet_mapping(tmp_path, _columns())
    path.write_bytes(b"PAR1" + b"\x00" * 20 + b"PAR1")
    stops(path, m, r"crm.parquet: not a readable Parquet file")


def test_parquet_with_duplicate_columns_is_named(tmp_path):
    table = _columns()
    table = pa.Table.from_arrays(
        [*table.columns, table.column("MRR")], names=[*table.column_names, "MRR"]
    )
    path, m = parquet_mapping(tmp_path, table)
    stops(path, m, r"crm.parquet: 2 columns are named 'MRR'.*\(column 5 'MRR', column 8 'MRR'\)")


def test_parquet_inf_and_nan(tmp_path):
    path, m = parquet_mapping(tmp_path, _columns(MRR=pa.array([np.inf, np.nan, 5.0])))
    ds = lenient(path, m)
    assert reasons(ds) == {1: "arr: 'inf' is not a finite number", 2: "arr: empty"}


# ---- footers --------------------------------------------------------------------------

FOOTERS = {
    "salesforce footer": (
        [
            '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."',
            '"Confidential Information - Do Not Distribute"',
            '"Generated By:  Example User  31/12/2025 18:00"',
        ],
        3,
    ),
    "total line with sums": (["Total,,,,1700,75,"], 1),
    "grand total": (["Grand Total,,,,1700,,"], 1),
    "japanese total": (["合計,,,,1700,75,"], 1),
    "report run line": (["Report run by Aiko on 2025-12-31,,,,,,"], 1),
    "confidential only": (["社外秘,,,,,,"], 1),
}


@pytest.mark.parametrize("case", list(FOOTERS))
def test_report_footers_are_skipped_and_counted(case, tmp_path):
    lines, n = FOOTERS[case]
    ds = lenient(*export(tmp_path, good() + [""] + lines))
    assert ds.load_report.accounting.set_index("table").at["accounts", "rows_read"] == 3
    assert any(
        f"{n} footer line(s) below the data skipped" in x for x in ds.load_report.notes["accounts"]
    )
    assert ds.load_report.ok


def test_footer_with_a_control_character_is_still_a_footer(tmp_path):
    ds = lenient(*export(tmp_path, good() + ["Total,,,,1700\x0b,,"]))
    assert ds.load_report.ok and len(ds.accounts) == 3
    assert not any("problem cell" in n for n in ds.load_report.notes["accounts"])


NOT_FOOTERS = {
    "row with only an id": (["A4"], {5: r"name: empty"}),
    "two rows with only ids": (
        ["A4", "A5,,,,,,"],
        {5: r"segment: empty", 6: r"first_contract_date: empty"},
    ),
    "id then a footer": (["A4", '"Generated by: me"'], {5: r"name: empty"}),
    "total above data": (["Total,,,,1700,75,", ",".join(row())], {5: r"segment: empty"}),
    "name with only text": (["Aozora KK"], {5: r"name: empty"}),
    "id that starts with Total": (["Total Solutions KK"], {5: r"name: empty"}),
}


@pytest.mark.parametrize("case", list(NOT_FOOTERS))
def test_rows_that_only_look_like_footers_are_rejected_rows(case, tmp_path):
    lines, expected = NOT_FOOTERS[case]
    ds = lenient(*export(tmp_path, good() + lines))
    got = reasons(ds, "accounts")
    for r, pattern in expected.items():
        assert r in got and pd.Series([got[r]]).str.contains(pattern).all(), got
    read = ds.load_report.accounting.set_index("table").at["accounts", "rows_read"]
    assert read == 3 + len([x for x in lines if not x.startswith('"Generated')])


# ---- the operating system says no ---------------------------------------------------------


def test_export_that_is_a_folder(tmp_path):
    path, m = export(tmp_path, good())
    path.unlink()
    path.mkdir()
    stops(tmp_path, m, r"crm.csv: is a folder, not a file. Name the file inside it")
    # a folder given as the export: the mapping's file is looked for inside it
    stops(path, m, r"crm.csv/crm.csv: no such file")


def test_export_behind_a_symlink_loop(tmp_path):
    path, m = export(tmp_path, good())
    path.unlink()
    os.symlink(tmp_path / "loop.csv", path)
    os.symlink(path, tmp_path / "loop.csv")
    stops(path, m, r"crm.csv: a symbolic link to nothing \(broken, or a loop\)")


def test_export_behind_a_broken_symlink(tmp_path):
    path, m = export(tmp_path, good())
    path.unlink()
    os.symlink(tmp_path / "gone.csv", path)
    stops(path, m, r"crm.csv: a symbolic link to nothing")


@pytest.mark.parametrize("name", ["crm.csv", "crm.xlsx", "crm.parquet"])
def test_export_without_permission(tmp_path, monkeypatch, name):
    path, m = export(tmp_path, good(), name=name)
    read = type(path).read_bytes

    def refuse(self):
        if self.name == name:
            raise PermissionError(13, "Permission denied", str(self))
        return read(self)

    monkeypatch.setattr(type(path), "read_bytes", refuse)
    stops(path, m, rf"{name}: permission denied. Give your user read access")


def test_export_unreadable_device_error(tmp_path, monkeypatch):
    path, m = export(tmp_path, good())
    read = type(path).read_bytes

    def broken(self):
        if self.name == "crm.csv":
            raise OSError(5, "Input/output error", str(self))
        return read(self)

    monkeypatch.setattr(type(path), "read_bytes", broken)
    stops(path, m, r"crm.csv: cannot be read \(Input/output error\)")


def test_mapping_that_is_a_folder_or_unreadable(tmp_path, monkeypatch):
    (tmp_path / "map.yaml").mkdir()
    with pytest.raises(DataError, match=r"map.yaml: is a folder, not a mapping file"):
        csworkbook.load(tmp_path, mapping=tmp_path / "map.yaml")
    (tmp_path / "map.yaml").rmdir()
    path, m = export(tmp_path, good())

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(m), "read_bytes", refuse)
    with pytest.raises(
        DataError,
        match=r"map.yaml: permission denied. Give your user read access to the mapping file",
    ):
        csworkbook.load(path, mapping=m)


def test_clashing_headers_named_like_a_canonical_column_stop(tmp_path):
    cells = [r + ["x", "y"] for r in good()]
    path, m = export(tmp_path, cells, header=CELLS + ["csm_id", "CSM_ID".lower() + " "])
    stops(path, m, r"crm.csv: 2 columns are named 'csm_id'.*accounts.csm_id uses it")
