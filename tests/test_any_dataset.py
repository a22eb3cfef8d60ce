"""Every notebook, report and command runs on whatever a dataset holds.

One declaration per analysis (``csworkbook.data.dataset.ANALYSES``) says which tables and
columns it reads; ``Dataset.supports(name)`` checks it and, in a notebook, shows a one-line
note in place of the section when the data falls short; ``capabilities()`` lists them all.
Package functions fail with a ``DataError`` naming the missing table, or read the signals a
dataset has (the others NA). The last tests execute every teaching notebook and report
template with papermill on three public-shape exports (tests/fixtures/exports) and on the
demo without its synthetic ``truth`` table: each ends without error and shows exactly the
notes of the analyses it checks that the data cannot feed.
"""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

import csworkbook
from csworkbook import DataError
from csworkbook.cli import DIAGNOSES
from csworkbook.data.dataset import ANALYSES, Analysis, Dataset, MissingTable
from csworkbook.health import health_frame, profiles, scoring_dates
from csworkbook.retention import observations

from .conftest import DEMO, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "exports"
TEACHING = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REPORTS = sorted((ROOT / "notebooks" / "reports").glob("*.ipynb"))
CHECK = re.compile(r'\b\w+\.supports\(\s*"([^"]+)"\s*\)')  # cs.supports, ds.supports…
NOTE = re.compile(r"Note\. (.+?): (?:skipped|left out)\.")
LOAD = re.compile(r"csworkbook\.load\(DATA, mapping=MAPPING or None, as_of=AS_OF or None")


def tiny(**tables) -> Dataset:
    """A dataset of one customer with the given extra tables."""
    base = {
        "accounts": pd.DataFrame({"account_id": ["a"], "segment": ["smb"]}),
        "contracts": pd.DataFrame({"account_id": ["a"], "arr": [0.0]}),
    }
    return Dataset(base | tables, as_of="2025-12-31")


