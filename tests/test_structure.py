"""The figures README quotes are the ones the code produces on the demo dataset."""

import json

import pandas as pd

import csworkbook
from csworkbook.devtools import readme
from csworkbook.retention import diagnostics, models
from csworkbook.retention.diagnostics import calibration, signal_auc
from csworkbook.retention.metrics import trailing_year
from csworkbook.retention.observations import observation_dataset

from .conftest import ROOT


def test_demo_retention_falls_in_benchmark_ranges(demo):
    cal = calibration(demo)
    assert cal["within"].all(), cal[~cal["within"]]


def test_calibration_of_one_segment_gives_the_rows_it_has():
    # a single-segment export (every telecom customer is smb): no enterprise or mid-market rows
    folder = ROOT / "tests" / "fixtures" / "exports" / "telecom"
    ds = csworkbook.load(folder, mapping=folder / "mapping.yaml")
    cal = calibration(ds)
    assert set(cal["group"]) == {"all", "smb"}
    expected = diagnostics.BENCHMARKS[diagnostics.BENCHMARKS["group"].isin(["all", "smb"])]
    assert cal[["group", "metric"]].values.tolist() == expected[["group", "metric"]].values.tolist()
    year = trailing_year(ds.mrr_monthly, ds.as_of, accounts=ds.accounts, by="segment")
    smb = cal.set_index(["group", "metric"])["value"]
    assert smb["smb", "logo_churn"] == year.loc["smb", "logo_churn"]
    assert smb["all", "grr"] == trailing_year(ds.mrr_monthly, ds.as_of)["grr"].iloc[0]


def test_usage_alone_misses_what_all_signals_see(demo):
    auc = signal_auc(demo)["auc"]
    assert auc["all signals"] >= 0.78
    assert auc["all signals"] - auc["usage only"] >= 0.08
    assert auc["usage only"] > 0.55  # usage matters, it is just not enough


def test_all_signals_beat_usage_under_every_definition(demo):
    _, three = readme.demo_tables(readme.DEMO)  # cached: the README test reuses it
    assert list(three.index) == list(diagnostics.DEFINITIONS.index)
    assert (three["diff_low"] > 0).all(), three  # the interval of the difference clears 0
    assert (three["diff_low"] < three["difference"]).all()
    assert (three["difference"] < three["diff_high"]).all()
    renewals = three.loc["renewals (csworkbook diagnose)"]
    assert renewals["usage_only"] == signal_auc(demo).loc["usage only", "auc"]
    # the health row is notebooks 12-13's backtest: 90-day churn, every customer every 14 days
    assert three.loc["health scores (notebooks 12-13)", "observations"] > 20 * 1000


def test_notebook_11_uses_the_periods_readme_quotes(demo):
    nb = json.loads((ROOT / "notebooks" / "11_churn_analysis.ipynb").read_text(encoding="utf-8"))
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    found = {}
    exec("".join(params["source"]), {}, found)
    assert found["VALID_FROM"] == found["TEST_FROM"] == ""  # the defaults README quotes
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "models.default_periods(cs.as_of, valid_from=VALID_FROM, test_from=TEST_FROM)" in code
    dates = [d.date().isoformat() for d in models.default_periods(demo.as_of)]
    assert dates == ["2024-08-01", "2025-04-01"]
    readme_text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(d in readme_text for d in dates)


def test_heavy_users_churn_more_only_with_the_planted_scenarios(demo):
    obs, X = observation_dataset(demo)
    assert sorted(X.columns) == sorted(diagnostics.ALL_SIGNALS)  # as the AUC table counts them
    d = diagnostics.heavy_user_deciles(obs, X, demo.truth).set_index(["accounts", "decile"])
    rate = d["churn_rate"]
    everyone, without = rate["all accounts"], rate["without heavy-user scenarios"]
    middle = everyone.loc[4:7].mean()
    assert d.loc[("all accounts", 10), "low"] > middle  # the top decile churns more...
    assert without.loc[10] < without.loc[4:7].min()  # ...only because of the planted accounts
    assert (d.xs(1, level="decile")["observations"] > 0).all()
    # the deciles are cut once: removing accounts leaves fewer rows per decile, never more
    obs_per = d["observations"].unstack(0)
    assert (obs_per["without heavy-user scenarios"] <= obs_per["all accounts"]).all()
    alone = diagnostics.heavy_user_deciles(obs, X)  # an analyst's data: no truth table
    assert set(alone["accounts"]) == {"all accounts"}
    pd.testing.assert_frame_equal(
        alone.drop(columns="accounts"),
        d.loc["all accounts"].reset_index()[alone.columns.drop("accounts")],
        check_dtype=False,
    )


def test_readme_generated_sections_are_current():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.render(text) == text, (
        "README is stale: run `python -m csworkbook.devtools.readme README.md`"
    )
