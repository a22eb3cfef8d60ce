"""The one way in: ``csworkbook.load`` a dataset folder, or real exports through a mapping.

Exports are imported only when a mapping is given, so loading a folder stays light.
"""

from __future__ import annotations

import os

from .data.dataset import Dataset
from .data.folder import read_folder


def load(
    path: str | os.PathLike,
    *,
    mapping=None,
    mode: str = "strict",
    as_of=None,
    pseudonymize: bool | str = False,
    validate_data: bool = True,
) -> Dataset:
    """Load a folder of canonical tables, or real exports through a mapping file.

    Parameters
    ----------
    path : path-like
        Folder with one ``<table>.csv`` or ``<table>.parquet`` per table and a
        ``dataset.yaml`` holding at least ``as_of``; with ``mapping``, the export file or
        the folder of exports the mapping names.
    mapping : path-like, optional
        A mapping file (see :mod:`csworkbook.exports.mapping`) for exports in their own layout.
    mode : {"strict", "lenient"}
        With ``mapping``: stop at the first unusable row (with the full report), or keep
        the good rows. ``dataset.load_report`` accounts for every row either way.
    as_of : date-like, optional
        With ``mapping``: the date the export was taken, overriding the mapping's.
    pseudonymize : bool or str
        Replace company names, person ids and e-mail addresses with stable pseudonyms
        (:mod:`csworkbook.exports.privacy`); a string is the secret key that keeps them unguessable.
    validate_data : bool, default True
        Check every table against the data contract and raise :class:`DataError`
        with the full report if anything is wrong.

    Examples
    --------
    >>> import csworkbook
    >>> ds = csworkbook.load("datasets/demo")  # doctest: +SKIP
    >>> ds.capabilities()                       # doctest: +SKIP
    """
    if mapping is not None:
        from .exports.load import load_export

        ds = load_export(mapping, path, mode=mode, as_of=as_of)
    else:
        ds = read_folder(path, validate_data=validate_data)
    if pseudonymize:
        from .exports.privacy import pseudonymize as _pseudonymize

        ds = _pseudonymize(ds, key=pseudonymize if isinstance(pseudonymize, str) else None)
    return ds
