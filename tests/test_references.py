"""Words must name things that exist: notebooks, csworkbook modules and functions, CLI commands
and their options.

Scanned: README.md, every notebook (teaching, report templates, exercises; markdown and code)
and the analyses ``capabilities()`` lists. Notebook names (``NN_name``, ``notebooks/….ipynb``) resolve against files; dotted
names (``csworkbook.x.y``, ``from csworkbook.x import y``, and ``alias.y`` where a notebook
imported ``alias`` from csworkbook) resolve with importlib; ``csworkbook <command> --option``
in code resolves against the argparse parser. The checker is tested on planted references.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import io
import json
import re
import tokenize
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from csworkbook.cli import build_parser
from csworkbook.data.dataset import Dataset

from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"

NB_NAME = re.compile(r"(?<![\w./-])(\d{2}_[a-z][a-z0-9_]*)(?![\w-])")
NB_PATH = re.compile(r"(?<![\w.-])notebooks/((?:reports/)?[0-9a-z][\w.-]*\.ipynb)")
REPORT = re.compile(r"`reports/(\w+)`")
DOTTED = re.compile(r"(?<![\w.])csworkbook(?:\.[A-Za-z_]\w*)+")
FROM_IMPORT = re.compile(r"from\s+(csworkbook[\w.]*)\s+import\s+(\([^)]*\)|[^\n#]+)")
PLAIN_IMPORT = re.compile(r"^\s*import\s+(csworkbook[\w.]*)(?:\s+as\s+(\w+))?", re.M)
COMMAND = re.compile(r"(?<![\w./-])csworkbook[ \t]+([a-z][\w-]*)([^\n]*)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INDENTED = re.compile(r"^(?: {4}|\t)(\S.*)$", re.M)


# --- what exists ------------------------------------------------------------------------


def notebook_exists(name: str) -> bool:
    return (NOTEBOOKS / f"{name}.ipynb").exists()


def teaching_numbers() -> set[str]:
    return {p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}


def resolve(dotted: str) -> str | None:
    """None when ``dotted`` names an importable module or an attribute of one; else why not."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        name = ".".join(parts[:i])
        try:
            obj = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is not None and name.startswith(e.name):
                continue  # no such module: try a shorter prefix
            return f"importing {name} fails: {e}"
        except ImportError as e:
            return f"importing {name} fails: {e}"
        for j, attr in enumerate(parts[i:], start=i):
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                try:  # a submodule not imported by its package
                    obj = importlib.import_module(".".join(parts[: j + 1]))
                except ModuleNotFoundError:
                    return f"{'.'.join(parts[:j])} has no {attr!r}"
        return None
    return f"no module {parts[0]!r}"


