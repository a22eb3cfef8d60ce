"""Checked questions: ``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``.

A question knows what the learner must produce and computes the expected answer from the
notebook's own data, so the same exercise works on the demo, on another seed or on an
analyst's dataset. A wrong answer is compared with the answers that typical mistakes give
(the wrong denominator, a monthly rate where an annual one was asked, customer-dates counted
instead of customers...) and the message names the mistake, not just "incorrect".
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


class _Blank:
    """The placeholder a learner replaces: ``answer = ____``."""

    def __repr__(self) -> str:
        return "____"


____ = _Blank()

CORRECT, NOT_ATTEMPTED, INCORRECT = "correct", "not attempted", "incorrect"


@dataclass(frozen=True)
class Result:
    """What ``check`` found; shows as one coloured line in a notebook."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        head = self.status.capitalize()
        return f"{head}: {self.message}" if self.message else head

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour = {CORRECT: "#2e8b57", NOT_ATTEMPTED: "#777777", INCORRECT: "#c0392b"}[self.status]
        head = self.status.capitalize()
        body = html.escape(self.message)
        return f'<p style="color:{colour}"><b>{head}</b>{": " if body else ""}{body}</p>'


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: ``answer(data)`` is what the mistake gives on this data."""

    answer: Callable[[Any], Any]
    message: str


def _close(a, b, rel: float, abs_: float) -> bool:
    try:
        return bool(np.isclose(float(a), float(b), rtol=rel, atol=abs_))
    except (TypeError, ValueError):
        return False


class Question:
    """One checked question.

    Parameters
    ----------
    name : str
        ``"q1"``: how the notebook refers to it.
    prompt : str
        The question as the learner reads it.
    expected : callable
        ``expected(data)`` computes the right answer from the bound data.
    solution : str
        Code that produces the answer (shown by :meth:`solution`, run by the tests).
    hint : str
        A nudge that does not give the answer away.
    kind : {"number", "choice", "frame", "function"}
        What the learner hands in. Numbers compare with ``rel`` / ``abs``; choices compare
        as lower-case text; frames compare values after sorting by their index; functions
        are called on ``probe(data)`` and their result compared with ``expected``. A choice's
        ``expected`` may return a tuple of options when several are equally right (a tie in
        the table the choice is read from): any of them is correct.
    mistakes : sequence of Mistake
        Typical wrong answers with their specific messages.
    data : object
        What ``expected`` and mistakes receive (usually a :class:`~csworkbook.Dataset`).
    options : sequence of str, optional
        For a choice: the answers it takes. A learner's answer that is none of them is told
        the options (and not the answer); without options, the message names none.

    Examples
    --------
    >>> q = Question(name="q1", prompt="2 + 2?", expected=lambda d: 4, solution="answer = 2 + 2",
    ...              hint="Add them.", mistakes=[Mistake(lambda d: 22, "That joins the digits.")])
    >>> q.check(____).status, q.check(4).status, q.check(22).message
    ('not attempted', 'correct', 'That joins the digits.')
    """

    def __init__(
        self,
        *,
        name: str,
        prompt: str,
        expected: Callable[[Any], Any],
        solution: str,
        hint: str,
        kind: str = "number",
        mistakes=(),
        rel: float = 1e-3,
        abs: float = 1e-9,  # noqa: A002 - mirrors numpy's isclose
        probe: Callable[[Any], Any] | None = None,
        data: Any = None,
        options=None,
    ):
        if kind not in ("number", "choice", "frame", "function"):
            raise ValueError(f"kind must be number, choice, frame or function, not {kind!r}")
        self.name, self.prompt, self.expected = name, prompt, expected
        self.solution_code, self.hint_text, self.kind = solution.strip(), hint, kind
        self.mistakes, self.rel, self.abs = tuple(mistakes), rel, abs
        self.probe, self.data, self._cache = probe, data, {}
        self.options = tuple(options) if options is not None else None

    def __repr__(self) -> str:
        return f"{self.name}: {self.prompt}"

    # -- what the learner calls -------------------------------------------------------------
    def check(self, answer=____) -> Result:
        """Compare ``answer`` with the expected one and say what is wrong, if anything."""
        if answer is ____ or answer is None or answer is Ellipsis:
            return Result(
                NOT_ATTEMPTED, f"replace ____ with your answer, then run {self.name}.check(answer)"
            )
        if self.kind == "function":
            if not callable(answer):
                return Result(INCORRECT, "hand in the function itself (its name, no brackets)")
            try:
                answer = answer(self.probe(self.data))
            except Exception as e:  # the learner's code: report, never crash the notebook
                return Result(INCORRECT, f"your function raised {type(e).__name__}: {e}")
        problem = self._shape_problem(answer)
        if problem:
            return Result(INCORRECT, problem)
        if self._same(answer, self._expected()):
            return Result(CORRECT, self._feedback())
        for m in self.mistakes:
            try:
                wrong = m.answer(self.data)
            except Exception:  # a mistake that cannot be computed on this data does not apply
                continue
            if self._same(answer, wrong):
                return Result(INCORRECT, m.message)
        return Result(INCORRECT, self._generic_miss(answer))

    def hint(self) -> str:
        """A nudge towards the answer."""
        return Hint(self.hint_text)

    def solution(self) -> Code:
        """The code of one correct answer."""
        return Code(self.solution_code)

    # -- comparisons ------------------------------------------------------------------------
    def _expected(self):
        if "value" not in self._cache:
            self._cache["value"] = self.expected(self.data)
        return self._cache["value"]

    def _shape_problem(self, answer) -> str | None:
        if self.kind in ("number", "function") and isinstance(self._expected(), (int, float)):
            if isinstance(answer, (pd.Series, pd.DataFrame, list, tuple, np.ndarray)):
                return "the answer is one number; you handed in a collection"
            if isinstance(answer, str):
                return "the answer is a number, not text"
        if self.kind == "choice" and not isinstance(answer, str):
            if self.options:
                return f"answer with one of the options as text: {_listed(self.options)}"
            return "answer with one of the options as text, in quotes"
        known = {o.lower() for o in self.options or ()}
        if self.kind == "choice" and known and answer.strip().lower() not in known:
            return f"{answer!r} is not one of the options: {_listed(self.options)}"
        if self.kind == "frame" and not isinstance(answer, (pd.DataFrame, pd.Series)):
            return "hand in a DataFrame (or Series)"
        return None

    def _same(self, answer, target) -> bool:
        if self.kind == "choice" and isinstance(target, (tuple, list, frozenset, set)):
            return any(self._same(answer, t) for t in target)
        if isinstance(target, str):
            return isinstance(answer, str) and answer.strip().lower() == target.lower()
        if isinstance(target, (pd.Series, pd.DataFrame)):
            return _frames_match(answer, target, self.rel, self.abs)
        return _close(answer, target, self.rel, self.abs)

    def _feedback(self) -> str:
        target = self._expected()
        if isinstance(target, float):
            return f"{target:.4g}"
        return ""

    def _generic_miss(self, answer) -> str:
        target = self._expected()
        if isinstance(target, (int, float)) and not isinstance(target, bool):
            try:
                ratio = float(answer) / float(target)
            except (TypeError, ValueError, ZeroDivisionError):
                ratio = float("nan")
            if np.isfinite(ratio) and np.isclose(ratio, 100, rtol=1e-3):
                return "that is the answer in percent; give it as a share (0.25, not 25)"
            if np.isfinite(ratio) and np.isclose(ratio, 0.01, rtol=1e-3):
                return "that is the answer as a share; give it in percent"
            return f"not quite: check {self.name}.hint()"
        return f"not this one: check {self.name}.hint()"


def _listed(options) -> str:
    return ", ".join(repr(o) for o in options)


def memo(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``compute(data)`` computed once per data object: for a heavy table that several
    questions' expected answers and mistakes read (a backtest, a fitted model). Nothing is
    computed before a question needs it, so binding the questions stays cheap.

    >>> calls = []
    >>> table = memo(lambda d: calls.append(d) or d * 2)
    >>> table(3), table(3), calls
    (6, 6, [3])
    """
    store: dict[int, tuple[Any, Any]] = {}

    def shared(data):
        key = id(data)
        if key not in store:
            store[key] = (data, compute(data))  # keep data alive so its id is not reused
        return store[key][1]

    return shared


def _frames_match(a, b, rel: float, abs_: float) -> bool:
    if not isinstance(a, type(b)) and not (
        isinstance(a, pd.DataFrame) and isinstance(b, pd.Series)
    ):
        return False
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.Series):
        if a.shape[1] != 1:
            return False
        a = a.iloc[:, 0]
    try:
        a, b = a.sort_index(), b.sort_index()
        if isinstance(b, pd.DataFrame):
            a = a[list(b.columns)]
        if not a.index.equals(b.index):
            return False
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (KeyError, TypeError, ValueError):
        return False
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=rel, atol=abs_, equal_nan=True))


class Hint(str):
    """Shown as a short note in a notebook."""

    def _repr_markdown_(self) -> str:
        return f"**Hint:** {self}"


class Code(str):
    """Shown as a code block in a notebook."""

    def _repr_markdown_(self) -> str:
        return f"**Solution:**\n```python\n{self}\n```"

    def __repr__(self) -> str:
        return str(self)
