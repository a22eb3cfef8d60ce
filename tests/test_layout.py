"""The package's shape: stages of the data flow that depend on earlier stages only."""

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter

from .conftest import ROOT

PKG = ROOT / "csworkbook"


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Every csworkbook module a file imports, at module level or inside functions."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            found.update(n for n in [target, *names] if n.startswith("csworkbook"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("csworkbook"))
    return found


def _stage(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "csworkbook"


def stage_graph():
    graph = {}
    for path in PKG.rglob("*.py"):
        src = _stage(_module_name(path))
        deps = {_stage(t) for t in _imports(path)} - {src, "csworkbook"}
        graph.setdefault(src, set()).update(deps)
    return graph


def test_stages_form_no_cycle():
    graph = stage_graph()
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as e:  # pragma: no cover - the message is the point
        raise AssertionError(f"import cycle between stages: {e.args[1]}") from None
    assert order.index("data") < order.index("exports") < order.index("loading")
    assert order.index("events") < order.index("exports")


def test_earlier_stages_do_not_reach_for_later_ones():
    graph = stage_graph()
    assert graph["data"] == set()
    assert graph["events"] <= {"data"}  # raw events -> usage: before mapping exports
    assert graph["exports"] <= {"data", "events"}
    assert graph["synth"] <= {"data"}
    assert "health" not in graph["retention"]


def test_import_csworkbook_stays_light():
    code = (
        "import sys, csworkbook; heavy = ('sklearn', 'lifelines', 'matplotlib', 'seaborn',"
        " 'scipy', 'papermill', 'openpyxl', 'duckdb', 'pyspark'); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_subpackages_load_on_first_use():
    code = "import csworkbook; print(csworkbook.retention.__name__, csworkbook.health.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["csworkbook.retention", "csworkbook.health"]
