"""Stable pseudonyms, so an analysis of real customers can be shared.

Company names, person identifiers (user and CSM ids, which real exports often hold as
e-mail addresses) and e-mail addresses inside free text are replaced by keyed hashes: the
same input gives the same pseudonym in every table and every run with the same key, so
joins and trends survive. This is pseudonymisation, not anonymisation: amounts, dates and
free-text comments can still identify a customer; read them before sharing.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd

from ..data.dataset import Dataset

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# column -> pseudonym prefix; every table that has the column is rewritten the same way
COLUMNS = {"name": "Customer", "user_id": "user", "csm_id": "csm"}
DEFAULT_KEY = "csworkbook"


def pseudonym(value: str, prefix: str, key: str = DEFAULT_KEY) -> str:
    """``prefix-`` and 10 hex digits of HMAC-SHA256(key, value).

    Examples
    --------
    >>> pseudonym("Aozora KK", "Customer") == pseudonym("Aozora KK", "Customer")
    True
    >>> pseudonym("Aozora KK", "Customer")[:9]
    'Customer-'
    """
    digest = hmac.new(key.encode(), str(value).encode(), hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:10]}"


def _series(s: pd.Series, prefix: str, key: str) -> pd.Series:
    uniques = s.dropna().unique()
    lookup = {v: pseudonym(v, prefix, key) for v in uniques}
    return s.map(lookup).astype(s.dtype)


def pseudonymize(ds: Dataset, *, key: str | None = None) -> Dataset:
    """A copy of ``ds`` with names, person ids and e-mail addresses replaced.

    Parameters
    ----------
    ds : Dataset
    key : str, optional
        Secret that makes the pseudonyms impossible to reverse by hashing guesses (a list
        of e-mail addresses, say). Keep it private and reuse it to keep pseudonyms stable
        between exports. Without it a fixed public key is used: stable, but guessable.
    """
    key = key or DEFAULT_KEY
    tables = {}
    for name, df in ds.tables.items():
        df = df.copy()
        for column, prefix in COLUMNS.items():
            if column in df and not (name != "accounts" and column == "name"):
                df[column] = _series(df[column], prefix, key)
        if "comment" in df:
            df["comment"] = df["comment"].str.replace(
                EMAIL,
                lambda m: pseudonym(m.group(0), "email", key) + "@example.invalid",
                regex=True,
            )
        tables[name] = df
    meta = {**ds.meta, "pseudonymized": True}
    out = Dataset(tables=tables, as_of=ds.as_of, meta=meta)
    if hasattr(ds, "load_report"):
        out.load_report = ds.load_report
    return out
