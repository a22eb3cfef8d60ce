import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time

from csworkbook.retention.survival import (
    at_risk_table,
    kaplan_meier,
    km_by,
    lifetimes,
    logrank,
    rmst,
    rmst_by,
)


@pytest.fixture(scope="module")
def life(demo):
    seg = demo.accounts.set_index("account_id").segment
    lt = lifetimes(demo.mrr_monthly)
    return lt.assign(segment=lt.account_id.map(seg))


def test_lifetimes_by_hand():
    m = pd.DataFrame(
        {
            "contract_id": ["a", "a", "b", "b", "b", "a"],
            "account_id": ["a", "a", "b", "b", "b", "a"],
            "month": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-04-01"]
            ),
            "mrr": 10.0,
        }
    )
    lt = lifetimes(m).set_index("unit")
    # a pays Jan-Feb, stops in March (returns in April: first spell only)
    assert lt.loc["a", "months"] == 2 and lt.loc["a", "churned"]
    # b pays Feb-Apr and is still paying: censored at 3 months
    assert lt.loc["b", "months"] == 3 and not lt.loc["b", "churned"]


@pytest.mark.parametrize("segment", ["enterprise", "mid_market", "smb"])
def test_km_and_rmst_agree_with_lifelines_on_demo(life, segment):
    g = life[life.segment == segment]
    ours = kaplan_meier(g.months, g.churned)
    kmf = KaplanMeierFitter().fit(g.months, g.churned)
    theirs = kmf.survival_function_["KM_estimate"]
    np.testing.assert_allclose(
        ours["survival"].to_numpy(), theirs.reindex(ours.index).to_numpy(), atol=1e-12
    )
    np.testing.assert_array_equal(
        ours["at_risk"].to_numpy()[1:],
        kmf.event_table["at_risk"].reindex(ours.index).to_numpy()[1:],
    )
    for horizon in (12, 24):
        assert rmst(ours, horizon) == pytest.approx(
            restricted_mean_survival_time(kmf, t=horizon), rel=1e-9
        )


def test_segments_differ_and_smb_lives_shortest(life):
    r = rmst_by(life, horizon=24, by="segment")
    assert (
        r.loc["smb", "rmst_24m"] < r.loc["mid_market", "rmst_24m"] < r.loc["enterprise", "rmst_24m"]
    )
    assert logrank(life, by="segment")["p_value"] < 1e-6


def test_at_risk_counts_fall_over_time(life):
    t = at_risk_table(life, times=[0, 6, 12, 24], by="segment")
    assert (np.diff(t.to_numpy(), axis=1) <= 0).all()
    assert t[0].sum() == len(life)


def test_km_by_stacks_groups(life):
    k = km_by(life, by="segment")
    assert set(k.group) == {"enterprise", "mid_market", "smb"}


@given(st.lists(st.tuples(st.integers(1, 36), st.booleans()), min_size=1, max_size=60))
def test_km_is_non_increasing_within_unit_interval(pairs):
    t, e = zip(*pairs, strict=True)
    s = kaplan_meier(t, e)["survival"].to_numpy()
    assert (np.diff(s) <= 1e-12).all() and (s >= 0).all() and (s <= 1).all()
    assert 0 <= rmst(kaplan_meier(t, e), 12) <= 12


def test_units_without_revenue_are_measured_by_their_months_of_service():
    # ARR 0 everywhere (an export without amounts): a unit is a customer while it has rows
    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    rows = [("k1", "a", m, 0.0) for m in months]  # still there in the last month
    rows += [("k2", "b", m, 0.0) for m in months[:3]]  # gone after three months
    m = pd.DataFrame(rows, columns=["contract_id", "account_id", "month", "mrr"])
    lt = lifetimes(m).set_index("unit")
    assert lt.loc["a", ["months", "churned"]].tolist() == [6.0, False]
    assert lt.loc["b", ["months", "churned"]].tolist() == [3.0, True]
    km = kaplan_meier(lt["months"], lt["churned"])
    assert km["survival"].iloc[-1] == 0.5  # not 100% churn


def test_zero_arr_fixture_survives_like_its_flag():
    import csworkbook

    from .conftest import ROOT

    fx = ROOT / "tests" / "fixtures" / "exports" / "card"
    ds = csworkbook.load(fx, mapping=fx / "mapping.yaml")
    lt = lifetimes(ds.mrr_monthly)
    flag = pd.read_csv(fx / "card_attrition.csv", dtype=str)["Attrition_Flag"]
    assert lt["churned"].sum() == (flag == "Attrited Customer").sum()
    assert 0.3 < kaplan_meier(lt["months"], lt["churned"])["survival"].iloc[-1] < 1
