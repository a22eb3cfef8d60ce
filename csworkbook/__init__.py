"""csworkbook: customer-success analytics, taught in notebooks and reusable on your own data.

>>> import csworkbook
>>> ds = csworkbook.load("datasets/demo")  # doctest: +SKIP
"""

from __future__ import annotations

from .data import DataError, load, write_dataset
from .dataset import Dataset

__version__ = "0.1.0"
__all__ = ["Dataset", "DataError", "load", "write_dataset", "__version__"]
