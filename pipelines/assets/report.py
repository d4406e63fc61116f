"""The offline HTML report, rewritten whenever the analytics views are published."""

import dagster as dg

from pipelines.resources import LnwSettings

# The views report/render.py queries (a test compares this with its SQL).
REPORT_VIEWS = (
    "reach",
    "messaging_capacity",
    "network_relevance",
    "current_relationships",
    "relationship_events",
    "network_growth",
    "network_composition",
    "reengage",
    "stale_invitations",
    "invite_candidates",
    "team_reach",
    "team_overlap",
)


@dg.asset(
    key="report",
    deps=[dg.AssetKey(["analytics", view]) for view in REPORT_VIEWS],
    group_name="analytics",
    kinds={"html"},
)
def report(context: dg.AssetExecutionContext, lnw: LnwSettings):
    """`<home>/report.html`: per account, headline figures and their change, new and lost
    people, growth, relevance and composition charts and the lists of people to act on; a team
    section with two or more accounts; one file that works offline (`lnw report`)."""
    # Imported here: the report module is only needed when this step runs.
    from report.render import ReportError, write_report

    try:
        path = write_report(lnw.paths)
    except ReportError as exc:
        # An empty warehouse is a state, not a failure: the next load brings data.
        context.log.info(f"no report yet: {exc}")
        return dg.MaterializeResult(metadata={"skipped": str(exc)})
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "size_kb": round(path.stat().st_size / 1024, 1),
        }
    )
