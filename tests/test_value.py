"""Lifetime value and its levers: formulas by hand, the lever simulator with set slider values,
and notebooks 14 and 15 on a flat one-row-per-customer export."""

import json

import numpy as np
import pandas as pd
import pytest

import csworkbook
from csworkbook.retention import metrics
from csworkbook.value import levers, lifetime, ltv

from .conftest import ROOT

TELECOM = ROOT / "tests" / "fixtures" / "exports" / "telecom"


def test_ltv_formula_by_hand():
    assert ltv.ltv(10_000, 0.8, 0.2) == 40_000  # 8,000 a year for 1 / 0.2 = 5 years
    assert ltv.ltv(10_000, 0.8, 0.2, cost_to_serve=1_000) == pytest.approx(7_000 / 0.2)
    # paid at the start of every year, discounted at 10%: 7,000 x sum (0.8 / 1.1)^t
    by_sum = sum(7_000 * (0.8 / 1.1) ** t for t in range(2_000))
    assert ltv.ltv(10_000, 0.8, 0.2, cost_to_serve=1_000, discount_rate=0.1) == pytest.approx(
        by_sum
    )
    assert np.isinf(ltv.ltv(10_000, 0.8, 0.0))


def test_ltv_table_is_the_formula_on_the_demo(demo):
    t = ltv.ltv_table(demo, gross_margin=0.8, discount_rate=0.1)
    c = demo.contracts
    live = c[(c.start_date <= demo.as_of) & (c.end_date.isna() | (c.end_date > demo.as_of))]
    arr = live.groupby("account_id").arr.sum()
    seg = demo.accounts.set_index("account_id").segment
    assert t.arpa.to_dict() == pytest.approx(arr.groupby(seg.reindex(arr.index)).mean().to_dict())
    year = metrics.trailing_year(demo.mrr_monthly, demo.as_of, accounts=demo.accounts, by="segment")
    assert t.churn.to_dict() == pytest.approx(year.logo_churn.to_dict())
    costs = demo.account_costs.set_index("account_id")
    won = demo.accounts[demo.accounts.first_contract_date > demo.as_of - pd.Timedelta(days=365)]
    cac = costs.acquisition_cost.reindex(won.account_id).groupby(won.segment.to_numpy()).mean()
    assert t.cac.to_dict() == pytest.approx(cac.to_dict())
    r = t.loc["mid_market"]
    assert r.ltv_simple == pytest.approx(r.arpa * 0.8 / r.churn)
    assert r.ltv_discounted == pytest.approx(
        (r.arpa * 0.8 - r.cost_to_serve) * 1.1 / (0.1 + r.churn)
    )
    assert r.ltv_to_cac == pytest.approx(r.ltv_discounted / r.cac)
    assert r.payback_months == pytest.approx(r.cac / ((r.arpa * 0.8 - r.cost_to_serve) / 12))
    assert "accounts won in the last 365 days" in r.cost_source
    assert ltv.ltv_table(demo, by=None).index.tolist() == ["all"]


def test_costs_given_or_assumed_are_said(demo):
    bare = csworkbook.Dataset(
        {k: v for k, v in demo.tables.items() if k != "account_costs"}, demo.as_of
    )
    assumed = ltv.unit_costs(bare)
    assert assumed.cost_source.str.contains("assumed").all()
    assert assumed.cac.to_dict() == pytest.approx(
        ltv.arpa(bare).arpa.to_dict()
    )  # 12 months of ARPA
    given = ltv.unit_costs(
        demo, cac={"enterprise": 1.0, "mid_market": 2.0, "smb": 3.0}, cost_to_serve=5.0
    )
    assert given.cac.tolist() == [1.0, 2.0, 3.0] and (given.cost_to_serve == 5.0).all()
    with pytest.raises(ValueError, match="no value for"):
        ltv.unit_costs(demo, cac={"smb": 1.0})


def test_money_reads_na_and_unbounded_and_the_table_shows_them():
    assert ltv.money(206_420.4, "USD") == "USD 206,420"
    assert ltv.money(np.nan, "USD") == "n/a" and ltv.money(None) == "n/a"
    assert ltv.money(np.inf, "USD") == "unbounded"
    table = pd.DataFrame(
        {"ltv": [2_684_512.0, np.inf], "cac": [275_588.0, np.nan], "churn": [0.05, 0.0]},
        index=["enterprise", "smb"],
    )
    shown = ltv.money_columns(table, ["ltv", "cac"], round_to=-2)
    assert shown.ltv.tolist() == ["2684500", "unbounded"] and shown.cac.tolist() == [
        "275600",
        "n/a",
    ]
    assert shown.churn.tolist() == [0.05, 0.0]  # other columns as they were
    complete = ltv.money_columns(table.iloc[:1], {"ltv": -2, "cac": -3})
    assert complete.dtypes[["ltv", "cac"]].tolist() == [np.dtype("int64")] * 2  # no gap: integers
    assert complete.iloc[0][["ltv", "cac"]].tolist() == [2_684_500, 276_000]


