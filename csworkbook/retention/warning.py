"""Early warning (principle 2): usage drops that precede churn, and how much notice they give.

An alert fires in a week when an account's recent usage (mean of the last ``recent_weeks``)
falls below ``1 - drop`` times its baseline (mean of the ``baseline_weeks`` before that).

Two kinds of rate come out of it, and each gets the interval that fits how it was counted:

* over churned **customers** (one row each: was it warned?), a Wilson interval;
* over **customer-weeks** (alert weeks followed by churn, and the base rate of all weeks),
  an interval that resamples whole accounts, since one account's weeks are not independent
  (:func:`csworkbook.stats.clustered_rates`).

A share of churners warned needs its denominator said: a churner with less than
``min_tenure_weeks`` of history could never be warned (an alert needs ``recent_weeks +
baseline_weeks`` of usage, plus the notice), so "warned among churners who could have been"
is larger than "warned among all churners". :func:`warned_share` gives both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import clustered_rates, wilson_interval

MIN_TENURE_WEEKS = 20  # 4 recent + 12 baseline weeks of usage, plus 4 weeks' notice


def usage_alerts(
    usage: pd.DataFrame,
    *,
    metric: str = "active_users",
    recent_weeks: int = 4,
    baseline_weeks: int = 12,
    drop: float = 0.4,
) -> pd.DataFrame:
    """Per account and week: recent and baseline usage, their ratio and the alert flag.

    Windows count rows (weeks present in ``usage``) per account, oldest first.

    Examples
    --------
    >>> import pandas as pd
    >>> u = pd.DataFrame({"account_id": "a", "week": pd.date_range("2025-01-06", periods=6, freq="W-MON"),
    ...                   "active_users": [10, 10, 10, 10, 4, 4]})
    >>> usage_alerts(u, recent_weeks=2, baseline_weeks=2, drop=0.3)[["ratio", "alert"]].tail(3)
       ratio  alert
    3    1.0  False
    4    0.7  False
    5    0.4   True
    """
    u = (
        usage[["account_id", "week", metric]]
        .sort_values(["account_id", "week"])
        .reset_index(drop=True)
    )
    x = u[metric].astype(float)
    accounts = u["account_id"]

    def rolling_mean(s: pd.Series, window: int) -> pd.Series:
        r = s.groupby(accounts, sort=False).rolling(window, min_periods=window).mean()
        return r.reset_index(level=0, drop=True).sort_index()

    recent = rolling_mean(x, recent_weeks)
    base = rolling_mean(x.groupby(accounts, sort=False).shift(recent_weeks), baseline_weeks)
    u["recent"] = recent
    u["baseline"] = base
    u["ratio"] = recent / base.where(base > 0)
    u["alert"] = (u["ratio"] < 1 - drop).fillna(False).astype(bool)
    return u


def lead_times(
    alerts: pd.DataFrame, churn_dates: pd.DataFrame, *, window_weeks: int = 26
) -> pd.DataFrame:
    """For each churned account: weeks between its first alert in the ``window_weeks`` before
    churn and the churn date (NaN if no alert came).

    Returns one row per churned account (index ``account_id``): ``churn_date``, ``start``
    when ``churn_dates`` has it, and ``lead_weeks``.
    """
    keep = ["account_id", "churn_date"] + (["start"] if "start" in churn_dates else [])
    churned = churn_dates.dropna(subset=["churn_date"])[keep]
    a = alerts.loc[alerts["alert"], ["account_id", "week"]].merge(
        churned[["account_id", "churn_date"]], on="account_id"
    )
    weeks = (a["churn_date"] - a["week"]).dt.days / 7
    a = a[(weeks > 0) & (weeks <= window_weeks)].assign(weeks_before=weeks)
    first = a.groupby("account_id")["weeks_before"].max()
    out = churned.set_index("account_id")
    out["lead_weeks"] = first.reindex(out.index)
    return out


def observable_churners(
    churn_dates: pd.DataFrame, *, min_tenure_weeks: int = MIN_TENURE_WEEKS
) -> pd.DataFrame:
    """Churned accounts that were customers for at least ``min_tenure_weeks`` before churning:
    the ones a usage alert could have warned (``churn_dates`` needs ``start``)."""
    churned = churn_dates.dropna(subset=["churn_date"])
    return churned[churned["churn_date"] - churned["start"] >= pd.Timedelta(weeks=min_tenure_weeks)]


def warned_share(
    lead: pd.DataFrame,
    *,
    by: pd.Series | None = None,
    min_lead_weeks: float = 4,
    min_tenure_weeks: int = MIN_TENURE_WEEKS,
) -> pd.DataFrame:
    """Share of churners warned at least ``min_lead_weeks`` ahead, over two denominators:
    all churners, and churners with at least ``min_tenure_weeks`` of tenure (the ones an
    alert could have warned). One row per churned customer, so a Wilson interval.

    Parameters
    ----------
    lead : DataFrame
        :func:`lead_times` output with ``start`` (index ``account_id``).
    by : Series, optional
        A group label per ``account_id``; an ``all`` row comes first either way.

    Returns
    -------
    DataFrame indexed by (group, ``denominator``): ``churners``, ``warned``, ``share``,
    ``low`` and ``high``.

    Examples
    --------
    >>> import pandas as pd
    >>> lead = pd.DataFrame({"start": pd.to_datetime(["2024-01-01"] * 3 + ["2025-05-01"]),
    ...                      "churn_date": pd.to_datetime(["2025-06-01"] * 4),
    ...                      "lead_weeks": [10, 2, None, None]}, index=list("abcd"))
    >>> warned_share(lead)[["churners", "warned", "share"]].round(3)
                                         churners  warned  share
    group denominator
    all   all churners              4       1  0.250
          tenure ≥ 20 weeks         3       1  0.333
    """
    tenure_ok = lead["churn_date"] - lead["start"] >= pd.Timedelta(weeks=min_tenure_weeks)
    warned = lead["lead_weeks"] >= min_lead_weeks
    groups = {"all": pd.Series(True, index=lead.index)}
    if by is not None:
        label = pd.Series(by).reindex(lead.index)
        groups.update({g: label == g for g in sorted(label.dropna().unique())})
    rows = []
    for g, member in groups.items():
        for name, keep in (
            ("all churners", member),
            (f"tenure ≥ {min_tenure_weeks} weeks", member & tenure_ok),
        ):
            n, k = int(keep.sum()), int((warned & keep).sum())
            rows.append({"group": g, "denominator": name, "churners": n, "warned": k})
    out = pd.DataFrame(rows).set_index(["group", "denominator"])
    out["share"] = out["warned"] / out["churners"].where(out["churners"] > 0)
    out["low"], out["high"] = wilson_interval(out["warned"], out["churners"])
    return out


def followed_by_churn(
    alerts: pd.DataFrame,
    churn_dates: pd.DataFrame,
    *,
    horizon_weeks: int = 26,
    as_of=None,
) -> pd.DataFrame:
    """The account-weeks an alert is judged on, each marked ``churn_within`` when the account
    churned within ``horizon_weeks`` after it.

    Kept: weeks where the alert could be computed (a baseline above zero) and whose next
    ``horizon_weeks`` lie before ``as_of`` (default: the end of the last week in ``alerts``),
    so an alert in the last months is not counted as a false alarm before its outcome is known.
    """
    ends = alerts["week"].max() + pd.Timedelta(days=6) if as_of is None else pd.Timestamp(as_of)
    horizon = pd.Timedelta(weeks=horizon_weeks)
    w = alerts[alerts["ratio"].notna() & (alerts["week"] + horizon <= ends)]
    cd = w["account_id"].map(
        churn_dates.dropna(subset=["churn_date"]).set_index("account_id")["churn_date"]
    )
    ahead = cd - w["week"]
    return w.assign(churn_within=((ahead > pd.Timedelta(0)) & (ahead <= horizon)).to_numpy())


def alert_precision(judged: pd.DataFrame, *, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Precision of the alert beside the base rate it should be read against.

    ``judged`` is :func:`followed_by_churn` output. Rows: ``alert weeks`` (precision: the
    share followed by churn) and ``all weeks`` (base rate: the same share among every week
    judged, alert or not). Both are rates over customer-weeks, so the 95% interval resamples
    accounts. Columns ``weeks``, ``accounts``, ``followed_by_churn``, ``rate``, ``low``,
    ``high``; ``lift`` is precision over base rate.

    Examples
    --------
    >>> import pandas as pd
    >>> j = pd.DataFrame({"account_id": list("aabbcc"), "alert": [1, 1, 0, 0, 1, 0],
    ...                   "churn_within": [1, 1, 0, 0, 0, 0]}).astype({"alert": bool, "churn_within": bool})
    >>> alert_precision(j, n_boot=100)[["weeks", "accounts", "rate", "lift"]].round(3)
                 weeks  accounts   rate  lift
    alert weeks      3         2  0.667   2.0
    all weeks        6         3  0.333   1.0
    """
    base = _followed_share(judged, n_boot=n_boot, seed=seed)
    out = pd.DataFrame(
        {
            "alert weeks": _followed_share(judged[judged["alert"]], n_boot=n_boot, seed=seed),
            "all weeks": base,
        }
    ).T.astype({"weeks": int, "accounts": int, "followed_by_churn": int})
    out["lift"] = out["rate"] / base["rate"]
    return out


