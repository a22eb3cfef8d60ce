"""Usage features from raw product events, on DuckDB, pandas or Spark.

One definition, three engines. A user's events more than ``session_gap_minutes`` apart
start a new session (the analytics tools' usual 30 minutes); a session belongs to the
period of its first event and its minutes run from its first to its last event;
``active_users`` counts distinct non-empty user ids, ``features_used`` distinct non-empty
features, ``key_actions`` the events named in ``key_events`` (all events when not given).
Events without an account or a time are not counted (the loader reports them as
rejected before this runs).

The SQL below is written once; DuckDB and Spark run it with two dialect words filled in,
so the engines cannot drift apart. Minutes are summed in whole microseconds and divided
once, so every engine returns the same bits whatever its thread count.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

ENGINES = ("duckdb", "pandas", "spark")
GRAINS = {"week": "week", "day": "day"}
COLUMNS = ("account_id", "active_users", "sessions", "key_actions", "features_used", "minutes")
_COUNTS = ("active_users", "sessions", "key_actions", "features_used")

_SQL = """
WITH flagged AS (
    -- only the four columns sessions need go through the two sorts (narrow rows spill less)
    SELECT account_id, who, us, period,
           CASE WHEN us - LAG(us) OVER (PARTITION BY account_id, who ORDER BY us)
                <= {gap_us} THEN 0 ELSE 1 END AS starts
    FROM (SELECT account_id, COALESCE(user_id, '(anonymous)') AS who, {micros} AS us,
                 date_trunc('{grain}', event_time) AS period
          FROM events WHERE account_id IS NOT NULL AND event_time IS NOT NULL) AS e
), numbered AS (
    -- a running count over equal times includes all of them: ties share a session
    SELECT account_id, who, us, period,
           SUM(starts) OVER (PARTITION BY account_id, who ORDER BY us) AS session
    FROM flagged
), sessions AS (
    SELECT account_id, MIN(period) AS period, MAX(us) - MIN(us) AS span
    FROM numbered GROUP BY account_id, who, session
), by_sessions AS (
    SELECT account_id, period, COUNT(*) AS sessions, SUM(span) AS span
    FROM sessions GROUP BY account_id, period
), by_events AS (
    -- a second scan of the events, grouped without sorting
    SELECT account_id, period, COUNT(*) AS n_events,
           COUNT(DISTINCT user_id) AS active_users,
           SUM(CASE WHEN {is_key} THEN 1 ELSE 0 END) AS key_actions,
           COUNT(DISTINCT feature) AS features_used
    FROM (SELECT account_id, user_id, event_name, feature,
                 date_trunc('{grain}', event_time) AS period
          FROM events WHERE account_id IS NOT NULL AND event_time IS NOT NULL) AS e
    GROUP BY account_id, period
)
SELECT v.account_id, v.period, v.n_events, v.active_users,
       COALESCE(s.sessions, 0) AS sessions, v.key_actions, v.features_used,
       COALESCE(s.span, 0) AS span_us
FROM by_events v LEFT JOIN by_sessions s
  ON v.account_id = s.account_id AND v.period = s.period
"""

_DIALECT = {
    "duckdb": {"micros": "epoch_us(event_time)"},
    # Spark: event_time may arrive without a time zone; the session runs in UTC
    "spark": {"micros": "unix_micros(CAST(event_time AS TIMESTAMP))"},
}


def _quote(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def feature_sql(engine: str, *, grain: str = "week", key_events=None, gap_minutes=30.0) -> str:
    """The SQL an engine runs over a relation named ``events``.

    Examples
    --------
    >>> "epoch_us" in feature_sql("duckdb"), "unix_micros" in feature_sql("spark")
    (True, True)
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {sorted(GRAINS)}, not {grain!r}")
    if key_events is None:
        is_key = "TRUE"
    elif len(key_events) == 0:
        is_key = "FALSE"
    else:
        is_key = f"event_name IN ({', '.join(_quote(k) for k in key_events)})"
    gap_us = int(round(float(gap_minutes) * 60_000_000))
    return _SQL.format(grain=grain, gap_us=gap_us, is_key=is_key, **_DIALECT[engine])


