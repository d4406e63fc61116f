"""Validate Polars frames with Great Expectations suites and keep what a person needs from
the result: which expectations failed, how many rows, and a few of the bad values.

GX (1.24) has no Polars engine and its SQL engine fails on DuckDB (stack-notes.md section 2),
so frames go to its pandas engine through Arrow. What GX costs on large frames, measured on a
1M-row follower list: it fingerprints every batch with `pandas.util.hash_pandas_object`
(about 0.5-1 s per column of distinct strings; no batch parameter turns it off) and runs
row-wise Python where a rule is not vectorized in pandas (a regex with `\\s` falls back to
Python's `re`: 1.3 s). The suites of `quality.suites` therefore hand GX only cheap columns:
per-row facts computed once in Polars. GX is imported here, lazily: it takes seconds.

Validation runs in an ephemeral GX context, which writes nothing: GX's file store is one
folder of configuration and results that two load processes at once would both rewrite.
Each report carries GX's own result as JSON (`ValidationReport.result`); the Dagster layer
keeps those as files, and `quality.data_docs` renders the Data Docs from them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

# The fact column naming the required columns a file lacks (quality.suites).
MISSING_REQUIRED = "missing_required_columns"
DATASOURCE = "polars_frames"
# One data source and data asset for every suite.
DATA_ASSET = "frames"
SAMPLE_SIZE = 5
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}


@dataclass(frozen=True)
class Rule:
    """One expectation as plain data: a batch is made, and sent to the process that runs GX
    (`quality.worker`), without importing GX; `validate_batch` builds GX's expectation."""

    expectation: str  # a class of great_expectations.expectations
    column: str
    description: str
    max_value: float | None = None
    value_set: list[str] | None = None
    # (column, value): the only rows it judges, those of one file of a stacked batch.
    only: tuple[str, int] | None = None
    # The file or snapshot of a stacked batch it is about, named in its outcome.
    observation: str | None = None

    def to_gx(self):
        import great_expectations.expectations as gxe

        options: dict[str, Any] = {"column": self.column, "description": self.description}
        if self.max_value is not None:
            options["max_value"] = self.max_value
        if self.value_set is not None:
            options["value_set"] = self.value_set
        if self.only is not None:
            from great_expectations.expectations.row_conditions import Column

            options["row_condition"] = Column(self.only[0]) == self.only[1]
        if self.observation is not None:
            options["meta"] = {"observation": self.observation}
        return getattr(gxe, self.expectation)(**options)


@dataclass(frozen=True)
class Batch:
    """One frame and the suite it must meet."""

    suite: str
    frame: pl.DataFrame
    expectations: list[Rule]
    # Values of the expectations' `{"$PARAMETER": name}` bounds: a suite whose bounds move
    # with the snapshot stays one stored suite.
    parameters: dict[str, Any] = field(default_factory=dict)
    # The rows validated, when the frame holds more (one row of facts per file, say).
    rows: int | None = None


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
    # The bound as validated (a suite parameter resolved), for expectations with one.
    max_value: Any = None
    # For the required-columns expectation: the required columns the frame lacks.
    missing_columns: list[str] = field(default_factory=list)
    # The file or snapshot of a stacked batch the expectation is about (quality.suites).
    observation: str | None = None

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
            "max_value": _plain(self.max_value),
            "missing_columns": self.missing_columns,
            "observation": self.observation,
        }


