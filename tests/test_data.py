import shutil

import pandas as pd
import pytest

import csworkbook
from csworkbook import DataError, write_dataset
from csworkbook.data import schema
from csworkbook.data.dataset import analysis_label
from csworkbook.data.validate import validate

from .conftest import DEMO


def test_demo_loads_and_every_table_validates(demo):
    # raw events are not generated yet; experiments exist only when a save play is switched on
    assert set(demo.tables) == set(schema.TABLES) - {"events", "experiments"}
    assert validate(demo.tables).ok
    assert demo.as_of == pd.Timestamp("2025-12-31")
    for name, df in demo.tables.items():
        for col in schema.TABLES[name].columns:
            assert str(df[col.name].dtype) == schema.pandas_dtype(col), (name, col.name)


def test_csv_and_parquet_round_trip(small, tmp_path):
    for fmt in ("csv", "parquet"):
        write_dataset(small, tmp_path / fmt, fmt=fmt)
        back = csworkbook.load(tmp_path / fmt)
        assert back.as_of == small.as_of and back.meta == small.meta
        for name, df in small.tables.items():
            pd.testing.assert_frame_equal(
                back.tables[name], df, check_dtype=True, obj=f"{fmt}:{name}"
            )


def _copy_demo(tmp_path, tables=("accounts", "contracts")):
    d = tmp_path / "ds"
    d.mkdir()
    shutil.copy(DEMO / "dataset.yaml", d)
    for t in tables:
        shutil.copy(DEMO / f"{t}.csv", d)
    return d


def test_missing_folder_says_how_to_make_one(tmp_path):
    with pytest.raises(DataError, match="no such folder.*csworkbook generate"):
        csworkbook.load(tmp_path / "nope")


def test_missing_metadata_file(tmp_path):
    d = _copy_demo(tmp_path)
    (d / "dataset.yaml").unlink()
    with pytest.raises(DataError, match=r"dataset.yaml: missing.*as_of"):
        csworkbook.load(d)


def test_missing_required_table_is_named(tmp_path):
    d = _copy_demo(tmp_path, tables=("accounts",))
    with pytest.raises(DataError, match=r"required table\(s\) \['contracts'\]"):
        csworkbook.load(d)


def test_optional_tables_may_be_absent_and_capabilities_say_so(tmp_path):
    ds = csworkbook.load(_copy_demo(tmp_path, tables=("accounts", "contracts", "mrr_monthly")))
    cap = ds.capabilities()
    assert cap.loc["logo churn, tenure and survival (08, 11)", "available"]
    assert not cap.loc[analysis_label("health score"), "available"]
    assert "usage" in cap.loc[analysis_label("health score"), "missing"]
    with pytest.raises(AttributeError, match="no 'usage' table"):
        _ = ds.usage


def test_unparseable_number_names_file_column_rows_and_values(tmp_path):
    d = _copy_demo(tmp_path)
    df = pd.read_csv(d / "contracts.csv", dtype=str)
    df.loc[[3, 7], "arr"] = ["12k", "n/a"]
    df.to_csv(d / "contracts.csv", index=False)
    with pytest.raises(DataError) as e:
        csworkbook.load(d)
    msg = str(e.value)
    assert "contracts.csv" in msg and "'arr'" in msg
    assert "file rows 5, 9" in msg and "'12k'" in msg


def test_missing_column_is_named_with_what_is_there(tmp_path):
    d = _copy_demo(tmp_path)
    df = pd.read_csv(d / "accounts.csv", dtype=str).rename(columns={"segment": "Segment"})
    df.to_csv(d / "accounts.csv", index=False)
    with pytest.raises(DataError, match=r"lacks column\(s\) \['segment'\].*'Segment'"):
        csworkbook.load(d)


def test_contract_violations_are_reported_with_rows_and_fixes(tmp_path):
    d = _copy_demo(tmp_path)
    df = pd.read_csv(d / "contracts.csv", dtype=str)
    df.loc[2, "contract_id"] = df.loc[1, "contract_id"]  # duplicate key
    df.loc[4, "arr"] = "-100"  # negative money
    df.loc[5, "account_id"] = "A99999"  # orphan
    df.to_csv(d / "contracts.csv", index=False)
    with pytest.raises(DataError) as e:
        csworkbook.load(d)
    p = e.value.report.problems.set_index(["column", "check"])
    assert p.loc[("contract_id", "field_uniqueness"), "example_rows"] == "3, 4"
    assert p.loc[("arr", "greater_than_or_equal_to(0)"), "example_rows"] == "6"
    orphan = p.loc[("account_id", "reference to accounts.account_id")]
    assert orphan["rows"] == 1 and orphan["example_rows"] == "7"
    assert all(p["fix"].str.len() > 10)


def test_disallowed_category_lists_allowed_values(tmp_path):
    d = _copy_demo(tmp_path)
    df = pd.read_csv(d / "accounts.csv", dtype=str)
    df.loc[0, "segment"] = "Enterprise"
    df.to_csv(d / "accounts.csv", index=False)
    with pytest.raises(
        DataError, match=r"accounts.segment.*file rows 2.*enterprise, mid_market, smb"
    ):
        csworkbook.load(d)


def test_unknown_table_name_rejected():
    with pytest.raises(ValueError, match="unknown table"):
        csworkbook.Dataset(tables={"acounts": pd.DataFrame()}, as_of="2025-01-01")


def test_summary_counts_rows(demo):
    s = demo.summary()
    assert s.loc["accounts", "rows"] == len(demo.accounts)
    assert list(s.index) == [t for t in schema.TABLES if t in demo.tables]
