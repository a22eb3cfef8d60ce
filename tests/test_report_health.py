"""The health report (notebooks/reports/health.ipynb): the bands, movers, calls to action and
blind spots a reader sees are the package's own numbers, in English and in Japanese, and the
report runs on data that cannot feed it (an empty scope, a flat export without usage)."""

import csv
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from csworkbook.data.folder import write_dataset
from csworkbook.health import Scorecard, health_frame, monitor, profiles, scoring_dates
from csworkbook.reports import count, money, percent, run_report

from .conftest import DEMO, ROOT
from .test_reports import _visible_text

TEMPLATE = ROOT / "notebooks" / "reports" / "health.ipynb"
TELECOM = ROOT / "tests" / "fixtures" / "exports" / "telecom"

# A scorecard file as an analyst would write one (README "Health scores"): other groups and
# other band edges than the workbook's holistic scorecard.
CARD = {
    "name": "usage and voice",
    "missing": "redistribute",
    "bands": {"red": 0, "yellow": 40, "green": 70},
    "groups": [
        {
            "name": "product usage",
            "weight": 60,
            "measures": [
                {"name": "Active seats", "column": "active_share", "red": 0.1, "green": 0.5},
                {"name": "Last active", "column": "days_since_active", "red": 21, "green": 3},
            ],
        },
        {
            "name": "voice of customer",
            "weight": 40,
            "measures": [{"name": "Recommend", "column": "recommend_mean", "red": 5, "green": 9}],
        },
    ],
}


def _scored(ds, card):
    """What the package gives on ``ds``: the weekly history the report scores, and today."""
    frame = health_frame(ds, scoring_dates(ds.as_of, weeks=5))
    keep = ["account_id", "obs_date", "segment", "arr", "next_renewal"]
    history = pd.concat([frame[keep], card.score(frame)], axis=1)
    on_date = history.obs_date == ds.as_of
    return frame, history, history[on_date]


@pytest.fixture(scope="module")
def package(demo):
    frame, history, today = _scored(demo, profiles.holistic_scorecard())
    return {"frame": frame, "history": history, "today": today}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, demo):
    """The report made four times, two at a time (each run is its own kernel): in English on
    the demo with an action list folder; in Japanese for the enterprise segment on a
    scorecard file; on a dataset without customers; on a flat export without usage."""
    root = tmp_path_factory.mktemp("health")
    card = root / "my card.yaml"
    card.write_text(yaml.safe_dump(CARD, allow_unicode=True, sort_keys=False), encoding="utf-8")
    nobody = write_dataset(demo.for_accounts([]), root / "nobody")
    jobs = {
        "en": (DEMO, {"out": str(root / "actions")}, {}),
        "ja": (DEMO, {"lang": "ja", "segment": "enterprise", "scorecard": str(card)}, {}),
        "empty": (nobody, {}, {}),
        "telecom": (TELECOM, {}, {"mapping": TELECOM / "mapping.yaml"}),
    }

    def run(name):
        data, params, kw = jobs[name]
        page = run_report(TEMPLATE, data, root / name, params, **kw).read_text(encoding="utf-8")
        return {"page": page, "text": _visible_text(page)}

    with ThreadPoolExecutor(2) as pool:
        made = dict(zip(jobs, pool.map(run, jobs), strict=True))
    made["en"]["out"], made["ja"]["card"] = root / "actions", card
    return made


@pytest.fixture(scope="module")
def english(runs):
    return runs["en"]


@pytest.fixture(scope="module")
def japanese(runs):
    return runs["ja"]


def _table_after(page: str, heading: str) -> list[str]:
    """The row labels (customer ids) of the first table after the heading that says
    ``heading``."""
    soup = BeautifulSoup(page, "html.parser")
    found = soup.find(lambda t: t.name in ("h2", "h3") and heading in t.get_text())
    assert found is not None, heading
    body = found.find_next("table").find("tbody")
    return [row.find("th").get_text(strip=True) for row in body.find_all("tr")]


def _no_code(text: str) -> None:
    assert "Traceback" not in text and "Error" not in text
    assert "In [" not in text and "In\xa0[" not in text and "Out[" not in text
    assert "import csworkbook" not in text and "show(LANG" not in text
    assert not re.search(r"\d\.\d{3,}", text)  # no raw floats
    assert "nan" not in text.split() and "<NA>" not in text


def test_red_customers_and_red_arr_are_the_packages(english, package):
    text, today = english["text"], package["today"]
    red = today[today.band == "red"]
    n, arr, share = len(red), red.arr.sum(), red.arr.sum() / today.arr.sum()
    assert n > 0
    assert f"{count(len(today))} customers in scope were customers on 31 Dec 2025" in text
    # the band table's row and the sentence under it
    assert f" Red {count(n)} {money(arr)} {percent(share)} " in text
    assert (
        f"{count(n)} customers ({percent(n / len(today))}) are red, carrying {money(arr)} of ARR"
        in text
    )
    green = today[today.band == "green"]
    assert f" Green {count(len(green))} {money(green.arr.sum())} " in text
    _no_code(text)


