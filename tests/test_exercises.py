"""Every exercise question: its solution passes, the untouched stub is "not attempted", and a
typical mistake gets its own message, on the demo and on a world made with another seed.
Each exercise notebook also runs end to end as committed and with the solutions filled in."""

import importlib
import json

import numpy as np
import pandas as pd
import pytest

import csworkbook
from csworkbook.exercises import (
    CORRECT,
    INCORRECT,
    NOT_ATTEMPTED,
    Mistake,
    Question,
    ____,
    memo,
)

from .conftest import DEMO, ROOT

NOTEBOOKS = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
MODULES = [f"csworkbook.exercises.ex{p.name[:2]}" for p in NOTEBOOKS]


def _solve(question, cs):
    """Run a question's solution code as the learner would, in the notebook's namespace."""
    from csworkbook.retention import metrics

    space = {"cs": cs, "pd": pd, "np": np, "metrics": metrics, "csworkbook": csworkbook}
    exec(question.solution_code, space)
    return space["answer"]


def _bound(module, cs):
    return importlib.import_module(module).questions(cs)


def test_every_teaching_notebook_with_exercises_has_at_least_three_questions(demo):
    assert NOTEBOOKS, "no exercise notebooks"
    for module in MODULES:
        assert len(_bound(module, demo)) >= 3, module


def test_every_teaching_notebook_has_an_exercise_notebook_of_the_same_name():
    teaching = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert teaching, "no teaching notebooks"
    missing = sorted(teaching - {p.name for p in NOTEBOOKS})
    assert not missing, f"teaching notebooks without exercises/<same name>: {missing}"


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("data", ["demo", "small"])
def test_solutions_pass_stubs_are_not_attempted_and_mistakes_are_named(module, data, request):
    cs = request.getfixturevalue(data)
    for name, q in _bound(module, cs).items():
        assert q.check(____).status == NOT_ATTEMPTED, name
        assert q.check(_solve(q, cs)).status == CORRECT, (name, q.check(_solve(q, cs)))
        named = 0
        for m in q.mistakes:
            wrong = m.answer(cs)
            if q._same(wrong, q._expected()):
                continue  # on this data the mistake happens to give the right answer
            result = q.check(wrong)
            assert result.status == INCORRECT, name
            named += result.message == m.message
        assert named >= 1 or not q.mistakes, f"{module}.{name}: no mistake gets its message"


def test_check_says_what_kind_of_answer_is_wanted():
    q = Question(
        name="q", prompt="share?", expected=lambda d: 0.25, solution="answer = .25", hint=""
    )
    assert q.check(25).message.startswith("that is the answer in percent")
    assert "one number" in q.check(pd.Series([0.25])).message
    assert q.check("0.25").status == INCORRECT
    f = Question(
        name="f",
        prompt="double",
        kind="function",
        expected=lambda d: 6,
        probe=lambda d: 3,
        solution="def answer(x): return 2 * x",
        hint="",
    )
    assert f.check(lambda x: 2 * x).status == CORRECT
    assert "raised ZeroDivisionError" in f.check(lambda x: 1 / 0).message
    c = Question(
        name="c",
        prompt="which?",
        kind="choice",
        expected=lambda d: "smb",
        solution="answer = 'smb'",
        hint="",
        mistakes=[Mistake(lambda d: "enterprise", "that one is the smallest")],
    )
    assert c.check(" SMB ").status == CORRECT
    assert c.check("enterprise").message == "that one is the smallest"


def test_choice_names_its_options_never_the_answer_and_accepts_any_of_a_tie():
    c = Question(
        name="c",
        prompt="which?",
        kind="choice",
        options=("smb", "mid_market", "enterprise"),
        expected=lambda d: ("smb", "mid_market"),  # tied for best: either is right
        solution="answer = 'smb'",
        hint="",
        mistakes=[Mistake(lambda d: "enterprise", "that one is the smallest")],
    )
    assert c.check("SMB").status == CORRECT and c.check(" mid_market").status == CORRECT
    assert c.check("enterprise").message == "that one is the smallest"
    wrong_type = c.check(3).message
    assert "'enterprise'" in wrong_type and "'smb'" in wrong_type  # all options, in order
    assert c.check("startup").message.startswith("'startup' is not one of the options")
    bare = Question(
        name="b", prompt="?", kind="choice", expected=lambda d: "smb", solution="", hint=""
    )
    assert "smb" not in bare.check(3).message  # without options, the answer is not given away


def test_memo_computes_once_per_data_object():
    calls = []
    table = memo(lambda d: calls.append(d) or len(calls))
    a, b = object(), object()
    assert [table(a), table(a), table(b), table(a)] == [1, 1, 2, 1]
    assert calls == [a, b]


def _run(nb_path, tmp_path, fill_in: bool):
    import papermill as pm

    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    module = importlib.import_module(f"csworkbook.exercises.ex{nb_path.name[:2]}")
    questions = module.questions(csworkbook.load(DEMO))
    for cell in nb["cells"]:
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("answer:")]
        if fill_in and tags:
            q = questions[tags[0].split(":", 1)[1]]
            body = "".join(cell["source"]).replace("answer = ____", q.solution_code)
            cell["source"] = body
    src = tmp_path / nb_path.name
    src.write_text(json.dumps(nb), encoding="utf-8")
    out = tmp_path / f"out-{nb_path.name}"
    pm.execute_notebook(str(src), str(out), cwd=str(nb_path.parent), progress_bar=False)
    ran = json.loads(out.read_text(encoding="utf-8"))
    found = {}
    for cell in ran["cells"]:
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("answer:")]
        if tags:
            text = "".join(
                "".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"]
            )
            found[tags[0]] = text
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercise_notebook_as_committed_runs_and_nothing_is_attempted(path, tmp_path):
    found = _run(path, tmp_path, fill_in=False)
    assert len(found) >= 3
    assert all(t.startswith("Not attempted") for t in found.values()), found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercise_notebook_with_solutions_filled_in_is_all_correct(path, tmp_path):
    found = _run(path, tmp_path, fill_in=True)
    assert len(found) >= 3
    assert all(t.startswith("Correct") for t in found.values()), found
