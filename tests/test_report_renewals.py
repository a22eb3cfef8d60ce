"""The renewal report: the renewals due and the expected ARR are the package's, in English and
Japanese, on an empty scope and on an export without the tables the desk needs."""

import re
import shutil

import pandas as pd
import pytest

import csworkbook
from csworkbook.reports import money, run_report
from csworkbook.value import acting, renewals

from .conftest import DEMO, ROOT
from .test_reports import _visible_text

TEMPLATE = ROOT / "notebooks" / "reports" / "renewals.ipynb"
TELECOM = ROOT / "tests" / "fixtures" / "exports" / "telecom"
# a customer name that is markup and a spreadsheet formula at once
HOSTILE = '=HYPERLINK("http://x.example")<b>Bold</b> & Co'
FIRST = "A01249"  # the demo's renewal with the most ARR at risk in the next 180 days


@pytest.fixture(scope="module")
def hostile_demo(tmp_path_factory):
    """The demo with the first customer of the renewal list renamed to ``HOSTILE``."""
    folder = tmp_path_factory.mktemp("data") / "demo"
    shutil.copytree(DEMO, folder)
    acc = pd.read_csv(folder / "accounts.csv", dtype=str, keep_default_na=False)
    assert (acc.account_id == FIRST).sum() == 1
    acc.loc[acc.account_id == FIRST, "name"] = HOSTILE
    acc.to_csv(folder / "accounts.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def en_run(hostile_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    actions = out / "lists"
    page = run_report(TEMPLATE, hostile_demo, out, {"out": str(actions)})
    return page.read_text(encoding="utf-8"), actions


@pytest.fixture(scope="module")
def ja_run(tmp_path_factory):
    page = run_report(TEMPLATE, DEMO, tmp_path_factory.mktemp("reports"), {"lang": "ja", "csms": 4})
    return page.read_text(encoding="utf-8")


def test_renewals_due_and_expected_arr_are_the_packages(hostile_demo, en_run):
    cs = csworkbook.load(hostile_demo)
    past = renewals.renewal_history(cs)
    desk = renewals.renewal_desk(cs, within_days=180, history=past)
    t = renewals.expected_renewal_arr(desk, past, n_boot=200, seed=0).loc["total"]
    text = _visible_text(en_run[0])
    found = re.search(
        r"([\d,]+) customers have an annual or longer contract renewing in the next 180 days, "
        r"with (\$[\d,]+) of ARR\. .*? (\$[\d,]+) is expected to renew \(95% interval "
        r"(\$[\d,]+) to (\$[\d,]+)\)",
        text,
    )
    assert found, text[:2000]
    assert found.group(1) == f"{len(desk):,}"
    assert found.group(2) == money(desk.arr_renewing.sum())
    assert found.groups()[2:] == (money(t.expected_arr), money(t.low), money(t.high))
    # the demo's numbers, as the README tells them
    assert len(desk) == 425 and found.group(3) == "$17,688,601"
    for head in ("Renewals due and the revenue expected to renew", "Who to work first"):
        assert head in text
    assert "Traceback" not in text and "In [" not in text and "In\xa0[" not in text
    assert not re.search(r"\b(arr_renewing|churn_risk|arr_at_risk|nan|NaN)\b", text)
    assert "<NA>" not in text and "NaT" not in text


def test_names_from_the_data_are_escaped_and_the_action_list_is_formula_neutral(en_run):
    page, actions = en_run
    text = _visible_text(page)
    assert "<b>Bold</b>" not in page  # never markup
    assert f"First on the list: {HOSTILE}" in text  # shown as the text it is
    csv = pd.read_csv(actions / "renewals_due.csv", encoding="utf-8-sig")
    assert len(csv) == 425 and csv.iloc[0]["Customer ID"] == FIRST
    assert csv.iloc[0]["Customer"] == "'" + HOSTILE
    text_cells = csv.select_dtypes(exclude="number").astype(str).stack()
    assert not text_cells.str.match(r"[=+\-@＝＋－＠]").any()
    xlsx = pd.read_excel(actions / "renewals_due.xlsx")
    assert xlsx.iloc[0]["Customer"] == "'" + HOSTILE and len(xlsx) == 425


def test_japanese_report_cut_to_what_the_csms_can_work(demo, ja_run):
    text = _visible_text(ja_run)
    assert "今後180日間の契約更新" in text and "優先して対応する顧客" in text
    assert "2025年12月31日時点のデータ" in text and "万ドル" in text
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text)
    k = acting.capacity(4, 6, 13, 8)
    assert f"8時間の更新対応を{k}件行えます" in text
    # the list shows the tier-1 customers only: as many rows as the capacity
    rows = re.findall(r" \d+ 1 CSMが個別に対応 ", text)
    assert len(rows) == k
    assert "Traceback" not in text and "Renewals due" not in text


def test_empty_scope_says_so_in_one_line(tmp_path):
    # CSM-H01 looks after enterprise and mid-market customers only
    page = run_report(TEMPLATE, DEMO, tmp_path, {"segment": "smb", "csm": "CSM-H01"})
    text = _visible_text(page.read_text(encoding="utf-8"))
    assert "0 customers" in text and "No customer is in this scope" in text
    assert "Renewals due and" not in text and "Traceback" not in text


def test_export_without_renewal_dates_or_signals_shows_the_note(tmp_path):
    page = run_report(TEMPLATE, TELECOM, tmp_path, mapping=TELECOM / "mapping.yaml")
    text = _visible_text(page.read_text(encoding="utf-8"))
    assert "renewal desk: skipped" in text and "contracts.renewal_date" in text
    assert "Who to work first" not in text and "Traceback" not in text
