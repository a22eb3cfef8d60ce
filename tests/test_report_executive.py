"""The executive summary: its numbers are the package's (retention, ARR, renewals, expansion),
in English and Japanese, on an empty scope and on an export with revenue only."""

import re

import pytest

import csworkbook
from csworkbook.reports import count, money, percent, run_report, select
from csworkbook.retention import metrics
from csworkbook.value import expansion, ltv, renewals

from .conftest import DEMO, ROOT
from .test_reports import _visible_text

TEMPLATE = ROOT / "notebooks" / "reports" / "executive.ipynb"
TELECOM = ROOT / "tests" / "fixtures" / "exports" / "telecom"


@pytest.fixture(scope="module")
def en_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    page = run_report(TEMPLATE, DEMO, out, {})
    return page.read_text(encoding="utf-8"), out


@pytest.fixture(scope="module")
def ja_smb(tmp_path_factory):
    page = run_report(
        TEMPLATE, DEMO, tmp_path_factory.mktemp("reports"), {"lang": "ja", "segment": "smb"}
    )
    return _visible_text(page.read_text(encoding="utf-8"))


def test_retention_is_metrics_trailing_year(demo, en_run):
    text = _visible_text(en_run[0])
    year = metrics.trailing_year(demo.mrr_monthly, demo.as_of).iloc[0]
    assert f"GRR {percent(year.grr)} , NRR {percent(year.nrr)} :" in text
    lost = round(year.logo_churn * year.units)
    assert (
        f"Logo churn: {percent(year.logo_churn)} — {count(lost)} of the {count(year.units)} "
        "customers paying a year ago" in text
    )
    assert "GRR 88.0% , NRR 102.5%" in text  # the demo's, as notebook 10 shows them


def test_the_other_numbers_are_the_packages(demo, en_run):
    page, out = en_run
    text = _visible_text(page)
    arr = ltv.arr_at(demo)
    arr = arr[arr > 0]
    assert f"{count(len(arr))} paying customers hold {money(arr.sum())} of ARR" in text
    past = renewals.renewal_history(demo)
    desk = renewals.renewal_desk(demo, within_days=90, history=past)
    t = renewals.expected_renewal_arr(desk, past, n_boot=200, seed=0).loc["total"]
    assert (
        f"{money(desk.arr_renewing.sum())} of ARR from {count(len(desk))} customers comes up for "
        f"renewal; weighted by churn risk, {money(t.expected_arr)} is expected to renew (95% "
        f"interval {money(t.low)} to {money(t.high)})" in text
    )
    cand = expansion.expansion_candidates(expansion.expansion_signals(demo))
    picked = cand[cand.candidate]
    assert (
        f"{count(len(picked))} of {count(len(cand))} paying customers are ready to buy more, "
        f"with {money(picked.arr.sum())} of ARR" in text
    )
    for head in ("Executive summary", "Health: the leading number", "Expansion pipeline"):
        assert head in text
    assert re.search(r"\d+\.\d% of ARR is red or yellow today", text)
    assert "Traceback" not in text and "In [" not in text and "In\xa0[" not in text
    assert page.count("<img") == 2  # the MRR bridge and ARR by health band
    assert "Note." not in text  # the demo feeds every section
    # no action list: nothing written beside the report
    assert not [p for p in out.rglob("*") if p.suffix in (".csv", ".xlsx")]


def test_japanese_summary_of_one_segment(demo, ja_smb):
    smb = select(demo, segment="smb").data
    year = metrics.trailing_year(smb.mrr_monthly, demo.as_of).iloc[0]
    assert "エグゼクティブサマリー" in ja_smb and "直近12か月のリテンション" in ja_smb
    assert (
        f"GRR（売上維持率）は {percent(year.grr)} 、NRR（売上継続率・拡大込み）は {percent(year.nrr)} "
        in ja_smb
    )
    assert "中小企業（SMB）" in ja_smb and "2025年12月31日時点のデータ" in ja_smb
    assert f"顧客数 {count(len(smb.accounts))}社" in ja_smb
    assert re.search(r"\d万ドル", ja_smb) and "**" not in ja_smb
    assert "Executive summary" not in ja_smb and "Traceback" not in ja_smb


def test_empty_scope_says_so_in_one_line(tmp_path):
    page = run_report(TEMPLATE, DEMO, tmp_path, {"segment": "smb", "csm": "CSM-H01"})
    text = _visible_text(page.read_text(encoding="utf-8"))
    assert "0 customers" in text and "No customer is in this scope" in text
    assert "Retention" not in text and "Traceback" not in text


def test_export_with_revenue_only(tmp_path):
    mapping = TELECOM / "mapping.yaml"
    page = run_report(TEMPLATE, TELECOM, tmp_path, mapping=mapping)
    text = _visible_text(page.read_text(encoding="utf-8"))
    cs = csworkbook.load(TELECOM, mapping=mapping)
    year = metrics.trailing_year(cs.mrr_monthly, cs.as_of).iloc[0]
    assert f"GRR {percent(year.grr)} , NRR {percent(year.nrr)} :" in text
    for skipped in (
        "health score: skipped",
        "renewal desk: skipped",
        "expansion candidates: skipped",
    ):
        assert skipped in text
    assert "Traceback" not in text and "nan" not in text.lower().split()
