"""The fast paths against the definitions they replace: windowed aggregation (running totals
and binary search instead of a merge), typed and bulk-parsed loading, and the synthetic
world's account-month lookups. Speed itself is measured in benchmarks/, never asserted here.
"""

import numpy as np
import pandas as pd
import pytest

import csworkbook
from csworkbook import DataError, write_dataset
from csworkbook.data import folder
from csworkbook.retention import windows
from csworkbook.retention.features import account_signals
from csworkbook.retention.observations import observation_dates
from csworkbook.retention.windows import Timeline, window_agg
from csworkbook.synth.calendar import pairs_in

# ---------------------------------------------------------------- windowed aggregation


def merge_window_agg(obs, table, date_col, aggs, *, days, lead_days=0):
    """The definition, as window_agg was first written: merge every observation with all of
    its account's rows, keep those in the window, group."""
    o = obs[["account_id", "obs_date"]].reset_index(drop=True)
    o["_obs"] = np.arange(len(o))
    m = o.merge(table, on="account_id", how="inner")
    hi = m["obs_date"] - pd.Timedelta(days=lead_days)
    m = m[(m[date_col] < hi) & (m[date_col] >= hi - pd.Timedelta(days=days))]
    out = m.groupby("_obs").agg(**{k: pd.NamedAgg(c, f) for k, (c, f) in aggs.items()})
    out = out.reindex(range(len(obs)))
    for k, (_, f) in aggs.items():
        if f in ("count", "size", "sum"):
            out[k] = out[k].fillna(0)
    out.index = obs.index
    return out


AGGS = {
    "n": ("i", "count"),
    "rows": ("i", "size"),
    "i_sum": ("i", "sum"),
    "i_mean": ("i", "mean"),
    "f_sum": ("f", "sum"),
    "f_mean": ("f", "mean"),
    "b_sum": ("b", "sum"),
    "b_mean": ("b", "mean"),
    "nb_sum": ("nb", "sum"),
    "last": ("date", "max"),
    "first": ("date", "min"),
    # not whole numbers, or not a running total: pandas aggregates the window's rows
    "x_sum": ("x", "sum"),
    "x_mean": ("x", "mean"),
    "x_std": ("x", "std"),
    "f_max": ("f", "max"),
}


def random_case(seed):
    rng = np.random.default_rng(seed)
    accounts = [f"A{i}" for i in range(rng.integers(1, 5))]
    n = int(rng.integers(0, 50))
    base = pd.Timestamp("2025-01-01")
    # whole days from a short range: many rows share a date and sit exactly on window edges
    day = pd.to_timedelta(rng.integers(0, 30, n), unit="D")
    hours = pd.to_timedelta(np.where(rng.random(n) < 0.2, rng.integers(1, 23, n), 0), unit="h")
    date = pd.Series(base + day + hours).mask(rng.random(n) < 0.05)  # a few undated rows
    gaps = rng.random(n) < 0.2
    table = pd.DataFrame(
        {
            "account_id": pd.array(rng.choice(accounts, n), dtype="string"),
            "date": date,
            "i": pd.Series(rng.integers(-5, 6, n), dtype="Int64").where(~gaps),
            "f": np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 9, n).astype(float)),
            "x": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "b": rng.random(n) < 0.5,
            "nb": pd.Series(rng.random(n) < 0.5, dtype="boolean").where(~gaps),
        }
    )
    if seed % 3 == 0:  # the fast path must not rely on the table's order
        table = table.sample(frac=1, random_state=seed)
    m = int(rng.integers(0, 12))
    obs = pd.DataFrame(
        {
            "account_id": rng.choice([*accounts, "unknown"], m),
            "obs_date": base + pd.to_timedelta(rng.integers(0, 40, m), unit="D"),
        },
        index=rng.permutation(m) * 3 + 7,
    )
    return obs, table


