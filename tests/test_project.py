"""Promises the repository makes to a user who has only cloned it."""

import re

import pytest

from .conftest import ROOT


def _readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line.split("#")[0].strip() for line in first_block.strip().splitlines()]


def test_readme_opens_with_exactly_two_commands():
    assert _readme_commands() == ["python tasks.py run", "python tasks.py test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()[1] in ci.splitlines()


def test_nothing_needs_the_planning_folder_beside_the_clone():
    needle = "../" + "shared"  # the maintainers' folder next to the repository
    for path in ROOT.rglob("*"):
        skip = {".venv", "build", ".git"} & set(path.parts)
        if path.suffix in {".py", ".toml", ".cfg", ".yaml", ".ipynb"} and not skip:
            assert needle not in path.read_text(encoding="utf-8", errors="ignore"), path


def test_private_folder_is_ignored_by_git():
    import subprocess

    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    check = ["git", "-C", str(ROOT), "check-ignore", "-q"]
    assert subprocess.run([*check, "datasets/private/crm.csv"]).returncode == 0
    assert subprocess.run([*check, "datasets/private/README.md"]).returncode == 1


def _lock_pins():
    """(name, version, marker) for every line of the lock."""
    pins = []
    for line in (ROOT / "requirements-lock.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            req, _, marker = line.partition(";")
            name, version = req.strip().split("==")
            pins.append((name.lower().replace("_", "-"), version, marker.strip()))
    return pins


def test_lock_pins_every_dependency_within_its_range():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    from packaging.markers import Marker
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"], *extras["test"], *extras["spark"], *extras["dev"]]
    wanted = [r for r in wanted if not r.startswith("csworkbook")]
    here = {n: v for n, v, m in _lock_pins() if not m or Marker(m).evaluate()}
    for spec in map(Requirement, wanted):
        name = spec.name.lower().replace("_", "-")
        assert name in here, f"{name} is in pyproject.toml but not in requirements-lock.txt"
        assert spec.specifier.contains(here[name]), f"lock pins {name}=={here[name]}, not {spec}"


def test_environment_made_by_tasks_py_is_the_lock():
    import importlib.metadata as md
    import sys
    from pathlib import Path

    from packaging.markers import Marker

    if not (Path(sys.prefix) / ".csworkbook-installed").exists():
        pytest.skip("not the environment `python tasks.py` builds from the lock")
    spark_env = Path(sys.prefix).name == ".venv-spark"
    for name, version, marker in _lock_pins():
        if name in ("pyspark", "py4j") and not spark_env:
            continue  # kept out of the main environment (tasks.SPARK_ONLY)
        if not marker or Marker(marker).evaluate():
            assert md.version(name) == version, f"{name}: installed {md.version(name)}"


def test_readme_says_how_to_refresh_the_lock():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python tasks.py lock" in text and "requirements-lock.txt" in text
