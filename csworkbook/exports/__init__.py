"""Real exports (CRM, billing, product events) into canonical tables through a mapping file.

- :mod:`~csworkbook.exports.read`: read CSV / TSV / Excel / Parquet as text (encoding, delimiter)
- :mod:`~csworkbook.exports.parse`: numbers, booleans and dates as exports spell them
- :mod:`~csworkbook.exports.mapping`: the mapping language (YAML) applied to one table
- :mod:`~csworkbook.exports.derive`: tables computed from others (MRR months, weekly usage)
- :mod:`~csworkbook.exports.load`: every table of a mapping, with a row-by-row :class:`LoadReport`
- :mod:`~csworkbook.exports.draft`: a first mapping drafted from an export's headers
- :mod:`~csworkbook.exports.privacy`: stable pseudonyms for names, people and e-mails

Most users call ``csworkbook.load(export, mapping="my_mapping.yaml")`` instead.
"""

from .load import LoadReport, load_export

__all__ = ["LoadReport", "load_export"]
