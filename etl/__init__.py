"""The ETL program: read -> segment -> embed -> label -> load into the DuckDB warehouse."""
