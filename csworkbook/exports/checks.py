"""Building blocks of the mapping check: where a problem is, and what each kind of value
must look like (text, numbers, encodings, time zones), with the fix in every message.

:class:`Checker` collects problems instead of raising at the first, so one error lists
everything wrong in a mapping file; :mod:`~csworkbook.exports.spec` walks the levels.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import difflib
import math

import pandas as pd

from ..data.errors import DataError

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp932", "shift_jis", "euc_jp", "cp1252", "latin-1")


def described(value, raw: str | None) -> str:
    """How YAML read a value, for messages: ``ON`` is "'ON' (YAML reads it as true)"."""
    if isinstance(value, bool):
        return f"{raw or value!r} (YAML reads it as {str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"the number {raw or value}"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def dotted(path) -> str:
    """A key path as the analyst reads it: ``tables.contracts.columns.arr``, ``derive[0]``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}" if out else str(p)
    return out or "(top)"


class Checker:
    """Collects the problems of one mapping; :meth:`raise_if_any` reports them all."""

    def __init__(self, name: str, lines: dict, raw: dict):
        self.name, self.lines, self.raw = name, lines, raw
        self.problems: list[tuple[int | None, str, str]] = []
        self.paths: list[tuple] = []  # the key path of each problem

    def bad(self, path, text: str) -> None:
        line = next(
            (self.lines[path[:i]] for i in range(len(path), -1, -1) if path[:i] in self.lines), None
        )
        self.problems.append((line, dotted(path), text))
        self.paths.append(tuple(path))

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        if len(self.problems) == 1:
            line, key, text = self.problems[0]
            at = f", line {line}" if line else ""
            raise DataError(f"{self.name}{at}: `{key}`: {text}")
        body = "\n".join(
            f"- {f'line {line}, ' if line else ''}`{key}`: {text}"
            for line, key, text in self.problems
        )
        raise DataError(
            f"{self.name}: {len(self.problems)} problems in the mapping (nothing was read):\n{body}"
        )

    # ---- building blocks ---------------------------------------------------------------

    def keys(self, obj: dict, path, allowed, elsewhere: dict | None = None) -> None:
        for key in obj:
            if key in allowed:
                continue
            near = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
            hint = f" Did you mean `{near[0]}`?" if near else ""
            if not near and elsewhere and key in elsewhere:
                hint = f" {elsewhere[key]}"
            known = ", ".join(allowed)
            self.bad((*path, key), f"unknown key.{hint} Keys here: {known}.")

    def text(self, obj: dict, key, path, what: str, example: str):
        """A text value (header, file, format…); numbers and booleans must be quoted."""
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value
        raw = self.raw.get((*path, key))
        if isinstance(value, (bool, int, float)) and raw is not None:
            self.bad(
                (*path, key),
                f'{what} must be text; got {described(value, raw)}. Quote it: "{raw}".',
            )
        else:
            self.bad(
                (*path, key), f"{what} must be text, e.g. {example}; got {described(value, raw)}."
            )
        return None

    def texts(self, obj: dict, key, path, what: str) -> list[str]:
        """One text or a list of texts, as a list."""
        value = obj.get(key)
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            where = (*path, key, i) if isinstance(value, list) else (*path, key)
            if isinstance(item, str) and item.strip():
                out.append(item)
            else:
                self.bad(where, f"{what} must be text; got {described(item, self.raw.get(where))}.")
        return out

    def scalar_text(self, value, path) -> str | None:
        """A constant or value-map entry as written in the file (``01`` stays ``01``)."""
        if value is None:
            return None
        if isinstance(value, (list, dict)):
            self.bad(path, f"must be a single value; got {described(value, None)}.")
            return None
        raw = self.raw.get(path)
        if raw is not None:
            return raw
        if isinstance(value, bool):
            return str(value).lower()
        return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)

    def number(self, value, path, what: str) -> float | None:
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.bad(
                path,
                f"{what} must be a number, e.g. 12 or 0.01; got {described(value, self.raw.get(path))}.",
            )
            return None
        if not math.isfinite(value) or value == 0:
            self.bad(path, f"{what} must be a finite number other than 0; got {value}.")
            return None
        return float(value)

    def options(self, obj: dict, path, out: dict) -> None:
        """The reading options a top level, a table or a column may state."""
        if "encoding" in obj and (enc := self.text(obj, "encoding", path, "encoding", "cp932")):
            try:
                codecs.lookup(enc)
                out["encoding"] = enc
            except LookupError:
                near = difflib.get_close_matches(enc.lower(), ENCODINGS, n=1, cutoff=0.5)
                hint = f" Did you mean {near[0]!r}?" if near else ""
                self.bad(
                    (*path, "encoding"),
                    f"unknown encoding {enc!r}.{hint} Use one of {', '.join(ENCODINGS)}.",
                )
        if "delimiter" in obj and (sep := self.text(obj, "delimiter", path, "delimiter", '";"')):
            sep = {"\\t": "\t", "tab": "\t"}.get(sep, sep)
            if len(sep) != 1 or sep in '"\r\n' or sep.isalnum():
                self.bad(
                    (*path, "delimiter"),
                    f'must be one character such as ",", ";", "|" or "\\t"; got {sep!r}.',
                )
            else:
                out["delimiter"] = sep
        if "decimal" in obj:
            value = obj["decimal"]
            if value in (".", ","):
                out["decimal"] = value
            else:
                raw = self.raw.get((*path, "decimal"))
                self.bad(
                    (*path, "decimal"),
                    f'must be "." (1,234.56) or "," (1.234,56), quoted; got {described(value, raw)}.',
                )
        if "timezone" in obj and (tz := self.text(obj, "timezone", path, "timezone", "Asia/Tokyo")):
            try:
                pd.Timestamp("2024-01-01", tz=tz)
                out["timezone"] = tz
            except Exception:  # pytz / zoneinfo raise their own kinds
                self.bad(
                    (*path, "timezone"),
                    f"unknown time zone {tz!r}; use an IANA name such as Asia/Tokyo, Europe/Berlin, America/New_York or UTC.",
                )
        for key in ("file", "sheet"):
            if key in obj and (
                value := self.text(obj, key, path, key, "export.csv" if key == "file" else "Data")
            ):
                out[key] = value

    # ---- levels ------------------------------------------------------------------------
