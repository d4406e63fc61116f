"""Validate Polars frames with Great Expectations suites and keep what a person needs from
the result: which expectations failed, how many rows, and a few of the bad values.

GX (1.24) has no Polars engine and its SQL engine fails on DuckDB (stack-notes.md section 2),
so frames go to its pandas engine through Arrow. What GX costs on large frames, measured on a
1M-row follower list: it fingerprints every batch with `pandas.util.hash_pandas_object`
(about 0.5-1 s per column of distinct strings; no batch parameter turns it off) and runs
row-wise Python where a rule is not vectorized in pandas (a regex with `\\s` falls back to
Python's `re`: 1.3 s). The suites of `quality.suites` therefore hand GX only cheap columns:
per-row facts computed once in Polars. GX is imported here, lazily: it takes seconds.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import polars as pl

DATASOURCE = "polars_frames"
# One data asset for every suite: adding an asset rewrites the context's configuration file.
DATA_ASSET = "frames"
SAMPLE_SIZE = 5
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
DATA_DOCS_INDEX = Path("gx/uncommitted/data_docs/local_site/index.html")


@dataclass(frozen=True)
class Batch:
    """One frame and the suite it must meet."""

    suite: str
    frame: pl.DataFrame
    expectations: list


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
    # The Data Docs page of the result, and the site's index listing every result.
    data_docs: Path | None = None
    data_docs_index: Path | None = None

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
    """Run ``expectations`` on ``frame``; see `validate_batches`."""
    return validate_batches(
        [Batch(suite_name, frame, expectations)], run_name=run_name, project_root=project_root
    )


def validate_batches(
    batches: list[Batch],
    *,
    run_name: str,
    project_root: Path | None = None,
    refresh_index: bool = True,
) -> ValidationReport:
    """Validate each batch with its suite, as one report named after the last suite. With
    ``project_root``, results are kept in a GX file context at ``<project_root>/gx`` and their
    Data Docs pages are rendered there (the report links the last one); without it, nothing
    is written. The site's index, which lists every stored result, is rendered again when
    ``refresh_index`` or when an expectation failed: a run's last suite refreshes it for all
    the passing ones before it."""
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context(project_root)
    run_id = RunIdentifier(run_name=run_name)
    outcomes: list[ExpectationOutcome] = []
    results = []
    for batch in batches:
        definition = _validation_definition(context, batch.suite, batch.expectations)
        result = definition.run(
            batch_parameters={"dataframe": batch.frame.to_pandas()},
            result_format=RESULT_FORMAT,
            run_id=run_id,
        )
        results.append(result)
        outcomes += [_outcome(r) for r in result.results]
    docs = None
    if project_root is not None:
        failed = not all(o.success for o in outcomes)
        docs = _render_data_docs(context, results, refresh_index or failed)
    return ValidationReport(
        suite=batches[-1].suite,
        rows=max(b.frame.height for b in batches),
        outcomes=outcomes,
        data_docs=docs,
        data_docs_index=project_root / DATA_DOCS_INDEX if project_root else None,
    )


# One GX context per project root and process: a Dagster run validates several frames, and
# each new file context re-reads its configuration and stores.
_CONTEXTS: dict[Path | None, Any] = {}


def _context(project_root: Path | None):
    if project_root in _CONTEXTS:
        return _CONTEXTS[project_root]
    # Users' data stays local: GX would otherwise try to send usage analytics.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if project_root is None:
        context = gx.get_context(mode="ephemeral")
    else:
        context = gx.get_context(mode="file", project_root_dir=str(project_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    _CONTEXTS[project_root] = context
    return context


def _validation_definition(context, name: str, expectations: list):
    """The suite ``name`` holding exactly ``expectations`` (its bounds depend on the
    snapshot), bound to a whole-dataframe batch."""
    import great_expectations as gx

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
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )


def _render_data_docs(context, results: list, index: bool) -> Path:
    """Render the pages of these results (and the index) in one build; the page of the last
    result. GX compiles its page templates anew for each page kind of each build (0.1-0.2 s
    a kind here), so one build renders all results of a check, and suite pages are left
    out: each result page lists the expectations with their bounds already."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    identifiers = [
        ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=r.suite_name),
            run_id=r.meta["run_id"],
            batch_identifier=r.batch_id,
        )
        for r in results
    ]
    context.build_data_docs(resource_identifiers=identifiers, build_index=index)
    (site,) = context.get_docs_sites_urls(resource_identifier=identifiers[-1])
    return Path(url2pathname(urlparse(site["site_url"]).path))


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
