"""Exercises for notebook 16 · usage at scale (principle 4)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from ..events import read_events, usage_features
from ..synth.product_events import KEY_EVENTS, write_events
from .core import Mistake, Question, memo

SAMPLE = 40  # customers whose weekly usage is laid out as raw events
SEED = 7  # the events' random stream, and the generated company's when cs is not one
SHORT_GAP = 10  # minutes: the stricter session rule of q2 and q4


def _is_world(cs) -> bool:
    """A company csworkbook generated: its users and usage can be laid out as events."""
    return cs.meta.get("source") == "csworkbook.synth" and "users" in cs and "usage" in cs


@memo
def _sample(cs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events, usage) of up to SAMPLE customers with usage, spread over the account ids:
    ``cs``'s own when it is a generated company, else those of a small generated one."""
    from .. import synth

    world = cs if _is_world(cs) else synth.generate(SAMPLE, seed=SEED)
    active = world.usage.loc[world.usage["active_users"] > 0, "account_id"]
    have = sorted(active.astype(str).unique())
    part = world.for_accounts(have[:: max(1, len(have) // SAMPLE)][:SAMPLE])
    with tempfile.TemporaryDirectory() as tmp:
        write_events(part, Path(tmp) / "events", seed=SEED, jobs=1)
        events = read_events(Path(tmp) / "events")
    events = events.astype(
        {c: "string" for c in ("account_id", "user_id", "event_name", "feature")}
    )
    return events, part.usage


def sample_events(cs) -> pd.DataFrame:
    """The raw product events (``event_time, account_id, user_id, event_name, feature``)
    behind the weekly usage of up to 40 of ``cs``'s customers, in the order the files hold
    them (month by month, not sorted by time). Events exist only for a generated company; for
    any other dataset they are those of a small generated one."""
    return _sample(cs)[0].copy()


def _events(d) -> pd.DataFrame:
    return _sample(d)[0]


def _one_user(d) -> pd.DataFrame:
    """The events of the sample's busiest user (``user_id.mode()``), in the files' order."""
    e = _events(d)
    return e[e["user_id"] == e["user_id"].mode().iloc[0]]


def _gaps_over(times: pd.Series, minutes: float) -> int:
    return int((times.diff() > pd.Timedelta(minutes=minutes)).sum())


def _per_account(d, minutes: float) -> int:
    """Sessions cut per account, every user's events in one stream: the mistake of q2."""
    e = _events(d).sort_values(["account_id", "event_time"], kind="stable")
    new = e["account_id"].ne(e["account_id"].shift()) | e["event_time"].diff().gt(
        pd.Timedelta(minutes=minutes)
    )
    return int(new.sum())


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 16, bound to ``cs``."""
    by_gap = memo(lambda d: usage_features(_events(d), key_events=list(KEY_EVENTS)))
    by_short_gap = memo(
        lambda d: usage_features(
            _events(d), key_events=list(KEY_EVENTS), session_gap_minutes=SHORT_GAP
        )
    )
    every_event = memo(lambda d: usage_features(_events(d)))

    def no_key_share(f: pd.DataFrame) -> float:
        return float((f["key_actions"] == 0).mean())

    q1 = Question(
        name="q1",
        prompt=(
            "Take the events of the sample's busiest user (events.user_id.mode()[0]). How many "
            "sessions do they hold when a pause of more than 30 minutes starts a new session? "
            "Cut them yourself with pandas."
        ),
        expected=lambda d: int(usage_features(_one_user(d))["sessions"].sum()),
        solution=(
            "from csworkbook.exercises.ex16 import sample_events\n"
            "events = sample_events(cs)\n"
            "mine = events[events.user_id == events.user_id.mode()[0]]\n"
            "t = mine.event_time.sort_values()\n"
            "answer = (t.diff() > pd.Timedelta(minutes=30)).sum() + 1"
        ),
        hint=(
            "Sort the user's event times, take the differences between neighbours "
            "(Series.diff) and count the pauses over 30 minutes. How many sessions does a user "
            "with no long pause have?"
        ),
        mistakes=[
            Mistake(
                lambda d: _gaps_over(_one_user(d)["event_time"].sort_values(), 30),
                "off by one: that counts the long pauses, and the first event starts a session "
                "too.",
            ),
            Mistake(
                lambda d: int(_one_user(d)["event_time"].dt.normalize().nunique()),
                "that counts the days with events; a day can hold several sessions, and a "
                "session can run past midnight.",
            ),
            Mistake(
                lambda d: len(_one_user(d)),
                "that counts the user's events, not sessions.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            f"How many sessions do all the sample's events hold when a pause of more than "
            f"{SHORT_GAP} minutes, not 30, starts a new session?"
        ),
        expected=lambda d: int(by_short_gap(d)["sessions"].sum()),
        solution=(
            "from csworkbook.events import usage_features\n"
            "from csworkbook.exercises.ex16 import sample_events\n"
            "events = sample_events(cs)\n"
            f"features = usage_features(events, session_gap_minutes={SHORT_GAP})\n"
            "answer = features.sessions.sum()"
        ),
        hint=(
            "usage_features(events, session_gap_minutes=...) cuts every user's events into "
            "sessions and counts them per account and week; add them up."
        ),
        mistakes=[
            Mistake(
                lambda d: int(by_gap(d)["sessions"].sum()),
                "that is the count with the usual 30-minute gap: pass session_gap_minutes.",
            ),
            Mistake(
                lambda d: _per_account(d, SHORT_GAP),
                "that cuts one stream of events per account: two people working at the same time "
                "look like one session. A session belongs to one user.",
            ),
            Mistake(
                lambda d: len(_events(d)),
                "that counts events, not sessions.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            "Count as key actions only the product's key events (KEY_EVENTS: reports sent, "
            "workflows run, dashboards shared). Of the account-weeks with any event, what share "
            "had no key action at all? Give it as a share."
        ),
        expected=lambda d: no_key_share(by_gap(d)),
        solution=(
            "from csworkbook.events import usage_features\n"
            "from csworkbook.exercises.ex16 import sample_events\n"
            "from csworkbook.synth.product_events import KEY_EVENTS\n"
            "events = sample_events(cs)\n"
            "features = usage_features(events, key_events=list(KEY_EVENTS))\n"
            "answer = (features.key_actions == 0).mean()"
        ),
        hint=(
            "usage_features returns one row per account-week with events; pass "
            "key_events=list(KEY_EVENTS) and take the share of rows whose key_actions is 0."
        ),
        mistakes=[
            Mistake(
                lambda d: no_key_share(every_event(d)),
                "without key_events every event counts as a key action, so a week with any "
                "event always has one: pass key_events=list(KEY_EVENTS).",
            ),
            Mistake(
                lambda d: float((by_gap(d)["key_actions"] == 0).sum()) / len(_sample(d)[1]),
                "that divides by every account-week of the usage table, silent weeks included; "
                "the question asks about the weeks with events.",
            ),
            Mistake(
                lambda d: float((by_gap(d)["key_actions"] > 0).mean()),
                "that is the share of weeks with a key action; the question asks for those "
                "without.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        prompt=(
            f"Minutes in the product run from a session's first event to its last. Cut sessions "
            f"at {SHORT_GAP}-minute pauses instead of 30: what share of the minutes the 30-minute "
            f"rule counts is left? ({SHORT_GAP}-minute total ÷ 30-minute total)"
        ),
        expected=lambda d: float(by_short_gap(d)["minutes"].sum() / by_gap(d)["minutes"].sum()),
        solution=(
            "from csworkbook.events import usage_features\n"
            "from csworkbook.exercises.ex16 import sample_events\n"
            "events = sample_events(cs)\n"
            f"short = usage_features(events, session_gap_minutes={SHORT_GAP})\n"
            "usual = usage_features(events)\n"
            "answer = short.minutes.sum() / usual.minutes.sum()"
        ),
        hint=(
            "Run usage_features twice, with session_gap_minutes=10 and with the default, and "
            "divide the two sums of minutes."
        ),
        mistakes=[
            Mistake(
                lambda d: float(by_gap(d)["minutes"].sum() / by_short_gap(d)["minutes"].sum()),
                "that is the ratio upside down: the 30-minute total over the 10-minute one.",
            ),
            Mistake(
                lambda d: float(by_short_gap(d)["sessions"].sum() / by_gap(d)["sessions"].sum()),
                "that is the ratio of sessions; the question asks about minutes. More sessions "
                "do not mean more time.",
            ),
            Mistake(
                lambda d: float(1 - by_short_gap(d)["minutes"].sum() / by_gap(d)["minutes"].sum()),
                "that is the share of minutes lost; the question asks for the share left.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex16 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
