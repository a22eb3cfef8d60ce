"""One dataset serving every department (principle 10: customer success is a company-wide,
top-down commitment).

Sales reads expansion candidates (:mod:`csworkbook.value.expansion`); marketing reads adoption
and advocacy segments and the reference customers among them (:func:`customer_view`,
:func:`marketing_segments`, :func:`reference_candidates`); support moves from reactive to
proactive to predictive and needs to know which tickets any signal foresaw
(:func:`ticket_foresight`, :func:`ticket_persistence`); executives read one leading number, health,
beside the lagging revenue it announces (:func:`health_leads`). :func:`support_vs_cs` puts the
two customer-facing teams side by side: one ticket against the whole lifecycle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..health.monitor import trend
from ..stats import clustered_rates, wilson_interval

ADVOCACY = ("promoters", "mixed", "detractors", "unheard")
ADOPTION = ("low", "medium", "high")
GOALS = ("first_value", "team_rollout")


def _wilson(k, n) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = wilson_interval(k, n)
    return np.clip(lo, 0, 1), np.clip(hi, 0, 1)  # no -1e-18 at zero events


def account_voice(nps: pd.DataFrame, as_of, *, days: int = 365) -> pd.DataFrame:
    """Per account, the survey answers of the ``days`` to ``as_of``: ``answers``,
    ``respondents``, ``nps`` (promoters minus detractors, in points) and ``advocacy``:
    ``promoters`` at +50 or more, ``detractors`` at -50 or less, ``mixed`` between.

    Examples
    --------
    >>> n = pd.DataFrame({"account_id": ["a", "a", "b"], "user_id": ["u", "v", "w"],
    ...                   "date": pd.to_datetime(["2025-06-01"] * 3), "score": [10, 9, 3]})
    >>> account_voice(n, "2025-12-31")[["answers", "nps", "advocacy"]].values.tolist()
    [[2, 100.0, 'promoters'], [1, -100.0, 'detractors']]
    """
    as_of = pd.Timestamp(as_of)
    recent = nps[(nps["date"] <= as_of) & (nps["date"] > as_of - pd.Timedelta(days=days))]
    g = recent.assign(p=recent["score"] >= 9, d=recent["score"] <= 6).groupby("account_id")
    out = pd.DataFrame(
        {
            "answers": g.size(),
            "respondents": g["user_id"].nunique(),
            "nps": 100 * (g["p"].mean() - g["d"].mean()),
        }
    )
    out["advocacy"] = np.select(
        [out["nps"] >= 50, out["nps"] <= -50], ["promoters", "detractors"], "mixed"
    )
    return out


def goals_met(milestones: pd.DataFrame, as_of, *, required=GOALS) -> pd.Series:
    """True for each account that reached every milestone in ``required`` by ``as_of``
    (by default first value and the roll-out to its teams: the outcome it bought the product
    for, as far as milestones record it). Each milestone counts once, however often recorded.

    Examples
    --------
    >>> m = pd.DataFrame({"account_id": ["a", "a", "b", "b"],
    ...                   "milestone": ["first_value", "team_rollout"] * 2,
    ...                   "achieved_date": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-01-01", None])})
    >>> goals_met(m, "2025-12-31").to_dict()
    {'a': True, 'b': False}
    """
    m = milestones[milestones["milestone"].isin(list(required))]
    done = m["achieved_date"].notna() & (m["achieved_date"] <= pd.Timestamp(as_of))
    # distinct milestones: a milestone recorded twice must not stand in for a missing one
    reached = m["milestone"].where(done).groupby(m["account_id"]).nunique()
    return (reached >= len(set(required))).rename("goals_met")


def adoption_tier(utilisation: pd.Series, *, cuts=(0.3, 0.6)) -> pd.Series:
    """``low`` / ``medium`` / ``high`` adoption from seat utilisation (cut at ``cuts``).

    >>> adoption_tier(pd.Series([0.1, 0.3, 0.9])).tolist()
    ['low', 'medium', 'high']
    """
    u = utilisation.to_numpy(dtype=float)
    tier = np.select([u >= cuts[1], u >= cuts[0]], ["high", "medium"], "low")
    return pd.Series(np.where(np.isnan(u), None, tier), index=utilisation.index, name="adoption")


def customer_view(signals: pd.DataFrame, *, voice=None, goals=None) -> pd.DataFrame:
    """One row per paying customer for every department: the expansion signals
    (:func:`csworkbook.value.expansion.expansion_signals`: ARR, seats, utilisation, breadth,
    products, health) with ``adoption``, the survey voice (``nps``, ``advocacy``; ``unheard``
    without answers) and ``goals_met``, where given."""
    view = signals.set_index("account_id")
    view["adoption"] = adoption_tier(view["utilisation"])
    if voice is not None:
        view = view.join(voice[["answers", "nps", "advocacy"]])
        view["advocacy"] = view["advocacy"].fillna("unheard")
    if goals is not None:
        view["goals_met"] = goals.astype(bool).reindex(view.index, fill_value=False)
    return view.reset_index()


def marketing_segments(view: pd.DataFrame) -> pd.DataFrame:
    """Accounts and ARR in each adoption tier x advocacy group: where to run adoption
    campaigns (low adoption), advocacy programmes (promoters) and recovery (detractors)."""
    g = view.groupby(["adoption", "advocacy"], observed=True)
    out = pd.DataFrame({"accounts": g.size(), "arr": g["arr"].sum()})
    out["arr_share"] = out["arr"] / out["arr"].sum()
    order = pd.MultiIndex.from_product([ADOPTION, ADVOCACY], names=["adoption", "advocacy"])
    return out.reindex([k for k in order if k in out.index])


def reference_candidates(
    view: pd.DataFrame, *, min_utilisation: float = 0.6, bands=("green", "yellow")
) -> pd.DataFrame:
    """Customers to ask for a case study or a reference call: promoters, using at least
    ``min_utilisation`` of their seats, with their goals met and a health band in ``bands``
    (nobody asks a customer in trouble to speak for the product). Largest ARR first."""
    ok = (
        (view["advocacy"] == "promoters")
        & (view["utilisation"] >= min_utilisation)
        & view["goals_met"]
        & view["band"].astype(object).isin(list(bands))
    )
    return view[ok].sort_values(["arr", "account_id"], ascending=[False, True], kind="stable")


# ---- support: reactive, proactive, predictive ------------------------------------------


def ticket_foresight(
    history: pd.DataFrame,
    tickets: pd.DataFrame,
    *,
    drop: float = 10.0,
    days: int = 28,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Did a health dip come before the ticket? Per ticket category (and ``all``): the tickets
    opened during ``history`` whose account's score had fallen ``drop`` points or more in
    ``days`` on the last scoring date before the ticket (``foreseen``), beside the share of all
    scored customer-dates in such a dip (the base rate). ``lift`` = foreseen / base: near 1,
    dips come before tickets no more often than at any other time. Intervals resample customers.
    """
    t = trend(history[["account_id", "obs_date", "score"]], days=days)
    t = t[t["change"].notna()].assign(dip=lambda x: (x["change"] <= -drop).astype(float))
    base = clustered_rates(t, value="dip", cluster="account_id", n_boot=n_boot, seed=seed)
    base = base.iloc[0]
    k = tickets[["ticket_id", "account_id", "opened_at"]].assign(
        category=tickets["category"].fillna("(none)").astype(object),
        account_id=tickets["account_id"].astype(object),
    )
    k = k.sort_values("opened_at", kind="stable")
    left = t[["account_id", "obs_date", "dip"]].assign(account_id=t["account_id"].astype(object))
    j = pd.merge_asof(
        k,
        left.sort_values("obs_date", kind="stable"),
        left_on="opened_at",
        right_on="obs_date",
        by="account_id",
        direction="backward",
        allow_exact_matches=False,
        tolerance=pd.Timedelta(days=8),  # the scoring date of the week the ticket came in
    ).dropna(subset=["dip"])
    parts = [
        clustered_rates(
            j, value="dip", cluster="account_id", by="category", n_boot=n_boot, seed=seed
        ),
        clustered_rates(j, value="dip", cluster="account_id", n_boot=n_boot, seed=seed),
    ]
    out = pd.concat(parts).rename(columns={"rows": "tickets", "rate": "foreseen"})
    out = out.drop(columns="events")
    out["base_rate"] = base["rate"]
    out["lift"] = out["foreseen"] / base["rate"]
    out["lift_low"], out["lift_high"] = out["low"] / base["rate"], out["high"] / base["rate"]
    out.index.name = "category"
    return out


def ticket_persistence(
    tickets: pd.DataFrame, accounts, at, *, days: int = 182, tiers=(0, 1, 3, 6)
) -> pd.DataFrame:
    """Predictable *who*, if not *when*: the customers in ``accounts`` grouped by the tickets
    they opened in the ``days`` before ``at`` (``tiers`` are the lower edges), with the share
    that opened any in the ``days`` after (Wilson interval), the mean number after and its
    ratio to everyone's mean (``lift``).

    Examples
    --------
    >>> t = pd.DataFrame({"account_id": ["a", "a", "a", "b"],
    ...                   "opened_at": pd.to_datetime(["2025-03-01", "2025-05-01", "2025-08-01", "2025-02-01"])})
    >>> p = ticket_persistence(t, ["a", "b", "c"], "2025-06-30", days=180, tiers=(0, 1, 2))
    >>> p[["accounts", "with_ticket_after", "share_after"]].values.tolist()
    [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    """
    at = pd.Timestamp(at)
    span = pd.Timedelta(days=days)
    ids = pd.Index(pd.unique(pd.Series(list(accounts), dtype=object)), name="account_id")
    opened = tickets["opened_at"]
    before = tickets[(opened > at - span) & (opened <= at)].groupby("account_id").size()
    after = tickets[(opened > at) & (opened <= at + span)].groupby("account_id").size()
    d = pd.DataFrame(
        {"before": before.reindex(ids, fill_value=0), "after": after.reindex(ids, fill_value=0)}
    )
    edges = list(tiers)
    pairs = zip(edges[:-1], edges[1:], strict=True)
    labels = [f"{a}" if b == a + 1 else f"{a}-{b - 1}" for a, b in pairs] + [f"{edges[-1]}+"]
    d["tier"] = pd.Categorical(
        np.array(labels)[np.searchsorted(edges, d["before"], side="right") - 1], labels
    )
    g = d.groupby("tier", observed=False)
    out = pd.DataFrame(
        {"accounts": g.size(), "with_ticket_after": g["after"].agg(lambda s: (s > 0).sum())}
    )
    out["share_after"] = out["with_ticket_after"] / out["accounts"]
    out["low"], out["high"] = _wilson(out["with_ticket_after"], out["accounts"])
    out["tickets_after"] = g["after"].mean()
    base = d["after"].mean()
    out["lift"] = out["tickets_after"] / base if base else np.nan
    out.index = out.index.astype(str).rename("tickets_before")
    return out.astype(float)


# ---- executives: one leading number -----------------------------------------------------


def health_leads(history: pd.DataFrame, as_of, *, lead_days: int = 182) -> pd.DataFrame:
    """Health as a leading number: the customers scored on the last scoring date at least
    ``lead_days`` before ``as_of``, per band, with their ARR then and the share of customers
    (Wilson interval) and of that ARR that churned by ``as_of``. ``history`` needs
    ``account_id``, ``obs_date``, ``band``, ``arr`` and ``churn_date``. Every band has a row
    (red, yellow, green): one without customers counts 0, its rates NaN."""
    as_of = pd.Timestamp(as_of)
    dates = history.loc[history["obs_date"] <= as_of - pd.Timedelta(days=lead_days), "obs_date"]
    if dates.empty:
        raise ValueError(
            f"the history holds no scoring date {lead_days} days before {as_of.date()}"
        )
    then = history[history["obs_date"] == dates.max()]
    gone = then["churn_date"].notna() & (then["churn_date"] <= as_of)
    d = then.assign(churned=gone, arr_lost=np.where(gone, then["arr"], 0.0))
    g = d.groupby(d["band"].astype(object), sort=False)
    out = pd.DataFrame(
        {"customers": g.size(), "arr": g["arr"].sum(), "churned": g["churned"].sum()}
    )
    # every band, empty ones included: a board page shows "no red customers", it does not
    # drop the line (and a reader can ask for the row without checking it exists)
    out = out.reindex(["red", "yellow", "green"], fill_value=0)
    out["arr_share"] = out["arr"] / out["arr"].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["churn_rate"] = out["churned"] / out["customers"].replace(0, np.nan)
        out["low"], out["high"] = _wilson(out["churned"], out["customers"])
        lost = g["arr_lost"].sum().reindex(out.index, fill_value=0.0)
        out["arr_churned_share"] = lost / out["arr"].replace(0, np.nan)
    out.index.name = "band"
    out.attrs["date"] = pd.Timestamp(dates.max())
    return out


# ---- customer success and support, side by side -----------------------------------------


def support_vs_cs(
    ds, history: pd.DataFrame, *, days: int = 365, before: int = 90, drop: float = 10.0
) -> pd.DataFrame:
    """Support and customer success on the same customers over the ``days`` to ``as_of``.

    Rows: contacts per customer a year (tickets opened by the customer; touchpoints made by
    the vendor), the share of customers with none, how long one engagement lasts (a ticket
    open to closed; the customer's tenure so far), and, of the customers who churned in the
    window (whose ``before`` days before leaving lie inside ``history``), the share each team
    saw coming: a ticket in those days, or a health score that was red or fell ``drop`` points
    in four weeks; beside it, the same share among the customers who stayed (their last
    ``before`` days): a signal is worth something only where it tells the two apart.
    ``history`` needs ``account_id``, ``obs_date``, ``score``, ``band`` and ``churn_date``
    (one row per customer and scoring date). Shares of customers carry Wilson intervals.
    """
    as_of = ds.as_of
    start = as_of - pd.Timedelta(days=days)
    m = ds.mrr_monthly
    m = m[
        (m["mrr"] > 0) & (m["month"] > start.to_period("M").to_timestamp()) & (m["month"] <= as_of)
    ]
    customers = pd.Index(m["account_id"].unique())
    n = len(customers)
    t = ds.tickets[(ds.tickets["opened_at"] > start) & (ds.tickets["opened_at"] <= as_of)]
    p = ds.touchpoints[(ds.touchpoints["date"] > start) & (ds.touchpoints["date"] <= as_of)]
    t, p = t[t["account_id"].isin(customers)], p[p["account_id"].isin(customers)]
    years = days / 365.25
    rows = {}

    def share(label, k, ks, kc):  # customers counted by support and by CS, out of k
        lo_s, hi_s = _wilson(ks, k)
        lo_c, hi_c = _wilson(kc, k)
        rows[label] = {
            "support": ks / k if k else np.nan,
            "customer success": kc / k if k else np.nan,
            "support_low": float(lo_s),
            "support_high": float(hi_s),
            "cs_low": float(lo_c),
            "cs_high": float(hi_c),
            "customers": k,
        }

    rows["contacts per customer a year"] = {
        "support": len(t) / n / years,
        "customer success": len(p) / n / years,
        "customers": n,
    }
    share(
        "customers with no contact in the year",
        n,
        n - t["account_id"].nunique(),
        n - p["account_id"].nunique(),
    )
    hours = (t["closed_at"] - t["opened_at"]).dt.total_seconds() / 3600
    first = ds.accounts.set_index("account_id")["first_contract_date"].reindex(customers)
    rows["one engagement lasts (median days)"] = {
        "support": float(hours.median() / 24),
        "customer success": float((as_of - first).dt.days.median()),
        "customers": n,
    }
    life = history.drop_duplicates("account_id").set_index("account_id")["churn_date"]
    window = pd.Timedelta(days=before)
    churners = life[(life > start + window) & (life <= as_of)]
    churners = churners[churners - window >= history["obs_date"].min()]
    stayers = life[life.isna() & life.index.isin(customers)]
    marks = pd.concat(
        {"churners": churners, "stayers": stayers.fillna(as_of + pd.Timedelta(days=1))}
    )
    tr = trend(history[["account_id", "obs_date", "score"]])
    tr["flag"] = (history["band"].astype(object).to_numpy() == "red") | (tr["change"] <= -drop)
    for who, label in (
        ("churners", f"churners seen in their last {before} days"),
        ("stayers", f"customers who stayed, flagged in the last {before} days"),
    ):
        if who not in marks.index.get_level_values(0):
            continue
        c = marks.loc[who].rename("until").rename_axis("account_id").reset_index()
        tk = c.merge(ds.tickets[["account_id", "opened_at"]], on="account_id")
        tk = tk[(tk["opened_at"] < tk["until"]) & (tk["opened_at"] >= tk["until"] - window)]
        hw = c.merge(tr[tr["flag"]][["account_id", "obs_date"]], on="account_id")
        hw = hw[(hw["obs_date"] < hw["until"]) & (hw["obs_date"] >= hw["until"] - window)]
        share(label, len(c), tk["account_id"].nunique(), hw["account_id"].nunique())
    out = pd.DataFrame(rows).T
    out.index.name = "measure"
    return out[
        [
            c
            for c in (
                "customers",
                "support",
                "support_low",
                "support_high",
                "customer success",
                "cs_low",
                "cs_high",
            )
            if c in out
        ]
    ].astype(float)
