"""Set up and run the workbook with nothing but Python (3.10+) installed.

    python tasks.py run     # install, generate the demo data if missing, execute the
                            # notebooks, render every report (en, some also ja) into
                            # build/reports/ and print where its index page is
    python tasks.py test    # install with test tools, lint, run every test and notebook
    python tasks.py docs    # refresh README's generated sections (data dictionary, figures)
    python tasks.py lock    # re-resolve requirements-lock.txt to the newest allowed releases

Everything is installed into ./.venv from requirements-lock.txt (exact versions of every
package, per Python version and platform), re-installed only when pyproject.toml or the lock
changes. Standard library only: this file must run before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
# PySpark stays out of the main environment: pandera imports pyspark.pandas whenever it is
# installed (+0.6 s and 30 MB for every kernel and command). The Spark parity test runs in
# .venv-spark: the locked PySpark, seeing everything else in .venv.
SPARK_VENV = ROOT / ".venv-spark"
SPARK_ONLY = ("pyspark", "py4j")
BUILD = ROOT / "build"
DEMO = ROOT / "datasets" / "demo"
LOCK = ROOT / "requirements-lock.txt"
# The lock covers every supported Python; uv resolves it for all platforms at once.
LOCK_PYTHON = "3.10"


def _python(venv_dir: Path = VENV) -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return venv_dir / sub


def _run(*cmd, **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def _lock_lines(spark_only: bool) -> list[str]:
    """The lock's requirement lines for the Spark-only packages, or for all the others."""
    lines = [ln for ln in LOCK.read_text(encoding="utf-8").splitlines() if "==" in ln]
    return [ln for ln in lines if (ln.split("==")[0].strip().lower() in SPARK_ONLY) == spark_only]


def _stamp_text() -> str:
    digest = hashlib.sha256()
    for f in (ROOT / "pyproject.toml", LOCK):
        digest.update(f.read_bytes())
    return digest.hexdigest()


