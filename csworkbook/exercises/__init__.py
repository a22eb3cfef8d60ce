"""Checked practice for every teaching notebook (``exercises/NN_*.ipynb``).

An exercise notebook binds its questions in one line::

    from csworkbook.exercises.ex08 import cs, q1, q2, q3, ____

then, for each question, the learner replaces ``____`` and runs ``q1.check(answer)``;
``q1.hint()`` nudges, ``q1.solution()`` shows one correct answer as code. Expected answers are
computed from the bound data: the demo by default, any dataset with ``CSWORKBOOK_DATA=path``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .core import CORRECT, INCORRECT, NOT_ATTEMPTED, Mistake, Question, Result, ____, memo

__all__ = [
    "CORRECT",
    "INCORRECT",
    "NOT_ATTEMPTED",
    "Mistake",
    "Question",
    "Result",
    "____",
    "default_data",
    "binder",
    "memo",
]


def default_data():
    """The dataset exercises practise on: ``CSWORKBOOK_DATA`` if set, else the project's
    ``datasets/demo`` found from the working directory upwards."""
    from ..data import DataError
    from ..loading import load

    if os.environ.get("CSWORKBOOK_DATA"):
        return load(os.environ["CSWORKBOOK_DATA"])
    for folder in [Path.cwd(), *Path.cwd().parents]:
        demo = folder / "datasets" / "demo"
        if (demo / "dataset.yaml").exists():
            return load(demo)
    raise DataError(
        "no dataset to practise on: run the exercise from inside the project (it looks for "
        "datasets/demo), or set CSWORKBOOK_DATA to a dataset folder"
    )


def binder(questions):
    """A module ``__getattr__`` that binds ``questions(data)`` to the default data the first
    time the notebook asks for ``cs`` or a question, so importing stays cheap."""
    bound: dict = {}

    def __getattr__(name: str):
        if name == "____":
            return ____
        if not bound:
            cs = default_data()
            bound.update(questions(cs), cs=cs)
        if name in bound:
            return bound[name]
        raise AttributeError(name)

    return __getattr__
