"""Play the synthetic world forward and assemble the canonical tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.schema import TABLES, pandas_dtype
from . import contracts as ct
from . import economics as econ
from . import events as ev
from . import feedback as fd
from . import success as su
from . import usage as us
from . import voice as vo
from .accounts import assign_scenarios, make_accounts
from .calendar import Calendar, numbered, pairs_in, poisson_times, sigmoid
from .config import HEAVY_SCENARIOS, LIGHT_SCENARIOS, WorldConfig
from .plays import PlayState

# How long before the renewal it costs each heavy-usage scenario's trigger happens (days).
LEAD_DAYS = {
    "heavy_goals_met": (90, 270),
    "heavy_sponsor_left_new_tool": (60, 200),
    "heavy_roadmap_stale": (120, 300),
    "heavy_bad_last_interaction": (20, 90),
    "heavy_roi_unproven": (90, 250),
    "heavy_priority_dropped": (60, 200),
}


def _scenario_days(acc, scen, first_con, cal: Calendar, rng) -> tuple[np.ndarray, np.ndarray]:
    """Trigger day of each scenario: ahead of one renewal of the first contract for heavy
    scenarios (accounts too young for one fall back to 'none'), the first day for light ones."""
    day = np.full(len(acc), np.nan)
    light = np.isin(scen, LIGHT_SCENARIOS)
    day[light] = acc["first_day"].to_numpy()[light]
    heavy = np.flatnonzero(np.isin(scen, HEAVY_SCENARIOS))
    start = first_con["start_month"].to_numpy()[heavy]
    term = first_con["term"].to_numpy()[heavy]
    k_min = np.ceil(6 / term).astype(np.int64)
    k_max = (cal.n_months - 1 - start) // term
    ok = k_max >= k_min
    k = k_min + np.floor(rng.random(len(heavy)) * np.maximum(k_max - k_min + 1, 1)).astype(np.int64)
    renewal_day = cal.month_day[np.minimum(start + k * term, len(cal.month_day) - 1)]
    lo = np.array([LEAD_DAYS[s][0] for s in scen[heavy]])
    hi = np.array([LEAD_DAYS[s][1] for s in scen[heavy]])
    lead = np.minimum(
        lo + rng.random(len(heavy)) * (hi - lo),
        (renewal_day - acc["first_day"].to_numpy()[heavy]) - 30,
    )
    day[heavy] = np.where(ok, np.floor(renewal_day - np.maximum(lead, 1)), np.nan)
    scen = scen.copy()
    scen[heavy[~ok]] = "none"
    return scen, day


def _active_months(mrr: pd.DataFrame, con: pd.DataFrame) -> pd.DataFrame:
    seats = mrr["mrr"].to_numpy() * 12 / con["price_per_seat"].to_numpy()[mrr["c"].to_numpy()]
    return mrr.assign(seats=seats).groupby(["acc_idx", "month"], as_index=False)["seats"].sum()


def _keep_active(df: pd.DataFrame, active: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Drop rows that fall in months when the account held no contract."""
    month = cal.month_of_day(df["day"].to_numpy().astype(np.int64))
    return df[pairs_in(df["acc_idx"], month, active["acc_idx"], active["month"])]


