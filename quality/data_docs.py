"""Data Docs that stay on this machine: a site of every validation result, built from the
results' JSON files, that renders completely offline and loads nothing from the network.

Great Expectations' own site does neither: its pages load Bootstrap, jQuery, bootstrap-table,
Vega and Font Awesome from five CDNs, its index draws the list of validations with that
JavaScript (offline it is an empty page), and its logo's URL carries the data context's id,
sent out whenever a page is opened online. Serving those assets from the home would mean
shipping about a megabyte of third-party JavaScript; and GX's site builder needs its file
stores, which no load writes (they validate in memory, several processes at once). So the
site is rendered here, with Jinja templates (`quality/templates/`), from result files: each
is a validation result in the form of `ExpectationSuiteValidationResult.to_json_dict()`
(`ValidationReport.result`), found at any depth of a folder. The loads keep theirs with
`keep_result`, one file per suite and load under `<home>/gx/validations/<account>/`; the
metrics refresh and `lnw docs` build the site. Every page has a Content-Security-Policy that
forbids it to fetch anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from quality.validation import ValidationReport

# Under the home: the validation results the loads keep, and the site built from them.
VALIDATION_RESULTS = Path("gx/validations")
DATA_DOCS_SITE = Path("data_docs")
INDEX = "index.html"
TEMPLATES = Path(__file__).with_name("templates")
SAMPLE_SIZE = 5


def result_page(site: Path, results: Path, result_file: Path) -> Path:
    """Where a result's page is: its path under ``results``, under ``site/validations``."""
    return site / "validations" / result_file.relative_to(results).with_suffix(".html")


def keep_result(
    report: ValidationReport, results: Path, name: Path, site: Path
) -> ValidationReport:
    """Write the report's GX result as ``results/name`` (a JSON file), and return the report
    with the page the site built from ``results`` into ``site`` shows it on.

    Several load processes write results at once, and a site build may read the folder
    meanwhile: each result has a name of its own (the caller's), and the file appears whole,
    written under a temporary name beside it and then renamed. Owner-only: the samples of
    bad values may name people."""
    if report.result is None:
        return report
    path = results / name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write(path, json.dumps(report.result, indent=1, default=str))
    return dataclasses.replace(
        report, data_docs=result_page(site, results, path), data_docs_index=site / INDEX
    )


def build_site(results: Path, site: Path, *, rebuild: bool = False) -> Path:
    """Render every validation result under ``results`` into ``site`` and return its index.

    A result whose page exists is not rendered again (results never change once written),
    unless ``rebuild``; the index, listing them all, newest first, is rewritten each time."""
    environment = _environment()
    files = sorted(results.rglob("*.json")) if results.exists() else []
    listed = []
    for path in files:
        try:
            summary = summarize(json.loads(path.read_text()))
        except (ValueError, KeyError, TypeError):
            continue  # not a validation result: a folder may hold other JSON
        page = result_page(site, results, path)
        if rebuild or not page.exists():
            page.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            index_href = "/".join([".."] * (len(page.relative_to(site).parts) - 1) + [INDEX])
            html = environment.get_template("data_docs_result.html").render(
                r=summary, index=index_href
            )
            _write(page, html)
        listed.append({**summary, "href": quote(page.relative_to(site).as_posix())})
    listed.sort(key=lambda r: (r["run_time"], r["suite"]), reverse=True)
    index = site / INDEX
    site.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write(
        index,
        environment.get_template("data_docs_index.html").render(
            results=listed,
            source=str(results),
            built=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        ),
    )
    return index


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    """What a page shows of one validation result (GX's JSON form)."""
    meta = result.get("meta") or {}
    run = meta.get("run_id") or {}
    statistics = result.get("statistics") or {}
    expectations = [_expectation(r) for r in result["results"]]
    rows = next(
        (r["result"]["element_count"] for r in result["results"] if "element_count" in r["result"]),
        None,
    )
    return {
        "suite": result["suite_name"],
        "success": bool(result["success"]),
        "run_name": run.get("run_name") or "",
        "run_time": _time(run.get("run_time") or meta.get("validation_time") or ""),
        "evaluated": statistics.get("evaluated_expectations", len(expectations)),
        "met": statistics.get("successful_expectations", sum(e["success"] for e in expectations)),
        "rows": rows,
        "gx_version": meta.get("great_expectations_version", ""),
        "expectations": expectations,
    }


def _expectation(result: dict[str, Any]) -> dict[str, Any]:
    config = result["expectation_config"]
    details = result.get("result") or {}
    kwargs = config.get("kwargs") or {}
    exception = result.get("exception_info") or {}
    error = None
    if exception.get("raised_exception"):
        error = str(exception.get("exception_message") or "").splitlines()[0][:200]
    bounds = [f"{k} {kwargs[k]}" for k in ("min_value", "max_value", "mostly") if k in kwargs]
    observed = details.get("observed_value")
    if isinstance(observed, list):
        observed = ", ".join(map(str, observed))
    return {
        "type": config["type"],
        "description": config.get("description") or config["type"],
        "column": kwargs.get("column"),
        "success": bool(result["success"]) and error is None,
        "error": error,
        "unexpected_count": details.get("unexpected_count"),
        "unexpected_percent": details.get("unexpected_percent"),
        "observed": observed,
        "bound": ", ".join(bounds),
        "sample": [
            "(empty)" if v is None else str(v)
            for v in (details.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]
        ],
    }


def _time(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _write(path: Path, text: str) -> None:
    """Write a file whole, owner-only: to a temporary name of its own in the same folder
    (two writers at once never share one), then renamed into place, so that a browser or a
    site build never reads half of it."""
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