@pytest.mark.parametrize("seed", range(24))
def test_window_agg_equals_the_merge_definition(seed):
    obs, table = random_case(seed)
    for days, lead in [(1, 0), (7, 0), (10, 3), (60, 0)]:
        got = window_agg(obs, table, "date", AGGS, days=days, lead_days=lead)
        want = merge_window_agg(obs, table, "date", AGGS, days=days, lead_days=lead)
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"seed {seed} {days}d")


def test_window_agg_by_hand_at_the_edges():
    obs = pd.DataFrame(
        {"account_id": ["a", "a", "b"], "obs_date": pd.to_datetime(["2025-01-11"] * 3)}
    )
    t = pd.DataFrame(
        {
            "account_id": ["a"] * 4,
            "date": pd.to_datetime(["2025-01-01", "2025-01-04", "2025-01-10", "2025-01-11"]),
            "v": [1.0, np.nan, 4.0, 8.0],
        }
    )
    # [2025-01-04, 2025-01-11): the start is in, the observation date itself is out
    out = window_agg(
        obs, t, "date", {"n": ("v", "count"), "s": ("v", "sum"), "m": ("v", "mean")}, days=7
    )
    assert out["n"].tolist() == [1, 1, 0] and out["s"].tolist() == [4.0, 4.0, 0.0]
    assert out["m"].iloc[0] == 4.0 and np.isnan(out["m"].iloc[2])


def test_window_agg_falls_back_to_the_definition_where_it_must():
    # missing account ids in obs match missing ones in the table, as a merge does
    obs = pd.DataFrame({"account_id": ["a", None], "obs_date": pd.to_datetime(["2025-02-01"] * 2)})
    t = pd.DataFrame(
        {
            "account_id": ["a", None],
            "date": pd.to_datetime(["2025-01-20", "2025-01-25"]),
            "v": [1, 2],
        }
    )
    aggs = {"s": ("v", "sum")}
    pd.testing.assert_frame_equal(
        window_agg(obs, t, "date", aggs, days=30), merge_window_agg(obs, t, "date", aggs, days=30)
    )
    # time-zone aware dates
    tz = t.assign(date=t["date"].dt.tz_localize("UTC"))
    otz = obs.assign(obs_date=obs["obs_date"].dt.tz_localize("UTC"))
    pd.testing.assert_frame_equal(
        window_agg(otz, tz, "date", aggs, days=30), merge_window_agg(otz, tz, "date", aggs, days=30)
    )


def test_timeline_subsets_answer_like_filtered_tables():
    obs, table = random_case(5)
    tl = Timeline(table, "date")
    keep = table["b"]
    aggs = {"last": ("date", "max"), "s": ("i", "sum")}
    got = tl.subset(keep).agg(obs, aggs, days=20)
    pd.testing.assert_frame_equal(got, merge_window_agg(obs, table[keep], "date", aggs, days=20))
    near = tl.around(obs, 20).agg(obs, aggs, days=20)
    pd.testing.assert_frame_equal(near, merge_window_agg(obs, table, "date", aggs, days=20))


def test_account_signals_equal_the_merge_definition(demo, monkeypatch):
    obs = observation_dates(demo).sample(400, random_state=2)
    fast = account_signals(demo, obs, lead_days=7)
    monkeypatch.setattr(windows.Timeline, "_covers", lambda self, obs, aggs: False)
    pd.testing.assert_frame_equal(fast, account_signals(demo, obs, lead_days=7), check_exact=True)


# ---------------------------------------------------------------- loading


def test_typed_parquet_equals_csv_equals_the_generated_world(small, tmp_path):
    loaded = {}
    for fmt in ("csv", "parquet"):
        write_dataset(small, tmp_path / fmt, fmt=fmt)
        loaded[fmt] = csworkbook.load(tmp_path / fmt)
    for name, df in small.tables.items():
        for fmt in ("csv", "parquet"):
            pd.testing.assert_frame_equal(
                loaded[fmt].tables[name], df, check_exact=True, obj=f"{fmt}:{name}"
            )


