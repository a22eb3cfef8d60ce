"""Exercises for notebook 20 · bring your own data (the analyst track).

The questions read a load report. They practise on a copy of the example Salesforce report
(``datasets/mappings/examples/``) damaged in a few typical ways, loaded with the template
``salesforce_accounts.yaml`` in lenient mode; every expected answer comes from calling
``csworkbook.load`` when the answer is checked, so it follows the loader. They do not use the
bound dataset ``cs``.
"""

from __future__ import annotations

import atexit
import copy
import io
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from ..data import DataError
from .core import Mistake, Question

TEMPLATE = "salesforce_accounts.yaml"
EXAMPLE = "examples/salesforce_accounts_with_contracts.csv"
SPELLING = "Key Account"  # how one sales team writes "Enterprise"
KEYS = ("values", "date_format", "distinct", "as_of", "when")  # the options of q3

_made: dict[str, Path] = {}
_loads: dict = {}


def mappings_folder() -> Path:
    """``datasets/mappings`` of the project, found from the working directory upwards."""
    here = Path(__file__).resolve().parents[2]
    for folder in [Path.cwd(), *Path.cwd().parents, here]:
        if (folder / "datasets" / "mappings" / TEMPLATE).exists():
            return folder / "datasets" / "mappings"
    raise DataError(
        "exercise 20 needs the project's datasets/mappings folder: run it from inside the project"
    )


def template() -> Path:
    """The mapping template the exercise loads the export with."""
    return mappings_folder() / TEMPLATE


def _damage(report: pd.DataFrame) -> pd.DataFrame:
    """The example report after a few hands: each damage on an account with several contracts,
    so the account keeps rows of its own."""
    r = report.copy()
    per_account = r.groupby("Account ID")["Contract Number"].transform("size")
    several = list(dict.fromkeys(r.loc[per_account >= 2, "Account ID"]))
    big = [a for a in several if (r.loc[r["Account ID"] == a, "Segment"] == "Enterprise").all()]
    if not big or len(several) < 4:
        raise DataError(f"{EXAMPLE}: too few accounts with several contracts for exercise 20")
    key = big[0]
    blank, credit, pasted = [a for a in several if a != key][:3]
    r.loc[r["Account ID"] == key, "Segment"] = SPELLING  # a spelling nobody mapped
    first = r.index[r["Account ID"] == blank][0]
    r.loc[first, "ARR"] = ""  # the amount was never filled in
    first = r.index[r["Account ID"] == credit][0]  # two problems on one row:
    r.loc[first, "ARR"] = "-" + r.loc[first, "ARR"]  # a credit note typed as a contract,
    r.loc[first, "Contract Start Date"] = r.loc[first, "Contract Start Date"][:-4] + "2052"  # typo
    first = r.index[r["Account ID"] == pasted][0]
    return pd.concat([r, r.loc[[first]]], ignore_index=True)  # one row pasted twice