def _venv(venv_dir: Path) -> Path:
    py = _python(venv_dir)
    if not py.exists():
        print(f"creating {venv_dir}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    return py


def ensure_env() -> Path:
    """Create .venv and install exactly the locked versions, unless already done."""
    if sys.version_info < (3, 10):  # noqa: UP036 - this file runs before anything is checked
        sys.exit(f"csworkbook needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    stamp, stamp_text = VENV / ".csworkbook-installed", _stamp_text()
    py = _venv(VENV)
    if not stamp.exists() or stamp.read_text().strip() != stamp_text:
        pip = [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run(*pip, "--upgrade", "pip")
        req = BUILD / "requirements-main.txt"
        req.parent.mkdir(parents=True, exist_ok=True)
        req.write_text("\n".join(_lock_lines(spark_only=False)) + "\n", encoding="utf-8")
        _run(*pip, "-r", req)
        # the package itself: its dependencies are already there, at the locked versions
        _run(*pip, "--no-deps", "-e", ".")
        stamp.write_text(stamp_text + "\n")
    return py


def ensure_spark_env() -> Path:
    """.venv-spark: the locked PySpark on top of .venv, which it sees through a .pth file
    (nothing is installed twice)."""
    main = ensure_env()
    stamp, stamp_text = SPARK_VENV / ".csworkbook-installed", _stamp_text()
    py = _venv(SPARK_VENV)
    if not stamp.exists() or stamp.read_text().strip() != stamp_text:
        where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        site = subprocess.run([str(main), "-c", where], capture_output=True, text=True, check=True)
        mine = subprocess.run([str(py), "-c", where], capture_output=True, text=True, check=True)
        pth = Path(mine.stdout.strip()) / "csworkbook-main-env.pth"
        pth.write_text(f"import site; site.addsitedir({site.stdout.strip()!r})\n")
        req = BUILD / "requirements-spark.txt"
        req.parent.mkdir(parents=True, exist_ok=True)
        req.write_text("\n".join(_lock_lines(spark_only=True)) + "\n", encoding="utf-8")
        pip = [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run(*pip, "--no-deps", "-r", req)
        stamp.write_text(stamp_text + "\n")
    return py


def numeric_variant_env(py: Path) -> dict:
    """Another machine's arithmetic on this one: numpy's baseline kernels instead of the
    SIMD ones it picks for this CPU (AVX2, AVX-512, NEON...), OpenBLAS kernels for an older
    core, and one thread everywhere. Committed notebook outputs must not change."""
    probe = (
        "try:\n"
        "    from numpy._core._multiarray_umath import __cpu_dispatch__ as d, __cpu_features__ as f\n"
        "except ImportError:\n"
        "    from numpy.core._multiarray_umath import __cpu_dispatch__ as d, __cpu_features__ as f\n"
        "print(' '.join(x for x in d if f.get(x)))"
    )
    found = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, cwd=ROOT)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["MKL_CBWR"] = "COMPATIBLE"
    if found.returncode == 0 and found.stdout.strip():
        env["NPY_DISABLE_CPU_FEATURES"] = found.stdout.strip()
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        env["OPENBLAS_CORETYPE"] = "Nehalem"
    elif machine in ("aarch64", "arm64"):
        env["OPENBLAS_CORETYPE"] = "ARMV8"
    return env


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def reports() -> list[Path]:
    return sorted((ROOT / "notebooks" / "reports").glob("*.ipynb"))


def cmd_run() -> None:
    py = ensure_env()
    if not (DEMO / "dataset.yaml").exists():
        _run(py, "-m", "csworkbook.cli", "generate", "--out", DEMO)
    out_nb, out_html = BUILD / "notebooks", BUILD / "html"
    out_nb.mkdir(parents=True, exist_ok=True)
    out_html.mkdir(parents=True, exist_ok=True)
    for nb in notebooks():
        executed = out_nb / nb.name
        _run(py, "-m", "papermill", "--cwd", nb.parent, "--log-level", "WARNING", nb, executed)
        _run(
            py,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "html",
            "--output-dir",
            out_html,
            executed,
            stderr=subprocess.DEVNULL,
        )
    failed = render_reports(py)
    index = BUILD / "reports" / "index.html"
    print(
        f"\ndone: executed notebooks in {out_nb}, HTML in {out_html}, reports in {BUILD / 'reports'}"
        f"\nopen the reports' index page: {index}"
    )
    if failed:
        sys.exit(f"{len(failed)} report run(s) failed: {', '.join(failed)} (see {index})")


# Reports also rendered in Japanese by `run` (those of them that exist and declare LANG).
JA_REPORTS = ("executive", "health")


def render_reports(py: Path) -> list[str]:
    """Every report on the demo in English, and JA_REPORTS in Japanese, into build/reports/
    with its index page; returns the runs that failed (the others still run)."""
    failed = []
    for rep in reports():
        langs = ["en"]
        if rep.stem in JA_REPORTS and "LANG: str" in rep.read_text(encoding="utf-8"):
            langs.append("ja")
        for lang in langs:
            cmd = [py, "-m", "csworkbook.cli", "report", rep.stem, "--data", DEMO]
            cmd += ["--out", BUILD / "reports", "--lang", lang, "--quiet"]
            try:
                _run(*cmd)
            except subprocess.CalledProcessError:
                failed.append(f"{rep.stem} ({lang})")
    return failed


# Notebooks and the tests of fitted models, re-run under numeric_variant_env.
NUMERIC_CHECKS = ["notebooks", "tests/test_prediction.py", "tests/test_health.py"]
SPARK_CHECKS = ["tests/test_events.py", "-k", "spark"]


def cmd_test() -> None:
    py = ensure_env()
    _run(py, "-m", "ruff", "check", ".")
    _run(py, "-m", "ruff", "format", "--check", "csworkbook", "tests", "tasks.py", "benchmarks")
    _run(py, "-m", "pytest")
    env = numeric_variant_env(py)
    shown = {k: env[k] for k in sorted(env) if k not in os.environ or os.environ[k] != env[k]}
    print(f"\nagain under another numerical set-up: {shown}", flush=True)
    _run(py, "-m", "pytest", "-p", "no:cacheprovider", "-q", *NUMERIC_CHECKS, env=env)
    print("\nSpark gives what DuckDB gives (an environment with PySpark):", flush=True)
    spark_py = ensure_spark_env()
    _run(spark_py, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *SPARK_CHECKS)


def cmd_docs() -> None:
    py = ensure_env()
    _run(py, "-m", "csworkbook.devtools.readme", ROOT / "README.md")


def cmd_lock() -> None:
    """Re-resolve the lock for every supported Python and platform (needs network)."""
    py = ensure_env()
    _run(py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv")
    extras = ["--extra", "dev", "--extra", "spark"]
    compile_ = ["uv", "pip", "compile", "pyproject.toml", *extras, "--universal"]
    options = ["--python-version", LOCK_PYTHON, "--upgrade", "--no-header", "--quiet"]
    _run(py, "-m", *compile_, *options, "-o", LOCK)
    text = LOCK.read_text(encoding="utf-8")
    header = (
        "# Exact versions of every package csworkbook installs, for every supported Python\n"
        "# and platform. Made by `python tasks.py lock` (uv pip compile --universal) from the\n"
        "# ranges in pyproject.toml; `python tasks.py run|test` install from it.\n"
    )
    LOCK.write_text(header + text, encoding="utf-8")
    print(f"wrote {LOCK.name}: re-run `python tasks.py test` and re-execute the notebooks")


def cmd_clean() -> None:
    for p in (VENV, SPARK_VENV, BUILD):
        shutil.rmtree(p, ignore_errors=True)


COMMANDS = {
    "run": cmd_run,
    "test": cmd_test,
    "docs": cmd_docs,
    "lock": cmd_lock,
    "clean": cmd_clean,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python tasks.py {{{'|'.join(COMMANDS)}}}\n\n{__doc__}")
    try:
        COMMANDS[sys.argv[1]]()
    except subprocess.CalledProcessError as e:
        sys.exit(f"\nfailed (exit {e.returncode}): {' '.join(map(str, e.cmd))}")
