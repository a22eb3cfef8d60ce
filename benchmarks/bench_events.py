"""Product events at scale: the generator, the feature engines, and mapped event exports.

    python benchmarks/bench_events.py [--events 10000000 100000000] [--accounts 10000]
                                      [--export-rows 5000000] [--spark] [--write]

Every measurement runs in a fresh process; its peak memory is the largest sum of resident
memory over the process and its children (sampled every 50 ms from /proc, so Linux only).
Baselines run in the same invocation as what they are compared with:

1. Generator: ``csworkbook generate --accounts N --events`` (world + events, 3 years):
   events/s, customer-months/s and peak memory.
2. Features: events -> account-week usage on DuckDB against the vectorised pandas groupby
   (``usage_features(engine="pandas")``: categorical columns, one sort, numpy reductions)
   at each ``--events`` size; a pandas run that dies (memory) is recorded as such.
3. Mapped export: a CSV of ``--export-rows`` events through mapping + validation +
   ``derive: usage``, the pandas path (``engine: pandas``, what every export took before
   the DuckDB path) against the DuckDB path.
4. ``--spark``: Spark (local[2], in ``.venv-spark``) against DuckDB on the smallest events
   size: equal results, JVM start timed apart from the query.

With ``--write`` the results replace the generated section of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EVENTS_PER_ACCOUNT = 5_840
PANDAS_MAX = 200_000_000  # pandas already fails at about 100 million events on 24 GB  # the demo world: 8.76 million events over 1,500 accounts, 3 years


def _tree_rss_mb(pgid: int) -> float:
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # fields after the name: state, ppid, pgrp, ...
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        m = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(m.group(1)) if m else 0
    return total / 1024


def measure(cmd: list, *, timeout: float = 7200, env=None) -> dict:
    """Run ``cmd`` in its own process group; wall time, peak tree memory, exit code, and the
    last line of its output when that is JSON."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=ROOT,
        env=env,
    )
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_mb(proc.pid))
        time.sleep(0.05)
        if time.perf_counter() - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
    out, err = proc.communicate()
    result = {"seconds": time.perf_counter() - start, "peak_mb": peak, "rc": proc.returncode}
    lines = out.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        result.update(json.loads(lines[-1]))
    if proc.returncode:
        result["error"] = (err.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:200]
    return result


def generator(accounts: int, folder: Path) -> dict:
    py = sys.executable
    r = measure([py, "-m", "csworkbook.cli", "generate", "--accounts", accounts, "--events",
                 "--format", "parquet", "--out", folder])  # fmt: skip
    meta = json.loads((folder / "events" / "_events.json").read_text())
    import pandas as pd

    u = pd.read_parquet(folder / "usage.parquet", columns=["account_id", "week"])
    months = u.assign(m=u["week"].dt.to_period("M"))[["account_id", "m"]].drop_duplicates()
    r.update(accounts=accounts, events=meta["events"], customer_months=len(months))
    r["events_per_s"] = r["events"] / r["seconds"]
    r["customer_months_per_s"] = r["customer_months"] / r["seconds"]
    r["disk_mb"] = sum(p.stat().st_size for p in (folder / "events").rglob("*")) / 2**20
    return r


FEATURES = """
import json, resource, sys, time
# a ceiling below the machine's memory: pandas fails with MemoryError instead of the OOM killer
cap = int(sys.argv[5]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from csworkbook.events import usage_features
t = time.perf_counter()
out = usage_features(sys.argv[1], engine=sys.argv[2], key_events=["report_sent", "workflow_run",
                     "dashboard_shared"], memory_limit=(sys.argv[3] or None))
out.to_parquet(sys.argv[4])
print(json.dumps({"query_seconds": time.perf_counter() - t, "rows": len(out)}))
"""


def _ram_mb() -> int:
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20)


def features(events_dir: Path, engine: str, out: Path, memory_limit: str = "") -> dict:
    cap = int(_ram_mb() * 0.92)  # address space, a little under RAM
    return measure([sys.executable, "-c", FEATURES, events_dir, engine, memory_limit, out, cap])


SPARK = """
import json, sys, time
t = time.perf_counter()
from csworkbook.events import spark_session, usage_features
spark = spark_session("local[2]")
started = time.perf_counter() - t
t = time.perf_counter()
out = usage_features(sys.argv[1], engine="spark", spark=spark,
                     key_events=["report_sent", "workflow_run", "dashboard_shared"])
out.to_parquet(sys.argv[2])
print(json.dumps({"jvm_start_seconds": started, "query_seconds": time.perf_counter() - t}))
"""


def events_of_size(n_events: int, folder: Path) -> tuple[Path, dict]:
    accounts = max(50, round(n_events / EVENTS_PER_ACCOUNT))
    if not (folder / "events" / "_events.json").exists():
        gen = generator(accounts, folder)
    else:
        gen = {"accounts": accounts}
    gen["events"] = json.loads((folder / "events" / "_events.json").read_text())["events"]
    return folder / "events", gen


