"""How a customer-success organisation runs, measured: the principles' own analyses.

Modules are imported on use (``from csworkbook.operations import fit``):

- :mod:`~csworkbook.operations.fit`: ICP fit at signing and what wrong-fit customers cost (01)
- :mod:`~csworkbook.operations.outcomes`: experience and outcome as two axes, the success gap (03)
- :mod:`~csworkbook.operations.coverage`: touch models, CSM capacity and coverage (05)
- :mod:`~csworkbook.operations.feedback`: customer feedback weighted by ARR, the roadmap by ARR at
  risk, the loop closed (06)
- :mod:`~csworkbook.operations.onboarding`: milestones and time to value (07)
- :mod:`~csworkbook.operations.maturity`: maturity self-assessment, the team's own KPIs, GRR / NRR
  per CSM with intervals (09)
- :mod:`~csworkbook.operations.company`: one dataset for sales, marketing, support, executives (10)
"""
