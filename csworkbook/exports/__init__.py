"""Real exports (CRM, billing, product events) into canonical tables through a mapping file.

- :mod:`~csworkbook.exports.read`: read CSV / TSV / Excel / Parquet as text, with each row's
  source line, control characters, clashing headers and footers found and said
- :mod:`~csworkbook.exports.text`: encodings and delimiters of text exports, records and lines
- :mod:`~csworkbook.exports.sheets`: Excel (hidden sheets and rows) and Parquet (typed, nested)
- :mod:`~csworkbook.exports.numbers`: numbers under a decimal convention, currencies, limits
- :mod:`~csworkbook.exports.parse`: booleans, dates and times (time zones, partial dates)
- :mod:`~csworkbook.exports.mapfile`: mapping files read as data, with lines; includes
- :mod:`~csworkbook.exports.spec`, :mod:`~csworkbook.exports.checks`: the whole mapping
  checked before any row is read
- :mod:`~csworkbook.exports.rulecheck`: one column's rule checked (tenures, lookups, blanks)
- :mod:`~csworkbook.exports.mapping`: the mapping language (YAML) applied to one table
- :mod:`~csworkbook.exports.sources`: where a column's cells come from (the export, a constant,
  ``as_of`` minus a tenure, another file), blank spellings and value maps
- :mod:`~csworkbook.exports.shapes`: churn events and subscriptions replaced by the next one
- :mod:`~csworkbook.exports.derive`: tables computed from others (MRR months, weekly usage)
- :mod:`~csworkbook.exports.load`: every table of a mapping, with a row-by-row :class:`LoadReport`
- :mod:`~csworkbook.exports.guess`, :mod:`~csworkbook.exports.draft`: a first mapping drafted
  from an export's headers and contents, for one file or a folder
- :mod:`~csworkbook.exports.privacy`: stable pseudonyms for names, people and e-mails

Most users call ``csworkbook.load(export, mapping="my_mapping.yaml")`` instead.
"""

from .load import LoadReport, load_export

__all__ = ["LoadReport", "load_export"]
