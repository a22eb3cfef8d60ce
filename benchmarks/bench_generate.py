"""Time and peak memory of synthetic-world generation, and vectorised vs loop usage.

    python benchmarks/bench_generate.py [--sizes 1000 10000 100000] [--write]

1. Generation at each size runs in a fresh subprocess, so its peak resident memory is its
   own. Rows per second count every row of every table.
2. The weekly-usage step (the largest table) is timed against the obvious alternative: a
   Python loop over account-weeks drawing from the same distributions. Both run in this
   process on the same 1,000-account world and the ratio is printed.

With ``--write`` the results replace the generated section of ``benchmarks/README.md``.
Peak memory uses the ``resource`` module, so this script runs on Linux and macOS.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

CHILD = """
import json, resource, sys, time
from csworkbook import synth
from csworkbook.data import write_dataset
n = int(sys.argv[1])
t0 = time.perf_counter()
ds = synth.generate(n, seed=7)
t1 = time.perf_counter()
rows = sum(len(df) for df in ds.tables.values())
out = {"accounts": n, "seconds": t1 - t0, "rows": rows,
       "usage_rows": len(ds.usage),
       "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if n <= 10_000:
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        t2 = time.perf_counter(); write_dataset(ds, d, fmt="parquet"); out["parquet_seconds"] = time.perf_counter() - t2
        t2 = time.perf_counter(); write_dataset(ds, d, fmt="csv"); out["csv_seconds"] = time.perf_counter() - t2
print(json.dumps(out))
"""


def generation(n: int) -> dict:
    r = subprocess.run(
        [sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, check=True
    )
    return json.loads(r.stdout.strip().splitlines()[-1])


def usage_loop(acc, active, ttv, cal, rng) -> int:
    """The obvious way: one account-week at a time, scalar draws."""
    from csworkbook.synth.calendar import sigmoid

    mondays = np.arange((7 - cal.start.dayofweek) % 7, cal.last_day - 5, 7)
    wk_month = cal.month_of_day(mondays)
    adoption = acc["adoption"].to_numpy()
    first = acc["first_day"].to_numpy()
    rows = []
    for a, month, seats in active[["acc_idx", "month", "seats"]].itertuples(index=False):
        for day in mondays[wk_month == month]:
            weeks_in = max(day - first[a], 0) / 7
            ramp = 1 - np.exp(-(weeks_in + 0.5) / max(ttv[a] / 7 / 1.5, 0.5))
            p = min(sigmoid(-0.2 + adoption[a]) * ramp * np.exp(rng.normal(0, 0.12)), 0.98)
            users = max(round(0.8 * seats), 1)
            au = rng.binomial(users, p)
            sessions = rng.poisson(au * (2.0 + 2.0 * sigmoid(adoption[a])))
            rows.append((a, day, au, sessions, rng.poisson(sessions * 0.5), rng.binomial(12, 0.5)))
    return len(rows)


def usage_comparison(n: int = 1000) -> dict:
    from csworkbook.synth import WorldConfig
    from csworkbook.synth import usage as us
    from csworkbook.synth.world import _active_months, simulate_world

    w = simulate_world(WorldConfig(n_accounts=n, seed=7))
    active = _active_months(w["mrr"], w["con"])
    nan = np.full(n, np.nan)
    champ = (np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    vec = us.weekly_usage(
        w["acc"],
        active,
        w["ttv"],
        w["scen"],
        w["scen_day"],
        nan,
        w["churn_day"],
        champ,
        w["cal"],
        rng,
    )
    t1 = time.perf_counter()
    n_loop = usage_loop(w["acc"], active, w["ttv"], w["cal"], np.random.default_rng(0))
    t2 = time.perf_counter()
    assert n_loop == len(vec), (n_loop, len(vec))
    return {"accounts": n, "rows": len(vec), "vectorised_s": t1 - t0, "loop_s": t2 - t1}


def render(gen: list[dict], cmp: dict) -> str:
    lines = [
        f"Measured on {platform.machine()} with Python {platform.python_version()}, "
        f"{_cores()} cores; `python benchmarks/bench_generate.py --write`.",
        "",
        "| accounts | seconds | rows (all tables) | rows / s | peak memory (MB) | write Parquet (s) | write CSV (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in gen:
        pq = f"{g['parquet_seconds']:.2f}" if "parquet_seconds" in g else "–"
        cs = f"{g['csv_seconds']:.2f}" if "csv_seconds" in g else "–"
        lines.append(
            f"| {g['accounts']:,} | {g['seconds']:.1f} | {g['rows']:,} | {g['rows'] / g['seconds']:,.0f} "
            f"| {g['peak_mb']:,.0f} | {pq} | {cs} |"
        )
    ratio = cmp["loop_s"] / cmp["vectorised_s"]
    lines += [
        "",
        f"Weekly usage for {cmp['accounts']:,} accounts ({cmp['rows']:,} account-weeks): vectorised "
        f"{cmp['vectorised_s']:.3f} s, per-row Python loop {cmp['loop_s']:.2f} s: "
        f"**{ratio:,.0f}× faster** vectorised.",
    ]
    return "\n".join(lines)


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    p.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = p.parse_args()
    gen = []
    for n in args.sizes:
        g = generation(n)
        print(
            f"{n:>8,} accounts: {g['seconds']:6.1f} s, {g['rows']:>12,} rows, peak {g['peak_mb']:,.0f} MB",
            flush=True,
        )
        gen.append(g)
    cmp = usage_comparison()
    print(
        f"weekly usage, {cmp['rows']:,} rows: vectorised {cmp['vectorised_s']:.3f} s, "
        f"loop {cmp['loop_s']:.2f} s, ratio {cmp['loop_s'] / cmp['vectorised_s']:.0f}x"
    )
    if args.write:
        readme = HERE / "README.md"
        text = readme.read_text(encoding="utf-8")
        pattern = re.compile(r"(<!-- BEGIN results -->\n).*?(<!-- END results -->)", re.S)
        body = render(gen, cmp) + "\n"
        readme.write_text(
            pattern.sub(lambda m: m.group(1) + body + m.group(2), text), encoding="utf-8"
        )
        print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
