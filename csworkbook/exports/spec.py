"""The mapping language, checked as a whole before any row is read.

:func:`check_mapping` walks a mapping (as :func:`~csworkbook.exports.mapfile.load_yaml`
read it) and collects every problem: unknown keys (with "did you mean"), wrong types, values
that cannot work (``multiply: abc``, ``as_of: 2025-13-45``, ``date_format: 123``). One
:class:`~csworkbook.data.errors.DataError` lists them all, each with the line, the key and
the fix, so the analyst fixes the file in one pass. What passes comes back normalised: lists
where a single value was allowed, constants and value maps as the text written in the file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

import pandas as pd

from ..data.schema import TABLES
from .checks import Checker, described
from .derive import DERIVABLE
from .numbers import CURRENCIES

# Keys of every level of a mapping; what each means is in datasets/mappings/README.md.
TOP = (
    "as_of", "currency", "encoding", "delimiter", "decimal", "timezone", "file", "sheet",
    "include", "derive", "key_events", "tables",
)  # fmt: skip
TABLE = ("file", "sheet", "encoding", "delimiter", "decimal", "timezone", "distinct", "columns")
RULE = (
    "column", "value", "values", "date_format", "multiply", "multiply_by", "when", "decimal",
    "timezone",
)  # fmt: skip
WHEN = ("column", "in", "not_in")
FACTOR = ("column", "values")
SYMBOL_CODES = {"$": "USD", "¥": "JPY", "￥": "JPY", "円": "JPY", "€": "EUR", "£": "GBP",
                "yen": "JPY", "dollar": "USD", "euro": "EUR", "pound": "GBP"}  # fmt: skip
_ISO_DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


class _Levels(Checker):
    """The levels of a mapping: top, tables, column rules."""

    def top(self, spec) -> dict:
        if not isinstance(spec, dict):
            self.bad(
                (),
                f"a mapping file holds keys such as `as_of:` and `tables:`; this one holds {described(spec, None)}.",
            )
            return {}
        self.keys(
            spec,
            (),
            TOP,
            {k: "It belongs under a table (tables: accounts: ...)." for k in TABLE}
            | {k: "It belongs in a column rule (tables: ... columns: ...)." for k in RULE},
        )
        out: dict = {}
        if "as_of" not in spec:
            self.bad(("as_of",), "missing. Add `as_of: YYYY-MM-DD`, the date the export was taken.")
        else:
            out["as_of"] = self.day(spec["as_of"], ("as_of",))
        if "currency" in spec and (cur := self.text(spec, "currency", (), "currency", "USD")):
            if cur.strip().upper() in CURRENCIES:
                out["currency"] = cur.strip().upper()
            else:
                code = SYMBOL_CODES.get(
                    cur.strip().lower().rstrip("s"), SYMBOL_CODES.get(cur.strip())
                )
                hint = f" ({cur!r} is {code})" if code else ""
                self.bad(
                    ("currency",),
                    f"use the three-letter ISO code, e.g. USD, EUR or JPY{hint}; got {cur!r}.",
                )
        self.options(spec, (), out)
        for key in ("include", "key_events"):
            if key in spec:
                out[key] = self.texts(spec, key, (), key)
        if "derive" in spec:
            out["derive"] = []
            for i, name in enumerate(self.texts(spec, "derive", (), "derive")):
                if name in DERIVABLE:
                    out["derive"].append(name)
                else:
                    near = difflib.get_close_matches(name, list(DERIVABLE), n=1, cutoff=0.5)
                    hint = f" Did you mean `{near[0]}`?" if near else ""
                    where = ("derive", i) if isinstance(spec["derive"], list) else ("derive",)
                    self.bad(
                        where, f"cannot derive {name!r}.{hint} `derive:` knows {list(DERIVABLE)}."
                    )
        tables = spec.get("tables")
        if not isinstance(tables, dict) or not tables:
            self.bad(
                ("tables",),
                "needs a `tables:` section naming at least one canonical table (accounts, contracts, …).",
            )
            return out
        out["tables"] = {}
        for name, tspec in tables.items():
            if name not in TABLES:
                near = difflib.get_close_matches(str(name), list(TABLES), n=1, cutoff=0.6)
                hint = f" Did you mean `{near[0]}`?" if near else ""
                self.bad(
                    ("tables", name), f"unknown table.{hint} Canonical tables are {list(TABLES)}."
                )
                continue
            out["tables"][name] = self.table(name, tspec, ("tables", name))
        return out

    def day(self, value, path):
        if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
            return pd.Timestamp(value)
        raw = self.raw.get(path, value if isinstance(value, str) else None)
        if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
            try:
                return pd.Timestamp(value.strip())
            except ValueError:
                pass
        todo = " (still TODO from the draft)" if str(value).strip().upper() == "TODO" else ""
        self.bad(
            path,
            f"{described(value, raw)} is not a date{todo}; write the day the export was taken as YYYY-MM-DD, e.g. 2025-12-31.",
        )
        return None

    def table(self, name: str, tspec, path) -> dict:
        if tspec is None:
            return {}
        if not isinstance(tspec, dict):
            self.bad(
                path,
                f"a table holds keys such as `file:` and `columns:`; got {described(tspec, self.raw.get(path))}.",
            )
            return {}
        cols = TABLES[name].column_names
        self.keys(
            tspec,
            path,
            TABLE,
            {c: "It is a column: put it under `columns:`." for c in cols}
            | {k: "It belongs in a column rule under `columns:`." for k in RULE},
        )
        out: dict = {}
        self.options(tspec, path, out)
        if "distinct" in tspec:
            if isinstance(tspec["distinct"], bool):
                out["distinct"] = tspec["distinct"]
            else:
                self.bad(
                    (*path, "distinct"),
                    f"must be true or false; got {described(tspec['distinct'], self.raw.get((*path, 'distinct')))}.",
                )
        columns = tspec.get("columns")
        if columns is None:
            return out
        if not isinstance(columns, dict):
            self.bad(
                (*path, "columns"),
                f"must map canonical columns to export headers (account_id: Account ID); got {described(columns, None)}.",
            )
            return out
        out["columns"] = {}
        for col, rule in columns.items():
            if col not in cols:
                near = difflib.get_close_matches(str(col), cols, n=1, cutoff=0.6)
                hint = f" Did you mean `{near[0]}`?" if near else ""
                self.bad(
                    (*path, "columns", col),
                    f"table {name!r} has no column {col!r}.{hint} Its columns are {cols}.",
                )
                continue
            checked = self.rule(name, col, rule, (*path, "columns", col))
            if checked is not None:
                out["columns"][col] = checked
        return out

    def rule(self, table: str, col: str, rule, path):
        dtype = TABLES[table].col(col).dtype
        raw = self.raw.get(path)
        if isinstance(rule, str) and rule.strip().upper() == "TODO":
            self.bad(
                path,
                f"still TODO from the draft: write the export's header for {table}.{col}, a constant (`{{value: ...}}`), or remove the line.",
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
        if "value" in rule:
            if rule["value"] is None:
                self.bad(
                    (*path, "value"),
                    "a constant needs a value; remove the line to leave the column empty.",
                )
            elif (text := self.scalar_text(rule["value"], (*path, "value"))) is not None:
                out["value"] = text
        if "column" not in rule and "value" not in rule:
            self.bad(
                path,
                "needs `column:` (the export header) or `value:` (the same value on every row).",
            )
        elif "column" in rule and "value" in rule:
            self.bad(path, "has both `column:` and `value:`; keep the one you mean.")
        if "values" in rule:
            out["values"] = self.value_map(
                rule["values"], (*path, "values"), TABLES[table].col(col).allowed
            )
        numeric, timed = dtype in ("int", "float"), dtype in ("date", "datetime")
        for key, fits, kind in (
            ("multiply", numeric, "number"),
            ("multiply_by", numeric, "number"),
            ("decimal", numeric, "number"),
            ("date_format", timed, "date"),
            ("timezone", timed, "date"),
        ):
            if key in rule and not fits:
                self.bad(
                    (*path, key),
                    f"applies to {kind} columns; {table}.{col} is a {dtype} column. Remove it.",
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
            out["when"] = self.when(rule["when"], (*path, "when"))
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

    def value_map(self, values, path, allowed) -> dict:
        if not isinstance(values, dict):
            self.bad(
                path,
                f"must map export spellings to values, e.g. `{{Gold: enterprise, Silver: mid_market}}`; got {described(values, None)}.",
            )
            return {}
        out = {}
        for key, target in values.items():
            text = self.scalar_text(target, (*path, key))
            if allowed is not None and text is not None and text not in allowed:
                near = difflib.get_close_matches(text, list(allowed), n=1, cutoff=0.6)
                hint = f" Did you mean {near[0]!r}?" if near else ""
                todo = " (still TODO from the draft)" if text.strip().upper() == "TODO" else ""
                self.bad((*path, key), f"{text!r} is not one of {', '.join(allowed)}{todo}.{hint}")
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

    def when(self, spec, path) -> dict:
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


def check_mapping(spec, name: str, lines: dict | None = None, raw: dict | None = None) -> dict:
    """Check a whole mapping; the normalised mapping, or one DataError listing every problem.

    ``lines`` and ``raw`` come from :func:`~csworkbook.exports.mapfile.load_yaml` and let
    messages name the line; a mapping given as a dict has none.

    Examples
    --------
    >>> check_mapping({"as_of": "2025-12-31", "tables": {"accounts": {"columns": {"name": "Company"}}}}, "m")["tables"]
    {'accounts': {'columns': {'name': 'Company'}}}
    >>> try:
    ...     check_mapping({"as_of": "2025-12-31", "tables": {"accounts": {}}, "encodng": "cp932"}, "m")
    ... except ValueError as e:  # DataError is a ValueError
    ...     print(str(e).split(" Keys")[0])
    m: `encodng`: unknown key. Did you mean `encoding`?
    """
    checker = _Levels(name, lines or {}, raw or {})
    out = checker.top(spec)
    checker.raise_if_any()
    return out