def crm_export() -> Path:
    """A damaged copy of the example Salesforce report (written once, in a scratch folder)."""
    path = _made.get("export")
    if path is not None and path.exists():
        return path
    text = (mappings_folder() / EXAMPLE).read_text(encoding="utf-8")
    body, footer = text.split("\n\n", 1) if "\n\n" in text else (text, "")
    report = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    folder = Path(tempfile.mkdtemp(prefix="csworkbook-ex20-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "crm_report_april.csv"
    csv = _damage(report).to_csv(index=False, lineterminator="\n")
    path.write_text(csv + ("\n" + footer if footer else ""), encoding="utf-8")
    _made["export"] = path
    return path


def _spec() -> dict:
    return yaml.safe_load(template().read_text(encoding="utf-8"))


def _edited(key: str) -> dict:
    """The template with one edit per option of q3, each aimed at the segment rule."""
    spec = copy.deepcopy(_spec())
    segment = spec["tables"]["accounts"]["columns"]["segment"]
    if key == "values":
        segment["values"][SPELLING] = "enterprise"
    elif key == "date_format":
        segment["date_format"] = "%d/%m/%Y"
    elif key == "distinct":
        spec["tables"]["contracts"]["distinct"] = True
    elif key == "as_of":
        spec["as_of"] = "2026-12-31"
    elif key == "when":
        segment["when"] = {"column": "Customer Status", "in": ["Active", "Churned"]}
    return spec


def _load(edit: str | None = None):
    """The lenient load, with the template as it is or with one edit (once each)."""
    import csworkbook

    if edit not in _loads:
        mapping = template() if edit is None else _edited(edit)
        _loads[edit] = csworkbook.load(crm_export(), mapping=mapping, mode="lenient")
    return _loads[edit]


def _report(edit: str | None = None):
    return _load(edit).load_report


def _fixed():
    return _report("values")


def _count(report, table: str, column: str) -> int:
    return int(report.accounting.set_index("table").at[table, column])


def _problem_lines(report, table: str) -> int:
    p = report.problems()
    return int(p.loc[p["table"] == table, "rows"].sum())


def _segment_fixed(key: str) -> bool:
    """Does this edit of the mapping bring the 'Key Account' customer in?"""
    try:
        accepted = set(_load(key).accounts["account_id"])
    except DataError:  # the edit itself is refused: it fixes nothing
        return False
    raw = _written()
    return set(raw.loc[raw["Segment"] == SPELLING, "Account ID"]) <= accepted


def _key_that_fixes() -> str:
    works = [k for k in KEYS if _segment_fixed(k)]
    if len(works) != 1:
        raise RuntimeError(f"exercise 20 q3: expected one fixing key, found {works}")
    return works[0]


def _written() -> pd.DataFrame:
    body = crm_export().read_text(encoding="utf-8").split("\n\n", 1)[0]
    return pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)


_LOAD = (
    "import csworkbook\n"
    "from csworkbook.exercises.ex20 import crm_export, template\n"
    "report = csworkbook.load(crm_export(), mapping=template(), mode='lenient').load_report\n"
)


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 20; ``cs`` is not used (they read a damaged export)."""
    q1 = Question(
        name="q1",
        prompt=(
            "For the accounts table the report says: rows read = accepted + merged + rejected. "
            "How many rows were merged into an identical earlier row?"
        ),
        expected=lambda d: _count(_report(), "accounts", "merged"),
        solution=(
            _LOAD + "accounting = report.accounting.set_index('table')\n"
            "answer = accounting.at['accounts', 'merged']"
        ),
        hint=(
            "report.accounting has one row per table: rows_read, accepted, merged and rejected. "
            "A flat report repeats the account on each of its contracts."
        ),
        mistakes=[
            Mistake(
                lambda d: (
                    _count(_report(), "accounts", "rows_read")
                    - _count(_report(), "accounts", "accepted")
                ),
                "rows read minus accepted also counts the rejected rows: they were not merged, "
                "they were set aside with a reason.",
            ),
            Mistake(
                lambda d: len(_written()) - _written()["Account ID"].nunique(),
                "that counts every repeat of an Account ID in the file, but the repeats of a "
                "rejected account were rejected too, not merged: read the report's merged "
                "column.",
            ),
        ],
        rel=0,
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt="How many rows of the contracts table were rejected?",
        expected=lambda d: _count(_report(), "contracts", "rejected"),
        solution=(
            _LOAD + "accounting = report.accounting.set_index('table')\n"
            "answer = accounting.at['contracts', 'rejected']"
        ),
        hint=(
            "report.accounting counts rejected rows per table; report.rejected['contracts'] "
            "lists them, one row each with all its reasons."
        ),
        mistakes=[
            Mistake(
                lambda d: _problem_lines(_report(), "contracts"),
                "that adds up the problem lines of report.problems(), and a row with two "
                "problems is on two lines: count rows (report.accounting or "
                "report.rejected['contracts']).",
            ),
            Mistake(
                lambda d: int(_report().accounting["rejected"].sum()),
                "that adds the accounts table's rejected rows: the question is about contracts "
                "only.",
            ),
        ],
        rel=0,
        data=cs,
    )
    q3 = Question(
        name="q3",
        kind="choice",
        options=KEYS,
        prompt=(
            f"Some rows are rejected because their segment is '{SPELLING}', the name one sales "
            "team uses for enterprise customers. Which key of the mapping fixes that: "
            + ", ".join(f"'{k}'" for k in KEYS)
            + "?"
        ),
        expected=lambda d: _key_that_fixes(),
        solution=(
            _LOAD + "p = report.problems()\n"
            "print(p.loc[p.column.str.contains('Segment'), 'fix'].iloc[0])\n"
            "answer = 'values'"
        ),
        hint=(
            "report.problems() has a fix column. A spelling the mapping does not know is told "
            "what it means in the segment rule."
        ),
        mistakes=[
            Mistake(
                lambda d: "distinct",
                "distinct: true merges rows that repeat exactly; these rows are rejected for "
                "their spelling, not for repeating.",
            ),
            Mistake(
                lambda d: "as_of",
                "as_of is the day the export was taken: it fixes dates after as_of, not a "
                "spelling.",
            ),
            Mistake(
                lambda d: "date_format",
                "date_format says how to read dates; a segment is text.",
            ),
            Mistake(
                lambda d: "when",
                "when: reads a column on some rows only; the spelling would still mean nothing.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        prompt=(
            f"Fix what belongs in the mapping: map '{SPELLING}' to enterprise and load again. "
            "How many contract rows are still rejected, the ones to send back to the CRM owner?"
        ),
        expected=lambda d: _count(_fixed(), "contracts", "rejected"),
        solution=(
            "import csworkbook, yaml\n"
            "from csworkbook.exercises.ex20 import crm_export, template\n"
            "spec = yaml.safe_load(template().read_text(encoding='utf-8'))\n"
            "spec['tables']['accounts']['columns']['segment']['values']['Key Account'] = "
            "'enterprise'\n"
            "report = csworkbook.load(crm_export(), mapping=spec, mode='lenient').load_report\n"
            "answer = report.accounting.set_index('table').at['contracts', 'rejected']"
        ),
        hint=(
            "Edit the template as a dict (yaml.safe_load), add the spelling under the segment "
            "rule's values, and load the export again with mapping=spec. Some contracts were "
            "rejected only because their account was."
        ),
        mistakes=[
            Mistake(
                lambda d: _count(_report(), "contracts", "rejected"),
                "that is the count before the fix. The contracts of the 'Key Account' customer "
                "were rejected only because their account was ('has no row in accounts'): "
                "load again with the fixed mapping and they come back.",
            ),
            Mistake(
                lambda d: _problem_lines(_fixed(), "contracts"),
                "that adds up problem lines, and a row with two problems is on two lines: count "
                "rows.",
            ),
        ],
        rel=0,
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


# `from csworkbook.exercises.ex20 import cs, q1, q2, q3, q4, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)