def simulate_world(cfg: WorldConfig) -> dict:
    """Run the generative model; returns internal frames keyed by name."""
    rng = np.random.default_rng(cfg.seed)
    cal = Calendar.build(cfg.as_of, cfg.months)
    acc = make_accounts(cfg, cal, rng)
    scen = assign_scenarios(acc, cfg, rng)
    ttv, ttv_base = ev.first_value_days(acc, rng)

    con1 = ct.initial_contracts(acc, rng)
    first_con = con1.groupby("acc_idx").first()
    scen, scen_day = _scenario_days(acc, scen, first_con, cal, rng)
    seats0 = (con1["arr0"] / con1["price_per_seat"]).groupby(con1["acc_idx"]).sum().to_numpy()

    stake = ev.stakeholder_events(acc, scen, scen_day, cal, rng)
    tix = ev.tickets(acc, seats0, scen, scen_day, cal, rng)
    champ = tuple(stake.loc[stake["event"] == "champion_left", ["acc_idx", "day"]].to_numpy().T)
    sponsor = tuple(stake.loc[stake["event"] != "champion_left", ["acc_idx", "day"]].to_numpy().T)
    bad = tuple(tix.loc[ev.is_bad_ticket(tix), ["acc_idx", "day"]].to_numpy().T)
    play = None if cfg.save_play is None else PlayState(cfg.save_play, len(acc), cal, cfg.seed)
    risk = ct.Risk(acc, scen, scen_day, ttv / ttv_base, champ, sponsor, bad, play)

    # Pass 1: contracts signed at acquisition.
    con1, ren1, path1 = ct.simulate(con1, risk, cal, rng)
    # Pass 2: cross-sell and new departments, only while the account is a customer.
    mrr1 = ct.mrr_rows(con1, path1, cal)
    a_add, d_add = poisson_times(
        rng,
        acc["idx"].to_numpy(),
        acc["first_day"].to_numpy() + 90,
        np.full(len(acc), cal.last_day - 31),
        ev.expansion_intensity(acc),
    )
    m_add = cal.month_of_day(d_add) + 1
    live = pairs_in(a_add, m_add - 1, mrr1["acc_idx"], mrr1["month"])
    a_add, m_add = a_add[live], m_add[live]
    monthly_acc = con1.groupby("acc_idx")["term"].min().reindex(acc["idx"]).to_numpy() == 1
    seg = acc["segment"].to_numpy()[a_add]
    cross = rng.random(len(a_add)) < 0.5
    con2 = ct._contract_frame(
        rng,
        acc_idx=a_add,
        department=np.where(
            cross,
            con1.groupby("acc_idx")["department"].first().reindex(a_add).to_numpy(),
            ct.DEPARTMENTS[rng.integers(0, len(ct.DEPARTMENTS), len(a_add))],
        ),
        product=np.where(cross, "Analytics", "Core"),
        start_month=m_add,
        term=np.where(monthly_acc[a_add], 1, 12),
        segment=seg,
        size=np.full(len(a_add), 0.4),
    )
    con2, ren2, path2 = ct.simulate(con2, risk, cal, rng)
    # Pass 3: some lost customers come back (reactivation).
    both = pd.concat([con1, con2], ignore_index=True)
    still = (both["end_month"] < 0).groupby(both["acc_idx"]).any()
    last_end = both.groupby("acc_idx")["end_month"].max()
    gone = still.index[~still.to_numpy()].to_numpy()
    back = gone[
        rng.random(len(gone))
        < 0.35 * sigmoid(acc["fit"].to_numpy()[gone] + acc["outcome"].to_numpy()[gone])
    ]
    m_back = last_end.reindex(back).to_numpy() + rng.integers(3, 13, len(back))
    back, m_back = back[m_back <= cal.n_months - 2], m_back[m_back <= cal.n_months - 2]
    con3 = ct._contract_frame(
        rng,
        acc_idx=back,
        department=con1.groupby("acc_idx")["department"].first().reindex(back).to_numpy(),
        product=np.full(len(back), "Core"),
        start_month=m_back,
        term=np.where(monthly_acc[back], 1, 12),
        segment=acc["segment"].to_numpy()[back],
        size=np.full(len(back), 0.7),
    )
    con3, ren3, path3 = ct.simulate(con3, risk, cal, rng)

    cons, rens, mrrs = [], [], []
    offset = 0
    for con, ren, path in ((con1, ren1, path1), (con2, ren2, path2), (con3, ren3, path3)):
        mrrs.append(ct.mrr_rows(con, path, cal).assign(c=lambda d, o=offset: d["c"] + o))
        rens.append(ren.assign(c=ren["c"] + offset))
        cons.append(con)
        offset += len(con)
    con = pd.concat(cons, ignore_index=True)
    ren = pd.concat(rens, ignore_index=True)
    mrr = pd.concat(mrrs, ignore_index=True)
    active = _active_months(mrr, con)

    # A heavy scenario only happened if the account was still a customer at its trigger.
    trig = np.where(np.isnan(scen_day), -1, scen_day).astype(np.int64)
    was_live = pairs_in(acc["idx"], cal.month_of_day(trig), active["acc_idx"], active["month"])
    missed = np.isin(scen, HEAVY_SCENARIOS) & ~was_live
    scen = np.where(missed, "none", scen)
    scen_day = np.where(missed, np.nan, scen_day)

    # Accounts with no live contract at as_of have churned; the last end is the churn day.
    live_now = (con["end_month"] < 0).groupby(con["acc_idx"]).any().reindex(acc["idx"]).to_numpy()
    end_m = con.groupby("acc_idx")["end_month"].max().reindex(acc["idx"]).to_numpy()
    churn_day = np.where(live_now, np.inf, cal.month_day[np.maximum(end_m, 0)]).astype(float)
    ordinary = ~live_now & ~np.isin(scen, HEAVY_SCENARIOS)
    disengaged = np.where(
        ordinary,
        np.maximum(churn_day - rng.uniform(42, 140, len(acc)), acc["first_day"].to_numpy() + 14),
        np.nan,
    )
    disengaged = np.where(np.isfinite(disengaged), np.floor(disengaged), np.nan)

    stake = _keep_active(stake, active, cal)
    tix = _keep_active(tix, active, cal)
    max_seats = active.groupby("acc_idx")["seats"].max().reindex(acc["idx"]).fillna(1).to_numpy()
    n_users = np.maximum(np.round(0.8 * max_seats), 1).astype(np.int64)
    usr = us.users(acc, n_users, churn_day, ttv, stake, cal, rng)
    use = us.weekly_usage(acc, active, ttv, scen, scen_day, disengaged, churn_day, champ, cal, rng)
    mil = us.milestones(acc, ttv, scen, churn_day, cal, rng)
    resp = _keep_active(
        vo.nps(acc, n_users, scen, scen_day, disengaged, champ, churn_day, cal, rng), active, cal
    )
    tps = _keep_active(
        vo.touchpoints(acc, scen, scen_day, disengaged, champ, churn_day, cal, rng), active, cal
    )
    costs = econ.account_costs(acc, con, tix, active, cal, cfg.seed)  # own stream, drawn last
    # Success plans and product feedback: their own streams too, read from the world as played.
    goals, reviews = su.success_plans(
        acc, scen, scen_day, ttv, mil, stake, disengaged, churn_day, active, cal, cfg.seed
    )
    fb = fd.feedback(acc, scen, scen_day, tix, resp, tps, mrr, cal, cfg.seed)
    return dict(
        cal=cal,
        acc=acc,
        scen=scen,
        scen_day=scen_day,
        ttv=ttv,
        con=con,
        ren=ren,
        mrr=mrr,
        stake=stake,
        tix=tix,
        usr=usr,
        use=use,
        mil=mil,
        nps=resp,
        tps=tps,
        disengaged=disengaged,
        churn_day=churn_day,
        costs=costs,
        goals=goals,
        reviews=reviews,
        feedback=fb,
        play=play,
    )


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(5, len(str(n)))
    return numbered(prefix, np.arange(n) + 1, width)