def test_movers_and_blind_spots_are_the_packages(english, package):
    text, today, frame = english["text"], package["today"], package["frame"]
    fallers = monitor.movers(package["history"], today.obs_date.iloc[0], days=28, drop=10)
    assert f"{count(len(fallers))} customers lost 10 points or more since 3 Dec 2025" in text
    assert f"holding {money(fallers.arr.sum())} of ARR" in text
    usage = profiles.usage_scorecard().score(frame.loc[today.index])["score"]
    risk = today[(usage >= 50) & (today.band == "red")]
    calm = today[(usage < 50) & (today.band == "green")]
    assert len(risk) and len(calm)
    assert (
        f"{count(len(risk))} customers ({money(risk.arr.sum())} ARR) use the product well" in text
    )
    assert f"{count(len(calm))} customers ({money(calm.arr.sum())} ARR) use it little" in text


def test_calls_to_action_table_csv_and_excel_have_the_packages_rows(english, package):
    history, as_of = package["history"], package["today"].obs_date.iloc[0]
    ctas = monitor.calls_to_action(history, as_of, drop=15, days=28, renewal_days=90)
    expected = ctas.account_id.drop_duplicates().tolist()  # largest ARR first
    shown = _table_after(english["page"], "Every call to action")
    assert shown == expected
    assert f"{count(len(expected))} customers need a call to action today" in english["text"]

    path = english["out"] / "health_calls_to_action.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["Customer ID"] for r in rows] == shown
    assert list(rows[0]) == [
        "Customer ID", "Name", "Segment", "CSM", "ARR", "Band", "Health score",
        "Rule that fired", "Tier", "Due by", "Next renewal",
    ]  # fmt: skip
    first = ctas[ctas.account_id == expected[0]]
    assert float(rows[0]["ARR"]) == first.arr.iloc[0]
    assert rows[0]["Rule that fired"] == "; ".join(first.rule)
    # every rule's customers are there; tiers are 1, 2, 3 in ARR order, due within 28 days
    for rule, ids in ctas.groupby("rule").account_id:
        assert set(ids) <= {r["Customer ID"] for r in rows if rule in r["Rule that fired"]}, rule
    tiers = [int(r["Tier"]) for r in rows]
    assert tiers == sorted(tiers) and set(tiers) == {1, 2, 3}
    due = pd.to_datetime([r["Due by"] for r in rows])
    assert (due > as_of).all() and (due <= as_of + pd.Timedelta(days=28)).all()
    renewal = pd.to_datetime([r["Next renewal"] for r in rows])
    renews = np.array(["renewal within" in r["Rule that fired"] for r in rows])
    assert (due[renews] <= renewal[renews]).all()
    # formula-neutral: no text cell a spreadsheet would run
    cells = [v for r in rows for v in r.values()]
    assert not [v for v in cells if v[:1] in ("=", "+", "-", "@", "＝", "＋", "－", "＠")]
    excel = pd.read_excel(english["out"] / "health_calls_to_action.xlsx", dtype=str)
    assert excel["Customer ID"].tolist() == shown


def test_japanese_report_for_a_segment_on_a_scorecard_file(japanese, demo):
    page, text = japanese["page"], japanese["text"]
    soup = BeautifulSoup(page, "html.parser")
    headings = [h.get_text() for h in soup.find_all(["h1", "h2"])]
    assert any("ヘルススコア" in h for h in headings), headings
    assert "エンタープライズ · 2025年12月31日時点のデータ" in text
    ent = demo.for_accounts(demo.accounts.account_id[demo.accounts.segment == "enterprise"])
    card = Scorecard.from_yaml(japanese["card"])
    _, _, today = _scored(ent, card)
    red = today[today.band == "red"]
    assert len(red) and card.name in text and "赤が40未満、黄が40以上、緑が70以上" in text
    arr = money(red.arr.sum(), "USD", "ja")
    assert "万ドル" in arr
    assert f"赤判定は{count(len(red))}社（{percent(len(red) / len(today))}）で、ARRは{arr}" in text
    assert f" 赤 {count(len(red))} {arr} " in text
    assert "対応アクション（CTA）" in text and "利用データの死角" in text
    assert not re.search(r"\$\d", text)  # money in 万ドル, not in dollars
    _no_code(text)


def test_empty_scope_says_so_in_one_line(runs):
    text = runs["empty"]["text"]
    assert "No customer matches this scope, so there is nothing to report." in text
    assert "Health scores today" not in text and "Calls to action" not in text
    assert "skipped" not in text
    _no_code(text)


def test_flat_export_without_usage_gets_the_notes(runs):
    text = runs["telecom"]["text"]
    assert "all customers · data as of 31 Dec 2025" in text
    assert "health score: skipped" in text and "usage blind spots: skipped" in text
    assert "Health scores today" not in text and "Calls to action" not in text
    _no_code(text)
