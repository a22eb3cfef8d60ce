"""Raw product events: the generator reproduces the world's usage, and every engine computes
the same features from them."""

from __future__ import annotations

import hashlib
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from csworkbook import synth
from csworkbook.cli import main
from csworkbook.events import feature_sql, read_events, usage_features
from csworkbook.synth.product_events import KEY_EVENTS, write_events

COUNTS = ["active_users", "sessions", "key_actions", "features_used"]


@pytest.fixture(scope="module")
def world():
    return synth.generate(120, seed=3)


@pytest.fixture(scope="module")
def events_dir(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ev") / "events"
    write_events(world, folder, seed=3, jobs=2)
    return folder


def _digest(folder) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_events_weekly_aggregates_equal_the_worlds_usage(world, events_dir):
    got = usage_features(events_dir, key_events=KEY_EVENTS)
    want = world.usage[world.usage["active_users"] > 0]
    want = want.sort_values(["account_id", "week"]).reset_index(drop=True)
    assert len(got) == len(want) > 1000
    assert (got["account_id"].to_numpy() == want["account_id"].astype(str).to_numpy()).all()
    assert (got["week"].to_numpy() == want["week"].to_numpy()).all()
    for c in COUNTS:
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy(), err_msg=c)
    np.testing.assert_allclose(got["minutes"], want["minutes"], rtol=0, atol=1e-9)


def test_events_are_well_formed(world, events_dir):
    ev = read_events(events_dir)
    assert str(ev["event_time"].dtype) == "datetime64[us]"
    assert ev["event_time"].dt.microsecond.nunique() > 1000  # real microseconds, not minutes
    assert set(ev["user_id"].astype(str)) <= set(world.users["user_id"])
    assert set(ev["event_name"].astype(str)) <= {
        "login",
        *KEY_EVENTS,
        "page_view",
        "search",
        "record_updated",
    }
    # Monday 06:00 to Sunday 23:00 of the usage week; no event after as_of's week
    dow_hour = ev["event_time"].dt.weekday * 24 + ev["event_time"].dt.hour
    assert dow_hour.min() >= 6 and dow_hour.max() < 6 * 24 + 23
    # partitions hold their own month's events
    files = sorted(events_dir.rglob("*.parquet"))
    for f in files[:5]:
        month = pd.read_parquet(f)["event_time"].dt.strftime("%Y-%m").unique()
        assert list(month) == [f.parent.name.removeprefix("month=")]


def test_same_seed_same_bytes_whatever_the_jobs(world, events_dir, tmp_path):
    write_events(world, tmp_path / "one", seed=3, jobs=1)
    assert _digest(tmp_path / "one") == _digest(events_dir)
    write_events(world, tmp_path / "other", seed=4, jobs=1)
    assert _digest(tmp_path / "other") != _digest(events_dir)


def test_writing_events_refuses_a_folder_with_other_files(world, tmp_path):
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "notes.txt").write_text("mine")
    with pytest.raises(Exception, match="notes.txt"):
        write_events(world, tmp_path / "events", seed=3, jobs=1)
    assert (tmp_path / "events" / "notes.txt").read_text() == "mine"


def _hand_events() -> pd.DataFrame:
    rows = [
        # u1: two events 20 minutes apart, then a third 40 minutes later: two sessions
        ("2025-03-03 09:00", "A1", "u1", "login", None),
        ("2025-03-03 09:20", "A1", "u1", "report_sent", "reports"),
        ("2025-03-03 10:00", "A1", "u1", "page_view", "dashboards"),
        # a session across Sunday midnight belongs to the week it started in
        ("2025-03-09 23:50", "A1", "u1", "login", None),
        ("2025-03-10 00:10", "A1", "u1", "report_sent", "reports"),
        # events without a user make sessions but no active user
        ("2025-03-04 12:00", "A1", None, "page_view", "alerts"),
        ("2025-03-04 12:05", "A1", None, "page_view", "alerts"),
        # two events at the same microsecond: one session of 0 minutes
        ("2025-03-05 08:00", "A1", "u2", "login", None),
        ("2025-03-05 08:00", "A1", "u2", "search", "search"),
        # another account; a row without a time is not counted
        ("2025-03-05 08:00", "B2", "u9", "report_sent", "reports"),
        (None, "B2", "u9", "report_sent", "reports"),
    ]
    e = pd.DataFrame(rows, columns=["event_time", "account_id", "user_id", "event_name", "feature"])
    e["event_time"] = pd.to_datetime(e["event_time"])
    return e