def _followed_share(part: pd.DataFrame, *, n_boot: int, seed: int) -> dict:
    """Weeks, accounts and the share followed by churn, with its account-resampled interval."""
    if part.empty:
        nan = float("nan")
        return {
            "weeks": 0,
            "accounts": 0,
            "followed_by_churn": 0,
            "rate": nan,
            "low": nan,
            "high": nan,
        }
    r = clustered_rates(
        part, value="churn_within", cluster="account_id", n_boot=n_boot, seed=seed
    ).iloc[0]
    return {
        "weeks": int(r["rows"]),
        "accounts": int(r["customers"]),
        "followed_by_churn": int(r["events"]),
        "rate": float(r["rate"]),
        "low": float(r["low"]),
        "high": float(r["high"]),
    }


def threshold_table(
    usage: pd.DataFrame,
    churn_dates: pd.DataFrame,
    *,
    drops=(0.2, 0.3, 0.4, 0.5, 0.6),
    min_lead_weeks: int = 4,
    horizon_weeks: int = 26,
    min_tenure_weeks: int = MIN_TENURE_WEEKS,
    as_of=None,
    n_boot: int = 1000,
    seed: int = 0,
    **alert_kwargs,
) -> pd.DataFrame:
    """How the alert threshold trades warning against false alarms, one row per ``drop``.

    Warning, over the ``churners`` with at least ``min_tenure_weeks`` of tenure (one row per
    customer; Wilson interval): ``churners_warned`` (share alerted at least ``min_lead_weeks``
    ahead, ``warned_low`` – ``warned_high``) and ``median_lead_weeks`` among them.

    False alarms, over customer-weeks whose next ``horizon_weeks`` are observed (interval
    from resampling accounts): ``alert_precision`` (share of alert weeks followed by churn,
    ``precision_low`` – ``precision_high``), ``base_rate`` (the same share among all weeks
    judged) and ``lift`` (precision / base rate); ``alert_weeks_share`` is how often the
    alert is on at all. ``churn_dates`` needs ``account_id``, ``start`` and ``churn_date``.
    """
    ratios = usage_alerts(usage, drop=drops[0], **alert_kwargs)
    observable = observable_churners(churn_dates, min_tenure_weeks=min_tenure_weeks)
    judged_all = followed_by_churn(ratios, churn_dates, horizon_weeks=horizon_weeks, as_of=as_of)
    base = _followed_share(judged_all, n_boot=n_boot, seed=seed)  # the same for every drop
    rows = {}
    for drop in drops:
        al = ratios.assign(alert=(ratios["ratio"] < 1 - drop).fillna(False).astype(bool))
        lt = lead_times(al, observable, window_weeks=horizon_weeks)
        warned = lt["lead_weeks"] >= min_lead_weeks
        lo, hi = wilson_interval(int(warned.sum()), len(lt))
        on = judged_all[(judged_all["ratio"] < 1 - drop).to_numpy()]
        prec = _followed_share(on, n_boot=n_boot, seed=seed)
        rows[drop] = {
            "churners": len(lt),
            "churners_warned": float(warned.mean()) if len(lt) else np.nan,
            "warned_low": float(lo),
            "warned_high": float(hi),
            "median_lead_weeks": float(lt.loc[warned, "lead_weeks"].median())
            if warned.any()
            else np.nan,
            "alert_precision": prec["rate"],
            "precision_low": prec["low"],
            "precision_high": prec["high"],
            "base_rate": base["rate"],
            "lift": prec["rate"] / base["rate"],
            "alert_weeks_share": float(al["alert"].mean()),
        }
    out = pd.DataFrame(rows).T.rename_axis("drop")
    return out.astype({"churners": int})


def trajectory_before(
    usage: pd.DataFrame, churn_dates: pd.DataFrame, *, metric: str = "active_users", weeks: int = 26
) -> pd.DataFrame:
    """Usage of churned accounts in the ``weeks`` before churn, relative to each account's
    own mean over weeks ``weeks``–``weeks - 7`` before churn (so 1.0 = its usual level).

    Returns a long frame: ``account_id``, ``weeks_before`` (1 = the last week) and ``relative``.
    """
    c = churn_dates.dropna(subset=["churn_date"])[["account_id", "churn_date"]]
    u = usage[["account_id", "week", metric]].merge(c, on="account_id")
    u["weeks_before"] = np.ceil((u["churn_date"] - u["week"]).dt.days / 7).astype(int)
    u = u[(u["weeks_before"] >= 1) & (u["weeks_before"] <= weeks)]
    base = u[u["weeks_before"] > weeks - 8].groupby("account_id")[metric].mean()
    u["relative"] = u[metric] / u["account_id"].map(base.where(base > 0))
    return u.dropna(subset=["relative"])[["account_id", "weeks_before", "relative"]].reset_index(
        drop=True
    )
