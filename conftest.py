"""pytest configuration shared by unit tests and notebook validation (nbval).

Notebook outputs are compared on their ``text/plain`` form only: pandas' HTML tables carry
the same numbers and would double every diff, so they are left out of the comparison.
"""

import nbval.plugin

_init = nbval.plugin.IPyNbFile.__init__


def _compare_plain_text_only(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.skip_compare = (*self.skip_compare, "text/html")


nbval.plugin.IPyNbFile.__init__ = _compare_plain_text_only
