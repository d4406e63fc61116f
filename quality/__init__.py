"""Data-quality rules of the warehouse, free of Dagster: Great Expectations suites for the raw
and core layers, the runner that validates Polars frames with them, and the partial-export
gate. `pipelines/checks.py` turns them into Dagster asset checks."""
