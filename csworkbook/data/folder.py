"""The data layer: read and write a folder of canonical tables.

A dataset folder holds one file per table (``accounts.csv`` or ``accounts.parquet``, ...)
and a ``dataset.yaml`` with its ``as_of`` date and metadata. This is the only module
that touches files for datasets.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .atomic import replaced_folder
from .dataset import Dataset
from .errors import DataError
from .schema import TABLES, Col, data_dictionary_markdown
from .validate import validate

META_FILE = "dataset.yaml"


def _bad_rows(mask: pd.Series) -> str:
    rows = [str(i + 2) for i in np.flatnonzero(mask.to_numpy())[:5]]
    return ", ".join(rows) + (", ..." if mask.sum() > 5 else "")


def _parse_column(raw: pd.Series, col: Col, file: Path) -> pd.Series:
    """Turn a column read as text into its canonical dtype, naming bad values.

    The general path, cell by cell: the fast readers below hand it every column they are
    not sure of, so it alone decides what is wrong and how the error reads.
    """
    blank = raw.isna() | (raw.astype("string").str.strip() == "")
    if col.dtype == "string":
        return raw.astype("string").mask(blank)
    if col.dtype in ("date", "datetime"):
        fmt = "%Y-%m-%d" if col.dtype == "date" else "ISO8601"
        out = pd.to_datetime(raw.mask(blank), format=fmt, errors="coerce")
    elif col.dtype == "bool":
        low = raw.astype("string").str.strip().str.lower()
        out = low.map({"true": True, "false": False}).astype("boolean")
    else:
        out = pd.to_numeric(raw.mask(blank), errors="coerce")
        if col.dtype == "int":
            whole = out.isna() | (out == np.round(out))
            out = out.where(whole)
    bad = out.isna() & ~blank
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].unique()[:3])
        raise DataError(
            f"{file}: column {col.name!r} should hold {col.dtype} values but {int(bad.sum())} "
            f"row(s) do not (file rows {_bad_rows(bad)}; values like {examples}). "
            f"Correct those cells or map the column in a mapping file."
        )
    if col.dtype == "int":
        return out.astype("Int64")
    if col.dtype == "float":
        return out.astype("float64")
    return out


@functools.cache
def _spaces():
    """The empty string and every character ``str.isspace`` accepts: what a cell that
    ``str.strip`` empties must start with."""
    import pyarrow as pa

    return pa.array(["", *(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())])


def _strings(arr) -> pd.Series:
    """Arrow text as the canonical string dtype, whitespace-only cells missing (as
    :func:`_parse_column` has them), with a Python call only for cells that may be blank.

    Text that repeats (the account a row belongs to, categories) becomes one Python string
    per distinct value, shared by its cells: quicker, and far less memory, than one per cell.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    enc = _distinct(arr)
    if enc is None:  # mostly distinct: one string each
        return _string_series(_text_values(arr))
    words = np.append(_text_values(enc.dictionary), None)  # the last one stands for missing
    return _string_series(words[pc.fill_null(enc.indices, len(words) - 1).to_numpy()])


def _distinct(arr):
    """``arr`` dictionary-encoded when its values mostly repeat (judged on the first
    10,000), so that work per value is done once per distinct value; else None."""
    import pyarrow.compute as pc

    head = arr.slice(0, 10_000)
    return arr.dictionary_encode() if 2 * pc.count_distinct(head).as_py() <= len(head) else None


def _text_values(arr) -> np.ndarray:
    """Arrow text as an object array of str, None where missing or blank."""
    import pyarrow.compute as pc

    values = arr.to_numpy(zero_copy_only=False)
    maybe = pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=_spaces())
    maybe = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    values[maybe[[values[i].strip() == "" for i in maybe]]] = None
    return values


def _string_series(values: np.ndarray) -> pd.Series:
    if pd.StringDtype().storage == "python":  # skips astype's second look at every cell
        return pd.Series(pd.arrays.StringArray(values))
    return pd.Series(values, dtype=object).astype("string")


def _typed(s: pd.Series, col: Col) -> pd.Series | None:
    """A typed Parquet column that already has its canonical type, checked and taken as it
    is (what :func:`_parse_column` makes of it); None when it needs parsing."""
    kind = s.dtype.kind if isinstance(s.dtype, np.dtype) or hasattr(s.dtype, "numpy_dtype") else ""
    if col.dtype in ("date", "datetime") and isinstance(s.dtype, np.dtype) and kind == "M":
        return s.astype("datetime64[ns]", copy=False)
    if col.dtype == "bool" and kind == "b":
        return s.astype("boolean", copy=False)
    if col.dtype == "float" and kind in "iuf":
        return s.astype("float64", copy=False)
    if col.dtype == "int" and kind in "iuf":
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isnan(v) | ((v == np.round(v)) & (np.abs(v) < 2.0**53))
        return s.astype("Int64", copy=False) if ok.all() else None
    return None


