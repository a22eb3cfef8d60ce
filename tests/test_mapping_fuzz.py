"""Property-based tests of mapping files: whatever the structure, the check ends in a
normalised mapping or a DataError that names the file and the key, never a traceback.

Three levels: random YAML-ish structures through :func:`check_mapping` (cheap, many
examples), random YAML text through the line-keeping reader, and one-step mutations of a
working mapping loaded end to end (every run ends in a Dataset or a DataError, and a
Dataset accounts for every row).
"""

import copy
import math

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csworkbook
from csworkbook import DataError
from csworkbook.data.schema import TABLES
from csworkbook.exports.mapfile import parse_yaml
from csworkbook.exports.spec import RULE, TABLE, TOP, check_mapping

from .test_mapping_rules import setup

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COLUMNS = sorted({c.name for t in TABLES.values() for c in t.columns})
KEYS = st.sampled_from(
    [*TOP, *TABLE, *RULE, *TABLES, *COLUMNS, "in", "not_in", "encodng", "multipy", "distinc",
     "tabels", "colums", "", "0", "<<", "x" * 30]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(
        [
            "2025-12-31",
            "2025-13-45",
            "TODO",
            "cp932",
            "utf-8",
            "utf8x",
            ",",
            ".",
            ";",
            "\\t",
            "Asia/Tokyo",
            "Tokyo",
            "UTC",
            "USD",
            "yen",
            "unix",
            "%d/%m/%Y",
            "Account ID",
            "MRR",
            "enterprise",
            "mrr_monthly",
            "m.yaml",
            "x.csv",
            "*",
        ]
    ),  # fmt: skip
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=10,
)
RULES = st.one_of(
    SCALARS,
    st.dictionaries(st.sampled_from([*RULE, "multipy", "values_"]), VALUES, max_size=4),
)
STRUCTURED = st.fixed_dictionaries(
    {},
    optional={
        "as_of": SCALARS,
        "tables": st.dictionaries(
            st.sampled_from([*TABLES, "acounts"]),
            st.one_of(
                SCALARS,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "columns": st.one_of(
                            SCALARS, st.dictionaries(st.sampled_from(COLUMNS), RULES, max_size=5)
                        ),
                        "distinct": SCALARS,
                        "decimal": SCALARS,
                        "timezone": SCALARS,
                        "distinc": SCALARS,
                    },
                ),
            ),
            max_size=3,
        ),
        **{
            k: VALUES
            for k in ("currency", "encoding", "decimal", "timezone", "derive", "include", "encodng")
        },
    },
)
MAPPINGS = st.one_of(STRUCTURED, st.dictionaries(KEYS, VALUES, max_size=5), VALUES)


def _check(spec, name="m.yaml", lines=None, raw=None):
    try:
        out = check_mapping(spec, name, lines, raw)
    except DataError as e:
        message = str(e)
        assert message.startswith(name) and "`" in message, message
        return None
    assert isinstance(out, dict)
    return out


@settings(FUZZ, max_examples=900)
@given(spec=MAPPINGS)
def test_fuzz_mapping_structures_end_in_a_mapping_or_a_clear_error(spec):
    out = _check(spec)
    if out is not None and "as_of" in out:
        assert not math.isnan(out["as_of"].value)


@settings(FUZZ, max_examples=400)
@given(spec=MAPPINGS)
def test_fuzz_mapping_structures_written_as_yaml_keep_their_lines(spec):
    text = yaml.safe_dump(spec, allow_unicode=True)
    try:
        doc = parse_yaml(text, "m.yaml")
    except DataError as e:
        assert str(e).startswith("m.yaml"), e
        return
    _check(doc.data, "m.yaml", doc.lines, doc.raw)
    if isinstance(doc.data, dict):
        assert all(doc.lines.get((k,), 0) >= 1 for k in doc.data)


YAML_PIECES = st.sampled_from(
    ["as_of: 2025-12-31\n", "tables:\n", "  accounts:\n", "    columns:\n", "      name: X\n",
     "      arr: {column: MRR, multiply: 12}\n", "- a\n", "&a ", "*a", "!!python/name:os.system",
     "<<: *a\n", "? [x]\n: 1\n", "{", "}", "[", "]", '"', "'", ":", "\t", "\x00", "#", "%YAML 1.1\n",
     "---\n", "...\n", "values: {Yes: true, 01: x}\n", "  ", "\n", "ｱｵｿﾞﾗ", "!!binary aGk=\n",
     "!!set {a, b}\n", "key: &x [*x]\n"]
)  # fmt: skip


@settings(FUZZ, max_examples=400)
@given(pieces=st.lists(YAML_PIECES, max_size=12))
def test_fuzz_yaml_text_is_data_or_a_clear_error(pieces):
    try:
        doc = parse_yaml("".join(pieces), "m.yaml")
    except DataError as e:
        assert str(e).startswith("m.yaml"), e
        return
    _check(doc.data, "m.yaml", doc.lines, doc.raw)


def _paths(obj, path=()):
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*path, i))


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_fuzz_one_change_to_a_working_mapping_loads_or_stops_clearly(tmp_path, data):
    base = yaml.safe_load(setup(tmp_path).read_text(encoding="utf-8"))
    spec = copy.deepcopy(base)
    path = data.draw(st.sampled_from(list(_paths(spec))[1:]))
    *parent_path, key = path
    parent = spec
    for p in parent_path:
        parent = parent[p]
    action = data.draw(st.sampled_from(["set", "delete", "rename"]))
    if action == "set":
        parent[key] = data.draw(VALUES)
    elif action == "delete":
        del parent[key]
    elif isinstance(parent, dict):
        parent[data.draw(KEYS)] = parent.pop(key)
    try:
        ds = csworkbook.load(tmp_path / "x.csv", mapping=spec, mode="lenient")
    except DataError as e:
        assert str(e).split(":")[0].strip() in {"mapping", "x.csv"} or "x.csv" in str(e), e
        return
    acc = ds.load_report.accounting
    assert (acc["rows_read"] == acc["accepted"] + acc["merged"] + acc["rejected"]).all()