def assemble(w: dict, cfg: WorldConfig) -> Dataset:
    """Turn the internal frames into canonical tables with ids and dates."""
    cal, acc = w["cal"], w["acc"]
    aid = acc["account_id"].to_numpy()
    dt = cal.to_dates

    con = w["con"].copy()
    con_order = np.lexsort(
        (con["department"].to_numpy(), con["start_month"].to_numpy(), con["acc_idx"].to_numpy())
    )
    cid = np.empty(len(con), dtype=object)
    cid[con_order] = _ids("C", len(con))
    ended = con["end_month"].to_numpy() >= 0
    last = cal.n_months - 1
    next_k = (last - con["start_month"].to_numpy()) // con["term"].to_numpy() + 1
    next_month = con["start_month"].to_numpy() + next_k * con["term"].to_numpy()
    contracts = (
        pd.DataFrame(
            {
                "contract_id": cid,
                "account_id": aid[con["acc_idx"]],
                "department": con["department"].to_numpy(),
                "product": con["product"].to_numpy(),
                "start_date": dt(cal.month_day[con["start_month"]]),
                "end_date": dt(
                    np.where(ended, cal.month_day[np.maximum(con["end_month"], 0)], np.nan)
                ),
                "term_months": con["term"].astype("Int64").to_numpy(),
                "renewal_date": dt(np.where(ended, np.nan, cal.month_day[next_month])),
                "arr": con["arr"].to_numpy().astype(float),
                "seats": np.round(con["arr"] / con["price_per_seat"]).astype("Int64").to_numpy(),
                "auto_renew": con["auto_renew"].astype("boolean").to_numpy(),
            }
        )
        .iloc[con_order]
        .reset_index(drop=True)
    )

    accounts = acc[
        [
            "account_id",
            "name",
            "industry",
            "region",
            "size_band",
            "segment",
            "touch_model",
            "csm_id",
            "icp_fit",
            "acquisition_channel",
        ]
    ].copy()
    accounts["first_contract_date"] = dt(acc["first_day"].to_numpy())

    mrr = w["mrr"]
    mrr_monthly = pd.DataFrame(
        {
            "contract_id": cid[mrr["c"]],
            "account_id": aid[mrr["acc_idx"]],
            "month": dt(cal.month_day[mrr["month"]]),
            "mrr": mrr["mrr"].to_numpy(),
        }
    ).sort_values(["contract_id", "month"], kind="stable")

    ren = w["ren"]
    renewals = pd.DataFrame(
        {
            "contract_id": cid[ren["c"]],
            "account_id": aid[ren["acc_idx"]],
            "renewal_date": dt(ren["day"]),
            "outcome": ren["outcome"].to_numpy(),
            "arr_before": ren["arr_before"].to_numpy().astype(float),
            "arr_after": ren["arr_after"].to_numpy().astype(float),
            "churn_reason": ren["churn_reason"].to_numpy(),
        }
    ).sort_values(["renewal_date", "contract_id"], kind="stable")

    usr = w["usr"]
    uid = numbered(np.char.add(aid[usr["acc_idx"]].astype(str), "-U"), usr["j"].to_numpy(), 3)
    users = pd.DataFrame(
        {
            "user_id": uid,
            "account_id": aid[usr["acc_idx"]],
            "role": usr["role"].to_numpy(),
            "created_date": dt(usr["created"]),
            "deactivated_date": dt(usr["deact"]),
        }
    )

    use = w["use"]
    usage = pd.DataFrame(
        {
            "account_id": aid[use["acc_idx"]],
            "week": dt(use["day"]),
            **{
                c: use[c].to_numpy()
                for c in ("active_users", "sessions", "key_actions", "features_used")
            },
            "minutes": use["minutes"].to_numpy(),
        }
    )

    tix = w["tix"]
    tickets = pd.DataFrame(
        {
            "ticket_id": _ids("T", len(tix)),
            "account_id": aid[tix["acc_idx"]],
            "opened_at": dt(tix["opened"]).floor("min"),
            "closed_at": dt(tix["closed"]).floor("min"),
            "priority": tix["priority"].to_numpy(),
            "category": tix["category"].to_numpy(),
            "csat": tix["csat"].to_numpy(),
        }
    )

    r = w["nps"].sort_values(["day", "acc_idx"], kind="stable")
    r_uid = numbered(np.char.add(aid[r["acc_idx"]].astype(str), "-U"), r["user_j"].to_numpy(), 3)
    nps = pd.DataFrame(
        {
            "response_id": _ids("R", len(r)),
            "account_id": aid[r["acc_idx"]],
            "user_id": r_uid,
            "date": dt(r["day"]),
            "score": r["score"].to_numpy(),
            "comment": r["comment"].to_numpy(),
        }
    )

    tp = w["tps"]
    touchpoints = pd.DataFrame(
        {
            "touchpoint_id": _ids("P", len(tp)),
            "account_id": aid[tp["acc_idx"]],
            "date": dt(tp["day"]),
            "kind": tp["kind"].to_numpy(),
            "sentiment": tp["sentiment"].to_numpy(),
        }
    )

    mil = w["mil"]
    milestones = pd.DataFrame(
        {
            "account_id": aid[mil["acc_idx"]],
            "milestone": mil["milestone"].to_numpy(),
            "achieved_date": dt(mil["day"]),
        }
    )

    st = w["stake"]
    stakeholder_events = pd.DataFrame(
        {
            "event_id": _ids("E", len(st)),
            "account_id": aid[st["acc_idx"]],
            "date": dt(st["day"]),
            "event": st["event"].to_numpy(),
        }
    )

    gl = w["goals"]
    goal_id = _ids("G", len(gl))
    goals = pd.DataFrame(
        {
            "goal_id": goal_id,
            "account_id": aid[gl["acc_idx"]],
            "stated_date": dt(gl["day"]),
            "goal": gl["goal"].to_numpy(),
            "target": gl["target"].to_numpy(),
            "achieved_date": dt(gl["achieved"]),
        }
    )
    rv = w["reviews"]
    goal_reviews = pd.DataFrame(
        {
            "goal_id": goal_id[rv["g"].to_numpy()],
            "account_id": aid[rv["acc_idx"]],
            "date": dt(rv["day"]),
            "progress": rv["progress"].to_numpy(),
        }
    )

    # Feedback names the ticket, survey answer or CSM activity it was recorded from.
    fb = w["feedback"]
    source_ids = {
        "ticket": pd.Series(tickets["ticket_id"].to_numpy(), index=tix.index),
        "nps_comment": pd.Series(nps["response_id"].to_numpy(), index=r.index),
        "csm_note": pd.Series(touchpoints["touchpoint_id"].to_numpy(), index=tp.index),
    }
    source_id = np.empty(len(fb), dtype=object)
    for source, ids in source_ids.items():
        at = np.flatnonzero(fb["source"].to_numpy() == source)
        source_id[at] = ids.reindex(fb["src"].to_numpy()[at]).to_numpy()
    feedback = pd.DataFrame(
        {
            "feedback_id": _ids("F", len(fb)),
            "account_id": aid[fb["acc_idx"]],
            "date": dt(fb["day"]),
            "source": fb["source"].to_numpy(),
            "source_id": source_id,
            "theme": fb["theme"].to_numpy(),
            "request": fb["request"].to_numpy(),
            "shipped_date": dt(fb["shipped"]),
        }
    )

    truth = pd.DataFrame(
        {
            "account_id": aid,
            "scenario": w["scen"],
            "scenario_date": dt(w["scen_day"]),
            **{
                c: acc[c].round(4).to_numpy()
                for c in (
                    "fit",
                    "outcome",
                    "relationship",
                    "champion_stability",
                    "excitement",
                    "price_sensitivity",
                    "adoption",
                )
            },
            "days_to_first_value": w["ttv"].astype(float),
            "disengaged_from": dt(w["disengaged"]),
        }
    )

    costs = w["costs"]
    account_costs = pd.DataFrame(
        {
            "account_id": aid[costs["acc_idx"]],
            "acquisition_cost": costs["acquisition_cost"].to_numpy(),
            "cost_to_serve": costs["cost_to_serve"].to_numpy(),
        }
    )

    tables = dict(
        accounts=accounts,
        contracts=contracts,
        mrr_monthly=mrr_monthly,
        renewals=renewals,
        users=users,
        usage=usage,
        tickets=tickets,
        nps=nps,
        touchpoints=touchpoints,
        milestones=milestones,
        stakeholder_events=stakeholder_events,
        goals=goals,
        goal_reviews=goal_reviews,
        feedback=feedback,
        account_costs=account_costs,
        truth=truth,
    )
    if w["play"] is not None:
        tables["experiments"] = w["play"].table(aid, cal)
    tables = {k: _canonical_dtypes(k, v.reset_index(drop=True)) for k, v in tables.items()}
    meta = {"currency": cfg.currency, "source": "csworkbook.synth", "generator": cfg.as_meta()}
    return Dataset(tables=tables, as_of=cal.as_of, meta=meta)


def _canonical_dtypes(name: str, df: pd.DataFrame) -> pd.DataFrame:
    for c in TABLES[name].columns:
        if df[c.name].dtype != pandas_dtype(c):  # an astype to the same dtype only copies
            df[c.name] = df[c.name].astype(pandas_dtype(c))
    return df