def export_csv(events_dir: Path, rows: int, folder: Path) -> Path:
    """The first ``rows`` events as an Amplitude-style flat CSV."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path = folder / "events_export.csv"
    writer, written = None, 0
    for f in sorted(events_dir.rglob("*.parquet")):
        t = pq.read_table(f).slice(0, rows - written)
        t = pa.table(
            {
                "event_time": pc.strftime(t["event_time"], format="%Y-%m-%d %H:%M:%S"),
                "user_id": t["user_id"].cast(pa.string()),
                "event_type": t["event_name"].cast(pa.string()),
                "groups.company": t["account_id"].cast(pa.string()),
                "event_properties.feature": t["feature"].cast(pa.string()),
            }
        )
        writer = writer or pacsv.CSVWriter(path, t.schema)
        writer.write_table(t)
        written += len(t)
        if written >= rows:
            break
    writer.close()
    return path


MAPPED = """
import json, sys, time
import csworkbook
t = time.perf_counter()
ds = csworkbook.load(sys.argv[1], mapping=sys.argv[2], mode="lenient")
row = ds.load_report.accounting.set_index("table").loc["events"]
print(json.dumps({"rows_read": int(row["rows_read"]), "accepted": int(row["accepted"]),
                  "usage_rows": len(ds.usage), "load_seconds": time.perf_counter() - t}))