def test_csv_floats_are_read_correctly_rounded(tmp_path):
    # repr gives up to 17 significant digits; pandas' to_numeric misreads a third of these
    f = _demo_subset(tmp_path) / "accounts.csv"
    c = pd.read_csv(f, dtype=str)
    x = np.random.default_rng(0).random(len(c))
    c["icp_fit"] = [repr(float(v)) for v in x]
    c.to_csv(f, index=False)
    assert (folder.read_table("accounts", f)["icp_fit"].to_numpy() == x).all()


def _demo_subset(tmp_path):
    import shutil

    from .conftest import DEMO

    d = tmp_path / "demo"
    d.mkdir()
    for f in ("dataset.yaml", "accounts.csv", "contracts.csv"):
        shutil.copy(DEMO / f, d)
    return d


def general_path(name, file):
    """Every column through the general parser, as read_table first did for CSV."""
    raw = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    spec = folder.TABLES[name]
    out = pd.DataFrame(index=raw.index)
    for col in spec.columns:
        out[col.name] = folder._parse_column(raw[col.name], col, file)
    for c in raw.columns:
        if c not in spec.column_names:
            out[c] = raw[c]
    return out


CELLS = {
    "contract_id": ["C1", "  C2", " ", "\u3000"],  # ideographic space: blank
    "department": ["Sales", "", "\u3000", "a b"],  # an ideographic space strips to blank
    "product": ["Core", "  ", "Core", "Core"],  # repeated text, shared strings
    "start_date": ["2024-01-05", "2024-02-29", "", "2025-12-31"],
    "end_date": ["2024-1-5", "", "", ""],  # another layout: the general path decides
    "term_months": ["12", "+1", " 24", "3.0"],
    "seats": ["1e1", "007", "", "  "],
    "arr": ["1.5", "inf", "5.", ".25"],
    "auto_renew": ["true", " TRUE", "False", "false"],
}
BAD = {
    "start_date": ["2024-02-30", "2024-01-05", "2024-01-05", "2024-01-05"],
    "term_months": ["0x10", "12", "12", "12"],
    "seats": ["1.5", "2", "2", "2"],
    "arr": ["nan", "1", "2", "3"],
    "auto_renew": ["yes", "true", "true", "true"],
}


def _contracts(tmp_path, column, cells):
    base = pd.read_csv(_demo_subset(tmp_path) / "contracts.csv", dtype=str).head(4)
    base[column] = cells
    f = tmp_path / "contracts.csv"
    base.to_csv(f, index=False)
    return f


@pytest.mark.parametrize("column", CELLS)
def test_bulk_csv_parsing_equals_the_general_path(tmp_path, column):
    f = _contracts(tmp_path, column, CELLS[column])
    pd.testing.assert_frame_equal(
        folder.read_table("contracts", f), general_path("contracts", f), check_exact=True
    )


@pytest.mark.parametrize("column", BAD)
def test_bad_csv_cells_get_the_general_paths_error(tmp_path, column):
    f = _contracts(tmp_path, column, BAD[column])
    with pytest.raises(DataError) as want:
        general_path("contracts", f)
    with pytest.raises(DataError) as got:
        folder.read_table("contracts", f)
    assert str(got.value) == str(want.value)
    assert "file rows 2" in str(got.value) and repr(BAD[column][0]) in str(got.value)


def test_csv_arrow_cannot_read_goes_the_general_way(tmp_path):
    f = _contracts(tmp_path, "arr", ["1", "2", "3", "4"])
    lines = f.read_text().splitlines()
    f.write_text("\n".join([lines[0] + ",arr", *(line + ",9" for line in lines[1:])]) + "\n")
    # duplicated column name: pandas renames the second one arr.1, and so does the loader
    got = folder.read_table("contracts", f)
    pd.testing.assert_frame_equal(got, general_path("contracts", f), check_exact=True)
    assert "arr.1" in got.columns
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())  # a byte-order mark from Excel
    pd.testing.assert_frame_equal(
        folder.read_table("contracts", f), general_path("contracts", f), check_exact=True
    )
    f.write_text(f.read_text(encoding="utf-8-sig").replace(",arr\n", ",\n", 1))  # no name
    got = folder.read_table("contracts", f)
    pd.testing.assert_frame_equal(got, general_path("contracts", f), check_exact=True)
    assert "Unnamed: 11" in got.columns