def test_a_segment_nobody_left_has_an_unbounded_simple_ltv_said_in_words(demo):
    kept = demo.for_accounts(demo.accounts.account_id)  # a copy to change
    ent = kept.accounts.account_id[kept.accounts.segment == "enterprise"]
    m = kept.mrr_monthly
    last = m[m.account_id.isin(ent)].month.max()
    paid = m[m.account_id.isin(ent)].groupby("contract_id").month.max()
    # every enterprise contract keeps paying to the last month: no enterprise churn
    extra = [
        m[(m.contract_id == cid)].iloc[[-1]].assign(month=month)
        for cid, end in paid[paid < last].items()
        for month in pd.date_range(end + pd.DateOffset(months=1), last, freq="MS")
    ]
    kept.tables["mrr_monthly"] = pd.concat([m, *extra], ignore_index=True)
    t = ltv.ltv_table(kept)
    assert t.churn["enterprise"] == 0 and np.isinf(t.ltv_simple["enterprise"])
    assert np.isfinite(t.ltv_discounted["enterprise"])  # discounting bounds it
    text = ltv.formula(t.loc["enterprise"], currency="USD")
    assert "/ 0.000 = unbounded" in text and "nan" not in text.lower() and "inf" not in text


def test_ltv_functions_name_what_the_data_lacks(demo):
    no_amounts = csworkbook.Dataset(
        {
            "accounts": demo.accounts,
            "contracts": demo.contracts.assign(arr=0.0),
            "mrr_monthly": demo.mrr_monthly.assign(mrr=0.0),
        },
        demo.as_of,
    )
    for call in (ltv.ltv_table, levers.lever_inputs):
        with pytest.raises(csworkbook.DataError, match=r"`contracts.arr` above 0") as err:
            call(no_amounts)
        assert not isinstance(err.value, (KeyError, AttributeError))
        assert "lifetime value" in str(err.value)
    crm = csworkbook.Dataset({t: demo[t] for t in ("accounts", "contracts")}, demo.as_of)
    with pytest.raises(csworkbook.DataError, match=r"monthly revenue \(`mrr_monthly`\)"):
        lifetime.renewal_periods(crm)
    with pytest.raises(csworkbook.DataError, match="mrr_monthly"):
        ltv.annual_churn(crm)


def test_a_segment_that_won_nobody_keeps_its_arr_in_the_projection():
    p = pd.concat(
        [
            _inputs(),
            _inputs(new_per_month=0.0, arpa_new=np.nan, customers_young=0.0, arr_young=0.0).rename(
                index={"smb": "enterprise"}
            ),
        ]
    )
    out = levers.project(p)
    alone = levers.project(_inputs(new_per_month=0.0, arpa_new=0.0).rename(index={"smb": "e"}))
    # no new customer: its ARR three years out is its book's, not NaN dropped from the total
    assert out.loc["enterprise", "arr_in_3y"] == pytest.approx(alone.loc["e", "arr_in_3y"])
    assert out.loc["all", "arr_in_3y"] == pytest.approx(out.arr_in_3y.drop("all").sum())
    assert np.isnan(out.loc["enterprise", "ltv"])  # no new customer to value...
    assert out.loc["all", "ltv"] == pytest.approx(out.loc["smb", "ltv"])  # ...nor to weigh
    assert out.loc["all", "cac"] == pytest.approx(out.loc["smb", "cac"])


def _inputs(**kw):
    base = dict(
        customers_young=0.0,
        customers_established=100.0,
        arr_young=0.0,
        arr_established=100_000.0,
        new_per_month=2.0,
        arpa_new=1_000.0,
        churn_first_year=0.3,
        churn_later=0.2,
        upsell=0.05,
        addons_per_year=0.1,
        addon_arr=500.0,
        cac=800.0,
        cost_to_serve=100.0,
        gross_margin=0.8,
        discount_rate=0.1,
    )
    return pd.DataFrame({k: [v] for k, v in {**base, **kw}.items()}, index=["smb"])


def test_projected_ltv_by_hand():
    p = _inputs()
    # year t: alive x ((1,000 (1.05)^t + add-ons) x 0.8 - 100) / 1.1^t; add-ons: 50 a year, growing 5%
    alive, arr, addon, value = 1.0, 1_000.0, 0.0, 0.0
    for t in range(10):
        value += alive * ((arr + addon) * 0.8 - 100) / 1.1**t
        alive *= 0.7 if t == 0 else 0.8
        arr, addon = arr * 1.05, addon * 1.05 + 0.1 * 500
    out = levers.project(p).loc["smb"]
    assert out.ltv == pytest.approx(value)
    assert out.ltv_net == pytest.approx(value - 800)
    # no new customers, no growth or add-ons: the book shrinks by its churn alone
    still = levers.project(_inputs(new_per_month=0.0, upsell=0.0, addons_per_year=0.0)).loc["smb"]
    assert still.arr_in_3y == pytest.approx(100_000 * 0.8**3)


