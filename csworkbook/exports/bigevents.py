"""Event exports of any size: mapped, checked and aggregated in DuckDB, never in pandas.

A product-analytics export easily has tens of millions of rows. When a mapping asks for
``derive: [usage]`` and the events table's rules are plain (columns renamed, optionally a
``date_format:`` and the table's ``timezone:``), the file is read by DuckDB straight from
disk: every row is checked as the pandas path checks it (empty account, time or event
name; a time that is not a time or falls after ``as_of``; an account not in the accounts
table), rejected rows come back with their file row number, cells and reasons, and the
accepted ones are aggregated to weekly usage by :func:`csworkbook.events.usage_features`'
SQL. Only the rejected rows and the weekly usage reach pandas; the events are not kept in
the dataset. Anything else (Excel files, CP932 text, ``values:`` maps, ``where:``) goes
through the pandas path, which says why.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data.errors import DataError
from ..events.features import _finish, _quote, duckdb_connection, feature_sql
from .read import BLANKS

COLUMNS = ("event_time", "account_id", "user_id", "event_name", "feature")
REQUIRED = ("event_time", "account_id", "event_name")
PLAIN_RULE_KEYS = {"column", "date_format"}
EPOCHS = {"unix": "to_timestamp(TRY_CAST({x} AS DOUBLE))",
          "unix_ms": "to_timestamp(TRY_CAST({x} AS DOUBLE) / 1000)"}  # fmt: skip
_OFFSET = r"(Z|[+-]\d{2}:?\d{2})$"
# Exports up to this many accepted rows also keep their events in the dataset (as the pandas
# path does); bigger ones keep only the weekly usage.
KEEP_ROWS = 2_000_000


@dataclass
class BigEvents:
    """What the DuckDB path read: counts, rejected rows, and the weekly usage."""

    source: str
    rows_read: int
    accepted: int
    rejected: pd.DataFrame
    usage: pd.DataFrame
    headers: dict[str, str]
    notes: list[str] = field(default_factory=list)
    events: pd.DataFrame | None = None  # the accepted events, when few enough to keep


def why_not(path: Path, rules: dict, tspec: dict, spec: dict) -> str | None:
    """None when DuckDB can read this events export; else the reason it cannot."""
    if tspec.get("engine") == "pandas":
        return "the mapping asks for `engine: pandas`"
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".tsv", ".txt", ".parquet"):
        return f"{path.name} is not CSV, TSV or Parquet"
    if tspec.get("where") or tspec.get("distinct"):
        return "the table uses `where:` or `distinct:`"
    for col, rule in rules.items():
        if isinstance(rule, dict) and set(rule) - PLAIN_RULE_KEYS:
            extra = sorted(set(rule) - PLAIN_RULE_KEYS)
            return f"the rule for {col} uses {', '.join(f'`{k}:`' for k in extra)}"
        if not isinstance(rule, (str, dict)):
            return f"the rule for {col} is not a column name"
    if suffix != ".parquet":
        encoding = tspec.get("encoding", spec.get("encoding"))
        if encoding is not None and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            return f"the file is {encoding}"
        if encoding is None and not _looks_utf8(path):
            return "the file is not UTF-8"
    return None


def _looks_utf8(path: Path, size: int = 1 << 20) -> bool:
    head = path.read_bytes()[:size] if path.stat().st_size <= size else _head(path, size)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(head) - 3  # a character cut at the end of the sample
    return True


def _head(path: Path, size: int) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


def _column(rule, canonical: str) -> tuple[str | None, str | None]:
    if rule is None:
        return None, None
    if isinstance(rule, str):
        return rule, None
    return rule.get("column", canonical), rule.get("date_format")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _time_sql(text: str, fmt: str | None, timezone: str | None) -> str:
    """A naive timestamp from the text, or NULL when it is not one."""
    if fmt in EPOCHS:
        # epochs are instants: shown in the dataset's time zone, else in UTC
        return f"timezone({_quote(timezone or 'UTC')}, {EPOCHS[fmt].format(x=text)})"
    if fmt:
        return f"try_strptime({text}, {_quote(fmt)})"
    plain = f"TRY_CAST({text} AS TIMESTAMP)"
    zoned = f"timezone({_quote(timezone or 'UTC')}, TRY_CAST({text} AS TIMESTAMPTZ))"
    return f"CASE WHEN regexp_matches({text}, {_quote(_OFFSET)}) THEN {zoned} ELSE {plain} END"


def load_events(
    path: Path,
    rules: dict,
    *,
    accounts: pd.Series,
    as_of: pd.Timestamp,
    key_events=None,
    timezone: str | None = None,
    delimiter: str | None = None,
    memory_limit: str | None = None,
) -> BigEvents:
    """Check and aggregate an events export in DuckDB (see the module's description).

    Passes over the file, none holding it: one counts the rows, one aggregates the accepted
    rows in parallel (and counts them); only when rows were rejected, one more, in file
    order, keeps them with their row numbers and cells.
    """
    picked = {c: _column(rules.get(c, c), c) for c in COLUMNS}
    tmp = Path(tempfile.mkdtemp(prefix="csworkbook-duckdb-"))
    con = duckdb_connection(memory_limit=memory_limit, temp_directory=tmp)
    try:
        scan, first_row = _scan(path, delimiter)
        header = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
        _check_columns(path, picked, header)
        con.register("known_accounts", pd.DataFrame({"account_id": accounts.astype(str)}))
        parsed = ", ".join(f"{_cell(picked[c][0])} AS {c}" for c in COLUMNS[1:])
        parsed += f", {_cell(picked['event_time'][0])} AS time_text"
        _refuse_mixed_offsets(con, path, picked, parsed, scan, timezone)
        when = _time_sql("time_text", picked["event_time"][1], timezone)
        # the export's own cells, for rejected rows, under names that cannot clash
        raw = ", ".join(f"{_ident(h)} AS _cell{i}" for i, h in enumerate(header))
        cells = ", ".join(f"_cell{i}" for i in range(len(header)))

        def checked(keep: str = "", numbered: bool = False) -> str:
            rows = f"(row_number() OVER ()) + {first_row - 1} AS source_row, " if numbered else ""
            return (
                f"SELECT *, {_reason_sql(as_of)} AS reason FROM (SELECT *, {when} AS parsed_time"
                f" FROM (SELECT {parsed}{keep} FROM (SELECT {rows}* FROM {scan})))"
            )

        total = con.execute(f"SELECT count(*) FROM {scan}").fetchone()[0]
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            "CREATE VIEW events AS SELECT parsed_time AS event_time, account_id, user_id, "
            f"event_name, feature FROM ({checked()}) WHERE reason = ''"
        )
        found = con.execute(feature_sql("duckdb", key_events=key_events)).df()
        accepted = int(found["n_events"].sum()) if len(found) else 0
        rejected = pd.DataFrame(columns=["source_row", "reason", *header])
        if accepted < total:  # a second pass, in file order, numbers the rejected rows
            con.execute("SET preserve_insertion_order = true")
            rejected = con.execute(
                f"SELECT source_row, reason, {cells} FROM "
                f"({checked(', source_row, ' + raw, True)}) WHERE reason <> '' ORDER BY source_row"
            ).df()
            rejected.columns = ["source_row", "reason", *header]
        kept = None
        if accepted <= KEEP_ROWS:
            con.execute("SET preserve_insertion_order = true")
            kept = con.execute("SELECT * FROM events").df()
            kept = kept.astype({c: "string" for c in COLUMNS[1:]})
            kept["event_time"] = kept["event_time"].astype("datetime64[ns]")
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if accepted + len(rejected) != total:
        raise AssertionError("a row was lost: please report this bug")
    headers = {c: col for c, (col, _) in picked.items() if col}
    notes = [
        f"read and checked with DuckDB: {accepted + len(rejected):,} rows, aggregated to weekly "
        "usage without loading them into memory"
        + (
            ""
            if kept is not None
            else f"; more than {KEEP_ROWS:,} accepted, so the events are not kept in the "
            "dataset (csworkbook.events.usage_features aggregates the file other ways)"
        )
    ]
    return BigEvents(
        path.name,
        accepted + len(rejected),
        accepted,
        rejected,
        _finish(found, "week"),
        headers,
        notes,
        kept,
    )


def _scan(path: Path, delimiter: str | None) -> tuple[str, int]:
    """The DuckDB table function reading the file, and the file row of its first record."""
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({_quote(str(path))})", 1
    sep = delimiter or ("\t" if path.suffix.lower() == ".tsv" else None)
    options = "header=true, all_varchar=true, strict_mode=false, null_padding=true"
    options += f", delim={_quote(sep)}" if sep else ""
    return f"read_csv({_quote(str(path))}, {options})", 2


def _check_columns(path: Path, picked: dict, header: list) -> None:
    missing = [f"{c} <- {col!r}" for c, (col, _) in picked.items() if col and col not in header]
    need = [c for c in REQUIRED if picked[c][0] is None]
    if missing or need:
        raise DataError(
            f"{path.name}: "
            + (f"no column(s) {', '.join(missing)}; " if missing else "")
            + (f"no rule for {', '.join(need)}; " if need else "")
            + f"its headers are {header}. Fix the events table's `columns:` in the mapping."
        )


def _cell(col: str | None) -> str:
    """A cell as text, trimmed; the spellings of blank (BLANKS) as NULL."""
    if col is None:
        return "NULL"
    x = f"trim(CAST({_ident(col)} AS VARCHAR))"
    blanks = ", ".join(_quote(b) for b in sorted(BLANKS))
    return f"CASE WHEN {x} IN ({blanks}) THEN NULL ELSE {x} END"


def _refuse_mixed_offsets(con, path, picked, parsed, scan, timezone) -> None:
    """Times written with different UTC offsets need the dataset's time zone, as in pandas."""
    if timezone is not None or picked["event_time"][1] is not None:
        return
    offsets = con.execute(
        f"SELECT DISTINCT regexp_extract(time_text, {_quote(_OFFSET)}) FROM (SELECT {parsed} "
        f"FROM {scan}) WHERE regexp_matches(time_text, {_quote(_OFFSET)}) LIMIT 2"
    ).fetchall()
    if len(offsets) > 1:
        shown = " and ".join(repr(o[0]) for o in offsets)
        raise DataError(
            f"{path.name}: column {picked['event_time'][0]!r}: times with different UTC "
            f"offsets ({shown}). State the dataset's time zone in the mapping, e.g. "
            "`timezone: Asia/Tokyo` or `timezone: UTC`, and every time is converted to it."
        )


def _reason_sql(as_of: pd.Timestamp) -> str:
    """Why a row cannot be used, worded as the pandas path words it ('' when it can)."""
    end = (as_of + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    q = "''''"  # a quote character, as an SQL literal
    return (
        "concat_ws('; ', "
        "CASE WHEN time_text IS NULL THEN 'event_time: empty' "
        f"WHEN parsed_time IS NULL THEN 'event_time: ' || {q} || time_text || {q} "
        "|| ' is not a datetime' "
        f"WHEN parsed_time >= TIMESTAMP '{end}' THEN 'event_time: ' "
        f"|| strftime(parsed_time, '%Y-%m-%d') || ' is after as_of {as_of:%Y-%m-%d}' END, "
        "CASE WHEN account_id IS NULL THEN 'account_id: empty' "
        "WHEN account_id NOT IN (SELECT account_id FROM known_accounts) "
        f"THEN 'account_id: ' || {q} || account_id || {q} || ' has no row in accounts' END, "
        "CASE WHEN event_name IS NULL THEN 'event_name: empty' END)"
    )
