"""One dynamic partition per snapshot: ``<account>:<YYYY-MM-DD>``, registered as items arrive."""

import dagster as dg

snapshots = dg.DynamicPartitionsDefinition(name="snapshots")
