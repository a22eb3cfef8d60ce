"""Lifetime value and acting on it: LTV and its levers, how long customers stay, renewals,
expansion, and what a CS play is worth.

- :mod:`~csworkbook.value.ltv`: ARPA, gross margin, churn -> LTV and LTV / CAC, formulas shown
- :mod:`~csworkbook.value.levers`: the seven levers of LTV, sensitivity and a lever simulator
- :mod:`~csworkbook.value.sbg` and :mod:`~csworkbook.value.lifetime`: the shifted-beta-geometric
  model of contractual retention (Fader & Hardie 2007) beside the naive ``1 / churn`` lifetime
- :mod:`~csworkbook.value.renewals`: the renewal desk, expected renewal ARR, the list cut to capacity
- :mod:`~csworkbook.value.expansion`: upsell and cross-sell candidates, and their backtest
- :mod:`~csworkbook.value.acting`: ARR saved by working a risk list; a randomised play's uplift
- :mod:`~csworkbook.value.plots`: tornado and retention-curve plots

Pure functions, DataFrames in and out; fitted models follow scikit-learn's conventions.

>>> import csworkbook
>>> from csworkbook.value import ltv
>>> ltv.ltv(10_000, 0.8, 0.2)
40000.0
"""

from . import acting, expansion, levers, lifetime, ltv, renewals, sbg

__all__ = ["acting", "expansion", "levers", "lifetime", "ltv", "renewals", "sbg"]