HAND_WEEKS = [
    # account, week, active users, sessions, key actions, features, minutes
    ("A1", "2025-03-03", 2, 5, 1, 4, 20 + 0 + 20 + 5 + 0),
    ("A1", "2025-03-10", 1, 0, 1, 1, 0),
    ("B2", "2025-03-03", 1, 1, 1, 1, 0),
]


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_hand_computed_weeks(engine):
    got = usage_features(_hand_events(), engine=engine, key_events=["report_sent"])
    want = pd.DataFrame(HAND_WEEKS, columns=["account_id", "week", *COUNTS, "minutes"]).astype(
        {"account_id": "string", "week": "datetime64[ns]", "minutes": float}
    )
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_session_gap_and_key_events_change_the_figures():
    e = _hand_events()
    tight = usage_features(e, session_gap_minutes=10, key_events=None)
    a1 = tight.iloc[0]
    assert a1["sessions"] == 5 + 1  # 09:00 -> 09:20 is now two sessions
    assert a1["key_actions"] == 8  # every event of A1's first week
    assert usage_features(e, key_events=[]).iloc[0]["key_actions"] == 0


@pytest.mark.parametrize("grain", ["week", "day"])
def test_duckdb_equals_pandas_on_generated_events(events_dir, grain):
    duck = usage_features(events_dir, grain=grain, key_events=KEY_EVENTS)
    pand = usage_features(events_dir, grain=grain, key_events=KEY_EVENTS, engine="pandas")
    pd.testing.assert_frame_equal(duck, pand)
    if grain == "day":
        assert duck["day"].dt.weekday.nunique() == 7


def test_duckdb_reads_csv_folders_and_single_threaded_gives_the_same_bits(tmp_path):
    e = _hand_events()
    (tmp_path / "csv").mkdir()
    e.iloc[:6].to_csv(tmp_path / "csv" / "a.csv", index=False)
    e.iloc[6:].to_csv(tmp_path / "csv" / "b.csv", index=False)
    from_csv = usage_features(tmp_path / "csv", key_events=["report_sent"], threads=1)
    pd.testing.assert_frame_equal(from_csv, usage_features(e, key_events=["report_sent"]))


def test_sources_that_cannot_be_read_say_why(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        usage_features(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .parquet or .csv"):
        usage_features(tmp_path / "empty")
    with pytest.raises(ValueError, match="engine must be one of"):
        usage_features(_hand_events(), engine="polars")
    with pytest.raises(ValueError, match="grain must be one of"):
        usage_features(_hand_events(), grain="month")


def test_the_sql_differs_between_engines_only_in_the_microsecond_function():
    duck, spark = feature_sql("duckdb"), feature_sql("spark")
    assert duck.replace("epoch_us(event_time)", "X") == spark.replace(
        "unix_micros(CAST(event_time AS TIMESTAMP))", "X"
    )
    assert "'o''brien'" in feature_sql("duckdb", key_events=["o'brien"])  # quoted, not code


def _spark_missing() -> str | None:
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java on this machine: Spark cannot start (install a JDK 17+ to run this)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return (
            "PySpark is not installed here; `python tasks.py test` runs this test in "
            ".venv-spark (or: pip install 'csworkbook[spark]')"
        )
    return None


@pytest.mark.slow
@pytest.mark.skipif(_spark_missing() is not None, reason=str(_spark_missing()))
def test_spark_equals_duckdb(events_dir, tmp_path):
    from csworkbook.events import spark_session

    spark = spark_session("local[2]")
    e = _hand_events()
    e.to_csv(tmp_path / "hand.csv", index=False)
    for source in (events_dir, tmp_path / "hand.csv"):
        for grain in ("week", "day"):
            want = usage_features(source, grain=grain, key_events=KEY_EVENTS)
            got = usage_features(
                source, grain=grain, key_events=KEY_EVENTS, engine="spark", spark=spark
            )
            pd.testing.assert_frame_equal(got, want)


def test_cli_generates_events_and_features(tmp_path, capsys):
    assert (
        main(
            [
                "generate",
                "--accounts",
                "40",
                "--seed",
                "2",
                "--out",
                str(tmp_path / "d"),
                "--events",
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "events (" in out and "events/s" in out
    assert (tmp_path / "d" / "events" / "_events.json").exists()
    assert main(["features", str(tmp_path / "d" / "events"), "--out", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert "_events.json" in out  # the key events the generator recorded were used
    got = pd.read_csv(tmp_path / "f" / "usage.csv")
    usage = pd.read_csv(tmp_path / "d" / "usage.csv")
    usage = usage[usage["active_users"] > 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        got[["account_id", "week", *COUNTS]], usage[["account_id", "week", *COUNTS]]
    )
    # regenerating the dataset folder replaces its events too
    assert main(["generate", "--accounts", "40", "--seed", "2", "--out", str(tmp_path / "d")]) == 0
    assert not (tmp_path / "d" / "events").exists()
    assert main(["features", str(tmp_path / "nothing"), "--out", str(tmp_path / "f")]) == 2
