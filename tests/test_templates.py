"""Mapping templates load their example exports end to end, and the workbook's key analyses
run on the result and recover the synthetic world the examples were written from."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csworkbook
from csworkbook import synth
from csworkbook.exports.derive import mrr_from_contracts, usage_from_events
from csworkbook.exports.privacy import pseudonym
from csworkbook.retention.cohorts import cohort_matrix
from csworkbook.retention.metrics import churn_by_unit, mrr_movements, trailing_year
from csworkbook.retention.survival import km_by, lifetimes, logrank
from csworkbook.retention.warning import usage_alerts
from csworkbook.synth.exports import write_examples

MAPPINGS = Path(__file__).parents[1] / "datasets" / "mappings"
TEMPLATES = ["salesforce_accounts", "hubspot_companies_deals", "stripe_subscriptions"]


@pytest.fixture(scope="module")
def world():
    # the world write_examples renders (its defaults)
    return synth.generate(n_accounts=60, seed=11, as_of="2025-12-31", months=24)


@pytest.fixture(scope="module", params=TEMPLATES)
def loaded(request):
    return request.param, csworkbook.load(MAPPINGS, mapping=MAPPINGS / f"{request.param}.yaml")


def test_examples_are_regenerated_byte_for_byte(tmp_path):
    for path in write_examples(tmp_path):
        assert path.read_bytes() == (MAPPINGS / "examples" / path.name).read_bytes(), path.name


def test_every_row_is_accounted_for(loaded):
    name, ds = loaded
    acc = ds.load_report.accounting
    assert (acc["rows_read"] == acc["accepted"] + acc["merged"] + acc["rejected"]).all()
    assert acc["rejected"].sum() == 0, str(ds.load_report)
    assert len(ds.accounts) == 60 and len(ds.contracts) == 74


def test_templates_recover_the_world(loaded, world):
    name, ds = loaded
    # contract count, dates and revenue come back, whatever the export's spelling
    k = ds.contracts.sort_values("start_date", kind="stable")
    assert sorted(k["start_date"]) == sorted(world.contracts["start_date"])
    assert np.isclose(k["arr"].sum(), world.contracts["arr"].sum(), rtol=1e-4)
    assert sorted(ds.accounts["segment"]) == sorted(world.accounts["segment"])
    # monthly revenue derived from contract dates has the world's shape: same contract-months
    months = ds.mrr_monthly.groupby("month").size()
    assert months.equals(world.mrr_monthly.groupby("month").size())


def test_key_analyses_run_on_templates(loaded, world):
    name, ds = loaded
    ty = trailing_year(ds.mrr_monthly, ds.as_of)
    assert 0 < ty.loc["all", "grr"] <= 1
    moves = mrr_movements(ds.mrr_monthly)
    assert {"new", "churn"} <= set(moves.columns)
    life = lifetimes(ds.mrr_monthly)
    world_life = lifetimes(world.mrr_monthly)
    assert life["churned"].sum() == world_life["churned"].sum()
    life = life.merge(ds.accounts[["account_id", "segment"]], on="account_id")
    km = km_by(life, by="segment")
    assert set(km["group"]) == set(ds.accounts["segment"])
    assert 0 <= logrank(life, by="segment")["p_value"] <= 1
    units = churn_by_unit(ds.mrr_monthly, ds.contracts, "2025-01-01", "2025-12-31")
    assert {"account", "contract"} <= set(units.index)
    cohorts = cohort_matrix(ds.mrr_monthly, kind="logo", min_size=1)
    assert cohorts.notna().any().any()


def test_events_template_derives_weekly_usage_for_early_warning():
    ds = csworkbook.load(MAPPINGS, mapping=MAPPINGS / "amplitude_events.yaml")
    acc = ds.load_report.accounting.set_index("table")
    assert acc.loc["events", "accepted"] == acc.loc["events", "rows_read"] > 1000
    u = ds.usage
    assert set(u["account_id"]) <= set(ds.accounts["account_id"])
    # zero weeks while a contract runs are kept: silence is what early warning looks for
    assert (u["active_users"] == 0).any() and (u["active_users"] > 0).any()
    alerts = usage_alerts(u, recent_weeks=4, baseline_weeks=8)
    assert alerts["ratio"].notna().any()
    assert ds.capabilities().loc["early warning from usage (02)", "available"]


def test_mrr_from_contracts_reproduces_the_demo_world(demo):
    derived = mrr_from_contracts(demo.contracts, demo.as_of)
    keys = ["contract_id", "month"]
    a = demo.mrr_monthly.set_index(keys).index.sort_values()
    b = derived.set_index(keys).index.sort_values()
    assert a.equals(b)


def test_mrr_from_contracts_counts_months_by_their_first_day():
    k = pd.DataFrame(
        {
            "contract_id": ["C1", "C2", "C3"],
            "account_id": ["A1", "A1", "A2"],
            "arr": [1200.0, 2400.0, 600.0],
            "start_date": pd.to_datetime(["2025-01-15", "2025-11-01", "2025-03-01"]),
            "end_date": pd.to_datetime(["2025-04-01", None, "2025-03-01"]),
        }
    )
    out = mrr_from_contracts(k, "2025-12-31")
    assert out.groupby("contract_id")["month"].count().to_dict() == {"C1": 3, "C2": 2}
    assert out.loc[out["contract_id"] == "C2", "mrr"].tolist() == [200.0, 200.0]


def test_usage_from_events_sessions_users_and_minutes():
    t = pd.to_datetime(
        ["2025-03-03 09:00", "2025-03-03 09:20", "2025-03-03 11:00", "2025-03-05 08:00"]
    )
    e = pd.DataFrame(
        {
            "event_time": t,
            "account_id": ["A1"] * 4,
            "user_id": ["u1", "u1", "u1", "u2"],
            "event_name": ["login", "report_sent", "login", "report_sent"],
            "feature": [None, "reports", None, "alerts"],
        }
    )
    row = usage_from_events(e, key_events=["report_sent"]).iloc[0]
    assert row["week"] == pd.Timestamp("2025-03-03")
    assert (row["active_users"], row["sessions"], row["key_actions"], row["features_used"]) == (
        2,
        3,
        2,
        2,
    )
    assert row["minutes"] == 20.0  # only the two-event session has a length


def test_pseudonymize_is_stable_and_keeps_joins(tmp_path):
    plain = csworkbook.load(MAPPINGS, mapping=MAPPINGS / "amplitude_events.yaml")
    ds = csworkbook.load(MAPPINGS, mapping=MAPPINGS / "amplitude_events.yaml", pseudonymize=True)
    again = csworkbook.load(MAPPINGS, mapping=MAPPINGS / "amplitude_events.yaml", pseudonymize=True)
    keyed = csworkbook.load(
        MAPPINGS, mapping=MAPPINGS / "amplitude_events.yaml", pseudonymize="s3cret"
    )
    assert not set(ds.accounts["name"]) & set(plain.accounts["name"])
    assert ds.accounts["name"].str.startswith("Customer-").all()
    assert not ds.events["user_id"].str.contains("@").any()
    assert ds.accounts["name"].equals(again.accounts["name"])
    assert not ds.accounts["name"].equals(keyed.accounts["name"])
    first = plain.accounts["name"].iloc[0]
    assert ds.accounts["name"].iloc[0] == pseudonym(first, "Customer")
    # same people, same counts: the analysis does not change
    assert ds.events["user_id"].nunique() == plain.events["user_id"].nunique()
    assert ds.usage.equals(plain.usage)
