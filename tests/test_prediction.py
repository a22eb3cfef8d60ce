"""Observation datasets, churn models and early warning."""

import numpy as np
import pandas as pd
import pytest

from csworkbook.retention import models as cm
from csworkbook.retention import observations as ob
from csworkbook.retention import warning as ew


@pytest.fixture(scope="module")
def obs_x(demo):
    return ob.observation_dataset(demo)


def test_labels_follow_the_lead_time_and_horizon(demo, obs_x):
    obs, _ = obs_x
    cd = ob.account_churn_dates(demo).set_index("account_id")["churn_date"]
    until = (cd.reindex(obs.account_id).to_numpy() - obs.obs_date.to_numpy()) / pd.Timedelta(days=1)
    churned = obs.churned.to_numpy()
    assert (until[churned] > 28).all() and (until[churned] <= 28 + 91).all()
    assert not ((until > 28) & (until <= 119) & ~churned).any()
    assert obs.attrs["left_out"]["churned_within_lead_time"] > 0
    # nothing observed after the last date whose label window is complete
    assert obs.obs_date.max() <= demo.as_of - pd.Timedelta(days=119)


def test_features_never_see_the_future(demo):
    obs = ob.observation_dates(demo)
    # one observation per account, so cutting an account's future is exact
    sample = obs.sample(frac=1, random_state=1).drop_duplicates("account_id").head(200)
    X = ob.account_signals(demo, sample)
    # wipe every usage row on or after each observation date: features must not change
    cut = demo.usage.merge(sample[["account_id", "obs_date"]], on="account_id")
    future = cut[cut.week >= cut.obs_date][["account_id", "week"]].drop_duplicates()
    past_only = demo.usage.merge(future, how="left", indicator=True).query("_merge == 'left_only'")
    from csworkbook.data.dataset import Dataset

    trimmed = Dataset({**demo.tables, "usage": past_only.drop(columns="_merge")}, demo.as_of)
    X2 = ob.account_signals(trimmed, sample)
    pd.testing.assert_frame_equal(X, X2)


def test_time_split_closes_training_labels_before_test(obs_x):
    obs, _ = obs_x
    tr, va, te, before = cm.time_split(obs, test_from="2025-03-01")
    assert (obs.obs_date[tr] + pd.Timedelta(days=119) <= pd.Timestamp("2025-03-01")).all()
    assert (obs.obs_date[te] >= pd.Timestamp("2025-03-01")).all()
    assert not va.any() and (tr == before).all()
    with pytest.raises(ValueError, match="training"):
        cm.time_split(obs, test_from="2020-01-01")


def test_validation_period_sits_between_closed_labels(obs_x):
    obs, _ = obs_x
    v, t = pd.Timestamp("2024-08-01"), pd.Timestamp("2025-04-01")
    p = cm.time_split(obs, valid_from=v, test_from=t)
    end = obs.obs_date + pd.Timedelta(days=28 + 91)
    assert (end[p.train] <= v).all() and end[p.train].max() > v - pd.Timedelta(days=28)
    assert (obs.obs_date[p.valid] >= v).all() and (end[p.valid] <= t).all()
    assert (obs.obs_date[p.test] >= t).all() and p.test.sum() == (obs.obs_date >= t).sum()
    assert not (p.train & p.valid).any() and not ((p.train | p.valid) & p.test).any()
    # the refit before the test period sees everything labelled by then, gap rows included
    assert (p.before_test == (end <= t)).all() and p.before_test.sum() > (p.train | p.valid).sum()
    with pytest.raises(ValueError, match="after"):
        cm.time_split(obs, valid_from=t, test_from=v)


def test_lift_and_calibration_by_hand():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    p = np.array([0.9, 0.1, 0.2, 0.1, 0.1, 0.3, 0.2, 0.1, 0.1, 0.05])
    assert cm.lift_at(y, p, 0.1) == pytest.approx(1 / 0.2)
    cal = cm.calibration_table(y, p, bins=2)
    assert cal.observations.tolist() == [5, 5]
    assert cal.observed.sum() == pytest.approx(0.2 + 0.2)


def test_drivers_name_directions(obs_x):
    obs, X = obs_x
    m = cm.fit(cm.Candidate("all signals", cm.LOGISTIC, 0.1), X, obs.churned)
    d = cm.drivers(m, X.head(50))
    assert d.risk_drivers.str.contains(r"(?:high|low) \w+ \(\+\d", regex=True).any()
    coef = cm.coefficients(m)
    assert coef.loc["recommend_mean"] < 0 or "nps_detractors" in coef.index


def test_decile_churn_counts_every_observation(obs_x):
    obs, X = obs_x
    d = ob.decile_churn(X, obs.churned, metric="recommend_mean")
    assert d.observations.sum() == len(obs)
    assert d.loc[1, "churn_rate"] > d.loc[10, "churn_rate"]  # low NPS churns more


