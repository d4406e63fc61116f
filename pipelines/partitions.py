"""One dynamic partition per account (an inbox folder), registered as its items arrive."""

import dagster as dg

accounts = dg.DynamicPartitionsDefinition(name="accounts")
