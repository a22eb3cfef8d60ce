import pytest

from csworkbook.data import schema


@pytest.mark.parametrize("name", list(schema.TABLES))
def test_every_table_has_a_schema_whose_key_columns_exist(name):
    t = schema.TABLES[name]
    s = schema.pandera_schema(name)
    assert set(t.key) <= set(t.column_names) == set(s.columns)
    for col, target in t.references.items():
        parent, parent_col = target.split(".")
        assert col in t.column_names and parent_col in schema.TABLES[parent].column_names


def test_data_dictionary_lists_every_column():
    md = schema.data_dictionary_markdown()
    for t in schema.TABLES.values():
        assert f"### `{t.name}`" in md
        for c in t.columns:
            assert f"| `{c.name}` |" in md