def test_usage_alerts_by_hand():
    u = pd.DataFrame(
        {
            "account_id": "a",
            "week": pd.date_range("2024-01-01", periods=8, freq="7D"),
            "active_users": [10, 10, 10, 10, 10, 2, 2, 2],
        }
    )
    al = ew.usage_alerts(u, recent_weeks=2, baseline_weeks=3, drop=0.5)
    # week 7: recent mean(2, 2) = 2 against the three weeks before it, mean(10, 10, 10)
    assert al.alert.tolist() == [False] * 6 + [True, True]
    assert al.ratio.iloc[6] == pytest.approx(0.2)
    assert al.ratio.iloc[7] == pytest.approx(2 / (22 / 3))
    assert al.ratio.iloc[:4].isna().all()  # not enough history yet


def test_ordinary_churners_get_warned_heavy_ones_do_not(demo):
    cd = ob.account_churn_dates(demo)
    lt = ew.lead_times(ew.usage_alerts(demo.usage, drop=0.3), cd)
    scen = demo.truth.set_index("account_id").scenario.reindex(lt.index)
    heavy = scen.str.startswith("heavy_")
    warned = lt.lead_weeks >= 4
    assert warned[scen == "none"].mean() > 0.4
    # heavy users give no usage warning: the few alerts they get are holiday dips
    assert warned[heavy].mean() < 0.5 * warned[scen == "none"].mean()
    table = ew.threshold_table(demo.usage, cd, drops=(0.2, 0.5))
    assert table.loc[0.2, "churners_warned"] > table.loc[0.5, "churners_warned"]


def test_trajectory_is_relative_to_own_earlier_level():
    u = pd.DataFrame(
        {
            "account_id": "a",
            "week": pd.date_range("2024-01-01", periods=10, freq="7D"),
            "active_users": [4, 4, 4, 4, 4, 4, 4, 4, 2, 1],
        }
    )
    cd = pd.DataFrame({"account_id": ["a"], "churn_date": [pd.Timestamp("2024-03-11")]})
    t = ew.trajectory_before(u, cd, weeks=10).set_index("weeks_before")["relative"]
    assert t.loc[1] == pytest.approx(0.25) and t.loc[2] == pytest.approx(0.5) and t.loc[10] == 1.0


def test_current_observations_cover_todays_customers(demo):
    now, X = ob.current_observations(demo)
    last = demo.mrr_monthly[demo.mrr_monthly.month == demo.mrr_monthly.month.max()]
    assert set(now.account_id) == set(last.account_id) and now.account_id.is_unique
    assert (now.obs_date > demo.as_of).all() and len(X) == len(now)
    assert X.active_share.notna().mean() > 0.95


# ---- choosing a model on validation, reporting it on test ------------------------------------


def _planted(n_accounts=600, dates=12, *, seed=0, flip_at=None, base=-3.0):
    """Monthly observations of accounts with a weak usage signal (``active_share``) and a
    strong non-usage one (``recommend_mean``); from observation date ``flip_at`` on, the
    non-usage signal's effect is reversed."""
    rng = np.random.default_rng(seed)
    acc = np.repeat([f"a{i:04d}" for i in range(n_accounts)], dates)
    when = np.tile(pd.date_range("2023-01-01", periods=dates, freq="28D"), n_accounts)
    X = pd.DataFrame(
        {
            "active_share": rng.normal(size=len(acc)),
            "recommend_mean": rng.normal(size=len(acc)),
        }
    )
    sign = np.where(when >= pd.Timestamp(flip_at), -1.0, 1.0) if flip_at else 1.0
    logit = base - 0.6 * X["active_share"] - 2.0 * sign * X["recommend_mean"]
    churned = rng.random(len(acc)) < 1 / (1 + np.exp(-logit))
    obs = pd.DataFrame({"account_id": acc, "obs_date": when, "churned": churned})
    return obs, X


def _two(C=0.3):
    return [cm.Candidate("usage only", cm.LOGISTIC, C), cm.Candidate("all signals", cm.LOGISTIC, C)]


def test_a_planted_signal_wins_with_a_difference_interval_above_zero():
    obs, X = _planted()
    half = (obs.obs_date < pd.Timestamp("2023-06-01")).to_numpy()
    out = cm.compare_models(
        X, obs.churned, obs.account_id, fit_rows=half, eval_rows=~half, candidates=_two(), seed=1
    )
    t = out.table
    usage, both = _two()[0].name, _two()[1].name
    assert cm.select_model(t) == both and t.attrs["baseline"] == both
    assert t.loc[usage, "diff_high"] < 0  # all signals minus usage only: interval above 0
    assert t.loc[usage, "auc_low"] < t.loc[usage, "auc"] < t.loc[usage, "auc_high"]
    assert t.loc[both, "diff"] == 0 and t.loc[both, "accounts"] == 600
    assert set(out.scores) == {usage, both} and len(out.y) == (~half).sum()


