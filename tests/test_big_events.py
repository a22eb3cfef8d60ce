"""Event exports read by DuckDB: the same accounting, reasons and usage as the pandas path,
and millions of rows in seconds without loading them into pandas."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import yaml

import csworkbook
from csworkbook import synth
from csworkbook.data import DataError
from csworkbook.exports import bigevents

_WORLD = {}


def _world_csv(table: str) -> str:
    """Accounts and contracts of a small world (A00001 … A00012) as an export would hold them."""
    if not _WORLD:
        _WORLD["ds"] = synth.generate(12, seed=1)
    return _WORLD["ds"].tables[table].to_csv(index=False)


EVENTS = """event_time,user_id,event_type,groups.company,event_properties.feature
2025-03-03 09:00:00,u1,login,A00001,
2025-03-03 09:20:00.123456,u1,report_sent,A00001,reports
2025-03-03T10:00:00Z,u1,page_view,A00001,dashboards
not a time,u1,page_view,A00001,dashboards
,u1,page_view,A00001,dashboards
2025-03-03 10:00:00,u1,page_view,,dashboards
2025-03-03 10:00:00,u1,page_view,ZZZ,dashboards
2026-03-03 10:00:00,u1,page_view,A00002,dashboards
2025-03-03 10:00:00,#N/A,,A00002,NULL
2025-03-10 08:00:00,u2, report_sent ,A00003,reports
2025-03-10 08:10:00,,page_view,A00003,n/a
"""
COLUMNS = {
    "event_time": "event_time",
    "account_id": "groups.company",
    "user_id": "user_id",
    "event_name": "event_type",
    "feature": "event_properties.feature",
}


def _write(folder, events: str | bytes = EVENTS, name="events.csv", **table) -> dict:
    (folder / "accounts.csv").write_text(_accounts_csv(), encoding="utf-8")
    (folder / "contracts.csv").write_text(_contracts_csv(), encoding="utf-8")
    data = events.encode("utf-8") if isinstance(events, str) else events
    (folder / name).write_bytes(data)
    return {
        "as_of": "2025-12-31",
        "derive": ["usage"],
        "key_events": ["report_sent"],
        "tables": {
            "accounts": {"file": "accounts.csv"},
            "contracts": {"file": "contracts.csv"},
            "events": {"file": name, "columns": dict(COLUMNS), **table},
        },
    }


def _accounts_csv() -> str:
    return _world_csv("accounts")


def _contracts_csv() -> str:
    return _world_csv("contracts")


def _load(folder, spec, mode="lenient"):
    path = folder / "mapping.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return csworkbook.load(folder, mapping=path, mode=mode)


def _both(folder, spec):
    duck = _load(folder, spec)
    slow = dict(spec, tables=dict(spec["tables"]))
    slow["tables"]["events"] = dict(spec["tables"]["events"], engine="pandas")
    return duck, _load(folder, slow)


def _reasons(ds) -> list:
    rej = ds.load_report.rejected["events"]
    return sorted(zip(rej["source_row"].astype(int), rej["reason"], strict=True))


def test_same_accounting_reasons_and_usage_as_the_pandas_path(tmp_path):
    duck, slow = _both(tmp_path, _write(tmp_path))
    assert "read and checked with DuckDB" in str(duck.load_report)
    assert "read with pandas, in memory: the mapping asks for `engine: pandas`" in str(
        slow.load_report
    )
    pd.testing.assert_frame_equal(duck.load_report.accounting, slow.load_report.accounting)
    events = duck.load_report.accounting.set_index("table").loc["events"]
    assert (events["rows_read"], events["accepted"], events["rejected"]) == (11, 5, 6)
    assert (
        _reasons(duck)
        == _reasons(slow)
        == [
            (5, "event_time: 'not a time' is not a datetime"),
            (6, "event_time: empty"),
            (7, "account_id: empty"),
            (8, "account_id: 'ZZZ' has no row in accounts"),
            (9, "event_time: 2026-03-03 is after as_of 2025-12-31"),
            (10, "event_name: empty"),
        ]
    )
    pd.testing.assert_frame_equal(duck.load_report.problems(), slow.load_report.problems())
    pd.testing.assert_frame_equal(duck.usage, slow.usage)
    pd.testing.assert_frame_equal(duck.events, slow.events)  # small: kept, as pandas keeps it
    week = duck.usage.set_index(["account_id", "week"]).loc[("A00001", "2025-03-03")]
    # 09:00 and 09:20.123456 are one session; 10:00 (written in UTC) is a second one
    assert (week["active_users"], week["sessions"], week["key_actions"]) == (1, 2, 1)
    assert week["minutes"] == pytest.approx(20 + 0.123456 / 60)
    a3 = duck.usage.set_index(["account_id", "week"]).loc[("A00003", "2025-03-10")]
    # " report_sent " is trimmed; 'n/a' is a blank feature; a blank user is anonymous
    assert (a3["active_users"], a3["sessions"], a3["key_actions"], a3["features_used"]) == (
        1,
        2,
        1,
        1,
    )


def test_rejected_rows_keep_their_cells(tmp_path):
    duck = _load(tmp_path, _write(tmp_path))
    rej = duck.load_report.rejected["events"].set_index("source_row")
    assert rej.loc[8, "groups.company"] == "ZZZ"
    assert rej.loc[5, "event_time"] == "not a time"
    assert list(rej.columns[:1]) == ["reason"]


def test_strict_mode_stops_with_the_report(tmp_path):
    with pytest.raises(DataError, match=r"'ZZZ' has no row in accounts|no row in accounts"):
        _load(tmp_path, _write(tmp_path), mode="strict")


def test_epoch_seconds_tsv_and_parquet(tmp_path):
    rows = "t\tuser\tname\tacc\tfeat\n1741003200\tu1\treport_sent\tA00001\treports\n"
    spec = _write(tmp_path, rows, name="events.tsv")
    spec["tables"]["events"]["columns"] = {
        "event_time": {"column": "t", "date_format": "unix"},
        "account_id": "acc",
        "user_id": "user",
        "event_name": "name",
        "feature": "feat",
    }
    duck, slow = _both(tmp_path, spec)
    pd.testing.assert_frame_equal(duck.usage, slow.usage)
    assert duck.usage.loc[duck.usage["active_users"] > 0, "week"].tolist() == [
        pd.Timestamp("2025-03-03")
    ]
    frame = pd.read_csv(tmp_path / "events.tsv", sep="\t", dtype=str)
    frame.to_parquet(tmp_path / "events.parquet")
    spec["tables"]["events"]["file"] = "events.parquet"
    duck, slow = _both(tmp_path, spec)
    assert "read and checked with DuckDB" in str(duck.load_report)
    pd.testing.assert_frame_equal(duck.usage, slow.usage)


def test_times_with_offsets_follow_the_dataset_time_zone(tmp_path):
    rows = (
        "event_time,user_id,event_type,groups.company,event_properties.feature\n"
        "2025-03-02T23:30:00+00:00,u1,report_sent,A00001,reports\n"
        "2025-03-03 09:00:00+09:00,u1,report_sent,A00001,reports\n"
    )
    spec = _write(tmp_path, rows)
    with pytest.raises(DataError, match="different UTC offsets"):
        _load(tmp_path, spec)
    spec["timezone"] = "Asia/Tokyo"
    duck, slow = _both(tmp_path, spec)
    # 23:30 UTC on Sunday is 08:30 on Monday in Tokyo: both events fall in the week of 3 March
    pd.testing.assert_frame_equal(duck.usage, slow.usage)
    got = duck.usage[duck.usage["active_users"] > 0]
    assert got["week"].tolist() == [pd.Timestamp("2025-03-03")]
    assert got["sessions"].tolist() == [1] and got["minutes"].tolist() == [30.0]


def test_what_duckdb_cannot_read_goes_through_pandas_and_says_why(tmp_path):
    spec = _write(tmp_path, EVENTS.encode("cp932"))
    spec["tables"]["events"]["encoding"] = "cp932"
    ds = _load(tmp_path, spec)
    assert "read with pandas, in memory: the file is cp932" in str(ds.load_report)
    spec = _write(tmp_path)
    spec["tables"]["events"]["columns"]["event_name"] = {
        "column": "event_type",
        "values": {"report_sent": "report_sent"},
    }
    ds = _load(tmp_path, spec)
    assert "the rule for event_name uses `values:`" in str(ds.load_report)


def test_a_misnamed_column_is_named_with_the_headers(tmp_path):
    spec = _write(tmp_path)
    spec["tables"]["events"]["columns"]["account_id"] = "company"
    with pytest.raises(DataError, match=r"no column\(s\) account_id <- 'company'.*its headers are"):
        _load(tmp_path, spec)


def test_an_unknown_engine_is_refused_by_the_mapping_check(tmp_path):
    spec = _write(tmp_path)
    spec["tables"]["events"]["engine"] = "spark"
    with pytest.raises(DataError, match="must be duckdb"):
        _load(tmp_path, spec)


def test_millions_of_event_rows_load_in_seconds(tmp_path):
    """A mapped export of 3 million events: accounted for, aggregated, in well under a
    minute on CI (no timing is asserted; the duration is printed)."""
    rng = np.random.default_rng(0)
    n = 3_000_000
    assert n > bigevents.KEEP_ROWS
    t0 = np.datetime64("2025-01-06T06:00:00", "us")
    times = t0 + np.sort(rng.integers(0, 300 * 86_400 * 10**6, n)).astype("timedelta64[us]")
    acc = rng.integers(1, 4, n)
    frame = pd.DataFrame(
        {
            "event_time": times.astype(str),
            "user_id": np.char.add("u", rng.integers(0, 40, n).astype(str)),
            "event_type": np.where(rng.random(n) < 0.3, "report_sent", "page_view"),
            "groups.company": np.char.add("A0000", acc.astype(str)),
            "event_properties.feature": np.where(rng.random(n) < 0.5, "reports", ""),
        }
    )
    frame.loc[::100_000, "groups.company"] = "NOPE"  # 30 rows of an unknown account
    frame.to_csv(tmp_path / "big.csv", index=False)
    spec = _write(tmp_path, "x", name="unused.csv")
    spec["tables"]["events"]["file"] = "big.csv"
    start = time.perf_counter()
    ds = _load(tmp_path, spec)
    took = time.perf_counter() - start
    row = ds.load_report.accounting.set_index("table").loc["events"]
    assert (row["rows_read"], row["accepted"], row["rejected"]) == (n, n - 30, 30)
    rej = ds.load_report.rejected["events"]
    assert rej["source_row"].tolist() == list(range(2, n + 2, 100_000))
    assert (
        ds.usage["key_actions"].sum()
        == (frame["event_type"] == "report_sent").sum()
        - (frame.loc[::100_000, "event_type"] == "report_sent").sum()
    )
    print(f"\n{n:,} mapped event rows loaded in {took:.1f} s")
    assert "events" not in ds.tables  # above KEEP_ROWS only the weekly usage is kept
    assert "not kept in the dataset" in str(ds.load_report)
