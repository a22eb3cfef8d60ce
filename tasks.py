"""Set up and run the workbook with nothing but Python (3.10+) installed.

    python tasks.py run     # install, generate the demo data if missing, execute the
                            # notebooks and render the reports into build/
    python tasks.py test    # install with test tools, lint, run every test and notebook
    python tasks.py docs    # refresh README's generated sections (data dictionary, figures)

Everything is installed into ./.venv, re-installed only when pyproject.toml changes.
Standard library only: this file must run before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BUILD = ROOT / "build"
DEMO = ROOT / "datasets" / "demo"


def _python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def _run(*cmd, **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def ensure_env(extras: str) -> Path:
    """Create .venv and install the package with ``extras`` unless already done."""
    if sys.version_info < (3, 10):  # noqa: UP036 - this file runs before anything is checked
        sys.exit(f"csworkbook needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    stamp_text = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest() + extras
    stamp = VENV / ".csworkbook-installed"
    if not _python().exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    installed = stamp.read_text().splitlines() if stamp.exists() else []
    if stamp_text not in installed:
        _run(_python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        _run(_python(), "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
        stamp.write_text("\n".join([*installed, stamp_text]) + "\n")
    return _python()


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def reports() -> list[Path]:
    return sorted((ROOT / "notebooks" / "reports").glob("*.ipynb"))


def cmd_run() -> None:
    py = ensure_env("test")
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
    for rep in reports():
        _run(py, "-m", "csworkbook.reports", rep, "--data", DEMO, "--out", BUILD / "reports")
    print(
        f"\ndone: executed notebooks in {out_nb}, HTML in {out_html}, reports in {BUILD / 'reports'}"
    )


def cmd_test() -> None:
    py = ensure_env("dev")
    _run(py, "-m", "ruff", "check", ".")
    _run(py, "-m", "ruff", "format", "--check", "csworkbook", "tests", "tasks.py", "benchmarks")
    _run(py, "-m", "pytest")


def cmd_docs() -> None:
    py = ensure_env("test")
    _run(py, "-m", "csworkbook.devtools.readme", ROOT / "README.md")


def cmd_clean() -> None:
    for p in (VENV, BUILD):
        shutil.rmtree(p, ignore_errors=True)


COMMANDS = {"run": cmd_run, "test": cmd_test, "docs": cmd_docs, "clean": cmd_clean}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python tasks.py {{{'|'.join(COMMANDS)}}}\n\n{__doc__}")
    try:
        COMMANDS[sys.argv[1]]()
    except subprocess.CalledProcessError as e:
        sys.exit(f"\nfailed (exit {e.returncode}): {' '.join(map(str, e.cmd))}")