def source(path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


# --- declaring and checking what an analysis needs -----------------------------------


def test_supports_is_a_truth_value_and_says_what_is_missing_and_how_to_get_it():
    ds = tiny()
    assert ds.supports("data tour") and not ds.supports("early warning from usage")
    note = ds.supports("early warning from usage").note
    assert note.startswith("early warning from usage: skipped. This section needs weekly usage")
    assert "your data has accounts and contracts" in note
    assert "map an events or usage export" in note and "derive: [mrr_monthly]" in note
    with pytest.raises(KeyError, match="no analysis .*crystal ball"):
        ds.supports("crystal ball")


def test_requirements_read_rows_columns_values_and_alternatives(monkeypatch):
    def needs(requirements, **tables):
        monkeypatch.setitem(ANALYSES, "probe", Analysis(requirements))
        return tiny(**tables).supports("probe")

    churned = pd.DataFrame({"outcome": ["churned"], "churn_reason": [None]})
    assert needs("renewals", renewals=churned)
    assert not needs("renewals", renewals=churned.iloc[:0])  # a table counts with rows only
    assert "(`renewals` has no rows)" in needs("renewals", renewals=churned.iloc[:0]).note
    gap = needs("renewals.churn_reason", renewals=churned)  # a column counts with values only
    assert not gap and gap.brief == ("renewals.churn_reason (empty)",)
    assert "map the churn reason" in gap.note
    gap = needs("renewals.outcome=renewed", renewals=churned)  # a value that must occur
    assert not gap and "yours hold only churned" in gap.note
    assert "renewed ones included" in gap.note
    zero = pd.DataFrame({"mrr": [0.0, 0.0]})
    assert not needs("mrr_monthly.mrr>0", mrr_monthly=zero)  # ARR 0 everywhere: no revenue
    assert needs("mrr_monthly.mrr>0", mrr_monthly=zero.assign(mrr=[0.0, 5.0]))
    either = needs("nps|tickets|touchpoints", tickets=pd.DataFrame({"x": [1]}))
    assert either and not needs("nps|touchpoints")
    assert needs("nps|touchpoints").brief == ("nps or touchpoints",)


def test_capabilities_are_the_declarations_and_adding_one_is_one_line(monkeypatch):
    ds = tiny(mrr_monthly=pd.DataFrame({"account_id": ["a"], "mrr": [10.0]}))
    cap = ds.capabilities()
    assert len(cap) == len(ANALYSES)
    for name in ANALYSES:  # the same check the notebooks make, row by row
        row = cap.loc[cap.index.str.startswith(name + " (")].iloc[0]
        assert row.available == bool(ds.supports(name)), name
    # one line declares a new analysis, taught in a planned notebook
    monkeypatch.setitem(
        ANALYSES, "lifetime value", Analysis("contracts.arr>0 mrr_monthly", "", "16")
    )
    row = ds.capabilities().loc["lifetime value (16 planned)"]
    assert not row.available and row.missing == "contracts.arr > 0"
    # older declarations, (all of, one of, notebooks, planned), are read too
    monkeypatch.setitem(ANALYSES, "older", (("accounts",), ("nps", "tickets"), ("08",), ()))
    assert ds.capabilities().loc["older (08)", "missing"] == "nps or tickets"


def test_missing_tables_raise_data_errors_that_name_them():
    ds = tiny()
    with pytest.raises(MissingTable, match=r"no 'usage' table \(weekly usage\).*derive: \[usage\]"):
        _ = ds.usage
    assert not hasattr(ds, "nps")  # still an AttributeError for getattr and hasattr
    assert issubclass(MissingTable, DataError)
    with pytest.raises(
        DataError, match=r"churn dates: skipped\. This section needs monthly revenue"
    ):
        ds.require("mrr_monthly", to="churn dates")
    with pytest.raises(DataError, match="churn dates"):
        observations.account_churn_dates(ds)


def test_a_note_shows_in_a_notebook_only_when_data_is_missing(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    ds = tiny()
    ds.supports("data tour")._ipython_display_()
    assert shown == []  # complete data: the notebook shows nothing
    ds.supports("voice of the customer")._ipython_display_()
    (note,) = shown
    assert note["text/plain"].startswith("Note. voice of the customer: skipped.")
    assert note["text/markdown"].startswith("> **Note.** voice of the customer: skipped.")
    truth = ds.supports("the planted stories in synthetic data").note
    assert "left out" in truth and "never a real export" in truth


def test_health_signals_of_missing_tables_are_na_and_the_scorecard_handles_them(small):
    crm = Dataset(
        {t: small[t] for t in ("accounts", "contracts", "mrr_monthly", "usage", "tickets")},
        small.as_of,
    )
    frame = health_frame(crm, scoring_dates(crm.as_of, weeks=4))
    assert len(frame) > 100
    for table, columns in observations.SIGNAL_TABLES.items():
        have = frame[columns].notna().any()
        assert have.all() if table in crm else not have.any(), (table, have)
    scored = profiles.holistic_scorecard().score(frame)
    assert scored["score"].notna().all() and (scored["coverage"] < 0.6).all()
    # the same customers with every table: the signals crm has are unchanged
    full = health_frame(small, scoring_dates(small.as_of, weeks=4))
    pd.testing.assert_frame_equal(
        frame[["active_share", "urgent_tickets"]], full[["active_share", "urgent_tickets"]]
    )
    with pytest.raises(DataError, match="mrr_monthly"):
        health_frame(
            Dataset({t: small[t] for t in ("accounts", "contracts")}, small.as_of), [small.as_of]
        )


# --- every notebook, report and command declares what it checks ----------------------


@pytest.mark.parametrize("path", TEACHING + REPORTS, ids=lambda p: p.name)
def test_notebook_takes_an_export_and_checks_only_declared_analyses(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, "one papermill parameters cell"
    text = "".join(params[0]["source"])
    for name in ("DATA", "MAPPING", "AS_OF"):
        assert re.search(rf"^{name}: str = .+  # \S", text, re.M), f"{name}: typed and commented"
    assert LOAD.search(source(path)), "loads through DATA, MAPPING and AS_OF"
    unknown = set(CHECK.findall(source(path))) - set(ANALYSES)
    assert unknown == set()


def test_diagnose_checks_declared_analyses():
    assert {analysis for _, analysis, _ in DIAGNOSES} <= set(ANALYSES)


# --- every teaching notebook and report template on four datasets --------------------

DATASETS = ["telecom", "saas", "card", "demo without truth"]


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    """Name -> (DATA, MAPPING or "", the loaded Dataset)."""
    out = {}
    for name in DATASETS[:3]:
        folder = FIXTURES / name
        mapping = folder / "mapping.yaml"
        out[name] = (str(folder), str(mapping), csworkbook.load(folder, mapping=mapping))
    folder = tmp_path_factory.mktemp("demo_without_truth")
    for f in DEMO.iterdir():
        if f.name != "truth.csv":
            shutil.copy(f, folder)
    out["demo without truth"] = (str(folder), "", csworkbook.load(folder))
    return out


def _notes_and_errors(executed) -> tuple[set[str], list[str]]:
    nb = json.loads(executed.read_text(encoding="utf-8"))
    notes, errors = set(), []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            if o["output_type"] == "error":
                errors.append(f"{o['ename']}: {o['evalue']}")
            data = o.get("data", {})
            # a note shows as the Support object's text, or in a report's Markdown text
            text = "".join(data.get("text/plain", "")) + "".join(o.get("text", ""))
            text += "".join(data.get("text/markdown", "")).replace("*", "")
            notes.update(NOTE.findall(text))
    return notes, errors


def _expected_notes(path, ds) -> set[str]:
    return {name for name in CHECK.findall(source(path)) if not ds.supports(name)}


@pytest.mark.slow
@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.stem[:2])
def test_teaching_notebook_runs_on_any_dataset(path, dataset, datasets, tmp_path):
    import papermill as pm

    data, mapping, ds = datasets[dataset]
    executed = tmp_path / path.name
    pm.execute_notebook(
        str(path),
        str(executed),
        parameters={"DATA": data, "MAPPING": mapping},
        cwd=str(path.parent),
        progress_bar=False,
        log_output=False,
    )
    notes, errors = _notes_and_errors(executed)
    assert errors == []
    assert notes == _expected_notes(path, ds)  # a note for each section the data cannot feed
    if path.stem.startswith("20_"):  # the analyst's own export, checked in the last section
        assert "available" in executed.read_text(encoding="utf-8")


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("template", REPORTS, ids=lambda p: p.stem)
def test_report_renders_on_any_dataset(template, dataset, datasets, tmp_path):
    from csworkbook.reports import run_report

    data, mapping, ds = datasets[dataset]
    html = run_report(template, data, tmp_path, mapping=mapping or None)
    notes, errors = _notes_and_errors(html.with_suffix(".ipynb"))
    assert errors == [] and "Traceback" not in html.read_text(encoding="utf-8")
    assert notes == _expected_notes(template, ds)
