"""The inbox's file-system side: the home folder, discovery of items, reading them safely,
the archive of kept items and the quarantine of refused ones. No Dagster, no DuckDB."""
