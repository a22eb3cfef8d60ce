"""`csworkbook report` end to end: one report, a batch per segment / CSM, Japanese, the
index page (escaped), failures that do not stop a batch, and names that are not reports."""

import json
import re

import nbformat
import pandas as pd
import pytest

from csworkbook import synth
from csworkbook.cli import main
from csworkbook.data import write_dataset
from csworkbook.reports import safe_name

from .conftest import DEMO
from .test_reports import _visible_text

HOSTILE = ["../../etc", "CON", "営業部/東京", "<img src=x onerror=alert(1)>", "ｘ" * 300]


def _index_rows(folder):
    page = (folder / "index.html").read_text(encoding="utf-8")
    return page, re.findall(r"<tr><td>.*?</tr>", page)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """dataset_overview for every segment of the demo (in parallel), then one in Japanese."""
    out = tmp_path_factory.mktemp("reports")
    by = main(
        [
            "report",
            "dataset_overview",
            "--data",
            str(DEMO),
            "--out",
            str(out),
            "--by",
            "segment",
            "-q",
        ]
    )
    ja = main(["report", "dataset_overview", "--data", str(DEMO), "--out", str(out), "--lang", "ja",
               "-p", "SEGMENT=smb", "-q"])  # fmt: skip
    return out, by, ja


def test_batch_writes_one_report_per_segment_with_its_action_lists(built, demo):
    out, by, _ = built
    assert by == 0
    for segment, n in demo.accounts.segment.value_counts().items():
        text = _visible_text((out / f"dataset_overview-{segment}.html").read_text(encoding="utf-8"))
        assert f"data as of 31 Dec 2025 · {n:,} customers" in text
        assert "Traceback" not in text and "In [" not in text
        gaps = pd.read_csv(out / "actions" / f"dataset_overview-{segment}" / "data_gaps.csv")
        assert gaps.analysis.tolist() == ["save play uplift (15)"]  # the demo has no experiments
        assert (out / "actions" / f"dataset_overview-{segment}" / "data_gaps.xlsx").exists()


def test_japanese_report_reads_in_japanese(built, demo):
    out, _, ja = built
    assert ja == 0
    text = _visible_text((out / "dataset_overview-smb-ja.html").read_text(encoding="utf-8"))
    n = (demo.accounts.segment == "smb").sum()
    assert f"データの概要 ¶ 中小企業（SMB） · 2025年12月31日時点のデータ · 顧客数 {n:,}社" in text
    assert "直近12か月のリテンション" in text and "万ドル" in text and "Traceback" not in text


def test_index_links_every_output(built):
    out, _, _ = built
    page, rows = _index_rows(out)
    assert len(rows) == 4 and page.count('class="ok"') == 4
    for stem in ["dataset_overview-enterprise", "dataset_overview-smb-ja"]:
        row = next(r for r in rows if f'href="{stem}.html"' in r)
        assert f'href="{stem}.ipynb"' in row and f'href="actions/{stem}/data_gaps.csv"' in row
    ja = next(r for r in rows if "smb-ja" in r)
    assert "<td>ja</td>" in ja and "<td>SMB</td>" in ja and "<td>demo</td>" in ja


def _template(path, body):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'DATA: str = ""  # data\nSEGMENT: str = ""  # segment\nCSM: str = ""  # CSM\n'
        'LANG: str = "en"  # language\nOUT: str = ""  # action lists\nNOTE: str = ""  # anything'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


QUICK = """
import html
import pandas as pd
from csworkbook.reports import show, write_action_list
if SEGMENT == "smb":
    raise RuntimeError("no <b>smb</b> today\\nsecond line")
write_action_list(pd.DataFrame({"csm": [CSM], "call": ["=HYPERLINK(1)"]}), OUT, "calls")
show(LANG, en=f"report for {html.escape(CSM)}", ja=f"{html.escape(CSM)}のレポート")
"""