def _finish(raw: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Canonical columns and types, sorted: the same frame from every engine."""
    out = pd.DataFrame(
        {
            "account_id": raw["account_id"].astype("string"),
            grain: pd.to_datetime(raw["period"]).dt.tz_localize(None).astype("datetime64[ns]"),
            **{c: raw[c].astype("int64") for c in _COUNTS},
            "minutes": raw["span_us"].astype("int64") / 60_000_000,
        }
    )
    return out.sort_values(["account_id", grain], kind="stable").reset_index(drop=True)


def _codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 where missing) and the values they stand for."""
    cat = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
    return cat.cat.codes.to_numpy().astype(np.int64), cat.cat.categories


def _pandas(events: pd.DataFrame, grain: str, key_events, gap_minutes) -> pd.DataFrame:
    """The vectorised pandas groupby: the same definition with every event in memory, on
    integer codes (one sort, numpy reductions, hash group-bys)."""
    keep = (events["account_id"].notna() & events["event_time"].notna()).to_numpy()
    e = events.loc[keep]
    if e.empty:
        return pd.DataFrame(columns=["account_id", "period", "n_events", *_COUNTS, "span_us"])
    acc, accounts = _codes(e["account_id"])
    who, _ = _codes(e["user_id"])  # -1: no user; an account's anonymous events are one stream
    feature, _ = _codes(e["feature"])
    us = pd.to_datetime(e["event_time"]).to_numpy().astype("datetime64[us]").astype(np.int64)
    day = us // 86_400_000_000
    period = day if grain == "day" else day - (day + 3) % 7  # 1970-01-01 was a Thursday
    stream = acc * (int(who.max()) + 2) + (who + 1)
    order = np.lexsort((us, stream))
    s_stream, s_us = stream[order], us[order]
    gap_us = round(float(gap_minutes) * 60_000_000)
    starts = np.r_[True, (s_stream[1:] != s_stream[:-1]) | (np.diff(s_us) > gap_us)]
    first = np.flatnonzero(starts)
    sessions = pd.DataFrame(
        {
            "acc": acc[order][first],
            "period": period[order][first],
            "span": np.maximum.reduceat(s_us, first) - s_us[first],
        }
    ).groupby(["acc", "period"])["span"]
    if key_events is None:
        key = np.ones(len(e), dtype=bool)
    else:
        key = e["event_name"].isin(list(key_events)).to_numpy()
    frame = pd.DataFrame(
        {
            "acc": acc,
            "period": period,
            "who": np.where(who < 0, np.nan, who),
            "feature": np.where(feature < 0, np.nan, feature),
            "key": key,
        }
    )
    g = frame.groupby(["acc", "period"])
    out = pd.DataFrame(
        {
            "n_events": g.size(),
            "active_users": g["who"].nunique(),
            "key_actions": g["key"].sum(),
            "features_used": g["feature"].nunique(),
            "sessions": sessions.size(),
            "span_us": sessions.sum(),
        }
    ).fillna({"sessions": 0, "span_us": 0})
    out = out.reset_index()
    out["account_id"] = np.asarray(accounts, dtype=object)[out.pop("acc").to_numpy()]
    out["period"] = out["period"].to_numpy().astype("datetime64[D]")
    return out


def _read_coded(source) -> pd.DataFrame:
    """Events from files with categorical columns: what the pandas engine computes on."""
    files, kind = _files(Path(source))
    cols = ["event_time", "account_id", "user_id", "event_name", "feature"]
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.concat_tables([pq.read_table(f, columns=cols) for f in files])
        table = table.unify_dictionaries()
        out = table.to_pandas()
    else:
        out = pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)
        out["event_time"] = pd.to_datetime(out["event_time"])
    for c in cols[1:]:
        if not isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("category")
    return out


def _duckdb_relation(con, source):
    """Register ``source`` (DataFrame, Parquet or CSV file / folder) as ``events``."""
    if isinstance(source, pd.DataFrame):
        con.register("events", source)
        return
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder of events.")
    files, kind = _files(path)
    listing = "[" + ", ".join(_quote(str(f)) for f in files) + "]"
    if kind == "parquet":
        con.execute(
            f"CREATE VIEW events AS SELECT * FROM read_parquet({listing}, union_by_name=true)"
        )
    else:
        con.execute(
            f"CREATE VIEW events AS SELECT * FROM read_csv({listing}, header=true, union_by_name=true,"
            " types={'account_id': 'VARCHAR', 'user_id': 'VARCHAR', 'event_name': 'VARCHAR',"
            " 'feature': 'VARCHAR', 'event_time': 'TIMESTAMP'})"
        )


def _files(path: Path) -> tuple[list[Path], str]:
    """The Parquet or CSV files of an events source, in a stable order."""
    if path.is_file():
        kind = "parquet" if path.suffix == ".parquet" else "csv"
        return [path], kind
    parquet = sorted(path.rglob("*.parquet"))
    csv = sorted(
        p for p in path.rglob("*") if p.suffix in (".csv", ".tsv") or p.name.endswith(".csv.gz")
    )
    if parquet and csv:
        raise ValueError(
            f"{path}: holds both Parquet and CSV files; keep one kind of events export per folder."
        )
    if not parquet and not csv:
        raise FileNotFoundError(f"{path}: no .parquet or .csv files of events in it.")
    return (parquet, "parquet") if parquet else (csv, "csv")


def duckdb_connection(
    *, threads: int | None = None, memory_limit: str | None = None, temp_directory=None
):
    """A DuckDB connection set up for big inputs: spills to disk past ``memory_limit``."""
    import duckdb

    # no progress bar: in a notebook it would become output (and break nbval's comparison)
    con = duckdb.connect(config={"preserve_insertion_order": False})
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = {_quote(memory_limit)}")
    if temp_directory:
        con.execute(f"SET temp_directory = {_quote(str(temp_directory))}")
    return con


