"""One column's rule in a mapping, checked before any row is read.

A rule names the export's header (``arr: MRR``) or says more::

    arr: {column: MRR, multiply: 12}                       # scaled
    segment: {column: Tier, values: {Gold: enterprise}}    # spellings mapped
    start_date: {before_as_of: tenure, unit: months}       # as_of minus a tenure
    end_date: {value: as_of, when: {column: Churn, in: ["Yes"]}}   # as_of on churned rows
    account_id: {column: subscription_id,                  # another file of the export
                 lookup: {file: subscriptions.csv, match: subscription_id, take: account_id}}
    csat: {column: Score, blank: ["No answer"]}            # more spellings of an empty cell
    industry: {column: Industry, optional: true}           # a blank never rejects the row

:class:`RuleChecker` holds these checks; :mod:`~csworkbook.exports.spec` walks the levels.
"""

from __future__ import annotations

import datetime as dt
import difflib

from ..data.schema import Col, Table
from .checks import Checker, described

RULE = (
    "column", "value", "values", "date_format", "multiply", "multiply_by", "when", "decimal",
    "timezone", "before_as_of", "unit", "lookup", "blank", "optional",
)  # fmt: skip
WHEN = ("column", "in", "not_in")
FACTOR = ("column", "values")
LOOKUP = ("file", "sheet", "match", "take")
UNITS = ("months", "days", "weeks", "years")
# where a rule's value comes from: exactly one of these
SOURCES = ("column", "value", "before_as_of")


def fills_blank(col: Col) -> bool:
    """A required column whose blank cells have a safe fill: descriptive text ('unknown')
    and the touch model (from the segment). Identifiers have none."""
    if col.name.endswith("_id"):
        return False
    return col.name == "touch_model" or (col.dtype == "string" and col.allowed is None)


