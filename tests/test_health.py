"""Health scores: scorecard arithmetic by hand, overrides, levels, monitoring, validation,
and on the demo data the holistic score beats the usage-only one."""

import numpy as np
import pandas as pd
import pytest

from csworkbook.health import (
    Group,
    Measure,
    Scorecard,
    blindspots,
    health_frame,
    monitor,
    profiles,
    scoring_dates,
    validation,
)


def card(missing="redistribute"):
    # usage: two measures 3:1; voice: one measure; groups 60:40
    return Scorecard(
        "t",
        [
            Group("usage", 60, (Measure("a", "a", red=0, green=10, weight=3),
                                Measure("b", "b", red=10, green=0, weight=1))),
            Group("voice", 40, (Measure("c", "c", red=0, green=100),)),
        ],
        missing=missing,
    )  # fmt: skip


X = pd.DataFrame({"a": [5.0, np.nan, 10.0, np.nan], "b": [0.0, 5.0, 20.0, np.nan],
                  "c": [50.0, 100.0, np.nan, np.nan]})  # fmt: skip


def test_measure_scorings():
    x = pd.Series([-5.0, 0.0, 5.0, 10.0, 20.0, np.nan])
    assert Measure("m", "x", red=0, green=10).score(x).tolist()[:5] == [0, 0, 50, 100, 100]
    assert Measure("m", "x", red=0, green=10, scoring="linear").score(x).tolist()[:5] == [
        -50, 0, 50, 100, 200
    ]  # fmt: skip
    lower = Measure("m", "x", red=10, green=0).score(x)
    assert lower.tolist()[:5] == [100, 100, 50, 0, 0] and np.isnan(lower.iloc[5])
    rag = Measure("m", "x", red=0, green=10, scoring="rag", points=(0, 60, 100)).score(x)
    assert rag.tolist()[:5] == [0, 0, 60, 100, 100] and np.isnan(rag.iloc[5])
    tiers = Measure("m", "x", scoring="tiers", edges=(1, 5), points=(100, 40, 0)).score(x)
    assert tiers.tolist()[:5] == [100, 100, 0, 0, 0]
    pct = Measure("m", "x", red=0, green=1, scoring="percentile").score(
        pd.Series([1.0, 2.0, 3.0, 4.0]), pd.Series([1, 1, 2, 2])
    )
    assert pct.tolist() == [50, 100, 50, 100]
    with pytest.raises(ValueError, match="red and green must differ"):
        Measure("m", "x", red=1, green=1)


def test_weights_are_normalised_and_reported():
    w = card().weights().set_index("measure")
    assert w["group_pct"].to_dict() == {"a": 60, "b": 60, "c": 40}
    assert w["pct_of_group"].to_dict() == {"a": 75, "b": 25, "c": 100}
    assert w["pct_of_score"].to_dict() == {"a": 45, "b": 15, "c": 40}
    assert w["pct_of_score"].sum() == 100


def test_redistribute_neutral_and_zero_by_hand():
    # row 0: usage = (3*50 + 1*100)/4 = 62.5; voice 50 -> 0.6*62.5 + 0.4*50 = 57.5
    # row 1: a missing -> usage = b = 50; voice 100 -> 0.6*50 + 0.4*100 = 70
    # row 2: voice missing -> its weight goes to usage: (3*100 + 1*0)/4 = 75
    # row 3: nothing -> NA
    s = card().score(X)
    assert s["usage"].tolist()[:3] == [62.5, 50, 75]
    assert s["score"].tolist()[:3] == [57.5, 70, 75] and np.isnan(s["score"].iloc[3])
    assert s["band"].astype(object).tolist()[:3] == ["yellow", "yellow", "green"]
    assert s["coverage"].tolist() == [1.0, 0.55, 0.6, 0.0]
    # neutral: row 1 a=50 -> usage (150+50)/4 = 50 -> 70; row 2 c=50 -> 0.6*75+0.4*50 = 65
    assert card("neutral").score(X)["score"].tolist() == [57.5, 70, 65, 50]
    # zero: row 1 usage (0+50)/4 = 12.5 -> 0.6*12.5 + 40 = 47.5; row 2 -> 45
    assert card("zero").score(X)["score"].tolist() == [57.5, 47.5, 45, 0]


def test_contributions_add_up_to_the_score():
    c = card().contributions(X.iloc[:3])
    assert np.allclose(c.sum(axis=1), card().score(X.iloc[:3])["score"])


