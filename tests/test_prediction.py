"""Observation datasets, churn models and early warning."""

import warnings

import numpy as np
import pandas as pd
import pytest

from csworkbook.retention import models as cm
from csworkbook.retention import observations as ob
from csworkbook.retention import warning as ew
from csworkbook.retention.features import USAGE_FEATURES


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
    tr, te = cm.time_split(obs, test_from="2025-03-01")
    assert (obs.obs_date[tr] + pd.Timedelta(days=119) <= pd.Timestamp("2025-03-01")).all()
    assert (obs.obs_date[te] >= pd.Timestamp("2025-03-01")).all()
    with pytest.raises(ValueError, match="training"):
        cm.time_split(obs, test_from="2020-01-01")


def test_lift_and_calibration_by_hand():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    p = np.array([0.9, 0.1, 0.2, 0.1, 0.1, 0.3, 0.2, 0.1, 0.1, 0.05])
    assert cm.lift_at(y, p, 0.1) == pytest.approx(1 / 0.2)
    cal = cm.calibration_table(y, p, bins=2)
    assert cal.observations.tolist() == [5, 5]
    assert cal.observed.sum() == pytest.approx(0.2 + 0.2)


def test_all_signals_beat_usage_alone_out_of_time(obs_x):
    obs, X = obs_x
    tr, te = cm.time_split(obs, test_from="2025-03-01")
    usage_cols = [*USAGE_FEATURES, "days_since_active", "tenure_days", "segment"]
    aucs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, cols in (("usage", usage_cols), ("all", list(X.columns))):
            m = cm.logistic_model(X[cols]).fit(X[cols][tr], obs.churned[tr])
            aucs[name] = cm.evaluate(obs.churned[te], m.predict_proba(X[cols][te])[:, 1])["auc"]
    assert aucs["all"] > aucs["usage"] + 0.05
    assert aucs["all"] > 0.75


def test_drivers_name_directions(obs_x):
    obs, X = obs_x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = cm.logistic_model(X).fit(X, obs.churned)
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
