"""The data layer: read and write a folder of canonical tables.

A dataset folder holds one file per table (``accounts.csv`` or ``accounts.parquet``, ...)
and a ``dataset.yaml`` with its ``as_of`` date and metadata. This is the only module
that touches files for datasets.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .dataset import Dataset
from .errors import DataError
from .schema import TABLES, Col, data_dictionary_markdown
from .validate import validate

META_FILE = "dataset.yaml"


def _bad_rows(mask: pd.Series) -> str:
    rows = [str(i + 2) for i in np.flatnonzero(mask.to_numpy())[:5]]
    return ", ".join(rows) + (", ..." if mask.sum() > 5 else "")


def _parse_column(raw: pd.Series, col: Col, file: Path) -> pd.Series:
    """Turn a column read as text into its canonical dtype, naming bad values."""
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


def read_table(name: str, file: Path) -> pd.DataFrame:
    """Read one canonical table from CSV or Parquet and give columns their canonical dtypes."""
    spec = TABLES[name]
    if file.suffix == ".parquet":
        raw = pd.read_parquet(file)
        raw = raw.astype({c: "object" for c in raw.columns})
    else:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in spec.column_names if c not in raw.columns]
    if missing:
        raise DataError(
            f"{file}: table {name!r} lacks column(s) {missing}. It has {list(raw.columns)}. "
            "Rename the columns or describe them in a mapping file."
        )
    out = pd.DataFrame(index=raw.index)
    for col in spec.columns:
        out[col.name] = _parse_column(raw[col.name], col, file)
    extra = [c for c in raw.columns if c not in spec.column_names]
    for c in extra:
        out[c] = raw[c]
    return out


def _find_table_file(folder: Path, name: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        f = folder / f"{name}{ext}"
        if f.exists():
            return f
    return None


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
    meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
    if "as_of" not in meta:
        raise DataError(f"{meta_file}: has no `as_of:` line; add the date the data was taken.")
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
    return Dataset(tables=tables, as_of=pd.Timestamp(meta.pop("as_of")), meta=meta)


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


def write_dataset(ds: Dataset, path: str | os.PathLike, *, fmt: str = "csv") -> Path:
    """Write a Dataset as one file per table plus ``dataset.yaml``; same data, same bytes."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
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
    return folder
