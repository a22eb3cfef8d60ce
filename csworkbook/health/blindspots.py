"""What a usage-only score misses: per scenario, per quadrant, in churned ARR.

Works on scored histories of the same accounts and dates (usually a usage-only and a
holistic scorecard), each with ``account_id``, ``obs_date``, ``churn_date``, ``churned``,
``arr``, ``score`` and ``band``. A churner counts as **caught** by a score when it was not
in the best band on some scoring date 60–90 days before it churned (a CSM had time to act).

Counting rules: a churner counts once (its ARR too, taken on its last scoring date in the
window); a share of churners gets a Wilson interval over customers; a share of
customer-dates gets an interval that resamples customers (:mod:`csworkbook.stats`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import clustered_rates, wilson_interval

WINDOW = (60, 90)
N_BOOT = 1000


def window_rows(history: pd.DataFrame, *, days=WINDOW) -> pd.DataFrame:
    """The scoring dates ``days[0]``–``days[1]`` days before each churner's churn date."""
    h = history.dropna(subset=["churn_date"])
    before = (h["churn_date"] - h["obs_date"]).dt.days
    return h[(before >= days[0]) & (before <= days[1])]


def churners_at(history: pd.DataFrame, *, days=WINDOW) -> pd.DataFrame:
    """One row per churner: its row on the last scoring date in the window before churn
    (what the CSM saw, and the ARR at stake, counted once).

    Examples
    --------
    >>> h = pd.DataFrame({"account_id": ["a", "a", "a"], "arr": [10.0, 12.0, 12.0],
    ...     "obs_date": pd.to_datetime(["2025-01-01", "2025-01-15", "2025-03-01"]),
    ...     "churn_date": pd.to_datetime(["2025-04-01"] * 3)})
    >>> churners_at(h)[["account_id", "obs_date", "arr"]].to_dict("records")
    [{'account_id': 'a', 'obs_date': Timestamp('2025-01-15 00:00:00'), 'arr': 12.0}]
    """
    win = window_rows(history, days=days)
    last = win.sort_values(["account_id", "obs_date"]).drop_duplicates("account_id", keep="last")
    return last.reset_index(drop=True)


def caught(history: pd.DataFrame, *, days=WINDOW, best: str = "green") -> pd.DataFrame:
    """Per churned account with a scoring date in the window: was it out of the best band
    on one of them (``caught``), on how many dates it was scored there
    (``window_dates``), and its ARR on the last of them (``arr``, once per churner)."""
    win = window_rows(history, days=days)
    flag = (win["band"].astype(object) != best).groupby(win["account_id"]).any()
    last = churners_at(history, days=days).set_index("account_id")
    return pd.DataFrame(
        {
            "churn_date": last["churn_date"],
            "window_dates": win.groupby("account_id").size(),
            "caught": flag,
            "arr": last.get("arr", np.nan),
        }
    ).rename_axis("account_id")


