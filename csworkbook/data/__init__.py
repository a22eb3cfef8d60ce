"""The data contract and the canonical dataset folder.

- :mod:`~csworkbook.data.schema`: the canonical tables, their columns and checks (the contract)
- :mod:`~csworkbook.data.dataset`: :class:`Dataset`, one DataFrame per table plus ``as_of``
- :mod:`~csworkbook.data.folder`: read and write a folder of canonical tables
- :mod:`~csworkbook.data.validate`: check tables against the contract, with a report
- :mod:`~csworkbook.data.errors`: :class:`DataError`, the one error bad data raises
"""

from .dataset import Dataset
from .errors import DataError
from .folder import read_folder, write_dataset

__all__ = ["Dataset", "DataError", "read_folder", "write_dataset"]