@cache
def _commands() -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every command path (``("mapping", "init")``) and its parser; ``()`` is the top level."""
    found = {}

    def walk(parser, path):
        found[path] = parser
        for a in parser._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sub in a.choices.items():
                    walk(sub, (*path, name))

    walk(build_parser(), ())
    return found


def check_command(first: str, rest: str) -> str | None:
    """None when ``csworkbook first rest`` is a command the parser takes; else why not."""
    commands = _commands()
    words = [first, *rest.replace("\\", " ").split()]
    path: tuple[str, ...] = ()
    for w in words:
        if (*path, w) in commands:
            path = (*path, w)
        elif any(len(p) == len(path) + 1 and p[: len(path)] == path for p in commands):
            if not w.startswith("-"):
                return f"no command 'csworkbook {' '.join((*path, w))}'"
            break
        else:
            break
    if not path:
        return None  # only options: --version, --help
    options = set()
    for p in (path, ()):
        for a in commands[p]._actions:
            options.update(a.option_strings)
    for w in words:
        opt = w.strip("[]").split("=")[0]
        if opt.startswith("--") and len(opt) > 2 and opt not in options:
            return f"'csworkbook {' '.join(path)}' has no option {opt}"
    return None


# --- where references are ---------------------------------------------------------------


def markdown_code(text: str) -> list[str]:
    """Code in markdown: fenced blocks, indented lines and inline spans (continuations joined)."""
    blocks = FENCE.findall(text)
    prose = FENCE.sub("", text)
    pieces = blocks + ["\n".join(INDENTED.findall(prose))] + CODE_SPAN.findall(prose)
    return [re.sub(r"\\\n\s*", " ", p) for p in pieces]


def python_strings_and_comments(source: str) -> list[str]:
    """String constants and comments of Python code (where a command line can be quoted)."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out.append(tok.string)
        tree = ast.parse(source)
    except (SyntaxError, tokenize.TokenError):
        return out
    out += [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    return out


def imported_names(code: str) -> dict[str, str]:
    """Names code binds from csworkbook, each with the dotted name it stands for."""
    names = {}
    for module, alias in PLAIN_IMPORT.findall(code):
        names[alias or module.split(".")[0]] = module if alias else module.split(".")[0]
    for module, items in FROM_IMPORT.findall(code):
        for item in items.strip("()").split(","):
            bits = item.split()
            if bits and bits[0].isidentifier():
                full = f"{module}.{bits[0]}"
                names[bits[0]] = full
                if len(bits) == 3 and bits[1] == "as":
                    names[bits[2]] = full
    return names


def find_stale(text: str, *, code: list[str], aliases: dict[str, str]) -> list[str]:
    """Every reference in ``text`` (and commands in ``code``) that does not resolve."""
    out = []
    for name in NB_NAME.findall(text):
        if not notebook_exists(name):
            out.append(f"notebook {name} does not exist")
    for path in NB_PATH.findall(text):
        if not (NOTEBOOKS / path).exists():
            out.append(f"notebooks/{path} does not exist")
    for name in REPORT.findall(text):
        if not notebook_exists(f"reports/{name}"):
            out.append(f"report template reports/{name} does not exist")
    dotted = set(DOTTED.findall(text))
    for module, items in FROM_IMPORT.findall(text):
        for item in items.strip("()").split(","):
            bits = item.split()
            if bits and bits[0].isidentifier():
                dotted.add(f"{module}.{bits[0]}")
    for piece in code:
        for alias, full in aliases.items():
            pattern = rf"(?<![\w.]){re.escape(alias)}((?:\.[A-Za-z_]\w*)+)"
            dotted.update(full + m for m in re.findall(pattern, piece))
    for d in sorted(dotted):
        why = resolve(d)
        if why:
            out.append(f"{d}: {why}")
    for piece in code:
        for first, rest in COMMAND.findall(piece):
            if first in ("import", "as"):
                continue
            why = check_command(first, rest.split("#")[0].split("|")[0])
            if why:
                out.append(why)
    return out


def planned_rows(text: str) -> list[str]:
    """Markdown table rows marked planned whose notebook numbers now exist."""
    out = []
    have = teaching_numbers()
    for row in re.findall(r"^\|(.+)\|\s*$", text, re.M):
        cells = [c.strip() for c in row.split("|")]
        if cells[-1].lower() != "planned":
            continue
        numbers = set()
        for a, b in re.findall(r"\b(\d{2})\b(?:\s*[–-]\s*`?(\d{2})\b)?", cells[0]):
            numbers.update(f"{n:02d}" for n in range(int(a), int(b or a) + 1))
        out += [f"notebook {n} is marked planned but exists" for n in sorted(numbers & have)]
    return out


def readme_problems() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = markdown_code(text)
    stale = find_stale(text, code=code, aliases=imported_names("\n".join(code)))
    return [f"README.md: {p}" for p in stale + planned_rows(text)]


def notebook_problems(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [(c["cell_type"], "".join(c.get("source", ""))) for c in nb["cells"]]
    aliases = imported_names("\n".join(src for kind, src in cells if kind == "code"))
    out = []
    for i, (kind, src) in enumerate(cells):
        if kind == "markdown":
            stale = find_stale(src, code=markdown_code(src), aliases=aliases)
            stale += planned_rows(src)
        elif kind == "code":
            stale = find_stale(src, code=python_strings_and_comments(src), aliases={})
        else:
            continue
        out += [f"{path.relative_to(ROOT)} cell {i}: {p}" for p in stale]
    return out


def capability_problems() -> list[str]:
    labels = Dataset({}, as_of="2025-12-31").capabilities().index
    have = teaching_numbers()
    out = []
    for label in labels:
        m = re.search(r"\(([^()]*)\)$", label)
        if not m:
            out.append(f"capabilities(): {label!r} names no notebook")
            continue
        for part in m.group(1).split(";"):
            planned = part.strip().endswith("planned")
            for n in re.findall(r"\d{2}", part):
                if planned and n in have:
                    out.append(f"capabilities(): {label!r} marks {n} planned but it exists")
                elif not planned and n not in have:
                    out.append(
                        f"capabilities(): {label!r} names notebook {n}, which does not exist"
                    )
    return out


ALL_NOTEBOOKS = (
    sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    + sorted((NOTEBOOKS / "reports").glob("*.ipynb"))
    + sorted((ROOT / "exercises").glob("*.ipynb"))
)


# --- the checks -------------------------------------------------------------------------


def test_readme_names_only_what_exists():
    assert readme_problems() == []


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_names_only_what_exists(path):
    assert notebook_problems(path) == []


def test_capabilities_name_only_existing_notebooks_or_say_planned():
    assert capability_problems() == []


def test_every_notebook_is_on_the_maps():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = json.loads((NOTEBOOKS / "00_welcome_and_data_tour.ipynb").read_text(encoding="utf-8"))
    tour_text = "\n".join(
        "".join(c["source"]) for c in tour["cells"] if c["cell_type"] == "markdown"
    )
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        assert f"`{path.stem}`" in readme, f"README's workbook table lacks {path.stem}"
        assert f"({path.name})" in tour_text, f"notebook 00's map does not link {path.name}"


# --- the checker itself, on planted references ------------------------------------------


def test_checker_finds_planted_stale_references():
    text = """Open `99_no_such_notebook` or notebooks/98_gone.ipynb and `reports/nothing`.
Call `csworkbook.retention.metrics.no_such_function` or `csworkbook.nope`.

```python
from csworkbook.retention import warning as ew, not_a_module
ew.not_there(cs.usage)
```

```bash
csworkbook frobnicate datasets/demo
csworkbook info datasets/demo --bogus
csworkbook mapping explode EXPORT
```
"""
    code = markdown_code(text)
    found = find_stale(text, code=code, aliases=imported_names("\n".join(code)))
    expected = [
        "notebook 99_no_such_notebook",
        "notebooks/98_gone.ipynb",
        "reports/nothing",
        "metrics has no 'no_such_function'",
        "csworkbook has no 'nope'",
        "csworkbook.retention has no 'not_a_module'",
        "warning has no 'not_there'",
        "no command 'csworkbook frobnicate'",
        "'csworkbook info' has no option --bogus",
        "no command 'csworkbook mapping explode'",
    ]
    for e in expected:
        assert any(e in f for f in found), (e, found)
    assert len(found) == len(expected), found


def test_checker_accepts_what_exists():
    text = """See `00_welcome_and_data_tour` and notebooks/02_drifting_apart.ipynb, and
`reports/dataset_overview`. `csworkbook.load`, `csworkbook.retention.metrics.nps_table`,
`csworkbook.health.scorecard.Scorecard.from_yaml`, `csworkbook.stats.clustered_rates`.
The file names `survival_12m` and the year 2025_01 are not notebooks.

```bash
csworkbook info EXPORT --mapping MAP.yaml --mode lenient
csworkbook generate --accounts 10 --out x [--format parquet]
csworkbook mapping init EXPORT [--sheet NAME] [--out MAP.yaml]
python -m csworkbook --version
```

```python
import csworkbook
from csworkbook.retention import warning as ew
ew.threshold_table(usage, churn)
```
"""
    code = markdown_code(text)
    assert find_stale(text, code=code, aliases=imported_names("\n".join(code))) == []


def test_checker_reads_code_cells_and_planned_rows():
    src = 'import csworkbook as cw\nprint("run: csworkbook diagnoze datasets/demo")  # csworkbook info\n'
    assert find_stale(src, code=python_strings_and_comments(src), aliases={}) == [
        "no command 'csworkbook diagnoze'"
    ]
    assert planned_rows("| `02`, `96`–`98` | later | planned |\n| `99` | x | planned |") == [
        "notebook 02 is marked planned but exists"
    ]


def test_capability_check_catches_a_missing_notebook(monkeypatch):
    from csworkbook.data import dataset

    monkeypatch.setitem(dataset.ANALYSES, "crystal ball", (("accounts",), (), ("97",), ("02",)))
    found = capability_problems()
    assert any("names notebook 97" in p for p in found)
    assert any("marks 02 planned but it exists" in p for p in found)
    assert (
        pd.Index(Dataset({}, as_of="2025-12-31").capabilities().index)
        .str.contains("crystal ball")
        .any()
    )
