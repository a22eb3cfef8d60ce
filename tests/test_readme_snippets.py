"""README's python blocks marked `<!-- readme-test: NAME -->` run as written."""

import os
import re

import pytest

from .conftest import ROOT

BLOCK = re.compile(r"<!-- readme-test: ([\w-]+) -->\n```python\n(.*?)```", re.S)
SNIPPETS = dict(BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")))


def test_readme_has_tested_snippets():
    assert "flat-file" in SNIPPETS


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_readme_snippet_runs(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # README's paths are relative to the project folder
    space: dict = {}
    exec(compile(SNIPPETS[name], f"README.md:{name}", "exec"), space)
    if name == "flat-file":
        share = space["churn_by_term"]["mean"]
        assert share.is_monotonic_decreasing  # longer contracts churn less, as the file says
        assert space["p"] < 1e-6
        assert os.path.exists(ROOT / "tests/fixtures/exports/telecom/mapping.yaml")