def test_lever_simulator_with_set_slider_values():
    p = _inputs()
    zero = levers.simulate_levers(p, {})
    assert (zero["with levers"] == zero["baseline"]).all() and (zero["change"] == 0).all()
    cheap = levers.simulate_levers(p, {"cost": -50})
    assert cheap.loc["CAC", "with levers"] == pytest.approx(400)
    assert cheap.loc["ARR in 3 years", "change"] == 0  # costs do not move revenue
    more = levers.simulate_levers(p, {"customers_won": 10})
    assert more.loc["LTV of a new customer", "change"] == pytest.approx(0)  # nor do more customers
    assert more.loc["ARR in 3 years", "change"] > 0
    keep = levers.simulate_levers(p, {"churn_rate": -10, "retention_length": 25})
    moved = levers.apply_levers(p, {"churn_rate": -10, "retention_length": 25})
    assert (moved.churn_first_year.iloc[0], moved.churn_later.iloc[0]) == pytest.approx(
        (0.27, 0.16)
    )
    assert keep.loc["LTV minus CAC", "with levers"] == pytest.approx(
        levers.project(moved).loc["all", "ltv_net"]
    )
    every = {k: 10 for k in levers.LEVER_KEYS}
    assert levers.simulate_levers(p, every).loc["ARR in 3 years", "change"] != 0
    with pytest.raises(ValueError, match="unknown lever"):
        levers.simulate_levers(p, {"price": 10})


def test_sensitivity_moves_each_lever_both_ways(demo):
    inputs = levers.lever_inputs(demo)
    assert (inputs[["churn_first_year", "churn_later"]].stack().between(0, 1)).all()
    assert (inputs.upsell > 0).all() and (inputs.addons_per_year > 0).all()
    sens = levers.sensitivity(inputs, change=10)
    assert set(sens.key) == set(levers.LEVER_KEYS)
    assert (sens.ltv_net_change_better >= -1e-12).all() and (
        sens.ltv_net_change_worse <= 1e-12
    ).all()
    assert (sens.arr_change_better >= -1e-12).all() and (sens.arr_change_worse <= 1e-12).all()
    by_key = sens.set_index("key")
    assert by_key.loc["cost", "arr_change_better"] == 0
    assert by_key.loc["customers_won", "ltv_net_change_better"] == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("notebook", ["14_ltv_levers", "15_renewals_and_expansion"])
def test_notebook_runs_on_a_flat_export(notebook, tmp_path):
    pm = pytest.importorskip("papermill")
    out = tmp_path / f"{notebook}.ipynb"
    pm.execute_notebook(
        ROOT / "notebooks" / f"{notebook}.ipynb",
        out,
        parameters={
            "DATA": str(TELECOM / "telecom_churn.csv"),
            "MAPPING": str(TELECOM / "mapping.yaml"),
        },
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
        log_output=False,
    )
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    text = "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for c in cells
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    )
    assert "320 customers" in text and "Traceback" not in text
    if notebook.startswith("15"):
        # no renewal dates, no renewed renewals, no health signals: the desk says what it needs
        assert "renewal desk: skipped" in text and "`contracts.renewal_date` with values" in text
    else:
        assert "assumptions (no account_costs table)" in text


def test_readme_lever_findings_hold_on_the_demo(demo):
    # README, "The seven levers": at ±10% revenue per new customer moves a new customer's value
    # most and customers won moves ARR three years out most; cutting churn (every year) beats
    # raising prices only for SMB, and only for large moves
    inputs = levers.lever_inputs(demo)
    sens = levers.sensitivity(inputs, change=10).set_index("key")
    assert sens.ltv_net_change_better.idxmax() == "revenue_per_customer"
    assert sens.arr_change_better.idxmax() == "customers_won"

    def race(seg, x):
        price = levers.simulate_levers(inputs.loc[[seg]], {"revenue_per_customer": x})
        keep = levers.simulate_levers(
            inputs.loc[[seg]], {"churn_rate": -x, "retention_length": 100 * (1 / (1 - x / 100) - 1)}
        )
        return keep.loc["LTV minus CAC", "change"] - price.loc["LTV minus CAC", "change"]

    assert race("smb", 10) < 0 < race("smb", 30)
    assert all(race(seg, x) < 0 for seg in ("enterprise", "mid_market") for x in (10, 30, 50))