def spark_session(master: str | None = None):
    """A Spark session: ``master`` (default ``$CSWORKBOOK_SPARK_MASTER`` or ``local[2]``)
    names a cluster, e.g. ``spark://host:7077``, ``yarn`` or ``k8s://…``."""
    import shutil

    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise RuntimeError(
            "engine 'spark' needs Java 17 or newer (none found on PATH or in JAVA_HOME); "
            "install a JDK, or use engine='duckdb'."
        )
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RuntimeError(
            "engine 'spark' needs PySpark: pip install 'csworkbook[spark]' (or pyspark)."
        ) from None
    master = master or os.environ.get("CSWORKBOOK_SPARK_MASTER", "local[2]")
    session = (
        SparkSession.builder.master(master)
        .appName("csworkbook")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _spark(source, sql: str, spark):
    if isinstance(source, pd.DataFrame):
        df = spark.createDataFrame(source)
    else:
        files, kind = _files(Path(source))
        names = [str(f) for f in files]
        if kind == "parquet":
            df = spark.read.option("mergeSchema", "true").parquet(*names)
        else:
            df = spark.read.csv(
                names,
                header=True,
                schema="event_time TIMESTAMP, account_id STRING, user_id STRING, "
                "event_name STRING, feature STRING",
            )
    df.createOrReplaceTempView("events")
    return spark.sql(sql).toPandas()


def usage_features(
    source,
    *,
    grain: str = "week",
    engine: str = "duckdb",
    key_events=None,
    session_gap_minutes: float = 30.0,
    threads: int | None = None,
    memory_limit: str | None = None,
    spark=None,
) -> pd.DataFrame:
    """Usage per account and week (or day) from raw product events.

    Parameters
    ----------
    source : DataFrame or path
        Canonical events (``event_time, account_id, user_id, event_name, feature``): a
        DataFrame, a Parquet or CSV file, or a folder of them (e.g. ``month=…`` partitions
        as ``csworkbook generate --events`` writes).
    grain : {"week", "day"}
        Weeks start on Monday.
    engine : {"duckdb", "pandas", "spark"}
        ``duckdb`` reads files in streaming fashion and spills to disk (the default);
        ``pandas`` holds every event in memory (fine below a few million events);
        ``spark`` runs on a Spark session (``spark=`` or :func:`spark_session`).
    key_events : list of str, optional
        Event names that count as ``key_actions``; default every event.
    session_gap_minutes : float, default 30
    threads, memory_limit : optional
        DuckDB settings, e.g. ``memory_limit="2GB"``.
    spark : SparkSession, optional

    Returns
    -------
    DataFrame
        ``account_id``, ``week`` (or ``day``), ``active_users``, ``sessions``,
        ``key_actions``, ``features_used``, ``minutes``; one row per account and period with
        events, sorted.

    Examples
    --------
    >>> e = pd.DataFrame({"account_id": ["A1"] * 3, "user_id": ["u1", "u1", "u2"],
    ...     "event_time": pd.to_datetime(["2025-03-03 09:00", "2025-03-03 09:20", "2025-03-04 10:00"]),
    ...     "event_name": ["report_sent", "login", "login"], "feature": ["reports", None, None]})
    >>> week = usage_features(e, key_events=["report_sent"])
    >>> week[["active_users", "sessions", "key_actions", "features_used", "minutes"]].values.tolist()
    [[2.0, 2.0, 1.0, 1.0, 20.0]]
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {sorted(GRAINS)}, not {grain!r}")
    if engine == "pandas":
        events = source if isinstance(source, pd.DataFrame) else _read_coded(source)
        return _finish(_pandas(events, grain, key_events, session_gap_minutes), grain)
    sql = feature_sql(engine, grain=grain, key_events=key_events, gap_minutes=session_gap_minutes)
    if engine == "spark":
        return _finish(_spark(source, sql, spark or spark_session()), grain)
    import shutil
    import tempfile

    spill = tempfile.mkdtemp(prefix="csworkbook-duckdb-")  # where DuckDB spills past its limit
    con = duckdb_connection(threads=threads, memory_limit=memory_limit, temp_directory=spill)
    try:
        _duckdb_relation(con, source)
        return _finish(con.execute(sql).df(), grain)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def read_events(source) -> pd.DataFrame:
    """Every event of a Parquet / CSV file or folder into pandas (small inputs only)."""
    files, kind = _files(Path(source))
    if kind == "parquet":
        import pyarrow.parquet as pq

        cols = ["event_time", "account_id", "user_id", "event_name", "feature"]
        frames = [pq.read_table(f, columns=cols).to_pandas() for f in files]
    else:
        frames = [pd.read_csv(f, dtype=str) for f in files]
    out = pd.concat(frames, ignore_index=True)
    out = out.astype({c: "string" for c in ("account_id", "user_id", "event_name", "feature")})
    out["event_time"] = pd.to_datetime(out["event_time"])
    return out


SIDECAR = "_events.json"  # written by ``csworkbook generate --events``


def recorded_key_events(source):
    """The key events a generated events folder records (``_events.json``), else None.

    Examples
    --------
    >>> recorded_key_events("no/such/folder") is None
    True
    """
    sidecar = Path(source) / SIDECAR
    if not sidecar.is_file():
        return None
    import json

    return json.loads(sidecar.read_text(encoding="utf-8"))["key_events"]