"""


def _table_file(world: Path, name: str) -> Path:
    return next(p for p in (world / f"{name}.parquet", world / f"{name}.csv") if p.exists())


def mapped(world: Path, csv: Path, engine: str) -> dict:
    import yaml

    spec = {
        "as_of": "2025-12-31",
        "derive": ["usage"],
        "key_events": ["report_sent", "workflow_run", "dashboard_shared"],
        "tables": {
            "accounts": {"file": str(_table_file(world, "accounts"))},
            "contracts": {"file": str(_table_file(world, "contracts"))},
            "events": {
                "file": str(csv),
                "engine": engine,
                "columns": {
                    "event_time": "event_time",
                    "account_id": "groups.company",
                    "user_id": "user_id",
                    "event_name": "event_type",
                    "feature": "event_properties.feature",
                },
            },
        },
    }
    mapping = csv.parent / f"mapping_{engine}.yaml"
    mapping.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return measure([sys.executable, "-c", MAPPED, csv.parent, mapping])


def _same(a: Path, b: Path) -> bool:
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))
    except AssertionError:
        return False
    return True


def _fmt_mem(r: dict) -> str:
    return f"{r['peak_mb'] / 1024:.2f} GB"


def render(res: dict) -> str:
    g = res["generator"]
    runs = sorted(set(res["runs"].values()))
    lines = [
        f"Machine: {res['machine']}. Measured by "
        + " and ".join(f"`python benchmarks/bench_events.py {r}`" for r in runs)
        + ".",
        "",
        "| generator | accounts | events | customer-months | time | events/s | customer-months/s | peak memory | Parquet on disk |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| `generate --events` (world + events) | {g['accounts']:,} | {g['events']:,} | "
        f"{g['customer_months']:,} | {g['seconds']:.1f} s | {g['events_per_s']:,.0f} | "
        f"{g['customer_months_per_s']:,.0f} | {_fmt_mem(g)} | {g['disk_mb']:,.0f} MB |",
        "",
        "| events -> weekly usage | DuckDB | pandas (vectorised groupby) | DuckDB faster | DuckDB memory / pandas |",
        "|---|---|---|---|---|",
    ]
    for f in res["features"]:
        d, p = f["duckdb"], f["pandas"]
        if d.get("rc"):  # a failed DuckDB run is shown as such, never as a time
            lines.append(f"| {f['events']:,} events | failed: {d.get('error', '')[:120]} | | | |")
            continue
        if p.get("skipped"):
            pandas, ratio, mem = "not run (out of memory at a tenth of this)", "pandas cannot", "-"
        elif p.get("rc"):
            why = p.get("error", "").split(": ")[-1]
            why = re.sub(
                r"Unable to allocate ([\d.]+) (\w+) .*", r"MemoryError, \1 \2 more wanted", why
            )
            pandas = f"failed after {p['seconds']:.0f} s at {_fmt_mem(p)}: {why}"
            ratio, mem = "pandas cannot", "-"
        else:
            pandas = f"{p['seconds']:.1f} s, {_fmt_mem(p)}"
            ratio = f"{p['seconds'] / d['seconds']:.1f}×"
            mem = f"1/{p['peak_mb'] / d['peak_mb']:.1f}"
        same = "" if f.get("same") is None else (" (same result)" if f["same"] else " (DIFFERENT)")
        lines.append(
            f"| {f['events']:,} events | {d['seconds']:.1f} s, {_fmt_mem(d)}{same} | {pandas} | "
            f"{ratio} | {mem} |"
        )
    if res.get("mapped"):
        m = res["mapped"]
        d, p = m["duckdb"], m["pandas"]
        lines += [
            "",
            "| mapped events export (CSV, mapping + validation + derive usage) | rows | time | peak memory |",
            "|---|---|---|---|",
            f"| pandas path (`engine: pandas`, as before) | {m['rows']:,} | {p['seconds']:.1f} s | {_fmt_mem(p)} |",
            f"| DuckDB path | {m['rows']:,} | {d['seconds']:.1f} s | {_fmt_mem(d)} |",
            f"| ratio | | {p['seconds'] / d['seconds']:.1f}× faster | 1/{p['peak_mb'] / d['peak_mb']:.1f} of the memory |",
        ]
    if res.get("spark"):
        s = res["spark"]
        lines += [
            "",
            f"Spark local[2] on {s['events']:,} events: JVM and session start "
            f"{s['jvm_start_seconds']:.1f} s, query {s['query_seconds']:.1f} s "
            f"(DuckDB {s['duckdb_seconds']:.1f} s whole process); "
            f"results {'identical to DuckDB' if s['same'] else 'DIFFERENT from DuckDB'}.",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, nargs="+", default=[10_000_000, 100_000_000])
    p.add_argument("--accounts", type=int, default=10_000, help="generator benchmark size")
    p.add_argument("--export-rows", type=int, default=5_000_000)
    p.add_argument("--memory-limit", default="", help="DuckDB memory limit, e.g. 4GB")
    p.add_argument("--spark", action="store_true", help="also Spark, from .venv-spark")
    p.add_argument("--keep", type=Path, help="folder to keep generated data in (reused)")
    p.add_argument(
        "--only",
        nargs="+",
        choices=["generator", "features", "mapped", "spark", "none"],
        help="run these parts only (the others keep their last figures in results/events.json)",
    )
    p.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = p.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-events-"))
    work.mkdir(parents=True, exist_ok=True)
    saved = HERE / "results" / "events.json"
    res = json.loads(saved.read_text()) if args.only and saved.exists() else {}
    parts = set(args.only or ["generator", "features", "mapped", "spark"])
    res["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    res.setdefault(
        "runs", {p: res.get("args", "") for p in ("generator", "features", "mapped", "spark")}
    )
    parts.discard("none")  # --only none: render the saved figures again
    for part in parts:
        res["runs"][part] = " ".join(sys.argv[1:])
    try:
        if "generator" in parts:
            print(f"generator: {args.accounts:,} accounts", flush=True)
            res["generator"] = generator(args.accounts, work / "gen")
            print(json.dumps(res["generator"]), flush=True)
            shutil.rmtree(work / "gen" / "events", ignore_errors=True)
        for n in args.events if "features" in parts else []:
            folder = work / f"ev{n}"
            events_dir, gen = events_of_size(n, folder)
            one = {"events": gen["events"]}
            for engine in ("duckdb", "pandas"):
                if engine == "pandas" and n > PANDAS_MAX:
                    one[engine] = {"skipped": True}  # it runs out of memory far below this
                    continue
                print(f"features: {gen['events']:,} events on {engine}", flush=True)
                limit = args.memory_limit if engine == "duckdb" else ""
                one[engine] = features(events_dir, engine, folder / f"{engine}.parquet", limit)
                print(json.dumps(one[engine]), flush=True)
            if not one["pandas"].get("rc") and not one["pandas"].get("skipped"):
                one["same"] = _same(folder / "duckdb.parquet", folder / "pandas.parquet")
            # a size measured again replaces its row; other sizes keep theirs
            kept = [
                f for f in res.get("features", []) if abs(f["events"] / one["events"] - 1) > 0.2
            ]
            res["features"] = sorted([*kept, one], key=lambda f: f["events"])
        first = work / f"ev{args.events[0]}"
        if args.export_rows and "mapped" in parts:
            csv = export_csv(first / "events", args.export_rows, first)
            res["mapped"] = {"rows": args.export_rows}
            for engine in ("duckdb", "pandas"):
                print(f"mapped export: {args.export_rows:,} rows, {engine} path", flush=True)
                res["mapped"][engine] = mapped(first, csv, engine)
                print(json.dumps(res["mapped"][engine]), flush=True)
        if args.spark and "spark" in parts:
            spark_py = ROOT / ".venv-spark" / "bin" / "python"
            r = measure([spark_py, "-c", SPARK, first / "events", first / "spark.parquet"])
            if r.get("rc"):
                print(f"spark failed: {r.get('error')}", flush=True)
            else:
                r["events"] = json.loads((first / "events" / "_events.json").read_text())["events"]
                r["duckdb_seconds"] = features(
                    first / "events", "duckdb", first / "duckdb.parquet"
                )["seconds"]
                r["same"] = _same(first / "spark.parquet", first / "duckdb.parquet")
                res["spark"] = r
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    text = render(res)
    print(text)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "events.json").write_text(json.dumps(res, indent=1, default=str))
    if args.write:
        readme = HERE / "README.md"
        pattern = re.compile(r"(<!-- BEGIN events -->\n).*?(<!-- END events -->)", re.S)
        body = readme.read_text(encoding="utf-8")
        if not pattern.search(body):
            body += "\n## Product events at scale\n\n<!-- BEGIN events -->\n<!-- END events -->\n"
        readme.write_text(pattern.sub(lambda m: m.group(1) + text + m.group(2), body), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
