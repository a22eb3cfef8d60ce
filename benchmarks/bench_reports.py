"""Time a batch of reports (`csworkbook report NAME --by segment|csm`) on the demo, serially
(``--jobs 1``) and in parallel (``--jobs 2``), and print how much parallel runs save.

    python benchmarks/bench_reports.py [--report health] [--by segment csm] [--jobs 1 2] [--write]

Each batch runs as the command a user types, in a fresh subprocess writing into a fresh
folder, so it pays what a user pays: a kernel start per report, the imports and the data
load in each kernel, the HTML export, the index page. Papermill kernels are separate
processes, so threads run them in parallel; the gain is bounded by the cores (and by the
kernels' own start-up, which is mostly single-threaded Python).

With ``--write`` the results replace the generated section of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "datasets" / "demo"
REPORTS = ROOT / "notebooks" / "reports"


def default_report() -> str:
    return "health" if (REPORTS / "health.ipynb").exists() else "dataset_overview"


def batch(report: str, by: str, jobs: int) -> dict:
    """One batch as a user runs it; wall-clock seconds and the runs that completed."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "csworkbook.cli", "report", report, "--data", str(DEMO)]
        cmd += ["--out", out, "--by", by, "--jobs", str(jobs), "--quiet"]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - t0
    found = re.search(r"(\d+) reports?: (\d+) ok, (\d+) failed", r.stdout)
    if found is None:
        sys.exit(f"the batch did not run (exit {r.returncode}):\n{r.stdout}\n{r.stderr}")
    runs, ok, failed = map(int, found.groups())
    return {"by": by, "jobs": jobs, "runs": runs, "ok": ok, "failed": failed, "seconds": seconds}


def table(report: str, results: list[dict]) -> str:
    lines = [
        f"Measured on {platform.machine()} with Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; `python benchmarks/bench_reports.py --report {report} --write`.",
        "",
        f"Report `{report}` on the demo, one run per segment or per CSM:",
        "",
        "| batch | reports | ok | jobs | seconds | s per report | serial / parallel |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    serial = {r["by"]: r["seconds"] for r in results if r["jobs"] == 1}
    for r in results:
        ratio = serial.get(r["by"], float("nan")) / r["seconds"]
        shown = "–" if r["jobs"] == 1 else f"**{ratio:.2f}×**"
        lines.append(
            f"| --by {r['by']} | {r['runs']} | {r['ok']} | {r['jobs']} | {r['seconds']:.1f} "
            f"| {r['seconds'] / max(r['runs'], 1):.1f} | {shown} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--report", default=default_report(), help="report name (default %(default)s)")
    p.add_argument("--by", nargs="+", default=["segment", "csm"], choices=["segment", "csm"])
    p.add_argument("--jobs", nargs="+", type=int, default=[1, 2])
    p.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = p.parse_args()
    results = []
    for by in args.by:
        for jobs in args.jobs:
            r = batch(args.report, by, jobs)
            print(
                f"--by {by} --jobs {jobs}: {r['runs']} reports ({r['failed']} failed) in "
                f"{r['seconds']:.1f} s",
                flush=True,
            )
            results.append(r)
    text = table(args.report, results)
    print("\n" + text)
    if args.write:
        readme = HERE / "README.md"
        old = readme.read_text(encoding="utf-8")
        new, n = re.subn(
            r"<!-- BEGIN reports -->.*?<!-- END reports -->",
            f"<!-- BEGIN reports -->\n{text}\n<!-- END reports -->",
            old,
            flags=re.S,
        )
        if n != 1:
            sys.exit("benchmarks/README.md has no <!-- BEGIN reports --> section")
        readme.write_text(new, encoding="utf-8")
        print(f"\nwrote {readme}")


if __name__ == "__main__":
    main()
