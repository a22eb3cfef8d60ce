"""Raw product events at any size: usage features on DuckDB (default), pandas or Spark.

>>> from csworkbook.events import usage_features, ENGINES
>>> ENGINES
('duckdb', 'pandas', 'spark')
"""

from .features import (
    ENGINES,
    duckdb_connection,
    feature_sql,
    read_events,
    recorded_key_events,
    spark_session,
    usage_features,
)

__all__ = [
    "ENGINES",
    "duckdb_connection",
    "feature_sql",
    "read_events",
    "recorded_key_events",
    "spark_session",
    "usage_features",
]