def test_bad_typed_parquet_column_is_named(tmp_path):
    contracts = csworkbook.load(_demo_subset(tmp_path)).contracts.head(6)
    cases = {  # column: (its values, what the message must show)
        "arr": (contracts["arr"].astype(str).where(contracts.index != 3, "12k"), "5; values like '12k'"),
        "seats": (contracts["seats"].astype(float).where(contracts.index != 3, 2.5), "5; values like 2.5"),
        "start_date": (pd.Series(np.arange(6)), "2, 3, 4, 5, 6, ...; values like 0, 1, 2"),
    }  # fmt: skip
    for column, (values, shown) in cases.items():
        f = tmp_path / "contracts.parquet"
        contracts.assign(**{column: values}).to_parquet(f, index=False)
        with pytest.raises(DataError) as e:
            folder.read_table("contracts", f)
        assert str(e.value).startswith(f"{f}: column {column!r} should hold"), str(e.value)
        assert f"(file rows {shown})" in str(e.value)


def test_typed_parquet_columns_are_taken_as_they_are(tmp_path):
    contracts = csworkbook.load(_demo_subset(tmp_path)).contracts
    f = tmp_path / "contracts.parquet"
    # what other tools write: whole floats for counts, plain bools, object strings
    contracts.astype(
        {"seats": float, "auto_renew": bool, "contract_id": object, "term_months": "int32"}
    ).to_parquet(f, index=False)
    pd.testing.assert_frame_equal(folder.read_table("contracts", f), contracts, check_exact=True)


# ---------------------------------------------------------------- synthetic world


def test_account_month_lookup_equals_isin_on_sparse_keys():
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, m = rng.integers(0, 50, 300), rng.integers(-1, 40, 300)
        ra, rm = rng.integers(0, 60, 200), rng.integers(0, 45, 200)
        want = np.isin(a * 10_000 + m, ra * 10_000 + rm)
        assert (pairs_in(a, m, ra, rm) == want).all()
    assert pairs_in([], [], [1], [1]).shape == (0,)
    assert not pairs_in([1], [1], [], []).any()


def test_parquet_holding_text_reads_like_csv(tmp_path):
    text = pd.read_csv(_demo_subset(tmp_path) / "contracts.csv", dtype=str, keep_default_na=False)
    text = text.replace("", None).assign(note="x")  # an extra column travels along
    text.loc[2, "department"] = "  "  # blank
    text.to_parquet(tmp_path / "contracts.parquet", index=False)
    text.to_csv(tmp_path / "contracts.csv", index=False)
    pd.testing.assert_frame_equal(
        folder.read_table("contracts", tmp_path / "contracts.parquet"),
        folder.read_table("contracts", tmp_path / "contracts.csv"),
        check_exact=True,
    )


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "table, breakage",
    [
        ("accounts", lambda d: d.assign(segment=d["segment"].where(d.index != 3, "huge"))),
        ("accounts", lambda d: d.assign(name=d["name"].where(d.index != 5, pd.NA))),
        ("contracts", lambda d: d.assign(arr=d["arr"].where(d.index != 2, -1.0))),
        ("contracts", lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True)),
        ("contracts", lambda d: d.assign(seats=d["seats"].astype("float64"))),
        ("mrr_monthly", lambda d: pd.concat([d, d.iloc[[4]]], ignore_index=True)),
        ("nps", lambda d: d.assign(score=d["score"].where(d.index != 1, 11))),
        ("accounts", lambda d: d.drop(columns=["segment"])),
    ],
)
def test_the_quick_validation_pass_never_hides_a_problem(small, table, breakage):
    from csworkbook.data.validate import _plainly_valid, validate_table

    assert _plainly_valid(table, small.tables[table])
    broken = breakage(small.tables[table].copy())
    assert not _plainly_valid(table, broken)
    assert not validate_table(table, broken).empty  # pandera reports it in detail