def _wilson(events: pd.Series, n: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return wilson_interval(events.to_numpy(dtype=float), n.to_numpy(dtype=float))


def scenario_caught(
    histories: dict, truth: pd.DataFrame, *, days=WINDOW, best: str = "green"
) -> pd.DataFrame:
    """Per blind-spot scenario (from ``truth``) and score: the churners (with a scoring date
    in the window), their customer-dates in the window, and the share each score caught,
    with a Wilson interval over churners.

    Returns a DataFrame indexed by ``scenario`` and ``score`` with ``churners``,
    ``window_dates``, ``caught``, ``low``, ``high``.
    """
    scen = truth.set_index("account_id")["scenario"]
    parts = []
    for name, h in histories.items():
        c = caught(h, days=days, best=best)
        g = c.groupby(c.index.map(scen).rename("scenario"))
        t = pd.DataFrame(
            {
                "churners": g.size(),
                "window_dates": g["window_dates"].sum(),
                "hits": g["caught"].sum(),
            }
        )
        t["caught"] = t["hits"] / t["churners"]
        t["low"], t["high"] = _wilson(t["hits"], t["churners"])
        parts.append(t.drop(columns="hits").assign(score=name))
    out = pd.concat(parts).set_index("score", append=True).sort_index(level=0, sort_remaining=False)
    return out


def caught_difference(
    histories: dict,
    truth: pd.DataFrame,
    *,
    baseline: str,
    days=WINDOW,
    best: str = "green",
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Per scenario: the share of churners each score caught and, for every score other
    than ``baseline``, its difference from the baseline on the same churners with an
    interval that resamples churners (paired). A negative difference is a scenario where
    that score does worse than the baseline.

    Returns per scenario ``customers`` (all of the scenario's customers in the history),
    ``churners``, one column per score (share caught), ``difference`` (last score minus
    ``baseline``), ``low``, ``high``.
    """
    scen = truth.set_index("account_id")["scenario"]
    other = [k for k in histories if k != baseline][-1]
    c = {k: caught(h, days=days, best=best)["caught"].astype(float) for k, h in histories.items()}
    d = pd.DataFrame(c).dropna()
    d = d.assign(
        _diff=d[other] - d[baseline],
        scenario=d.index.map(scen).to_numpy(),
        account_id=d.index.to_numpy(),
    )
    r = clustered_rates(
        d, value="_diff", cluster="account_id", by="scenario", n_boot=n_boot, seed=seed
    )
    r.index = r.index.astype(object)
    everyone = next(iter(histories.values()))["account_id"].drop_duplicates()
    out = pd.DataFrame(
        {
            "customers": everyone.map(scen).value_counts().reindex(r.index).fillna(0).astype(int),
            "churners": r["rows"],
        }
    )
    for k in histories:
        out[k] = d.groupby("scenario")[k].mean()
    out["difference"] = r["rate"]
    out["low"], out["high"] = r["low"], r["high"]
    return out.rename_axis("scenario")


def false_alarms(history: pd.DataFrame, *, worst: str = "red") -> pd.DataFrame:
    """The customer-dates of customers who did not churn in the observed window, with
    ``red`` (in the worst band that day): a CSM's wasted attention."""
    h = history.dropna(subset=["churned"])
    h = h[~h["churned"].astype(bool) & h["churn_date"].isna()]
    return h.assign(red=(h["band"].astype(object) == worst).to_numpy(dtype=float))


def scenario_false_alarms(
    histories: dict, truth: pd.DataFrame, *, worst: str = "red", n_boot: int = N_BOOT, seed=0
) -> pd.DataFrame:
    """Per scenario and score, for customers who stayed: the share of their customer-dates
    spent in the worst band, with an interval that resamples customers.

    Returns a DataFrame indexed by ``scenario`` and ``score`` with ``stayers``,
    ``customer_dates``, ``red_share``, ``low``, ``high``.
    """
    scen = truth.set_index("account_id")["scenario"]
    parts = []
    for name, h in histories.items():
        fa = false_alarms(h, worst=worst)
        fa = fa.assign(scenario=fa["account_id"].map(scen).to_numpy())
        r = clustered_rates(
            fa, value="red", cluster="account_id", by="scenario", n_boot=n_boot, seed=seed
        )
        r.index = r.index.astype(object)
        parts.append(
            pd.DataFrame(
                {
                    "stayers": r["customers"],
                    "customer_dates": r["rows"],
                    f"{worst}_share": r["rate"],
                    "low": r["low"],
                    "high": r["high"],
                    "score": name,
                }
            ).rename_axis("scenario")
        )
    out = pd.concat(parts).set_index("score", append=True).sort_index(level=0, sort_remaining=False)
    return out


def churned_arr_missed(histories, *, days=WINDOW, best: str = "green") -> pd.DataFrame:
    """Churned ARR whose account was still in the best band on every scoring date 60–90 days
    before churn, per score: each churner and its ARR (on its last date in the window)
    counted once.

    ``histories`` is a dict of scored histories (or one history). Returns per score
    ``churners``, ``missed_churners``, ``churned_arr``, ``missed_arr``, ``missed_share``
    (of the ARR).
    """
    if isinstance(histories, pd.DataFrame):
        histories = {"score": histories}
    rows = {}
    for name, h in histories.items():
        c = caught(h, days=days, best=best)
        total, missed = c["arr"].sum(), c.loc[~c["caught"], "arr"].sum()
        rows[name] = {
            "churners": len(c),
            "missed_churners": int((~c["caught"]).sum()),
            "churned_arr": total,
            "missed_arr": missed,
            "missed_share": missed / total if total else float("nan"),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("score")


def quadrants(
    usage: pd.DataFrame, holistic: pd.DataFrame, *, at, usage_cut: float = 50.0
) -> pd.DataFrame:
    """Accounts on one date by usage (usage-only score high / low) × overall health
    (holistic band) with how many churned within the horizon and a Wilson interval (one
    row per customer): heavy users who churn and light users who stay show up off the
    diagonal."""
    at = pd.Timestamp(at)
    u = usage[usage["obs_date"] == at].set_index("account_id")
    h = holistic[holistic["obs_date"] == at].set_index("account_id")
    d = pd.DataFrame(
        {
            "usage": pd.Categorical(
                (u["score"] >= usage_cut).map({True: "high usage", False: "low usage"}),
                categories=["high usage", "low usage"],
            ),
            "health": h["band"],
            "churned": u["churned"].astype("boolean"),
        }
    ).dropna(subset=["churned"])
    g = d.groupby(["usage", "health"], observed=False)["churned"]
    out = pd.DataFrame({"customers": g.size(), "churned": g.sum().astype(int)})
    out["churn_rate"] = out["churned"] / out["customers"].replace(0, np.nan)
    out["low"], out["high"] = _wilson(out["churned"], out["customers"])
    return out
