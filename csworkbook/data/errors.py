"""The one exception bad input raises: it names the file, column, rows and the fix."""

from __future__ import annotations


class DataError(ValueError):
    """Input data cannot be used as it is; the message says where and what to do.

    ``report`` holds the full :class:`~csworkbook.data.validate.ValidationReport` when there is one.
    """

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report
