"""notebooks/COVERAGE.md names real places: every linked notebook exists, every section is a
markdown heading of that notebook, "(planned)" only stands for a notebook not written yet, and
the count line matches the rows.

Headings are compared after dropping the leading ``#``, collapsing whitespace and ignoring case.
The checker is tested on planted mistakes too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
COVERAGE = NOTEBOOKS / "COVERAGE.md"

STATUSES = ("taught with data", "discussed", "not covered")
HEADER = ["idea", "notebook", "section", "how"]
NONE = "—"
PLANNED = "(planned)"
LINK = re.compile(r"^\[(\d{2})\]\((\d{2}_[a-z0-9_]+\.ipynb)\)$")
COUNT = re.compile(
    r"\*\*Count:\*\*\s*(\d+) ideas: (\d+) taught with data, (\d+) discussed, (\d+) not covered\."
)
SEED = re.compile(r"^##\s+.*\(seed (\d{3})\)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def normalise(heading: str) -> str:
    return " ".join(heading.lstrip("#").split()).casefold()


def headings(notebook: Path) -> set[str]:
    """The normalised markdown headings of a notebook (lines in code fences skipped)."""
    found = set()
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = cell["source"]
        fenced = False
        for line in ("".join(source) if isinstance(source, list) else source).splitlines():
            if FENCE.match(line):
                fenced = not fenced
            elif not fenced and re.match(r"^#{1,6}\s", line):
                found.add(normalise(line))
    return found


def rows(text: str) -> list[dict]:
    """Every table row under a seed section: its seed, line number and four cells."""
    out, seed, in_table = [], None, False
    for number, line in enumerate(text.splitlines(), start=1):
        if m := SEED.match(line):
            seed, in_table = m.group(1), False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells == HEADER:
            in_table = True
        elif in_table and not all(set(c) <= set("-: ") for c in cells):
            out.append({"seed": seed, "line": number, "cells": cells})
    return out


def status_of(how: str) -> str | None:
    return next((s for s in STATUSES if how.startswith(s + ":")), None)


def problems(text: str, notebooks: Path = NOTEBOOKS) -> list[str]:
    """What is wrong with a coverage file; empty when nothing is."""
    found, tally, cache = [], Counter(), {}
    table = rows(text)
    if not table:
        return ["no table rows"]
    for row in table:
        where = f"line {row['line']}"
        if row["seed"] is None:
            found.append(f"{where}: row outside a '(seed NNN)' section")
        if len(row["cells"]) != 4:
            found.append(f"{where}: {len(row['cells'])} cells, not 4")
            continue
        idea, notebook, section, how = row["cells"]
        status = status_of(how)
        if not idea:
            found.append(f"{where}: no idea")
        if status is None:
            found.append(f"{where}: 'how' starts with none of {STATUSES}")
            continue
        tally[status] += 1
        if notebook == NONE:
            if section != NONE:
                found.append(f"{where}: a section without a notebook")
            if status != "not covered":
                found.append(f"{where}: no notebook, but '{status}'")
            continue
        link = LINK.match(notebook)
        if not link:
            found.append(f"{where}: notebook {notebook!r} is not a link like [04](04_x.ipynb)")
            continue
        label, name = link.groups()
        path = notebooks / name
        if label != name[:2]:
            found.append(f"{where}: link text {label} for {name}")
        if section == PLANNED:
            if path.exists():
                found.append(f"{where}: {name} exists, so name its section instead of (planned)")
            if status != "not covered":
                found.append(f"{where}: a planned notebook cannot have '{status}'")
            continue
        if not path.exists():
            found.append(f"{where}: {name} does not exist")
            continue
        if name not in cache:
            cache[name] = headings(path)
        if normalise(section) not in cache[name]:
            found.append(f"{where}: {name} has no heading {section!r}")
    seeds = {row["seed"] for row in table}
    for seed in ("000", "001", "002", "003", "004"):
        if seed not in seeds:
            found.append(f"no rows for seed {seed}")
    count = COUNT.search(text)
    if not count:
        found.append(
            "no count line '**Count:** N ideas: N taught with data, N discussed, N not covered.'"
        )
    else:
        said = [int(n) for n in count.groups()]
        real = [len(table), *(tally[s] for s in STATUSES)]
        if said != real:
            found.append(f"count line says {said}, the rows give {real}")
    return found


def test_coverage_names_real_notebooks_headings_and_counts():
    assert COVERAGE.exists()
    assert problems(COVERAGE.read_text(encoding="utf-8")) == []


# --- the checker, on planted mistakes ------------------------------------------------------

GOOD = """\
**Count:** 3 ideas: 1 taught with data, 1 discussed, 1 not covered.

## A text (seed 000)

| idea | notebook | section | how |
|---|---|---|---|
| One | [01](01_one.ipynb) | 1.  First   STEP | taught with data: a table |
| Two | [01](01_one.ipynb) | 01 · One | discussed: the opening |
| Three | [02](02_two.ipynb) | (planned) | not covered: planned |
"""


@pytest.fixture
def tree(tmp_path):
    cells = [
        {"cell_type": "markdown", "source": ["# 01 · One\n", "\n", "text"]},
        {"cell_type": "markdown", "source": "## 1. First step\n```\n## 9. Not a heading\n```"},
        {"cell_type": "code", "source": "## 2. A comment, not a heading", "outputs": []},
    ]
    (tmp_path / "01_one.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")
    return tmp_path


def all_seeds(text: str) -> str:
    """The sample with a row for each of the other four seeds, count line adjusted."""
    extra = "".join(
        f"\n## Text (seed {s})\n\n| idea | notebook | section | how |\n|---|---|---|---|\n"
        f"| X | — | — | not covered: why |\n"
        for s in ("001", "002", "003", "004")
    )
    return text.replace("3 ideas", "7 ideas").replace("1 not covered", "5 not covered") + extra


def test_checker_accepts_a_good_file(tree):
    assert problems(all_seeds(GOOD), tree) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[01](01_one.ipynb) | 1.", "[03](03_gone.ipynb) | 1."), "03_gone.ipynb does not exist"),
        (("1.  First   STEP", "1. First steps"), "has no heading '1. First steps'"),
        (("01 · One", "9. Not a heading"), "has no heading '9. Not a heading'"),
        (("01 · One", "2. A comment, not a heading"), "has no heading"),
        (("[02](02_two.ipynb)", "[01](01_one.ipynb)"), "01_one.ipynb exists"),
        (("[02](02_two.ipynb)", "[03](02_two.ipynb)"), "link text 03 for 02_two.ipynb"),
        (("not covered: planned", "discussed: planned"), "a planned notebook cannot"),
        (("discussed: the opening", "talked about"), "starts with none of"),
        (("7 ideas", "8 ideas"), "count line says [8, 1, 1, 5], the rows give [7, 1, 1, 5]"),
        (("**Count:**", "Count:"), "no count line"),
        (("(seed 004)", "(seed 005)"), "no rows for seed 004"),
    ],
)
def test_checker_finds_planted_mistakes(tree, change, expected):
    old, new = change
    text = all_seeds(GOOD)
    assert old in text
    assert any(expected in p for p in problems(text.replace(old, new, 1), tree))
