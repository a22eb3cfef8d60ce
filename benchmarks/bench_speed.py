"""Speed and peak memory of the package against plain alternatives, in the same run.

    python benchmarks/bench_speed.py                  # quick, under a minute
    python benchmarks/bench_speed.py --full --write   # the figures in benchmarks/README.md

1. Health frame: :func:`csworkbook.health.health_frame` against ``plain_health_frame``
   (``benchmarks/plain.py``: the same signals the obvious pandas way) on the same world
   and dates. The two frames are asserted identical before either is timed.
2. Loading against generating: ``csworkbook.load`` of the world saved as CSV and as Parquet,
   against ``synth.generate`` of that world (loading validates every table too).
3. Generation at two sizes: seconds per 1,000 accounts should not grow with the size.

Every measurement runs in a fresh subprocess, so its peak resident memory (``resource``,
Linux and macOS) is its own; the health frames also report the peak Python allocation
during the call (``tracemalloc``, measured in a separate untimed run). ``--code DIR`` runs
the children against another checkout of the package (to measure a baseline).
With ``--write`` the results replace the generated section of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = {"health": [(3000, 26, 7)], "load": [3000], "gen": [2000, 20_000]}
FULL = {
    "health": [(10_000, 26, 7), (10_000, 104, 14), (100_000, 1, 7)],
    "load": [10_000, 100_000],
    "gen": [10_000, 100_000],
}


def _peak_mb() -> float:
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def _timed(f, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def _traced_peak_mb(f) -> float:
    import tracemalloc

    tracemalloc.start()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def job_generate(n: int, out: str | None = None) -> dict:
    """Generate a world; with ``out``, save it as CSV and Parquet afterwards (untimed)."""
    from csworkbook import synth

    seconds, ds = _timed(lambda: synth.generate(n, seed=7, as_of="2025-12-31"))
    res = {"accounts": n, "seconds": seconds, "peak_mb": _peak_mb()}
    res["rows"] = sum(len(t) for t in ds.tables.values())
    if out:
        from csworkbook.data import write_dataset

        for fmt in ("csv", "parquet"):
            write_dataset(ds, Path(out) / fmt, fmt=fmt)
    return res


def job_load(folder: str) -> dict:
    """Load with validation (what ``csworkbook.load`` does), then read only, untimed first."""
    import csworkbook

    seconds, _ = _timed(lambda: csworkbook.load(folder))
    res = {"seconds": seconds, "peak_mb": _peak_mb()}
    res["read_s"] = _timed(lambda: csworkbook.load(folder, validate_data=False))[0]
    return res


def job_health(folder: str, weeks: int, every: int) -> dict:
    import pandas as pd

    sys.path.insert(0, str(HERE))
    from plain import plain_health_frame

    import csworkbook
    from csworkbook.health import health_frame, scoring_dates

    ds = csworkbook.load(folder)
    dates = scoring_dates(ds.as_of, weeks=weeks, every_days=every)
    package = health_frame(ds, dates)
    pd.testing.assert_frame_equal(package, plain_health_frame(ds, dates), check_exact=True)
    res = {"rows": len(package), "dates": len(dates)}
    del package
    for name, f in (("package", health_frame), ("plain", plain_health_frame)):
        res[f"{name}_s"] = _timed(lambda f=f: f(ds, dates))[0]
        res[f"{name}_mb"] = _traced_peak_mb(lambda f=f: f(ds, dates))
    return res


JOBS = {"generate": job_generate, "load": job_load, "health": job_health}


def run(code: str | None, job: str, *args) -> dict:
    """One job in a fresh interpreter (``code``: a folder holding another csworkbook)."""
    prelude = f"import sys; sys.path.insert(0, {code!r}); " if code else ""
    src = (
        f"{prelude}import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_speed; "
        f"print(json.dumps(bench_speed.JOBS[{job!r}](*{list(args)!r})))"
    )
    r = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{job}{args} failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def measure(plan: dict, code: str | None, workdir: Path) -> dict:
    out = {"health": [], "load": [], "gen": []}
    sizes = sorted({n for n, _, _ in plan["health"]} | set(plan["load"]) | set(plan["gen"]))
    worlds = {}
    for n in sizes:
        saved = n in plan["load"] or any(h[0] == n for h in plan["health"])
        g = run(code, "generate", n, str(workdir / str(n)) if saved else None)
        worlds[n] = g
        print(f"generate {n:>7,} accounts: {g['seconds']:6.2f} s, peak {g['peak_mb']:,.0f} MB")
        if n in plan["gen"]:
            out["gen"].append(g)
    for n in plan["load"]:
        row = {"accounts": n, "generate_s": worlds[n]["seconds"]}
        row["generate_mb"] = worlds[n]["peak_mb"]
        for fmt in ("csv", "parquet"):
            r = run(code, "load", str(workdir / str(n) / fmt))
            row[f"{fmt}_s"], row[f"{fmt}_mb"], row[f"{fmt}_read"] = (
                r["seconds"],
                r["peak_mb"],
                r["read_s"],
            )
        out["load"].append(row)
        print(
            f"load {n:>7,}: generate {row['generate_s']:.2f} s, CSV {row['csv_s']:.2f} s "
            f"({row['csv_s'] / row['generate_s']:.2f}x; read only {row['csv_read']:.2f} s), "
            f"Parquet {row['parquet_s']:.2f} s ({row['parquet_s'] / row['generate_s']:.2f}x; "
            f"read only {row['parquet_read']:.2f} s)"
        )
    for n, weeks, every in plan["health"]:
        h = run(code, "health", str(workdir / str(n) / "parquet"), weeks, every)
        h["accounts"] = n
        out["health"].append(h)
        print(
            f"health {n:>7,} x {h['dates']} dates ({h['rows']:,} rows): package "
            f"{h['package_s']:.2f} s / {h['package_mb']:,.0f} MB, plain {h['plain_s']:.2f} s / "
            f"{h['plain_mb']:,.0f} MB: plain / package = {h['plain_s'] / h['package_s']:.1f}x"
        )
    g = out["gen"]
    if len(g) >= 2:
        per = [x["seconds"] / x["accounts"] * 1000 for x in g]
        print(f"generation s per 1,000 accounts: {', '.join(f'{p:.3f}' for p in per)}")
    return out


def render(res: dict, args) -> str:
    lines = [
        f"Measured on {platform.machine()} with Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; `python benchmarks/bench_speed.py {' '.join(args)}`.",
        "",
        "**Health frame** (`health_frame` vs `plain_health_frame`, identical frames):",
        "",
        "| accounts | dates | customer-dates | package (s) | plain pandas (s) | plain / package "
        "| package peak (MB) | plain peak (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for h in res["health"]:
        lines.append(
            f"| {h['accounts']:,} | {h['dates']} | {h['rows']:,} | {h['package_s']:.2f} "
            f"| {h['plain_s']:.2f} | **{h['plain_s'] / h['package_s']:.1f}×** "
            f"| {h['package_mb']:,.0f} | {h['plain_mb']:,.0f} |"
        )
    lines += [
        "",
        "**Loading against generating** the same world. `load` validates every table; "
        "in brackets, reading alone (`validate_data=False`):",
        "",
        "| accounts | generate (s) | load CSV (s) | CSV / generate | load Parquet (s) "
        "| Parquet / generate | peak MB: generate / CSV / Parquet |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in res["load"]:
        lines.append(
            f"| {r['accounts']:,} | {r['generate_s']:.2f} | {r['csv_s']:.2f} ({r['csv_read']:.2f}) "
            f"| **{r['csv_s'] / r['generate_s']:.2f}** ({r['csv_read'] / r['generate_s']:.2f}) "
            f"| {r['parquet_s']:.2f} ({r['parquet_read']:.2f}) "
            f"| **{r['parquet_s'] / r['generate_s']:.2f}** ({r['parquet_read'] / r['generate_s']:.2f}) "
            f"| {r['generate_mb']:,.0f} / {r['csv_mb']:,.0f} / {r['parquet_mb']:,.0f} |"
        )
    lines += [
        "",
        "**Generation** (seconds per 1,000 accounts should not grow):",
        "",
        "| accounts | rows | seconds | s per 1,000 accounts | peak MB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for g in res["gen"]:
        lines.append(
            f"| {g['accounts']:,} | {g['rows']:,} | {g['seconds']:.2f} "
            f"| {g['seconds'] / g['accounts'] * 1000:.3f} | {g['peak_mb']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="the sizes recorded in README.md")
    p.add_argument("--health", nargs=3, type=int, action="append", metavar=("N", "WEEKS", "EVERY"))
    p.add_argument("--load", nargs="+", type=int, metavar="N", help="worlds to save and load")
    p.add_argument("--gen", nargs="+", type=int, metavar="N", help="generation sizes")
    p.add_argument("--code", help="folder holding the csworkbook package to measure")
    p.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    p.add_argument("--block", default="speed", help="README section to replace (default speed)")
    args = p.parse_args()
    plan = dict(FULL if args.full else QUICK)
    for key in ("health", "load", "gen"):
        if getattr(args, key):
            plan[key] = [tuple(h) for h in args.health] if key == "health" else getattr(args, key)
    with tempfile.TemporaryDirectory() as tmp:
        res = measure(plan, args.code, Path(tmp))
    if args.write:
        readme = HERE / "README.md"
        text = readme.read_text(encoding="utf-8")
        block = re.escape(args.block)
        pattern = re.compile(rf"(<!-- BEGIN {block} -->\n).*?(<!-- END {block} -->)", re.S)
        shown = " ".join(sys.argv[1:]).replace("--write", "").replace(f"--block {args.block}", "")
        body = render(res, shown.split()) + "\n"
        readme.write_text(
            pattern.sub(lambda m: m.group(1) + body + m.group(2), text), encoding="utf-8"
        )
        print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
