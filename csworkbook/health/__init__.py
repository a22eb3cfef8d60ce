"""Health scores: design (scorecard), context (profiles), monitoring and validation."""

from .scorecard import Group, Measure, Scorecard
from .signals import health_frame, scoring_dates

__all__ = ["Group", "Measure", "Scorecard", "health_frame", "scoring_dates"]