@dataclass(frozen=True)
class ValidationReport:
    suite: str
    rows: int
    outcomes: list[ExpectationOutcome]
    # The Data Docs page of the result, and the site's index listing every result: set once
    # the result is kept as a file (`quality.data_docs.keep_result`), None until then.
    data_docs: Path | None = None
    data_docs_index: Path | None = None
    # GX's own result, as JSON: what Data Docs are rendered from.
    result: dict | None = None

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def of(self, observation: str) -> ValidationReport:
        """The outcomes about one file or snapshot of a stacked batch; all of them when the
        batch was judged as a whole (its outcomes name no file)."""
        if all(o.observation is None for o in self.outcomes):
            return self
        outcomes = [o for o in self.outcomes if o.observation == observation]
        return ValidationReport(self.suite, self.rows, outcomes)

    def summary(self) -> str:
        """One line naming each failed expectation, for run logs and the CLI."""
        if self.success:
            return f"{self.suite}: {len(self.outcomes)} expectations met on {self.rows} rows"
        parts = []
        for o in self.failures:
            if o.missing_columns:
                found = f"missing {', '.join(o.missing_columns)}"
            elif o.column and o.column.endswith("_share") and o.sample:
                # A file's own share, one value per file.
                found = "observed " + ", ".join(f"{float(s):.0%}" for s in o.sample)
                parts.append(
                    f"{o.observation + ': ' if o.observation else ''}{o.description}: {found}"
                )
                continue
            elif o.unexpected_count is not None:
                # No share: a stacked batch's frame also holds one row of facts per file.
                n = o.unexpected_count
                found = f"{n} row{'' if n == 1 else 's'}"
            else:
                found = f"observed {_plain(o.observed_value)}"
            if o.max_value is not None:
                found += f" (at most {_plain(o.max_value)})"
            sample = f", e.g. {', '.join(o.sample[:3])}" if o.sample else ""
            where = f"{o.observation}: " if o.observation else ""
            parts.append(f"{where}{o.description}: {o.error or found}{sample}")
        return f"{self.suite} failed on {self.rows} rows: " + "; ".join(parts)

    def markdown(self) -> str:
        lines = [
            "| file or snapshot | expectation | column | met | unexpected | observed "
            "| sample of bad values |",
            "|---|---|---|---|---|---|---|",
        ]
        for o in self.outcomes:
            unexpected = "" if o.unexpected_count is None else str(o.unexpected_count)
            observed = "" if o.observed_value is None else str(_plain(o.observed_value))
            sample = ", ".join(f"`{v}`" for v in o.sample or o.missing_columns)
            met = "yes" if o.success else f"**no**{' (' + o.error + ')' if o.error else ''}"
            lines.append(
                f"| {o.observation or ''} | {o.description} | {o.column or ''} | {met} "
                f"| {unexpected} | {observed} | {sample} |"
            )
        return "\n".join(lines)


def validate_batch(batch: Batch, *, run_name: str) -> ValidationReport:
    """Validate the batch with its suite, in memory: nothing is written. ``run_name`` names
    the validation in its result (and so in the Data Docs)."""
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context()
    run_id = RunIdentifier(run_name=run_name)
    definition = _validation_definition(context, batch.suite, batch.expectations)
    result = definition.run(
        batch_parameters={"dataframe": batch.frame.to_pandas()},
        expectation_parameters=batch.parameters or None,
        result_format=RESULT_FORMAT,
        run_id=run_id,
    )
    return ValidationReport(
        suite=batch.suite,
        rows=batch.frame.height if batch.rows is None else batch.rows,
        outcomes=[_outcome(r) for r in result.results],
        result=result.to_json_dict(),
    )


# One GX context per process: a Dagster run validates several frames.
_CONTEXT: list[Any] = []


def _context():
    if _CONTEXT:
        return _CONTEXT[0]
    # Users' data stays local: GX would otherwise try to send usage analytics.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    _CONTEXT.append(context)
    return context


# Per context and suite name: the expectations stored last, and their validation definition.
# The suites change only when a frame's shape does.
_DEFINITIONS: dict[tuple[int, str], tuple[str, Any]] = {}


def _validation_definition(context, name: str, rules: list[Rule]):
    """The suite ``name`` holding exactly ``rules``, bound to a whole-dataframe batch."""
    import great_expectations as gx

    stored = json.dumps([dataclasses.asdict(rule) for rule in rules], sort_keys=True)
    cached = _DEFINITIONS.get((id(context), name))
    if cached is not None and cached[0] == stored:
        return cached[1]

    expectations = [rule.to_gx() for rule in rules]
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
    try:
        source = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        source = context.data_sources.add_pandas(DATASOURCE)
    try:
        asset = source.get_asset(DATA_ASSET)
    except LookupError:
        asset = source.add_dataframe_asset(DATA_ASSET)
    try:
        batch = asset.get_batch_definition("whole_frame")
    except KeyError:
        batch = asset.add_batch_definition_whole_dataframe("whole_frame")
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    _DEFINITIONS[(id(context), name)] = (stored, definition)
    return definition


def _outcome(result) -> ExpectationOutcome:
    config = result.expectation_config
    details = result.result or {}
    observed = details.get("observed_value")
    sample = [_text(v) for v in details.get("partial_unexpected_list", [])[:SAMPLE_SIZE]]
    missing = []
    if config.kwargs.get("column") == MISSING_REQUIRED and sample:
        # One value for every row of the file: the required columns it lacks.
        missing = sample[0].split(", ")
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
        observed_value=observed,
        sample=[] if missing else sample,
        error=error,
        max_value=config.kwargs.get("max_value"),
        missing_columns=list(missing),
        observation=(config.meta or {}).get("observation"),
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