class RuleChecker(Checker):
    """Checks of one column rule and of the conditions (``when:``, ``where:``) in it."""

    def rule(self, table: Table, col: str, rule, path):
        c = table.col(col)
        dtype, raw = c.dtype, self.raw.get(path)
        name = f"{table.name}.{col}"
        if isinstance(rule, str) and rule.strip().upper() == "TODO":
            self.bad(
                path,
                f"still TODO from the draft: write the export's header for {name}, a constant (`{{value: ...}}`), or remove the line."
                + (f" It is a business decision: {self._todo_hint(c)}" if c.allowed else ""),
            )
            return None
        if isinstance(rule, str) and rule.strip():
            return rule
        if isinstance(rule, (bool, int, float, dt.date)) and raw is not None:
            self.bad(
                path,
                f'write the export\'s header as text; got {described(rule, raw)}. Quote it (`{col}: "{raw}"`) if that is the header, or write `{col}: {{value: {raw}}}` for the same value on every row.',
            )
            return None
        if not isinstance(rule, dict):
            self.bad(
                path,
                f"give the export's header (`{col}: Header`) or a rule (`{col}: {{column: Header, ...}}`); got {described(rule, raw)}. Remove the line if the export has no such column.",
            )
            return None
        self.keys(rule, path, RULE)
        out: dict = {}
        if "column" in rule and (header := self.text(rule, "column", path, "column", "Account ID")):
            out["column"] = header
        self.constant(c, rule, path, out)
        given = [k for k in SOURCES if k in rule]
        if not given:
            self.bad(
                path,
                "needs `column:` (the export header) or `value:` (the same value on every "
                "row), or `before_as_of:` (the date a tenure column's months or days before as_of).",
            )
        elif len(given) > 1:
            both = " and ".join(f"`{k}:`" for k in given)
            self.bad(
                path, f"has {'both ' if len(given) == 2 else ''}{both}; keep the one you mean."
            )
        if "values" in rule:
            out["values"] = self.value_map(rule["values"], (*path, "values"), c)
        numeric, timed = dtype in ("int", "float"), dtype in ("date", "datetime")
        for key, fits, kind in (
            ("multiply", numeric, "number"),
            ("multiply_by", numeric, "number"),
            ("decimal", numeric, "number"),
            ("date_format", timed, "date"),
            ("timezone", timed, "date"),
            ("before_as_of", timed, "date"),
        ):
            if key in rule and not fits:
                self.bad(
                    (*path, key),
                    f"applies to {kind} columns; {name} is a {dtype} column. Remove it.",
                )
        if "date_format" in rule and timed:
            fmt = self.text(rule, "date_format", path, "date_format", '"%d/%m/%Y"')
            if fmt and fmt not in ("unix", "unix_ms") and "%" not in fmt:
                todo = " (still TODO from the draft)" if fmt.strip().upper() == "TODO" else ""
                self.bad(
                    (*path, "date_format"),
                    f'{fmt!r} is not a date format{todo}; write it with strftime codes, e.g. "%d/%m/%Y" or "%Y-%m", or unix / unix_ms for epoch seconds / milliseconds.',
                )
            elif fmt:
                out["date_format"] = fmt
        if "multiply" in rule and numeric:
            factor = self.number(rule["multiply"], (*path, "multiply"), "multiply")
            if factor is not None:
                out["multiply"] = factor
        if "multiply_by" in rule and numeric:
            out["multiply_by"] = self.factors(rule["multiply_by"], (*path, "multiply_by"))
        if "when" in rule:
            out["when"] = self.condition(rule["when"], (*path, "when"))
        self.tenure(rule, path, out, timed)
        if "lookup" in rule:
            out["lookup"] = self.lookup(rule["lookup"], (*path, "lookup"))
            if "column" not in rule:
                self.bad(
                    (*path, "lookup"),
                    "needs `column:` beside it: the header in this file whose value is looked up.",
                )
        if "blank" in rule:
            items = rule["blank"] if isinstance(rule["blank"], list) else [rule["blank"]]
            where = [(*path, "blank", i) if isinstance(rule["blank"], list) else (*path, "blank")
                     for i in range(len(items))]  # fmt: skip
            out["blank"] = [
                t.strip() for v, w in zip(items, where, strict=True)
                if (t := self.scalar_text(v, w)) is not None
            ]  # fmt: skip
        if "optional" in rule:
            self.optional(c, rule, path, out, name)
        self.options(
            {
                k: rule[k]
                for k in ("decimal", "timezone")
                if k in rule and (numeric if k == "decimal" else timed)
            },
            path,
            out,
        )
        return out

    def constant(self, c: Col, rule: dict, path, out: dict) -> None:
        """``value:``: the same value on every row, within the allowed values; ``as_of``
        in a date column is the mapping's as_of."""
        if "value" not in rule:
            return
        if rule["value"] is None:
            self.bad(
                (*path, "value"),
                "a constant needs a value; remove the line to leave the column empty.",
            )
            return
        text = self.scalar_text(rule["value"], (*path, "value"))
        if text is None:
            return
        if text.strip().upper() == "TODO":
            self.bad((*path, "value"), f"still TODO from the draft: {self._todo_hint(c)}")
            return
        if c.allowed is not None and text not in c.allowed:
            near = difflib.get_close_matches(text, list(c.allowed), n=1, cutoff=0.6)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            self.bad((*path, "value"), f"{text!r} is not one of {', '.join(c.allowed)}.{hint}")
            return
        out["value"] = text

    @staticmethod
    def _todo_hint(c: Col) -> str:
        if c.allowed:
            return f"choose one of {', '.join(c.allowed)} (a business decision)."
        return "write the value every row should have."

    def tenure(self, rule: dict, path, out: dict, timed: bool) -> None:
        """``before_as_of: tenure`` with ``unit: months`` (or days, weeks, years)."""
        if "before_as_of" in rule and timed:
            header = self.text(rule, "before_as_of", path, "before_as_of", "tenure")
            if header is not None:
                out["before_as_of"] = header
            if "unit" not in rule:
                self.bad(
                    path,
                    f"`before_as_of:` needs `unit:` saying what the tenure counts: {', '.join(UNITS)}.",
                )
        if "unit" in rule:
            unit = rule["unit"]
            if "before_as_of" not in rule:
                self.bad((*path, "unit"), "belongs beside `before_as_of:`; remove it.")
            elif unit in UNITS:
                out["unit"] = unit
            else:
                near = difflib.get_close_matches(str(unit), UNITS, n=1, cutoff=0.5)
                hint = f" Did you mean {near[0]!r}?" if near else ""
                self.bad(
                    (*path, "unit"),
                    f"{described(unit, self.raw.get((*path, 'unit')))} is not a unit.{hint} Use one of {', '.join(UNITS)}.",
                )

    def optional(self, c: Col, rule: dict, path, out: dict, name: str) -> None:
        value = rule["optional"]
        if not isinstance(value, bool):
            self.bad(
                (*path, "optional"),
                f"must be true or false; got {described(value, self.raw.get((*path, 'optional')))}.",
            )
            return
        blank_value = isinstance(rule.get("values"), dict) and "" in rule["values"]
        if value and not c.nullable and not fills_blank(c) and not blank_value:
            self.bad(
                (*path, "optional"),
                f'{name} cannot be empty: say what a blank cell means with `values: {{"": ...}}`.',
            )
            return
        out["optional"] = value

    def value_map(self, values, path, c: Col) -> dict:
        if not isinstance(values, dict):
            self.bad(
                path,
                f"must map export spellings to values, e.g. `{{Gold: enterprise, Silver: mid_market}}`; got {described(values, None)}.",
            )
            return {}
        out = {}
        for key, target in values.items():
            if target is None:  # `unknown: null`: that spelling means an empty cell
                if not c.nullable:
                    self.bad(
                        (*path, key),
                        f"maps to nothing, but {c.name} cannot be empty; map it to a value.",
                    )
                out[str(key)] = None
                continue
            text = self.scalar_text(target, (*path, key))
            if c.allowed is not None and text is not None and text not in c.allowed:
                near = difflib.get_close_matches(text, list(c.allowed), n=1, cutoff=0.6)
                hint = f" Did you mean {near[0]!r}?" if near else ""
                todo = " (still TODO from the draft)" if text.strip().upper() == "TODO" else ""
                self.bad(
                    (*path, key), f"{text!r} is not one of {', '.join(c.allowed)}{todo}.{hint}"
                )
            out[str(key)] = text
        return out

    def factors(self, spec, path) -> list:
        items = spec if isinstance(spec, list) else [spec]
        out = []
        for i, one in enumerate(items):
            where = (*path, i) if isinstance(spec, list) else path
            if not isinstance(one, dict):
                self.bad(
                    where,
                    f"each factor is `{{column: Quantity}}` or `{{column: Interval, values: {{month: 12, year: 1}}}}`; got {described(one, self.raw.get(where))}.",
                )
                continue
            self.keys(one, where, FACTOR)
            factor = {}
            if (header := self.text(one, "column", where, "column", "Quantity")) is not None:
                factor["column"] = header
            if "values" in one:
                if not isinstance(one["values"], dict):
                    self.bad(
                        (*where, "values"),
                        f"must map spellings to numbers, e.g. `{{month: 12, year: 1}}`; got {described(one['values'], None)}.",
                    )
                else:
                    factor["values"] = {
                        str(k): self.number(v, (*where, "values", k), f"factor for {k!r}")
                        for k, v in one["values"].items()
                    }
            out.append(factor)
        return out

    def condition(self, spec, path) -> dict:
        """``{column: Status, in: [Churned]}`` or ``not_in:``; ``""`` in the list is a blank cell."""
        if not isinstance(spec, dict):
            self.bad(
                path,
                f"write it as `{{column: Status, in: [Churned]}}` (or `not_in:`); got {described(spec, self.raw.get(path))}.",
            )
            return {}
        self.keys(spec, path, WHEN)
        out = {}
        if (header := self.text(spec, "column", path, "column", "Status")) is not None:
            out["column"] = header
        which = [k for k in ("in", "not_in") if k in spec]
        if len(which) != 1:
            self.bad(path, "needs exactly one of `in: [...]` or `not_in: [...]`.")
            return out
        values = spec[which[0]]
        items = values if isinstance(values, list) else [values]
        where = [
            (*path, which[0], i) if isinstance(values, list) else (*path, which[0])
            for i in range(len(items))
        ]
        out[which[0]] = [self.scalar_text(v, w) for v, w in zip(items, where, strict=True)]
        return out

    def conditions(self, spec, path) -> list:
        """``where:``: one condition or a list of them, all of which a row must meet."""
        items = spec if isinstance(spec, list) else [spec]
        return [
            self.condition(one, (*path, i) if isinstance(spec, list) else path)
            for i, one in enumerate(items)
        ]

    def lookup(self, spec, path) -> dict:
        """``{file: subscriptions.csv, match: subscription_id, take: account_id}``."""
        if not isinstance(spec, dict):
            self.bad(
                path,
                f"write it as `{{file: other.csv, match: its key header, take: the header to take}}`; got {described(spec, self.raw.get(path))}.",
            )
            return {}
        self.keys(spec, path, LOOKUP)
        out = {}
        for key, example in (("file", "subscriptions.csv"), ("match", "subscription_id"),
                             ("take", "account_id")):  # fmt: skip
            if key not in spec:
                self.bad(path, f"`lookup:` needs `{key}:`, e.g. `{key}: {example}`.")
            elif (text := self.text(spec, key, path, key, example)) is not None:
                out[key] = text
        if "sheet" in spec and (sheet := self.text(spec, "sheet", path, "sheet", "Data")):
            out["sheet"] = sheet
        return out
