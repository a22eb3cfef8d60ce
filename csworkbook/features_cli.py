"""``csworkbook features``: usage features from an events export, on any engine."""

from __future__ import annotations

import time
from pathlib import Path

from .events.features import ENGINES, GRAINS, SIDECAR, recorded_key_events, usage_features


def key_events_of(source: Path, given: str | None):
    """The key events to count: as given, else those the generator recorded, else all."""
    if given is not None:
        return [k.strip() for k in given.split(",") if k.strip()], "--key-events"
    recorded = recorded_key_events(source)
    if recorded is not None:
        return recorded, str(source / SIDECAR)
    return None, "every event (no --key-events)"


def _features(args) -> int:
    from .data.atomic import write_bytes_atomically
    from .reports.files import neutralise_formulas

    if not args.events.exists():
        raise ValueError(f"{args.events}: no such file or folder of events")
    keys, why = key_events_of(args.events, args.key_events)
    spark = None
    if args.engine == "spark":
        from .events.features import spark_session

        spark = spark_session(args.spark_master)
    t0 = time.perf_counter()
    out = usage_features(
        args.events,
        grain=args.grain,
        engine=args.engine,
        key_events=keys,
        threads=args.threads,
        memory_limit=args.memory_limit,
        spark=spark,
    )
    took = time.perf_counter() - t0
    name = "usage" if args.grain == "week" else "usage_daily"
    args.out.mkdir(parents=True, exist_ok=True)
    if args.format == "parquet":
        import io

        buf = io.BytesIO()
        out.to_parquet(buf, index=False)
        path = write_bytes_atomically(args.out / f"{name}.parquet", buf.getvalue())
    else:
        text = neutralise_formulas(out).to_csv(index=False, lineterminator="\n")
        path = write_bytes_atomically(args.out / f"{name}.csv", text.encode("utf-8"))
    period = out[args.grain]
    print(
        f"{len(out):,} account-{args.grain}s of {out['account_id'].nunique():,} accounts"
        + (f", {period.min():%Y-%m-%d} to {period.max():%Y-%m-%d}" if len(out) else "")
        + f", in {took:.1f} s on {args.engine}; key actions: {why}"
    )
    print(f"wrote {path}")
    return 0


def add_parser(sub) -> None:
    f = sub.add_parser(
        "features",
        help="usage per account and week (or day) from raw product events",
        description="Usage features (active users, sessions, key actions, features used, "
        "minutes) per account and week or day from raw product events: a Parquet or CSV "
        "file, or a folder of them. DuckDB streams from disk and spills past its memory "
        "limit; pandas holds every event in memory; spark runs on a Spark session "
        "(local[2], or --spark-master / $CSWORKBOOK_SPARK_MASTER for a cluster).",
    )
    f.add_argument("events", type=Path, help="events file or folder (e.g. DATASET/events)")
    f.add_argument("--out", type=Path, required=True, help="folder to write usage into")
    f.add_argument("--engine", choices=ENGINES, default="duckdb", help="default %(default)s")
    f.add_argument("--grain", choices=sorted(GRAINS), default="week", help="default %(default)s")
    f.add_argument(
        "--key-events",
        help="comma-separated event names that count as key actions "
        f"(default: those in the folder's {SIDECAR}, else every event)",
    )
    f.add_argument(
        "--format", choices=["csv", "parquet"], default="csv", help="default %(default)s"
    )
    f.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    f.add_argument("--memory-limit", help="DuckDB memory limit, e.g. 2GB; spills beyond it")
    f.add_argument("--spark-master", help="Spark master URL, e.g. spark://host:7077 or yarn")
    f.set_defaults(func=_features)
