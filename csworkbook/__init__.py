"""csworkbook: customer-success analytics, taught in notebooks and reusable on your own data.

The package follows the data flow: :mod:`csworkbook.data` (the contract and dataset folders),
:mod:`csworkbook.exports` (real exports through a mapping), :mod:`csworkbook.synth` (the
synthetic company), :mod:`csworkbook.retention` and :mod:`csworkbook.health` (analyses),
:mod:`csworkbook.viz` (plots), :mod:`csworkbook.reports` and :mod:`csworkbook.cli`.

>>> import csworkbook
>>> ds = csworkbook.load("datasets/demo")  # doctest: +SKIP
>>> ds.capabilities()                       # doctest: +SKIP
"""

from __future__ import annotations

import importlib

from .data import DataError, Dataset, write_dataset
from .loading import load

__version__ = "0.1.0"
__all__ = ["Dataset", "DataError", "load", "write_dataset", "__version__"]

_SUBPACKAGES = {
    "data",
    "exports",
    "synth",
    "retention",
    "health",
    "value",
    "operations",
    "exercises",
    "viz",
    "reports",
    "cli",
}


def __getattr__(name: str):
    # Subpackages load on first use, so `import csworkbook` pulls in pandas and pandera only.
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