def test_scorecard_from_yaml_and_bad_specs(tmp_path):
    path = tmp_path / "sc.yaml"
    path.write_text(
        "name: y\nmissing: neutral\nbands: {red: 0, amber: 40, green: 70}\ngroups:\n"
        "  - name: g\n    weight: 2\n    measures:\n"
        "      - {name: m, column: a, red: 0, green: 10, scoring: tiers, edges: [5], points: [0, 100]}\n",
        encoding="utf-8",
    )
    sc = Scorecard.from_yaml(path)
    assert sc.missing == "neutral" and list(sc.bands) == ["red", "amber", "green"]
    assert sc.score(pd.DataFrame({"a": [4.0, 6.0]}))["band"].astype(object).tolist() == [
        "red", "green"
    ]  # fmt: skip
    with pytest.raises(ValueError, match="band edges must rise"):
        Scorecard("x", sc.groups, bands={"green": 70, "red": 0})
    with pytest.raises(KeyError, match=r"needs column\(s\) \['a'\]"):
        sc.score(pd.DataFrame({"b": [1.0]}))


def test_overrides_apply_until_they_expire():
    dates = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"])
    scored = pd.DataFrame(
        {"account_id": "A", "obs_date": dates, "score": [20.0, 25.0, 30.0],
         "band": pd.Categorical(["red"] * 3, categories=["red", "yellow", "green"], ordered=True)}
    )  # fmt: skip
    o = [profiles.Override("A", "green", "exec sponsor confirmed renewal", "csm_ito",
                           "2025-01-15", "2025-03-01")]  # fmt: skip
    out = profiles.apply_overrides(scored, o)
    assert out["band"].astype(object).tolist() == ["red", "green", "red"]
    assert out["data_band"].astype(object).tolist() == ["red"] * 3
    assert out["override_author"].tolist()[1] == "csm_ito"
    rep = profiles.override_report(out, o, "2025-03-01")
    assert rep.loc[0, "status"] == "expired" and rep.loc[0, "data_band"] == "red"
    assert bool(rep.loc[0, "disagrees"])
    assert profiles.override_report(out, o, "2025-02-01").loc[0, "status"] == "active"


def test_profiles_pick_scorecards():
    p = profiles.Profiles(
        default=card(), by_touch={"tech": profiles.tech_touch_scorecard()}, onboarding_days=90
    )
    frame = pd.DataFrame({"tenure_days": [30, 400], "touch_model": ["high", "tech"]})
    assert p.resolve(frame).tolist() == ["t", "tech touch"]


def test_user_health_rolls_up_by_role(demo):
    users = profiles.user_health(demo, demo.as_of)
    assert set(users["score"]) <= {0.0, 60.0, 100.0}
    acct = profiles.roll_up(users, "account_id", weight="weight")
    one = users[users["account_id"] == acct.index[0]]
    expected = (one["score"] * one["weight"]).sum() / one["weight"].sum()
    assert acct["score"].iloc[0] == pytest.approx(expected)


def history():
    dates = pd.to_datetime(["2025-01-01", "2025-01-29", "2025-02-26"])
    cats = ["red", "yellow", "green"]
    return pd.DataFrame(
        {
            "account_id": ["A"] * 3 + ["B"] * 3,
            "obs_date": list(dates) * 2,
            "score": [80.0, 78.0, 40.0, 60.0, 58.0, 57.0],
            "band": pd.Categorical(["green", "green", "red", "yellow", "yellow", "yellow"], cats),
            "arr": [100.0] * 3 + [900.0] * 3,
            "next_renewal": pd.to_datetime(["2025-06-01"] * 3 + ["2025-04-15"] * 3),
        }
    )


def test_trend_movers_and_calls_to_action():
    t = monitor.trend(history())
    assert t["arrow"].tolist() == ["", "→", "↓", "", "→", "→"]
    m = monitor.movers(history(), "2025-02-26", drop=10)
    assert m["account_id"].tolist() == ["A"] and m["change"].iloc[0] == -38
    cta = monitor.calls_to_action(history(), "2025-02-26", drop=15, renewal_days=60)
    assert cta[["account_id", "rule"]].values.tolist() == [
        ["B", "renewal within 60 days, not green"],
        ["A", "entered red"],
        ["A", "dropped 15+ points in 28 days"],
    ]