def test_the_chosen_model_is_the_validation_winner_not_the_test_winner():
    # the non-usage signal reverses in the test period: validation prefers all signals,
    # the test period would prefer usage only; the test must report the validation choice
    obs, X = _planted(dates=24, flip_at="2024-06-01")
    periods = cm.time_split(obs, valid_from="2023-10-01", test_from="2024-06-01")
    valid, test = cm.validate_then_test(
        X, obs.churned, obs.account_id, periods, candidates=_two(), n_boot=200
    )
    chosen = cm.select_model(valid.table)
    assert chosen == _two()[1].name
    assert test.table.attrs["baseline"] == chosen
    assert test.table["auc"].idxmax() != chosen  # the test winner is another model
    assert list(test.table.index) == list(cm.best_per_signals(valid.table))


def test_base_rate_brier_uses_the_training_base_rate():
    obs, X = _planted(dates=12, base=-1.0)
    fit = (obs.obs_date < pd.Timestamp("2023-06-01")).to_numpy()
    y = obs.churned.to_numpy().copy()
    y[fit] = y[fit] & (np.arange(fit.sum()) % 3 == 0)  # a lower churn rate while fitting
    t = cm.compare_models(
        X, y, obs.account_id, fit_rows=fit, eval_rows=~fit, candidates=_two(), n_boot=50
    ).table
    ye = y[~fit]
    by_hand = np.mean((ye - y[fit].mean()) ** 2)
    assert t["base_rate_brier"].to_numpy() == pytest.approx(by_hand)
    assert by_hand > np.mean((ye - ye.mean()) ** 2) + 1e-3  # not the evaluation's own rate
    assert t["base_rate"].to_numpy() == pytest.approx(ye.mean())
    p = cm.evaluate(ye, np.full(len(ye), y[fit].mean()), train_base_rate=y[fit].mean())
    assert p["brier"] == pytest.approx(p["base_rate_brier"])


def test_precision_and_lift_sit_beside_the_base_rate():
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0] * 2)
    p = np.linspace(1, 0, 20)
    s = cm.evaluate(y, p)
    assert s["precision_top_decile"] == 0.5 and s["base_rate"] == 0.2
    assert s["lift_top_decile"] == pytest.approx(s["precision_top_decile"] / s["base_rate"])


def test_logistic_fits_reach_the_optimum(obs_x):
    # L1 optimality: a kept signal's loss gradient is -sign(coef), a dropped one's within +-1
    obs, X = obs_x
    y = obs.churned.to_numpy()
    for C in (0.1, 1.0):
        m = cm.fit(cm.Candidate("all signals", cm.LOGISTIC, C), X, y)
        est = m.named_steps["model"]
        assert est.n_iter_.max() < est.max_iter
        Z = m.named_steps["prep"].transform(X)
        g = C * Z.T @ (est.predict_proba(Z)[:, 1] - y)
        w = est.coef_[0]
        assert np.abs(g[w != 0] + np.sign(w[w != 0])).max() < 0.01
        assert np.abs(g[w == 0]).max() <= 1.001


def test_a_fit_that_stops_early_raises(monkeypatch):
    obs, X = _planted(n_accounts=100)
    real = cm.logistic_model
    monkeypatch.setattr(
        cm, "logistic_model", lambda X, **kw: real(X, **kw).set_params(model__max_iter=1)
    )
    with pytest.raises(Exception, match="converge|iteration"):
        cm.fit(cm.Candidate("all signals", cm.LOGISTIC, 1.0), X, obs.churned)


def test_candidates_are_simplest_first_and_named_by_what_they_see():
    cands = cm.default_candidates()
    assert [c.signals for c in cands[:4]] == ["usage only"] * 4
    assert cands[0].C < cands[1].C and cands[3].model == cm.BOOSTING
    X = pd.DataFrame(columns=[*cm.USAGE_ONLY, "recommend_mean", "segment"])
    assert cands[0].columns(X) == cm.USAGE_ONLY
    assert "segment" in cands[-1].columns(X) and "segment" not in cm.USAGE_ONLY
    t = pd.DataFrame({"auc": [0.7, 0.8, 0.8]}, index=["a", "b", "c"])
    assert cm.select_model(t) == "b"  # first of equals


def test_notebook_11_claims_hold_on_the_demo(obs_x):
    """What notebook 11's text says about its test period, checked with tolerances."""
    obs, X = obs_x
    valid_from, test_from = cm.default_periods("2025-12-31")  # the demo's as_of
    periods = cm.time_split(obs, valid_from=valid_from, test_from=test_from)
    valid, test = cm.validate_then_test(X, obs.churned, obs.account_id, periods)
    chosen = cm.select_model(valid.table)
    assert chosen.startswith("all signals · logistic L1")
    c = test.table.loc[chosen]
    u = test.table.loc[cm.best_per_signals(valid.table)["usage only"]]
    assert 0.74 < c["auc"] < 0.82 and 0.66 < u["auc"] < 0.76
    assert u["diff_high"] < 0  # all signals beat usage alone on the test period
    assert c["brier"] < c["base_rate_brier"] < c["brier"] * 1.1  # better, but only a little
    assert 3 < c["lift_top_decile"] < 5
    assert test.scores[chosen].mean() > test.y.mean()  # predicts more churn than happened