def test_a_failed_run_keeps_its_notebook_and_the_others_complete(tmp_path, capsys):
    quick = _template(tmp_path / "quick.ipynb", QUICK)
    out = tmp_path / "out"
    args = ["report", str(quick), "--data", str(DEMO), "--out", str(out), "--by", "segment", "-q"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "failed: quick-smb: RuntimeError: no <b>smb</b> today" in err
    assert f"the notebook with the error: {out / 'quick-smb.failed.ipynb'}" in err
    assert "second line" not in err
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "actions",
        "index.html",
        "quick-enterprise.html",
        "quick-enterprise.ipynb",
        "quick-mid_market.html",
        "quick-mid_market.ipynb",
        "quick-smb.failed.ipynb",
    ]
    assert "RuntimeError" in (out / "quick-smb.failed.ipynb").read_text(encoding="utf-8")
    page, rows = _index_rows(out)
    failed = next(r for r in rows if "quick-smb.failed.ipynb" in r)
    assert 'class="failed"' in failed and "no &lt;b&gt;smb&lt;/b&gt; today" in failed
    assert "<b>smb" not in page and "second line" not in page


def test_hostile_csm_names_give_safe_distinct_files_and_an_escaped_index(tmp_path, capsys):
    ds = synth.generate(40, seed=5)
    write_dataset(ds, tmp_path / "data")
    accounts = pd.read_csv(tmp_path / "data" / "accounts.csv")
    accounts["csm_id"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(accounts))]
    accounts.to_csv(tmp_path / "data" / "accounts.csv", index=False)
    quick = _template(tmp_path / "quick.ipynb", QUICK)
    out = tmp_path / "out"
    args = ["report", str(quick), "--data", str(tmp_path / "data"), "--out", str(out)]
    note = "<script>alert(2)</script>"
    assert main([*args, "--by", "csm", "-q", "-p", f"NOTE={note}"]) == 0
    assert "5 reports: 5 ok, 0 failed" in capsys.readouterr().out
    reports = sorted(p for p in out.glob("*.html") if p.name != "index.html")
    assert len(reports) == 5
    for p in [*out.rglob("*")]:
        assert p.resolve().is_relative_to(out.resolve())
        assert len(p.name.encode("utf-8")) < 200 and not p.name.startswith(".")
    assert not (tmp_path / "etc").exists()
    assert any("営業部_東京" in p.name for p in reports)
    page, rows = _index_rows(out)
    assert len(rows) == 5
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert" not in page and "NOTE=&lt;script&gt;alert(2)&lt;/script&gt;" in page
    # each report names its own CSM, and its action list holds that CSM, formula-neutral
    for name in HOSTILE:
        stem = f"quick-{safe_name(name)}-{safe_name(note)}"
        text = _visible_text((out / f"{stem}.html").read_text(encoding="utf-8"))
        assert f"report for {name}" in text
        calls = pd.read_csv(out / "actions" / stem / "calls.csv")
        assert calls.csm.tolist() == [name] and calls.call.tolist() == ["'=HYPERLINK(1)"]
        nb = json.loads((out / f"{stem}.ipynb").read_text(encoding="utf-8"))
        assert nb["metadata"]["papermill"]["parameters"]["CSM"] == name


@pytest.mark.parametrize(
    "args, message",
    [
        (["report", "nosuch"], "no report 'nosuch'; the reports are dataset_overview"),
        (["report", "dataset_overview", "-p", "SEGMNT=smb"], "no parameter 'SEGMNT'"),
        (["report", "dataset_overview", "-p", "SEGMENT"], "give NAME=VALUE"),
        (["report", "dataset_overview", "-p", "DATA=x"], "the data comes from --data"),
        (["report", "dataset_overview", "--by", "segment", "-p", "SEGMENT=smb"], "--by segment"),
        (["report", "dataset_overview", "--by", "csm", "-p", "SEGMENT=x"], "segment 'x': the seg"),
        (["report"], "name a report, or --list them"),
        (["report", "dataset_overview", "-p", "LANG=fr"], "reports are written in en or ja"),
    ],
)
def test_names_that_are_not_reports_exit_2_with_one_line(args, message, tmp_path, capsys):
    assert main([*args, "--data", str(DEMO), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_list_names_the_reports_and_their_parameters(capsys):
    assert main(["report", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "dataset_overview\n" in listed
    assert '    SEGMENT: str = ""  # enterprise, mid_market or smb; "" for all segments' in listed
    assert "    LANG: str" in listed and "DATA:" not in listed


def test_an_unknown_language_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["report", "dataset_overview", "--lang", "fr"])
    assert stop.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err
