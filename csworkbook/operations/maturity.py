"""Run customer success on hard numbers (principle 9): a maturity self-assessment and the team's
own KPIs computed from the data.

Four levels, each built on the one before: **repeatable** (the same work, done the same way),
**defined** (written rules and playbooks), **measured** (the team's work and its results are
counted) and **optimized** (the numbers change how the team works). :func:`assess` scores a
self-assessment; :func:`answers_from_data` answers the statements the data can check.

The KPIs: calls to action and how soon a touchpoint follows them (:func:`cta_episodes`,
:func:`response_times`, beside the wait from any date), how much of the book a health score
covers and how many calls to action are acted on (:func:`health_adoption`), and GRR / NRR per
CSM with intervals that resample the CSM's own customers (:func:`retention_by_owner`), whose
rankings :func:`split_half` and :func:`rank_agreement` test for noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..health.monitor import calls_to_action
from ..retention.metrics import unit_mrr
from ..stats import cluster_draws, clustered_rates, wilson_interval

LEVELS = ("repeatable", "defined", "measured", "optimized")
STATEMENTS = {
    "repeatable": {
        "r1": "Every paying customer has an owner: a named CSM or a pooled tech-touch programme.",
        "r2": "Every customer with a CSM is met one-to-one at least once a quarter.",
        "r3": "Onboarding and renewals follow the same steps for every customer.",
    },
    "defined": {
        "d1": "Touch models have written entry rules (ARR, fit) that each account's model follows.",
        "d2": "Each call to action has a playbook and an answer time of two weeks at most.",
        "d3": "Hand-offs from sales to CS and from CS to support are written down.",
    },
    "measured": {
        "m1": "A health score covers every customer, on most of its signals.",
        "m2": "GRR and NRR are reported every month by segment and by CSM, with intervals.",
        "m3": "Coverage, touch frequency and response times are reported to the team.",
    },
    "optimized": {
        "o1": "The health score is backtested against churn at least once a year.",
        "o2": "New plays are tested against a control group before they are rolled out.",
        "o3": "CSM books are sized from the data: accounts, ARR and coverage per CSM.",
    },
}
POINTS = {"no": 0.0, "partly": 0.5, "yes": 1.0}
# The statements the data can answer: (evidence name, share for "partly", share for "yes").
EVIDENCE = {
    "r2": ("coverage", 0.6, 0.9),
    "d2": ("answered", 0.5, 0.8),
    "m1": ("scored", 0.75, 0.95),
}
ONE_TO_ONE = ("onboarding_call", "check_in", "qbr", "ebr")


def assess(answers: dict, *, threshold: float = 2 / 3) -> pd.DataFrame:
    """Score a self-assessment: one row per level with its ``statements``, ``answered``,
    ``points`` (no 0, partly 0.5, yes 1; a statement left out scores 0), ``score`` (points /
    statements) and ``reached``: the level and every level below it score ``threshold`` or
    more. ``attrs["level"]`` names the highest level reached ("ad hoc" for none).

    Examples
    --------
    >>> a = assess({"r1": "yes", "r2": "yes", "r3": "partly", "d1": "yes", "d2": "partly"})
    >>> a[["points", "score", "reached"]].round(3).values.tolist()
    [[2.5, 0.833, True], [1.5, 0.5, False], [0.0, 0.0, False], [0.0, 0.0, False]]
    >>> a.attrs["level"]
    'repeatable'
    """
    known = {k for level in STATEMENTS.values() for k in level}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(f"no statement {unknown}; the statements are {sorted(known)}")
    rows, ok, level = [], True, "ad hoc"
    for name in LEVELS:
        keys = list(STATEMENTS[name])
        given = {k: str(answers[k]).strip().lower() for k in keys if answers.get(k) is not None}
        bad = {k: v for k, v in given.items() if v not in POINTS}
        if bad:
            raise ValueError(f"answers must be one of {list(POINTS)}, not {bad}")
        points = sum(POINTS[v] for v in given.values())
        score = points / len(keys)
        ok = ok and score >= threshold
        level = name if ok else level
        rows.append(
            {
                "level": name,
                "statements": len(keys),
                "answered": len(given),
                "points": points,
                "score": score,
                "reached": ok,
            }
        )
    out = pd.DataFrame(rows).set_index("level")
    out.attrs["level"] = level
    return out


def answers_from_data(evidence: dict) -> dict:
    """The answers the data gives to the statements it can check (:data:`EVIDENCE`): each
    share at or above its "yes" mark is a yes, at or above its "partly" mark partly, else no.
    Evidence that is missing or NaN answers nothing.

    Examples
    --------
    >>> answers_from_data({"coverage": 0.95, "answered": 0.55, "scored": float("nan")})
    {'r2': 'yes', 'd2': 'partly'}
    """
    out = {}
    for key, (name, partly, yes) in EVIDENCE.items():
        v = evidence.get(name)
        if v is None or not np.isfinite(v):
            continue
        out[key] = "yes" if v >= yes else "partly" if v >= partly else "no"
    return out


# ---- calls to action and what follows them ---------------------------------------------


def cta_episodes(history: pd.DataFrame, *, days: int = 28, **rules) -> pd.DataFrame:
    """Calls to action (:func:`csworkbook.health.monitor.calls_to_action`) on every scoring
    date of ``history``, counted once per episode: a rule that fires for an account on
    consecutive scoring dates is one call to action, dated when it first fired.

    ``history`` needs what ``calls_to_action`` reads (``account_id``, ``obs_date``, ``score``,
    ``band``, ``arr``, ``next_renewal``); other columns such as ``touch_model`` are carried.
    ``rules`` (``drop``, ``renewal_days``...) pass through.
    """
    dates = np.sort(history["obs_date"].unique())
    parts = []
    for i, d in enumerate(dates[1:], start=1):
        d = pd.Timestamp(d)
        # only what the rules compare: this date, the one before, and `days` earlier
        near = history["obs_date"].isin(
            [d, pd.Timestamp(dates[i - 1]), d - pd.Timedelta(days=days)]
        )
        fired = calls_to_action(history[near], d, days=days, **rules)
        parts.append(fired.assign(date=d, step=i))
    if not parts:
        return pd.DataFrame(columns=["account_id", "rule", "date"])
    c = pd.concat(parts, ignore_index=True).sort_values(
        ["account_id", "rule", "date"], kind="stable"
    )
    same = (c["account_id"] == c["account_id"].shift()) & (c["rule"] == c["rule"].shift())
    first = ~(same & (c["step"] == c["step"].shift() + 1))
    c = c[first].drop(columns="step")
    extra = [x for x in history.columns if x not in c.columns and x not in ("obs_date",)]
    keep = [x for x in ("touch_model", "segment") if x in extra]
    if keep:
        ctx = history.drop_duplicates("account_id", keep="last").set_index("account_id")[keep]
        c = c.join(ctx, on="account_id")
    return c.reset_index(drop=True)


def response_times(
    calls: pd.DataFrame,
    touchpoints: pd.DataFrame,
    as_of,
    *,
    kinds=ONE_TO_ONE,
    within: int = 30,
) -> pd.DataFrame:
    """Days from each call to action (``account_id``, ``date``) to the account's next
    touchpoint of ``kinds`` on or after that date: ``days`` (NaN if none came within
    ``within`` days) and ``answered`` (one came within ``within`` days). Calls whose window
    is not over by ``as_of`` and are still unanswered are dropped: their answer may yet come.
    Touchpoints after ``as_of`` are not read (an export taken later does not answer a call).

    Examples
    --------
    >>> calls = pd.DataFrame({"account_id": ["a", "a", "b"],
    ...                       "date": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-01-01"])})
    >>> tp = pd.DataFrame({"account_id": ["a", "b"], "kind": ["qbr", "email"],
    ...                    "date": pd.to_datetime(["2025-01-05", "2025-01-02"])})
    >>> response_times(calls, tp, "2025-12-31")[["days", "answered"]].values.tolist()
    [[4.0, True], [nan, False], [nan, False]]
    """
    as_of = pd.Timestamp(as_of)
    # a touchpoint after as_of is not known yet: an export taken later must not answer a call
    known = touchpoints["kind"].isin(list(kinds)) & (touchpoints["date"] <= as_of)
    tp = touchpoints[known][["account_id", "date"]]
    tp = tp.assign(account_id=tp["account_id"].astype(object)).sort_values("date", kind="stable")
    c = calls.reset_index(drop=True).assign(_row=np.arange(len(calls)))
    left = c[["account_id", "date", "_row"]].assign(account_id=c["account_id"].astype(object))
    nxt = pd.merge_asof(
        left.sort_values("date", kind="stable"),
        tp.rename(columns={"date": "touch_date"}),
        left_on="date",
        right_on="touch_date",
        by="account_id",
        direction="forward",
    ).set_index("_row")
    days = (nxt["touch_date"] - nxt["date"]).dt.days.reindex(c["_row"]).to_numpy(dtype=float)
    answered = days <= within
    out = c.drop(columns="_row").assign(days=np.where(answered, days, np.nan), answered=answered)
    complete = out["date"] + pd.Timedelta(days=within) <= as_of
    return out[complete | out["answered"]].reset_index(drop=True)


def response_summary(
    responses: pd.DataFrame, *, by: str | None = None, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Per group of ``by``: calls, customers, median days to the touchpoint (of those
    answered) and the share answered, with an interval that resamples customers (a customer
    can have many calls)."""
    rates = clustered_rates(
        responses.assign(answered=responses["answered"].astype(float)),
        value="answered",
        cluster="account_id",
        by=by,
        n_boot=n_boot,
        seed=seed,
    )
    keys = responses[by] if by else pd.Series("all", index=responses.index)
    median = responses["days"].groupby(keys).median()
    out = rates.rename(columns={"rows": "calls", "rate": "answered"})
    out.insert(2, "median_days", median.reindex(out.index))
    return out[["calls", "customers", "median_days", "answered", "low", "high"]]


def health_adoption(
    today: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    min_coverage: float = 0.75,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Is the health score used? ``scored``: the share of customers scored today (one row per
    customer in ``today``, with ``coverage``) whose score stands on at least ``min_coverage``
    of the scorecard (Wilson interval); ``answered``: the share of calls to action followed
    by a touchpoint (:func:`response_times`; interval resampling customers)."""
    n = len(today)
    k = int((today["coverage"] >= min_coverage).sum())
    lo, hi = wilson_interval(k, n)
    rows = {
        "scored": {
            "rows": n,
            "customers": n,
            "rate": k / n if n else np.nan,
            "low": float(lo),
            "high": float(hi),
        }
    }
    if len(responses):
        r = response_summary(responses, n_boot=n_boot, seed=seed).iloc[0]
        rows["answered"] = {
            "rows": r["calls"],
            "customers": r["customers"],
            "rate": r["answered"],
            "low": r["low"],
            "high": r["high"],
        }
    return pd.DataFrame(rows).T.astype(float)


# ---- retention per CSM -----------------------------------------------------------------


def retention_by_owner(
    mrr_monthly: pd.DataFrame,
    accounts: pd.DataFrame,
    start,
    end,
    *,
    by: str = "csm_id",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """GRR and NRR of each owner's book (the accounts paying in ``start``'s month, by
    ``accounts[by]``) between two months, each with a 95% interval from resampling the
    owner's own accounts (``seed``): how much the figure could move with a slightly different
    book. Accounts without an owner are left out.

    Examples
    --------
    >>> m = pd.DataFrame({"contract_id": list("abcd") * 2, "account_id": list("abcd") * 2,
    ...                   "month": pd.to_datetime(["2024-01-01"] * 4 + ["2025-01-01"] * 4),
    ...                   "mrr": [100.0, 100.0, 100.0, 100.0, 150.0, 0.0, 100.0, 80.0]})
    >>> acc = pd.DataFrame({"account_id": list("abcd"), "csm_id": ["X", "X", "Y", "Y"]})
    >>> retention_by_owner(m, acc, "2024-01", "2025-01", n_boot=50)[["accounts", "grr", "nrr"]].values.tolist()
    [[2.0, 0.5, 0.75], [2.0, 0.9, 0.9]]
    """
    s = pd.Timestamp(start).to_period("M").to_timestamp()
    e = pd.Timestamp(end).to_period("M").to_timestamp()
    wide = unit_mrr(mrr_monthly).droplevel("unit")
    wide = wide.reindex(columns=[s, e], fill_value=0.0)
    wide.columns = ["start_mrr", "end_mrr"]
    wide = wide[wide["start_mrr"] > 0]
    owner = accounts.drop_duplicates("account_id").set_index("account_id")[by]
    wide = wide.assign(owner=wide.index.map(owner)).dropna(subset=["owner"])
    wide["kept"] = np.minimum(wide["start_mrr"], wide["end_mrr"])
    rows = {}
    for name, part in wide.groupby("owner", sort=True):
        part = part.sort_index()  # the order of cluster_draws' columns: sorted account ids
        _, _, draws = cluster_draws(part.index, n_boot=n_boot, seed=seed)
        start_mrr = part["start_mrr"].to_numpy()
        row = {"accounts": len(part), "start_mrr": start_mrr.sum()}
        for metric, col in (("grr", "kept"), ("nrr", "end_mrr")):
            v = part[col].to_numpy()
            row[metric] = v.sum() / start_mrr.sum()
            reps = (draws @ v) / (draws @ start_mrr)
            row[f"{metric}_low"], row[f"{metric}_high"] = np.quantile(reps, [0.025, 0.975])
        rows[name] = row
    cols = ["accounts", "start_mrr", "grr", "grr_low", "grr_high", "nrr", "nrr_low", "nrr_high"]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=cols).astype(float)
    out.index.name = by
    if "touch_model" in accounts and by != "touch_model":
        model = (
            accounts.dropna(subset=[by]).groupby(by)["touch_model"].agg(lambda x: x.mode().iloc[0])
        )
        out.insert(0, "touch_model", model.reindex(out.index))
    return out


def split_half(
    mrr_monthly: pd.DataFrame,
    accounts: pd.DataFrame,
    start,
    middle,
    end,
    *,
    by: str = "csm_id",
    metric: str = "grr",
) -> pd.DataFrame:
    """Each owner's ``metric`` (grr or nrr) in the first half (``start`` to ``middle``) and in
    the second (``middle`` to ``end``), with its rank in each half among owners of the same
    touch model (1 = best): a ranking worth acting on stays put from one half to the next."""
    halves = {
        "first": retention_by_owner(mrr_monthly, accounts, start, middle, by=by, n_boot=1),
        "second": retention_by_owner(mrr_monthly, accounts, middle, end, by=by, n_boot=1),
    }
    out = pd.DataFrame({h: t[metric] for h, t in halves.items()}).dropna()
    group = halves["first"].get("touch_model")
    out.insert(0, "touch_model", group.reindex(out.index) if group is not None else "all")
    for h in ("first", "second"):
        out[f"rank_{h}"] = out.groupby("touch_model")[h].rank(ascending=False, method="average")
    return out


def rank_agreement(table: pd.DataFrame, *, within: str = "touch_model") -> pd.Series:
    """Spearman correlation of the two halves of :func:`split_half` per group of ``within``
    (the Pearson correlation of the ranks): near 1, the same owners lead both halves; near 0,
    the ranking is reshuffled by chance. NaN for a group of fewer than three owners.

    Examples
    --------
    >>> t = pd.DataFrame({"touch_model": ["h"] * 4, "first": [0.9, 0.8, 0.7, 0.6],
    ...                   "second": [0.6, 0.7, 0.8, 0.9]})
    >>> float(rank_agreement(t)["h"])
    -1.0
    """

    def rho(g: pd.DataFrame) -> float:
        if len(g) < 3:
            return np.nan
        return float(g["first"].rank().corr(g["second"].rank()))

    return pd.Series({k: rho(g) for k, g in table.groupby(within, sort=True)}, name="spearman")


def interval_overlap(
    table: pd.DataFrame,
    *,
    low: str = "grr_low",
    high: str = "grr_high",
    within: str = "touch_model",
) -> pd.Series:
    """Share of pairs of owners (of the same ``within`` group) whose intervals overlap: pairs a
    league table ranks although the data cannot tell them apart.

    Examples
    --------
    >>> t = pd.DataFrame({"touch_model": ["h"] * 3, "grr_low": [0.5, 0.6, 0.95],
    ...                   "grr_high": [0.7, 0.9, 1.0]})
    >>> round(float(interval_overlap(t)["h"]), 3)
    0.333
    """
    out = {}
    for k, g in table.groupby(within, sort=True):
        lo, hi = g[low].to_numpy(), g[high].to_numpy()
        i, j = np.triu_indices(len(g), k=1)
        out[k] = float(np.mean((lo[i] <= hi[j]) & (lo[j] <= hi[i]))) if len(i) else np.nan
    return pd.Series(out, name="overlapping_pairs")
