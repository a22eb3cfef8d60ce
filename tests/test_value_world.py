"""The world's costs and its randomised save play: additive, off by default, and measurable."""

import numpy as np
import pandas as pd
import pytest

from csworkbook import DataError, synth
from csworkbook.data.validate import validate
from csworkbook.value import acting


@pytest.fixture(scope="module")
def lab():
    return synth.generate(1500, seed=21, save_play={"months": 24})


def test_costs_follow_segment_and_touch(demo):
    costs = demo.account_costs.merge(demo.accounts, on="account_id")
    assert (
        len(costs) == len(demo.accounts)
        and (costs[["acquisition_cost", "cost_to_serve"]] > 0).all().all()
    )
    cac = costs.groupby("segment").acquisition_cost.median()
    assert cac["enterprise"] > cac["mid_market"] > cac["smb"]
    serve = costs.groupby("touch_model").cost_to_serve.median()
    assert serve["high"] > serve["low"] > serve["tech"]


def test_play_is_off_by_default_and_leaves_the_world_alone(small, lab):
    assert "experiments" not in small and "save_play" not in small.meta["generator"]
    # what is drawn before the play starts is the same with it on
    off = synth.generate(1500, seed=21)
    pd.testing.assert_frame_equal(off.accounts, lab.accounts)
    pd.testing.assert_frame_equal(
        off.truth[["account_id", "fit", "outcome"]], lab.truth[["account_id", "fit", "outcome"]]
    )
    assert lab.meta["generator"]["save_play"]["save_rate"] == 0.3


def test_experiments_table_is_valid_and_consistent(lab):
    assert validate(lab.tables).ok
    ex = lab.experiments
    assert set(ex.arm) == {"treatment", "control"} and ex.account_id.is_unique
    assert ((ex.target_date - ex.enrolled_date).dt.days == 90).all()
    assert (ex.target_date <= lab.as_of).all()
    assert (
        ex.enrolled_date >= lab.as_of.to_period("M").to_timestamp() - pd.DateOffset(months=23)
    ).all()
    assert ex.risk_at_enrolment.between(0.15, 1).all()
    # every target is an annual-or-longer renewal the account actually reached
    ren = lab.renewals.merge(lab.contracts[["contract_id", "term_months"]], on="contract_id")
    ren = ren[ren.term_months >= 12]
    reached = set(zip(ren.account_id, ren.renewal_date, strict=True))
    assert all(k in reached for k in zip(ex.account_id, ex.target_date, strict=True))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"save_rate": 1.5}, "save_rate"),
        ({"months": 0}, "months"),
        ({"read_noise": -1}, "read_noise"),
    ],
)
def test_bad_play_parameters_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        synth.generate(50, save_play=kwargs)


def test_uplift_interval_covers_the_true_effect_over_seeds():
    # 12 worlds, each with its own draws of the play: the 95% interval of the save rate should
    # cover the world's true save rate in about 95% of them (at least 10 of 12 here), the
    # estimates centre on it, and the before/after comparison overstates it on average
    rows = []
    for seed in range(12):
        ds = synth.generate(2500, seed=300 + seed, save_play={"months": 24, "save_rate": 0.3})
        outcomes = acting.play_outcomes(ds)
        s = acting.uplift(outcomes).loc["save rate"]
        naive = acting.naive_before_after(outcomes).loc["treatment", "naive_save_rate"]
        rows.append({"est": s.estimate, "covered": s.low <= 0.3 <= s.high, "naive": naive})
    r = pd.DataFrame(rows)
    assert r.covered.sum() >= 10, r
    assert abs(r.est.mean() - 0.3) < 0.06
    assert r.naive.mean() > 0.3 + 0.04 and (r.naive > r.est).mean() >= 0.75


def test_uplift_by_hand():
    o = pd.DataFrame(
        {
            "arm": ["control"] * 200 + ["treatment"] * 200,
            "churned": [True] * 80 + [False] * 120 + [True] * 60 + [False] * 140,
        }
    )
    u = acting.uplift(o)
    assert u.loc["control", "estimate"] == 0.4 and u.loc["treatment", "estimate"] == 0.3
    assert u.loc["difference", "estimate"] == pytest.approx(0.1)
    se = np.sqrt(1 / 60 - 1 / 200 + 1 / 80 - 1 / 200)  # Katz: log of the risk ratio 0.75
    assert u.loc["save rate", "low"] == pytest.approx(1 - 0.75 * np.exp(1.959964 * se), rel=1e-5)
    assert u.loc["save rate", "high"] == pytest.approx(1 - 0.75 * np.exp(-1.959964 * se), rel=1e-5)
    assert u.loc["difference", "low"] < 0.1 < u.loc["difference", "high"]


def test_play_outcomes_need_an_experiment(small, lab):
    assert not small.supports("save play uplift") and lab.supports("save play uplift")
    with pytest.raises(DataError, match=r"randomised CS play \(.*\) \(`experiments`\)"):
        acting.play_outcomes(small)
    with pytest.raises(DataError, match="no customer enrolled in 'win_back'"):
        acting.play_outcomes(lab, "win_back")
