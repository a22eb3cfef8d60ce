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
