"""Renewal desk, expansion candidates and the economics of acting, on the demo."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from csworkbook import DataError
from csworkbook.data.dataset import Dataset
from csworkbook.value import acting, expansion, renewals

from .conftest import DEMO, ROOT


@pytest.fixture(scope="module")
def desk(demo):
    history = renewals.renewal_history(demo)
    return history, renewals.renewal_desk(demo, history=history)


def test_risk_model_is_scikit_learns_logistic_regression(desk):
    history, _ = desk
    m = renewals.RenewalRisk(C=1.0).fit(history)
    sk = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(
        m._X(history), history.churned.astype(int)
    )
    assert m.coef_.to_numpy() == pytest.approx(sk.coef_[0], abs=1e-4)
    assert m.intercept_ == pytest.approx(sk.intercept_[0], abs=1e-4)
    assert m.coef_["per_10_points"] < 0  # healthier customers churn less at renewal
    assert 0.05 < m.base_rate_ < 0.5 and m.n_ == len(history)
    with pytest.raises(ValueError, match="churned and renewals that did not"):
        renewals.RenewalRisk().fit(history[history.churned])


def test_desk_lists_the_annual_renewals_of_the_next_180_days(demo, desk):
    _, d = desk
    c = demo.contracts
    due = c[
        c.end_date.isna()
        & (c.term_months >= 12)
        & (c.renewal_date <= demo.as_of + pd.Timedelta(days=180))
    ]
    assert set(d.account_id) == set(due.account_id) and d.account_id.is_unique
    assert d.arr_renewing.sum() == pytest.approx(due.arr.sum())
    assert d.arr_at_risk.to_numpy() == pytest.approx(
        (d.churn_risk * d.arr_renewing).to_numpy(), nan_ok=True
    )
    assert d.arr_at_risk.dropna().is_monotonic_decreasing
    assert set(d.window) == {"next 90 days", "91-180 days"}
    t = demo.tickets
    busy = d[d.open_tickets > 0].iloc[0]
    mine = t[(t.account_id == busy.account_id) & (t.opened_at <= demo.as_of)]
    assert busy.open_tickets == (mine.closed_at.isna() | (mine.closed_at > demo.as_of)).sum()
    assert (d.last_touch <= demo.as_of).all()


def test_expected_renewal_arr_and_its_interval(desk):
    history, d = desk
    f = renewals.expected_renewal_arr(d, history, n_boot=100, seed=1)
    scored = d.dropna(subset=["churn_risk"])
    total = f.loc["total"]
    assert total.expected_arr == pytest.approx(
        (scored.arr_renewing * (1 - scored.churn_risk)).sum()
    )
    assert total.low < total.expected_arr < total.high < total.arr_renewing
    pd.testing.assert_frame_equal(f, renewals.expected_renewal_arr(d, history, n_boot=100, seed=1))
    assert f.loc[["next 90 days", "91-180 days"], "renewals"].sum() == total.renewals


def test_work_list_cuts_to_capacity_by_arr_at_risk(desk):
    _, d = desk
    assert acting.capacity(4, 6, 13, 8) == 39
    w = renewals.work_list(d, n_csms=4, hours_per_csm_week=6, hours_per_play=8, weeks=13)
    assert w.attrs["capacity"] == 39
    top = w[w.tier == "1 CSM play"]
    assert len(top) == 39 and set(top.account_id) == set(d.nlargest(39, "arr_at_risk").account_id)
    assert (w.loc[w.tier == "3 standard", "band"].astype(object) == "green").all()
    assert w.share_of_risk.iloc[-1] == pytest.approx(1.0)
    saved = acting.arr_saved(w, k=39, save_rate=0.3)
    assert saved.arr_saved == pytest.approx(0.3 * top.arr_at_risk.sum())
    assert saved.share_of_arr_at_risk == pytest.approx(top.arr_at_risk.sum() / w.arr_at_risk.sum())
    curve = acting.saved_curve(w, save_rate=0.3).pivot(
        index="accounts", columns="order", values="arr_saved"
    )
    assert (curve.diff().dropna() >= -1e-9).all().all()  # working more never saves less
    assert (curve["ARR at risk (risk x ARR)"] >= curve["risk only"] - 1e-9).all()


def test_expansion_candidates_and_their_backtest(demo):
    signals = expansion.expansion_signals(demo)
    assert signals.utilisation.between(0, 1).all() and signals.breadth.between(0, 1).all()
    # seats on as_of are the contracts' seats; a year ago they are scaled back by MRR
    c = demo.contracts
    live = c[c.end_date.isna() | (c.end_date > demo.as_of)]
    seats = live.groupby("account_id").seats.sum()
    assert expansion.seats_at(demo, demo.as_of).reindex(seats.index).to_numpy() == pytest.approx(
        seats.to_numpy()
    )
    cand = expansion.expansion_candidates(signals)
    assert (cand.loc[cand.upsell, "utilisation"] >= 0.6).all()
    assert cand.loc[cand.candidate, "band"].astype(object).isin(["green", "yellow"]).all()
    then = demo.as_of - pd.DateOffset(years=1)
    judged = expansion.backtest(demo, then)
    base = judged.loc["everyone (base rate)"]
    assert (
        base.lift == 1
        and base.accounts == judged.loc[["any candidate", "not a candidate"], "accounts"].sum()
    )
    assert judged.loc["any candidate", "low"] > base.rate  # last year's candidates did expand more
    with pytest.raises(ValueError, match="go past as_of"):
        expansion.backtest(demo, demo.as_of - pd.Timedelta(days=100))


def test_expansion_by_segment_is_the_mrr_bridge(demo):
    from csworkbook.retention.metrics import mrr_movements

    q = expansion.expansion_by_segment(demo, freq="Y")
    seg = demo.accounts.set_index("account_id").segment
    smb = demo.mrr_monthly[demo.mrr_monthly.account_id.map(seg) == "smb"]
    by_year = mrr_movements(smb).expansion.groupby(lambda m: m.year).sum()
    mine = q[q.segment == "smb"].set_index(q.period[q.segment == "smb"].dt.year).expansion
    assert mine.to_dict() == pytest.approx(by_year.to_dict())
    assert np.isfinite(q.expansion_share.dropna()).all()


# --- on whatever the data holds --------------------------------------------------------

FEWER = ("accounts", "contracts", "mrr_monthly", "renewals", "usage")


def test_desk_runs_on_fewer_tables_and_leaves_what_it_cannot_see_empty(demo):
    # a CRM with renewals and product usage, but no CSM activities, tickets or surveys
    few = Dataset({t: demo[t] for t in FEWER}, demo.as_of)
    assert few.supports("renewal desk") and few.supports("expansion candidates")
    history = renewals.renewal_history(few)
    d = renewals.renewal_desk(few, history=history)
    full = renewals.renewal_desk(demo)
    assert set(d.account_id) == set(full.account_id)  # the same renewals come up
    # scored on usage alone (the scorecard's coverage says how much): whoever the full data scores
    scored = set(full.account_id[full.churn_risk.notna()])
    assert set(d.account_id[d.churn_risk.notna()]) == scored and len(scored) > 0.99 * len(d)
    assert d.last_touch.isna().all() and d.last_touch_kind.isna().all()  # unknown, not "never"
    assert d.days_since_touch.isna().all() and d.open_tickets.isna().all()  # unknown, not 0
    w = renewals.work_list(d, n_csms=4)
    assert (
        len(w) == len(d)
        and renewals.expected_renewal_arr(d, history, n_boot=20).notna().all().all()
    )
    cand = expansion.expansion_candidates(expansion.expansion_signals(few))
    assert cand.candidate.any() and cand.band.notna().mean() > 0.95  # scored on usage


def test_value_functions_name_the_table_the_data_lacks(demo):
    def lacking(*tables, **columns):
        kept = {t: demo[t] for t in ("accounts", "contracts", "mrr_monthly", "renewals", "usage")}
        kept = {t: df for t, df in kept.items() if t not in tables}
        kept |= {t: kept[t].assign(**cols) for t, cols in columns.items()}
        return Dataset(kept, demo.as_of)

    cases = [
        (lambda: renewals.renewal_desk(lacking("usage")), r"weekly usage \(`usage`\) or"),
        (
            lambda: renewals.renewal_desk(lacking(contracts={"renewal_date": pd.NaT})),
            r"`contracts.renewal_date` with values",
        ),
        (lambda: renewals.renewal_history(lacking("renewals")), r"renewal outcomes \(`renewals`\)"),
        (lambda: renewals.renewal_desk(lacking("renewals")), r"\(`renewals`\)"),
        (lambda: expansion.expansion_signals(lacking("usage")), r"weekly usage \(`usage`\)"),
        (lambda: expansion.backtest(lacking("usage"), "2024-12-31"), r"\(`usage`\)"),
        (
            lambda: expansion.expansion_by_segment(lacking(mrr_monthly={"mrr": 0.0})),
            r"`mrr_monthly.mrr` above 0",
        ),
        (lambda: expansion.seats_at(lacking("mrr_monthly"), demo.as_of), r"\(`mrr_monthly`\)"),
    ]
    for call, names in cases:
        with pytest.raises(DataError, match=names) as err:
            call()
        assert not isinstance(err.value, (KeyError, AttributeError)), err.value
    history = renewals.renewal_history(demo)
    with pytest.raises(DataError, match=r"only churned ones.*map every renewal"):
        renewals.RenewalRisk().fit(history[history.churned])


@pytest.mark.slow
def test_notebook_15_runs_the_desk_on_fewer_tables(tmp_path):
    pm = pytest.importorskip("papermill")
    folder = tmp_path / "crm"
    folder.mkdir()
    for f in DEMO.iterdir():
        if f.stem in FEWER or f.name == "dataset.yaml":
            shutil.copy(f, folder)
    out = tmp_path / "15.ipynb"
    pm.execute_notebook(
        ROOT / "notebooks" / "15_renewals_and_expansion.ipynb",
        out,
        parameters={"DATA": str(folder)},
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
        log_output=False,
    )
    text = "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for c in json.loads(out.read_text(encoding="utf-8"))["cells"]
        for o in c.get("outputs", [])
    )
    assert "Note." not in text and "Traceback" not in text  # every section runs
    assert "renewal plays" in text and "candidates today" in text
    assert "<NA>" in text  # open tickets and last touches unknown, shown as such
