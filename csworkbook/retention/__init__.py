"""Churn and retention: how many customers and how much revenue stay, and who may leave.

- :mod:`~csworkbook.retention.metrics`: churn per unit, GRR / NRR, MRR movements, rate conversion
- :mod:`~csworkbook.retention.cohorts`: cohort matrices and rates with intervals
- :mod:`~csworkbook.retention.survival`: lifetimes, Kaplan–Meier, log-rank, RMST
- :mod:`~csworkbook.retention.observations`: leakage-safe observation dates and labels
- :mod:`~csworkbook.retention.windows`: aggregates over a window of days before each date
- :mod:`~csworkbook.retention.features`: windowed behaviour signals at a date
- :mod:`~csworkbook.retention.models`: churn models with a time split, lift, calibration, drivers
- :mod:`~csworkbook.retention.warning`: usage-drop alerts and their lead times
- :mod:`~csworkbook.retention.plausibility`: figures that look impossible, with cause and fix
- :mod:`~csworkbook.retention.diagnostics`: the demo checked against published benchmarks

Modules are imported on use (``from csworkbook.retention import metrics``) so that
``import csworkbook`` stays light; models and diagnostics load scikit-learn.
"""
