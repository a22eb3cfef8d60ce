"""Mapping files read as data: YAML with the line of every key, nothing ever run.

:func:`load_yaml` returns the mapping as plain dicts, lists and scalars (``yaml.safe_load``
semantics: no tags that build objects) together with where each key sits in the file, so
:mod:`~csworkbook.exports.spec` can say "line 12, `tables.contracts.columns.arr.multipy`"
instead of a traceback. Keys are kept as written: ``values: {Yes: true, 01: x}`` maps the
spellings ``Yes`` and ``01``, not YAML's boolean and integer readings of them.
"""

from __future__ import annotations

import copy
import errno
import re
from pathlib import Path
from typing import NamedTuple

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..data.errors import DataError
from .spec import check_mapping

# A mapping file is a page of YAML; anything far larger is not one (or is an alias bomb).
MAX_BYTES = 1_000_000
MAX_NODES = 50_000
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# what yaml.reader refuses: C0/C1 controls other than tab and line breaks, surrogates, U+FFFE/F
_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_PLAIN = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")  # no !!set, !!omap, !!python/…
# What an included mapping's top level passes on to its tables.
INHERITED = ("file", "sheet", "encoding", "delimiter", "decimal", "timezone")


class Doc(NamedTuple):
    """A parsed mapping file: its data and, per key path, the line and the text as written."""

    data: object
    lines: dict  # path tuple -> 1-based line of the key (the root is ())
    raw: dict  # path tuple -> scalar text as written, before YAML typed it


def os_error(path: Path, e: OSError, what: str = "file") -> DataError:
    """A DataError for a path the operating system refused, with the fix."""
    name = str(path)
    if isinstance(e, IsADirectoryError):
        return DataError(f"{name}: is a folder, not a {what}. Name the {what} inside it.")
    if isinstance(e, PermissionError):
        return DataError(
            f"{name}: permission denied. Give your user read access to the {what}, "
            "or copy it somewhere you can read."
        )
    if e.errno == errno.ELOOP:
        return DataError(
            f"{name}: a symbolic link that loops back on itself. Point it at the {what}."
        )
    if isinstance(e, FileNotFoundError):
        return DataError(f"{name}: no such {what}. Check the path.")
    return DataError(
        f"{name}: cannot be read ({e.strerror or e.__class__.__name__}). Check the {what}."
    )


