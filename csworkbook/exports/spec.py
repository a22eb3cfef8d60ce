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
from .checks import described
from .derive import DERIVABLE
from .numbers import CURRENCIES
from .rulecheck import RULE, RuleChecker
from .shapes import SHAPES

# Keys of every level of a mapping; what each means is in datasets/mappings/README.md.
TOP = (
    "as_of", "currency", "encoding", "delimiter", "decimal", "timezone", "file", "sheet",
    "include", "derive", "key_events", "tables",
)  # fmt: skip
TABLE = (
    "file", "sheet", "encoding", "delimiter", "decimal", "timezone", "distinct", "columns",
    "where", "replaced_by_next", "engine",
)  # fmt: skip
# canonical tables, and export shapes that become canonical facts (churn events)
KNOWN = {**TABLES, **SHAPES}
SYMBOL_CODES = {"$": "USD", "¥": "JPY", "￥": "JPY", "円": "JPY", "€": "EUR", "£": "GBP",
                "yen": "JPY", "dollar": "USD", "euro": "EUR", "pound": "GBP"}  # fmt: skip
_ISO_DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


class _Levels(RuleChecker):
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
            if name not in KNOWN:
                near = difflib.get_close_matches(str(name), list(KNOWN), n=1, cutoff=0.6)
                hint = f" Did you mean `{near[0]}`?" if near else ""
                self.bad(
                    ("tables", name),
                    f"unknown table.{hint} Canonical tables are {list(TABLES)}; "
                    f"export shapes: {list(SHAPES)}.",
                )
                continue
            out["tables"][name] = self.table(name, tspec, ("tables", name))
        if {"churn_events", "renewals"} <= set(tables):
            self.bad(
                ("tables", "churn_events"),
                "churn events make the renewals table, which is mapped too; keep one of them.",
            )
        self.todos(spec, ())
        return out

    def todos(self, node, path) -> None:
        """Any value still TODO from a draft that no other check named."""
        if isinstance(node, dict):
            for k, v in node.items():
                self.todos(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self.todos(v, (*path, i))
        elif (
            isinstance(node, str)
            and node.strip().upper() == "TODO"
            and not any(path[: len(p)] == p for p in self.paths)
        ):
            self.bad(path, "still TODO from the draft: fill it in or remove the line.")

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
        table = KNOWN[name]
        cols = table.column_names
        self.keys(
            tspec,
            path,
            TABLE,
            {c: "It is a column: put it under `columns:`." for c in cols}
            | {k: "It belongs in a column rule under `columns:`." for k in RULE},
        )
        out: dict = {}
        self.options(tspec, path, out)
        if "where" in tspec:
            out["where"] = self.conditions(tspec["where"], (*path, "where"))
        if "replaced_by_next" in tspec:
            value = tspec["replaced_by_next"]
            if name != "contracts":
                self.bad(
                    (*path, "replaced_by_next"),
                    "applies to contracts (subscriptions replaced by the account's next one).",
                )
            elif isinstance(value, bool):
                out["replaced_by_next"] = value
            else:
                raw = self.raw.get((*path, "replaced_by_next"))
                self.bad(
                    (*path, "replaced_by_next"),
                    f"must be true or false; got {described(value, raw)}.",
                )
        if "engine" in tspec:
            if name != "events":
                self.bad((*path, "engine"), "applies to events (duckdb or pandas).")
            elif tspec["engine"] in ("duckdb", "pandas"):
                out["engine"] = tspec["engine"]
            else:
                raw = self.raw.get((*path, "engine"))
                self.bad(
                    (*path, "engine"),
                    f"must be duckdb (read from disk, any size) or pandas (in memory); got {described(tspec['engine'], raw)}.",
                )
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
            checked = self.rule(table, col, rule, (*path, "columns", col))
            if checked is not None:
                out["columns"][col] = checked
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
