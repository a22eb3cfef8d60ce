"""Which customers a report is about: all, one segment, one CSM's book, or both."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import DataError, Dataset
from .glossary import check_lang, term


@dataclass(frozen=True)
class Scope:
    """The dataset restricted to the report's customers, and how to name that scope.

    ``empty`` is true when no customer matches (a segment with nobody in it this month): the
    report then says so in one line and shows nothing else, rather than failing.
    """

    data: Dataset
    segment: str = ""
    csm: str = ""

    @property
    def empty(self) -> bool:
        return len(self.data.accounts) == 0

    def title(self, lang: str = "en") -> str:
        """ "SMB · CSM u042" / "中小企業（SMB）· 担当CSM u042"; "all customers" when unfiltered."""
        check_lang(lang)
        parts = []
        if self.segment:
            parts.append(term(self.segment, lang))
        if self.csm:
            parts.append(f"{term('csm_id', lang)} {self.csm}")
        if not parts:
            return "全顧客" if lang == "ja" else "all customers"
        return " · ".join(parts)


def select(ds: Dataset, *, segment: str = "", csm: str = "") -> Scope:
    """Restrict ``ds`` to one segment and/or one CSM's customers (every table, so counts are
    the scope's own). A value the data never holds is an error naming the values it does
    hold; a known value with no customers gives an empty scope.

    Examples
    --------
    >>> import pandas as pd
    >>> ds = Dataset({"accounts": pd.DataFrame({"account_id": ["a", "b"],
    ...                                         "segment": ["smb", "enterprise"],
    ...                                         "csm_id": ["u1", None]})}, as_of="2025-12-31")
    >>> s = select(ds, segment="smb")
    >>> len(s.data.accounts), s.title(), s.title("ja")
    (1, 'SMB', '中小企業（SMB）')
    >>> select(ds, segment="smb", csm="u9")
    Traceback (most recent call last):
    ...
    csworkbook.data.errors.DataError: csm='u9': no customer has this CSM; the CSMs in the data are u1
    """
    acc = ds.accounts
    keep = np.ones(len(acc), dtype=bool)
    for column, value, what in (("segment", segment, "segment"), ("csm_id", csm, "CSM")):
        if not value:
            continue
        known = sorted(acc[column].dropna().astype(str).unique()) if column in acc else []
        if value not in known:
            name = "csm" if column == "csm_id" else column
            raise DataError(
                f"{name}={value!r}: no customer has this {what}; the {what}s in the data are "
                f"{', '.join(known) or 'none'}"
            )
        keep &= (acc[column].astype("string") == value).fillna(False).to_numpy()
    if segment or csm:
        ds = ds.for_accounts(acc.account_id[keep])
    return Scope(ds, segment, csm)
