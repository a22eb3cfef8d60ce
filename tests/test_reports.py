"""The report a reader gets: the segment's own numbers, readable tables, no code or prompts."""

import html
import re

import pandas as pd
import pytest

from csworkbook.reports import money, readable, run_report, safe_name

from .conftest import DEMO, ROOT

TEMPLATE = ROOT / "notebooks" / "reports" / "dataset_overview.ipynb"


def _visible_text(page: str) -> str:
    """What a reader sees: the body without styles, scripts and tags."""
    body = page[page.index("<body") :]
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<img\b[^>]*>", " ", body)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def smb_report(tmp_path_factory):
    out = run_report(TEMPLATE, DEMO, tmp_path_factory.mktemp("reports"), {"segment": "smb"})
    return out.read_text(encoding="utf-8")


def test_segment_report_counts_only_the_segment(demo, smb_report):
    smb = demo.for_accounts(demo.accounts.account_id[demo.accounts.segment == "smb"])
    text = _visible_text(smb_report)
    tables = text[text.index("Tables") : text.index("Trailing-year retention")]
    assert f"SMB · data as of 31 Dec 2025 · {len(smb.accounts):,} customers" in text
    for table, row in smb.summary().iterrows():
        assert f" {table} {row['rows']:,} " in tables, table
        assert row["rows"] < len(demo.tables[table]), table
    # none of the whole dataset's counts (1,500 accounts, 87,850 usage weeks) leak in
    assert " 1,500 " not in tables and " 87,850 " not in tables


def test_report_html_has_no_prompts_no_code_and_readable_tables(smb_report):
    text = _visible_text(smb_report)
    assert "Out[" not in text and "In [" not in text and "In\xa0[" not in text
    assert "import csworkbook" not in text and "Traceback" not in text
    assert not re.search(r"class=\"[^\"]*jp-(Input|Output)Prompt", smb_report)
    # human labels, money and percentages (the README's SMB retention: GRR 70.0%)
    assert "GRR" in text and "NRR" in text and "Logo churn" in text and "MRR at start" in text
    assert not re.search(r"\b(grr|nrr|mrr_churn|start_mrr|logo_churn)\b", text)
    assert re.search(r"\$\d{1,3}(,\d{3})+ ", text) and "70.0%" in text
    assert not re.search(r"\d\.\d+e[+-]\d", text) and ".0 " not in text.replace("70.0", "")


def test_readable_formats_and_keeps_text_escaped():
    t = pd.DataFrame(
        {
            "units": [1500, 12],
            "end_mrr": [1486230.0, float("nan")],
            "nrr": [1.0671, 0.5],
            "available": [True, False],
            "missing": ["", "<script>alert(1)</script>"],
        },
        index=pd.Index(["enterprise", "smb"], name="segment"),
    )
    r = readable(t, currency="USD")
    assert list(r.columns) == ["Customers", "MRR at end", "NRR", "Available", "Missing"]
    assert r.index.name == "Segment"
    assert r.loc["Enterprise"].tolist()[:4] == ["1,500", "$1,486,230", "106.7%", "yes"]
    assert r.loc["SMB", "MRR at end"] == ""  # segments in words
    shown = r._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;" in shown


def test_money_uses_the_currency():
    assert money(1486230.0) == "$1,486,230"
    assert money(1200000, "JPY") == "¥1,200,000"
    assert money(-500, "EUR") == "-€500"
    assert money(7, "SEK") == "7 SEK"


def test_for_accounts_filters_every_table(demo):
    keep = demo.accounts.account_id.head(25)
    sub = demo.for_accounts(keep)
    assert set(sub.tables) == set(demo.tables) and sub.as_of == demo.as_of
    for name, df in sub.tables.items():
        assert set(df.account_id) <= set(keep), name
        assert len(df) == demo.tables[name].account_id.isin(keep).sum(), name


HOSTILE = ["../../etc", "CON", "con.txt", "LPT1", "営業部/東京", "<img src=x onerror=alert(1)>",
           "x" * 300, "\x00\x1b[31mred\n", "..", ".hidden", "a\\b", "\u202eexe.txt"]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_names_from_hostile_values_stay_in_their_folder(text, tmp_path):
    name = safe_name(text)
    assert name and len(name.encode("utf-8")) <= 80
    assert not name.startswith(".") and ".." not in name
    assert not re.search(r"[/\\<>:\"|?*\x00-\x1f\x7f\u202e]", name)
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "LPT1", "COM1"}
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    (tmp_path / f"{name}.html").write_text("ok", encoding="utf-8")  # the file system takes it


def test_safe_names_keep_letters_of_any_script_and_stay_distinct():
    assert safe_name("smb") == "smb" and safe_name("u042") == "u042"
    assert safe_name("営業部") == "営業部" and safe_name("ｓｍｂ").startswith("smb-")  # NFKC
    assert safe_name("営業部/東京").startswith("営業部_東京-")
    assert safe_name("Müller").startswith("Müller-")  # capitals: a hash against case folding
    # values that clean to the same text still get names of their own
    same = ["a/b", "a\\b", "a b", "a_b", "A_B", "a:b", "ａ/ｂ"]
    assert len({safe_name(v) for v in same}) == len(same)
    assert len({safe_name("x" * 300), safe_name("x" * 301)}) == 2
    assert safe_name("x" * 300) == safe_name("x" * 300)  # and the same name every run