def test_validation_tables_by_hand():
    cats = ["red", "yellow", "green"]
    s = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"] * 2,
            "obs_date": pd.to_datetime(["2025-01-01"] * 4 + ["2025-02-01"] * 4),
            "score": [10.0, 20.0, 80.0, 90.0, 15.0, 60.0, 70.0, 95.0],
            "band": pd.Categorical(["red", "red", "green", "green", "red", "yellow", "yellow", "green"], cats),
            "churned": [True, False, False, False, True, True, False, False],
        }
    )  # fmt: skip
    bt = validation.band_table(s, n_boot=200)
    assert bt["churn_rate"].tolist() == [2 / 3, 0.5, 0.0]
    assert bt["rows"].tolist() == [3, 2, 3] and bt["customers"].tolist() == [2, 2, 2]
    assert bt["churned"].tolist() == [2, 1, 0]
    assert bt.loc["red", "lift"] == pytest.approx((2 / 3) / (3 / 8))
    assert (bt["low"] <= bt["churn_rate"]).all() and (bt["churn_rate"] <= bt["high"]).all()
    cap = validation.capacity(s, 1)
    assert (cap["precision"], cap["recall"]) == (1.0, 2 / 3)
    assert validation.auc(s) == pytest.approx(14 / 15)
    red = validation.red_precision_recall(s)
    assert (red["precision"], red["recall"]) == (2 / 3, 2 / 3)
    all_green = s.assign(band=pd.Categorical(["green"] * 8, cats))
    assert validation.green_warning(all_green).startswith(
        "100% of 8 scores (4 customers) are green, above 80%"
    )
    # no warning is still a sentence that says the share, never None
    assert (
        validation.green_warning(s)
        == "38% of 8 scores (4 customers) are green, not above 80%: no warning."
    )


def test_learned_weights_find_the_signal_and_correlations():
    rng = np.random.default_rng(0)
    n = 4000
    x1, noise = rng.normal(size=n), rng.normal(size=n)
    X = pd.DataFrame({"x1": x1, "x1_copy": x1 + rng.normal(scale=0.05, size=n), "noise": noise})
    churn = rng.random(n) < 1 / (1 + np.exp(-(-1.5 - 1.2 * x1)))
    lw = validation.learned_weights(X, churn, columns=["x1", "x1_copy", "noise"], C=0.02)
    assert lw.loc[["x1", "x1_copy"], "renewal_change_per_sd"].sum() > 0.05
    assert abs(lw.loc["noise", "renewal_change_per_sd"]) < 0.01
    groups = validation.correlated_groups(X, ["x1", "x1_copy", "noise"])
    assert groups["x1"] == groups["x1_copy"] != groups["noise"]


@pytest.fixture(scope="module")
def demo_frame(demo):
    return health_frame(demo, scoring_dates(demo.as_of, weeks=104, every_days=28))


def test_tuner_responds_to_slider_values(demo_frame):
    holistic = profiles.holistic_scorecard()
    only_voice = validation.tune(
        demo_frame, holistic, {g.name: 0 for g in holistic.groups} | {"voice of customer": 1}
    )
    assert only_voice["weights"]["voice of customer"] == 100
    voice_card = Scorecard("v", [g for g in holistic.groups if g.name == "voice of customer"])
    scored = pd.concat(
        [demo_frame[["account_id", "obs_date", "churned"]], voice_card.score(demo_frame)], axis=1
    )
    assert only_voice["auc"] == pytest.approx(validation.auc(scored))
    default = validation.tune(demo_frame, holistic, {})
    assert default["auc"] != only_voice["auc"]
    assert default["bands"]["rows"].sum() == demo_frame["churned"].notna().sum()


def test_holistic_beats_usage_only_on_demo(demo, demo_frame):
    keep = ["account_id", "obs_date", "churn_date", "churned", "arr"]
    h = {name: pd.concat([demo_frame[keep], c.score(demo_frame)], axis=1)
         for name, c in [("usage", profiles.usage_scorecard()), ("holistic", profiles.holistic_scorecard())]}  # fmt: skip
    labelled = h["holistic"].dropna(subset=["churned"])
    aucs = validation.auc_table(
        labelled, {k: v.loc[labelled.index, "score"] for k, v in h.items()}, baseline="usage", n_boot=100
    )  # fmt: skip
    # clearly better: the paired interval of the difference lies above 0.05
    assert aucs.loc["holistic", "diff_low"] > 0.05
    missed = blindspots.churned_arr_missed(h)["missed_share"]
    assert missed["holistic"] < missed["usage"] / 2
    caught = blindspots.scenario_caught(h, demo.truth)["caught"]
    # the roadmap-stale heavy users are invisible to usage and visible to the holistic score
    assert caught["heavy_roadmap_stale", "holistic"] > caught["heavy_roadmap_stale", "usage"] + 0.3
    red = blindspots.scenario_false_alarms(h, demo.truth, n_boot=100)["red_share"]
    light = [s for s in red.index.get_level_values("scenario").unique() if s.startswith("light_")]
    assert all(red[s, "usage"] > red[s, "holistic"] for s in light)