def read_bytes(path: Path, what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of ``path``, or a DataError that names it and says what to do."""
    if path.is_symlink() and not path.exists():
        raise DataError(
            f"{path}: a symbolic link to nothing (broken, or a loop). Point it at the {what}."
        )
    try:
        if limit is not None and path.stat().st_size > limit:
            raise DataError(
                f"{path}: {path.stat().st_size:,} bytes is far too large for a {what} "
                f"(limit {limit:,}); is this the right file?"
            )
        return path.read_bytes()
    except OSError as e:
        raise os_error(path, e, what) from None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        try:
            data.decode("cp932")
            guess = " (it looks like CP932 / Shift_JIS, as Japanese Windows saves it)"
        except UnicodeDecodeError:
            guess = ""
        raise DataError(
            f"{path.name}, line {line}: the mapping file is not UTF-8{guess}. "
            "Save it as UTF-8 (in Notepad: Save as, Encoding UTF-8); the exports it reads "
            "may stay in any encoding (`encoding:`)."
        ) from None


def load_yaml(path: Path) -> Doc:
    """Read a mapping file: UTF-8 YAML, data only, keys with their line numbers.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
    >>> _ = p.write_text("as_of: 2025-12-31\\ntables:\\n  accounts: {}\\n", encoding="utf-8")
    >>> doc = load_yaml(p)
    >>> doc.data["as_of"], doc.lines[("tables", "accounts")]
    ('2025-12-31', 3)
    """
    text = _decode(path, read_bytes(path, "mapping file", MAX_BYTES))
    return parse_yaml(text, path.name)


def parse_yaml(text: str, name: str = "mapping") -> Doc:
    r""":func:`load_yaml` on text already read; ``name`` is used in messages.

    >>> parse_yaml("values: {Yes: true, 01: x}\n").data
    {'values': {'Yes': True, '01': 'x'}}
    """
    bad = _UNPRINTABLE.search(text)
    if bad:  # YAML refuses control characters; say where, not "position 1234"
        line = text[: bad.start()].count("\n") + 1
        raise DataError(
            f"{name}, line {line}: holds the control character U+{ord(bad.group()):04X}, which "
            "a YAML file may not contain. Delete it (it is invisible in most editors)."
        )
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Doc(None, {(): 1}, {})
        lines, raw = {}, {}
        data = _Builder(loader, name, lines, raw).build(node, ())
        return Doc(data, lines, raw)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise DataError(
            f"{name}{where}: not valid YAML ({problem}). Check the indentation and quotes "
            'there; text with ":" or "#" or starting with "*", "&", "%" or "," needs quotes.'
        ) from None
    finally:
        loader.dispose()


class _Builder:
    """Python data from YAML nodes, recording the line of every key and the text of every
    scalar. Recursive aliases and node floods stop with a DataError."""

    def __init__(self, loader, name, lines, raw):
        self.loader, self.name, self.lines, self.raw = loader, name, lines, raw
        self.count = 0
        self.stack: set[int] = set()

    def fail(self, node, message: str):
        raise DataError(f"{self.name}, line {node.start_mark.line + 1}: {message}")

    def build(self, node, path):
        self.count += 1
        if self.count > MAX_NODES:
            self.fail(node, f"more than {MAX_NODES:,} values (aliases expanding?); simplify it.")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            self.raw[path] = node.value
            if node.tag == _TIMESTAMP:
                return node.value  # parsed (and checked) where a date is expected
            try:
                return self.loader.construct_object(node)
            except yaml.constructor.ConstructorError as e:
                self.fail(node, f"{e.problem}; mapping files hold plain values only.")
            except ValueError as e:  # e.g. a malformed !!binary or !!float
                self.fail(node, f"cannot read {node.value!r} ({e}).")
        if node.tag not in _PLAIN:
            self.fail(
                node, f"the tag {node.tag!r} is not allowed; mapping files hold plain values only."
            )
        if id(node) in self.stack:
            self.fail(node, "an alias refers to itself; remove the recursive `*alias`.")
        self.stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            self.fail(node, "unexpected YAML content.")  # pragma: no cover - no other node kinds
        finally:
            self.stack.discard(id(node))

    def _mapping(self, node, path):
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, "a key must be plain text, not a list or mapping.")
            line = key_node.start_mark.line + 1
            if key_node.tag != "tag:yaml.org,2002:merge" and key_node.value in seen:
                self.fail(
                    key_node,
                    f"key {key_node.value!r} appears twice (lines {seen[key_node.value]} and "
                    f"{line}); YAML would keep only the last one. Remove or merge one of them.",
                )
            seen.setdefault(key_node.value, line)
        try:
            self.loader.flatten_mapping(node)  # `<<: *defaults` merges; explicit keys win
        except yaml.constructor.ConstructorError as e:
            self.fail(node, f"{e.problem}.")
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, "a key must be plain text, not a list or mapping.")
            key = key_node.value
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, (*path, key))
        return out


def read_mapping(mapping, _chain: tuple = ()) -> dict:
    """Load and check a whole mapping: a YAML file (read as data only) or the same as a dict.

    A dict is handy in a notebook, where the analyst edits one rule and reloads; its files
    are relative to the current folder. Included mappings are read and checked too, so a
    problem anywhere stops before any row is read.

    Examples
    --------
    >>> spec = read_mapping("datasets/mappings/salesforce_accounts.yaml")
    >>> spec["currency"], sorted(spec["tables"])
    ('USD', ['accounts', 'contracts'])
    """
    if isinstance(mapping, dict):
        data = {
            k: v for k, v in copy.deepcopy(mapping).items() if k not in ("_dir", "_name", "_lines")
        }
        path, base, lines, raw = Path("mapping"), Path("."), {}, {}
        key = None
    else:
        path = Path(mapping)
        base = path.parent
        if not path.exists() and not path.is_symlink():
            raise DataError(
                f"{path}: mapping file not found. Draft one with `csworkbook mapping init EXPORT`."
            )
        data, lines, raw = load_yaml(path)
        key = path.resolve()
    spec = check_mapping(data, path.name, lines, raw)
    chain = (*_chain, key) if key is not None else _chain
    for i, other in enumerate(spec.pop("include", [])):
        target = base / other
        if target.resolve() in chain:
            line = lines.get(("include", i), lines.get(("include",)))
            loop = " → ".join(p.name for p in (*chain, target.resolve()))
            raise DataError(
                f"{path.name}{f', line {line}' if line else ''}: `include: {other}` makes a "
                f"circle ({loop}). Remove the include that closes it."
            )
        _include(spec, read_mapping(target, chain), path.name)
    spec["_dir"], spec["_name"], spec["_lines"] = base, path.name, lines
    return spec


def _include(spec: dict, other: dict, name: str) -> None:
    """Merge the tables of an included mapping (e.g. a CRM mapping under an events one); each
    keeps its own file, encoding, decimal convention, time zone and folder."""
    if spec.get("currency") and other.get("currency") and spec["currency"] != other["currency"]:
        raise DataError(
            f"{name}: currency {spec['currency']} here but {other['currency']} in "
            f"{other['_name']}; one dataset has one currency. Convert one export at the source."
        )
    spec.setdefault("currency", other.get("currency"))
    for table, tspec in other["tables"].items():
        if table in spec["tables"]:
            raise DataError(f"{name}: table {table!r} is mapped here and in {other['_name']}.")
        tspec = dict(tspec or {})
        for key in INHERITED:
            if other.get(key) is not None:
                tspec.setdefault(key, other[key])
        tspec.setdefault("_dir", other["_dir"])
        spec["tables"][table] = tspec
    spec["derive"] = list(dict.fromkeys([*spec.get("derive", []), *other.get("derive", [])]))
