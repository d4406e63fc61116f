"""Validate a Polars frame with a Great Expectations suite and keep what a person needs from
the result: which expectations failed, how many rows, and a few of the bad values.

GX (1.24) has no Polars engine and its SQL engine fails on DuckDB (stack-notes.md section 2),
so frames go to its pandas engine through Arrow. pandas 3 keeps strings in the Arrow buffers
(no copy); dates and numbers become NumPy columns, a cheap copy that halves GX's own cost: it
fingerprints every batch (`hash_pandas_object`), and hashes Arrow-typed columns element by
element (2.4 s against 1.3 s for a 1M-row follower list, measured here). GX is imported here,
lazily: it takes seconds to import.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

DATASOURCE = "polars_frames"
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    description: str
    column: str | None
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    sample: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation,
            "description": self.description,
            "column": self.column,
            "success": self.success,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "observed_value": _plain(self.observed_value),
            "sample_unexpected": self.sample,
            "error": self.error,
        }


@dataclass(frozen=True)
class ValidationReport:
    suite: str
    rows: int
    outcomes: list[ExpectationOutcome]
    data_docs: Path | None = None

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def summary(self) -> str:
        """One line naming each failed expectation, for run logs and the CLI."""
        if self.success:
            return f"{self.suite}: {len(self.outcomes)} expectations met on {self.rows} rows"
        parts = []
        for o in self.failures:
            found = (
                f"{o.unexpected_count} rows ({o.unexpected_percent:.1f}%)"
                if o.unexpected_count is not None and o.unexpected_percent is not None
                else f"observed {_plain(o.observed_value)}"
            )
            sample = f", e.g. {', '.join(o.sample[:3])}" if o.sample else ""
            parts.append(f"{o.description}: {o.error or found}{sample}")
        return f"{self.suite} failed on {self.rows} rows: " + "; ".join(parts)

    def markdown(self) -> str:
        lines = [
            "| expectation | column | met | unexpected | observed | sample of bad values |",
            "|---|---|---|---|---|---|",
        ]
        for o in self.outcomes:
            unexpected = "" if o.unexpected_count is None else str(o.unexpected_count)
            observed = "" if o.observed_value is None else str(_plain(o.observed_value))
            sample = ", ".join(f"`{v}`" for v in o.sample)
            met = "yes" if o.success else f"**no**{' (' + o.error + ')' if o.error else ''}"
            lines.append(
                f"| {o.description} | {o.column or ''} | {met} | {unexpected} | {observed} "
                f"| {sample} |"
            )
        return "\n".join(lines)


def validate_frame(
    frame: pl.DataFrame,
    suite_name: str,
    expectations: list,
    *,
    run_name: str,
    project_root: Path | None = None,
) -> ValidationReport:
    """Run ``expectations`` on ``frame``. With ``project_root``, results are kept in a GX
    file context at ``<project_root>/gx`` and its Data Docs are rebuilt there; without it,
    nothing is written."""
    # Users' data stays local: GX would otherwise try to send usage analytics.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if project_root is None:
        context = gx.get_context(mode="ephemeral")
    else:
        context = gx.get_context(mode="file", project_root_dir=str(project_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = _batch_definition(context, suite_name)
    suite = context.suites.add_or_update(
        gx.ExpectationSuite(name=suite_name, expectations=expectations)
    )
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite_name,
            validation_definitions=[definition],
            actions=[UpdateDataDocsAction(name="data_docs")] if project_root else [],
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
        )
    )
    result = checkpoint.run(
        batch_parameters={"dataframe": frame.to_pandas()},
        run_id=RunIdentifier(run_name=run_name),
    )
    (validation,) = result.run_results.values()
    docs = None
    if project_root is not None:
        docs = project_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return ValidationReport(
        suite=suite_name,
        rows=frame.height,
        outcomes=[_outcome(r) for r in validation.results],
        data_docs=docs,
    )


def _batch_definition(context, name: str):
    try:
        source = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        source = context.data_sources.add_pandas(DATASOURCE)
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("whole_frame")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole_frame")


def _outcome(result) -> ExpectationOutcome:
    config = result.expectation_config
    details = result.result or {}
    error = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = str(result.exception_info.get("exception_message", "")).splitlines()[0][:200]
    return ExpectationOutcome(
        expectation=config.type,
        description=config.description or config.type,
        column=config.kwargs.get("column"),
        success=bool(result.success) and error is None,
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        observed_value=details.get("observed_value"),
        sample=[_text(v) for v in details.get("partial_unexpected_list", [])[:SAMPLE_SIZE]],
        error=error,
    )


def _text(value: Any) -> str:
    import pandas as pd

    if value is None or pd.isna(value):
        return "(empty)"
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()  # a date column, held as datetime64 by pandas
    return str(value)


def _plain(value: Any) -> Any:
    """JSON-friendly: dates as ISO strings, floats rounded."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