# The shapes write_dataset gives dates; Arrow's ISO parser reads exactly these as pandas does
# (and rejects 2025-02-30), for years well inside pandas' nanosecond range.
_DATE = r"^(1[7-9]|2[01])\d{2}-\d{2}-\d{2}"
_DATE_SHAPES = {
    "date": [_DATE + "$"],
    "datetime": [_DATE + "$", _DATE + r" \d{2}:\d{2}:\d{2}$"],
}


def _from_text(arr, col: Col) -> pd.Series | None:
    """A text column (Arrow) parsed in bulk; None when some cell is not in the plain form
    this understands (blank with spaces, ``inf``, another date layout, ...)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if col.dtype == "string":
        return _strings(arr)
    missing = arr.is_null().to_numpy(zero_copy_only=False)
    if col.dtype == "bool":
        if not pc.all(pc.or_(pc.is_in(arr, pa.array(["true", "false"])), pc.is_null(arr))).as_py():
            return None
        true = pc.fill_null(pc.equal(arr, "true"), False).to_numpy(zero_copy_only=False)
        return pd.Series(pd.arrays.BooleanArray(true, missing))
    if col.dtype in ("date", "datetime"):
        enc = _distinct(arr.combine_chunks())  # a few hundred weeks or months, repeated
        days = _dates(arr if enc is None else enc.dictionary, col)
        if days is not None and enc is not None:
            days = np.append(days, np.datetime64("NaT", "ns"))
            days = days[pc.fill_null(enc.indices, len(days) - 1).to_numpy()]
        return None if days is None else pd.Series(days, dtype="datetime64[ns]")
    try:  # Arrow reads decimal text correctly rounded, like float() and the Parquet writer
        v = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return None
    known = v[~missing]
    if not np.isfinite(known).all():  # "nan", "inf": leave their meaning to the general path
        return None
    if col.dtype == "float":
        return pd.Series(v, dtype="float64")
    if not ((known == np.round(known)) & (np.abs(known) < 2.0**53)).all():
        return None
    return pd.Series(pd.arrays.IntegerArray(np.where(missing, 0, v).astype(np.int64), missing))


def _dates(arr, col: Col) -> np.ndarray | None:
    """Dates in one of the plain shapes (``_DATE_SHAPES``), or None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for shape in _DATE_SHAPES[col.dtype]:
        if pc.all(pc.match_substring_regex(arr, shape)).as_py() is not False:
            try:
                return pc.cast(arr, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
            except pa.ArrowInvalid:
                return None
    return None


def _text_series(arr) -> pd.Series:
    """An Arrow text column as read_csv gives it: object strings, NaN where empty."""
    v = arr.to_numpy(zero_copy_only=False)
    v[pd.isna(v)] = np.nan
    return pd.Series(v, dtype=object)


def _read_csv_arrow(file: Path):
    """Every column of a CSV file as Arrow text, or None if Arrow does not read it as the
    general path would (duplicate names, ragged rows, bad encoding: that path explains)."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        with open(file, encoding="utf-8-sig", newline="") as f:
            names = next(csv.reader(f), [])
        # pandas renames empty and repeated names (Unnamed: 0, x.1): let it
        if not names or "" in names or len(set(names)) < len(names):
            return None
        table = pacsv.read_csv(
            file,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, OSError, UnicodeDecodeError, csv.Error):
        return None
    if table.column_names != names:
        return None
    return {n: table.column(n) for n in names}, pd.RangeIndex(table.num_rows)


def _read_parquet(file: Path, spec):
    """Parquet columns: canonical columns stored as text stay Arrow text (parsed like CSV,
    blanks found without a call per cell); the rest convert as ``pd.read_parquet`` does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(file)
    names = table.column_names
    text = [
        n
        for n in spec.column_names
        if n in names
        and (pa.types.is_string(table[n].type) or pa.types.is_large_string(table[n].type))
    ]
    if len(set(names)) < len(names):
        return None
    typed = table.drop_columns(text).to_pandas()
    index = typed.index if len(text) < len(names) else pd.RangeIndex(table.num_rows)
    return {n: table[n] if n in text else typed[n] for n in names}, index


def _read_cells(name: str, file: Path):
    """A table file's columns, unconverted (Arrow text, typed pandas columns, or text as
    ``read_csv`` gives it), and its index."""
    spec = TABLES[name]
    if file.suffix == ".parquet":
        raw = _read_parquet(file, spec)
        if raw is None:
            df = pd.read_parquet(file)
            raw = {c: df[c] for c in df}, df.index
    else:
        raw = _read_csv_arrow(file)
        if raw is None:
            _refuse_nul(file)  # pandas' C parser would silently cut a cell at a NUL byte
            df = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
            raw = {c: df[c] for c in df}, df.index
    return raw


def read_table(name: str, file: Path) -> pd.DataFrame:
    """Read one canonical table from CSV or Parquet and give columns their canonical dtypes.

    Typed Parquet columns are checked and kept; text (CSV, or text in Parquet) is parsed a
    column at a time in bulk. A column that either cannot handle goes through
    :func:`_parse_column`, which names the file, column, rows and values of any bad cell.
    """
    spec = TABLES[name]
    try:
        raw, index = _read_cells(name, file)
    except OSError as e:
        raise DataError(f"{file}: cannot be read ({e.strerror or e}).") from None
    except Exception as e:  # pyarrow's and pandas' parser errors: a damaged file
        if isinstance(e, DataError):
            raise
        raise DataError(
            f"{file}: is damaged or not a {file.suffix[1:].upper()} file ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}). Write it again or replace it."
        ) from None
    missing = [c for c in spec.column_names if c not in raw]
    if missing:
        raise DataError(
            f"{file}: table {name!r} lacks column(s) {missing}. It has {list(raw)}. "
            "Rename the columns or describe them in a mapping file."
        )
    out = {}
    for col in spec.columns:
        cells = raw.pop(col.name)  # let each column's text go once converted
        if col.dtype == "string":
            _refuse_control_characters(cells, col, file)
        fast = _typed(cells, col) if isinstance(cells, pd.Series) else _from_text(cells, col)
        out[col.name] = fast if fast is not None else _parse_column(_as_read(cells), col, file)
    for c, cells in raw.items():  # extra columns, as read
        out[c] = _as_read(cells)
    return pd.DataFrame({k: v.array for k, v in out.items()}, index=index, copy=False)


# Tabs, line feeds and carriage returns are text; every other control character is damage.
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _refuse_control_characters(cells, col: Col, file: Path) -> None:
    """A text cell holding a NUL or another control character is damage, never cut."""
    if isinstance(cells, pd.Series):
        bad = cells.astype("string").str.contains(_CONTROL, regex=True).fillna(False)
        bad = bad.to_numpy(dtype=bool)
    else:
        import pyarrow.compute as pc

        hit = pc.match_substring_regex(cells, _CONTROL)
        if not pc.any(hit).as_py():
            return
        bad = hit.to_numpy(zero_copy_only=False)
        bad = np.asarray(pd.array(bad, dtype="boolean").fillna(False), dtype=bool)
    if bad.any():
        raise DataError(
            f"{file}: column {col.name!r} holds control characters (such as NUL) in "
            f"{int(bad.sum())} row(s) (file rows {_bad_rows(pd.Series(bad))}). The file is "
            "damaged: export it again, or remove those characters."
        )


def _refuse_nul(file: Path) -> None:
    data = file.read_bytes()
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DataError(
            f"{file}: holds a NUL byte (first on line {line}). The file is damaged: export "
            "it again, or remove that byte."
        )


def _as_read(cells) -> pd.Series:
    """A column as the general path reads it: text as read_csv leaves it, typed values as
    objects (a CSV column read by pandas is already text)."""
    if not isinstance(cells, pd.Series):
        return _text_series(cells)
    return cells if cells.dtype == object else cells.astype(object)


def _find_table_file(folder: Path, name: str) -> Path | None:
    found = [folder / f"{name}{ext}" for ext in (".parquet", ".csv")]
    found = [f for f in found if f.exists() or f.is_symlink()]  # a broken link is named too
    if len(found) > 1:
        raise DataError(
            f"{folder}: holds both {found[0].name} and {found[1].name}; they may come from "
            "different runs. Keep the one you mean and delete the other."
        )
    if found and not found[0].is_file():
        raise DataError(
            f"{found[0]}: is not a readable file (a folder, a broken link or a link loop); a "
            "table must be a .csv or .parquet file."
        )
    return found[0] if found else None


def read_folder(folder: str | os.PathLike, *, validate_data: bool = True) -> Dataset:
    """Read a folder of canonical tables with its ``dataset.yaml`` into a :class:`Dataset`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            f"{folder}: no such folder. Generate the demo with "
            "`csworkbook generate --out datasets/demo` or give the folder of your tables."
        )
    meta_file = folder / META_FILE
    if not meta_file.exists():
        raise DataError(
            f"{meta_file}: missing. Create it with one line such as `as_of: 2025-12-31` "
            "(the date your export was taken)."
        )
    meta = _read_meta(meta_file)
    tables = {}
    for name in TABLES:
        f = _find_table_file(folder, name)
        if f is not None:
            tables[name] = read_table(name, f)
    missing = [n for n, t in TABLES.items() if t.required and n not in tables]
    if missing:
        raise DataError(
            f"{folder}: required table(s) {missing} not found; expected files such as "
            f"{missing[0]}.csv. Files present: {sorted(p.name for p in folder.iterdir())}."
        )
    if validate_data:
        report = validate(tables)
        if not report.ok:
            raise DataError(f"{folder}: {report}", report)
    as_of = meta.pop("as_of")
    return Dataset(tables=tables, as_of=as_of, meta=meta)


def _read_meta(meta_file: Path) -> dict:
    """``dataset.yaml`` as a dict with a parsed ``as_of``, or a DataError saying what to fix."""
    try:
        text = meta_file.read_text(encoding="utf-8")
        meta = yaml.safe_load(text)
    except OSError as e:
        raise DataError(f"{meta_file}: cannot be read ({e.strerror}).") from None
    except UnicodeDecodeError:
        raise DataError(f"{meta_file}: is not UTF-8 text; save it as UTF-8.") from None
    except ValueError as e:  # YAML reads 2025-13-45 as a date and fails on it
        raise DataError(
            f"{meta_file}: holds a date that does not exist ({e}); write as_of as YYYY-MM-DD."
        ) from None
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise DataError(
            f"{meta_file}: is not valid YAML{line}. It needs at least one line such as "
            "`as_of: 2025-12-31`."
        ) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DataError(f"{meta_file}: should hold `key: value` lines such as `as_of: 2025-12-31`.")
    if "as_of" not in meta:
        raise DataError(f"{meta_file}: has no `as_of:` line; add the date the data was taken.")
    try:
        meta["as_of"] = pd.Timestamp(str(meta["as_of"])).normalize()
    except (ValueError, TypeError):
        raise DataError(
            f"{meta_file}: as_of {meta['as_of']!r} is not a date; write it as YYYY-MM-DD."
        ) from None
    if pd.isna(meta["as_of"]):
        raise DataError(f"{meta_file}: as_of is empty; write the date as YYYY-MM-DD.")
    return meta


def _format_for_csv(df: pd.DataFrame, name: str) -> pd.DataFrame:
    out = df.copy()
    for col in TABLES[name].columns:
        s = out[col.name]
        if col.dtype == "date":
            out[col.name] = s.dt.strftime("%Y-%m-%d")
        elif col.dtype == "datetime":
            out[col.name] = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif col.dtype == "bool":
            out[col.name] = s.map({True: "true", False: "false"})
    return out


def dataset_files() -> set[str]:
    """Names a dataset folder may hold: what :func:`write_dataset` writes."""
    tables = {f"{n}{ext}" for n in TABLES for ext in (".csv", ".parquet")}
    return tables | {META_FILE, "DATA_DICTIONARY.md", "events"}


def write_dataset(ds: Dataset, path: str | os.PathLike, *, fmt: str = "csv") -> Path:
    """Write a Dataset as one file per table plus ``dataset.yaml``; same data, same bytes.

    The folder is written whole or not at all: files go to a temporary folder beside it that
    replaces it when complete, so a killed run leaves the previous dataset intact, and a
    second writer to the same folder is refused while the first runs. A folder holding
    anything but dataset files is refused rather than replaced.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    with replaced_folder(path, allowed=dataset_files()) as folder:
        for name in TABLES:
            if name not in ds.tables:
                continue
            df = ds.tables[name][TABLES[name].column_names]
            if fmt == "csv":
                _format_for_csv(df, name).to_csv(
                    folder / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8"
                )
            else:
                df.to_parquet(folder / f"{name}.parquet", index=False)
        # Spreadsheet users open the folder, not README: the dictionary travels with the data.
        (folder / "DATA_DICTIONARY.md").write_text(
            "# Data dictionary\n\n" + data_dictionary_markdown(), encoding="utf-8"
        )
        meta = {"as_of": ds.as_of.strftime("%Y-%m-%d"), **ds.meta}
        (folder / META_FILE).write_text(
            yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    return Path(path)
