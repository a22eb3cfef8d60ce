"""Reports: report notebooks (``notebooks/reports/``) run with papermill and rendered to HTML
without code, in English or Japanese.

- :mod:`~csworkbook.reports.run`: execute a template on a dataset or an export, atomically
- :mod:`~csworkbook.reports.scope`: the customers a report is about (segment, CSM)
- :mod:`~csworkbook.reports.present`: money, percentages, dates and tables for readers (en / ja)
- :mod:`~csworkbook.reports.glossary`: the CS terms in English and Japanese
- :mod:`~csworkbook.reports.files`: safe file names, formula-neutral action lists

Reports are the only part of the package, with the CLI, that writes files.
"""

from .files import neutralise_formulas, safe_name, write_action_list
from .glossary import term
from .present import count, date, money, percent, readable, say, show
from .run import main, run_report
from .scope import select

__all__ = [
    "count",
    "date",
    "main",
    "money",
    "neutralise_formulas",
    "percent",
    "readable",
    "run_report",
    "safe_name",
    "say",
    "select",
    "show",
    "term",
    "write_action_list",
]
