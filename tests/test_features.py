import pandas as pd

from csworkbook.retention.windows import window_agg


def test_window_respects_lead_and_length():
    obs = pd.DataFrame(
        {"account_id": ["a", "b"], "obs_date": pd.to_datetime(["2025-03-01", "2025-03-01"])}
    )
    t = pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "a"],
            "date": pd.to_datetime(["2024-12-29", "2024-12-30", "2025-01-29", "2025-01-30"]),
            "v": [1.0, 2.0, 4.0, 8.0],
        }
    )
    # window [obs - 30 - 31 days, obs - 30 days) = [2024-12-30, 2025-01-30): start in, end out
    out = window_agg(
        obs,
        t,
        "date",
        {"n": ("v", "count"), "s": ("v", "sum"), "m": ("v", "mean")},
        days=31,
        lead_days=30,
    )
    assert out.loc[0, "n"] == 2 and out.loc[0, "s"] == 6.0 and out.loc[0, "m"] == 3.0
    # an account without rows gets 0 for counts and sums, NaN for means
    assert out.loc[1, "n"] == 0 and out.loc[1, "s"] == 0
    assert pd.isna(out.loc[1, "m"])


def test_window_keeps_obs_index():
    obs = pd.DataFrame(
        {"account_id": ["a"], "obs_date": pd.to_datetime(["2025-03-01"])}, index=[42]
    )
    t = pd.DataFrame({"account_id": ["a"], "date": pd.to_datetime(["2025-02-01"])})
    out = window_agg(obs, t, "date", {"n": ("date", "count")}, days=60)
    assert list(out.index) == [42] and out.loc[42, "n"] == 1


def test_tenure_scaling_only_lifts_young_accounts():
    from csworkbook.retention.features import tenure_scaled

    out = tenure_scaled(pd.Series([3.0, 3.0, 0.0]), pd.Series([73.0, 400.0, 10.0]), 365)
    assert out.tolist() == [15.0, 3.0, 0.0]


def test_viz_helpers_return_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from csworkbook import viz

    d = pd.DataFrame({"churn_rate": [0.1, 0.2]}, index=pd.Index([1, 2], name="x_decile"))
    assert viz.decile_bars(d, ax=plt.figure().gca()).get_xlabel() == "x_decile (1 = lowest)"
    cal = pd.DataFrame({"predicted": [0.1, 0.3], "observed": [0.12, 0.28]})
    ax = viz.calibration_curve(cal, ax=plt.figure().gca())
    assert len(ax.lines) == 2  # the curve and the diagonal
    plt.close("all")


def test_first_value_is_not_seen_before_it_happens(demo):
    from csworkbook.retention.features import account_signals, seats_at

    fv = demo.milestones[demo.milestones["milestone"] == "first_value"].dropna()
    row = fv.iloc[0]
    first = demo.accounts.set_index("account_id").at[row["account_id"], "first_contract_date"]
    before = row["achieved_date"] - pd.Timedelta(days=5)
    obs = pd.DataFrame(
        {
            "account_id": [row["account_id"]] * 2,
            "obs_date": [before, before + pd.Timedelta(days=30)],
        }
    )
    obs["seats"] = seats_at(demo.contracts, obs)
    X = account_signals(demo, obs)
    assert X["days_to_first_value"].tolist() == [
        float((before - first).days),
        float((row["achieved_date"] - first).days),
    ]
