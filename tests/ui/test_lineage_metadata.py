"""What the UI shows beside each asset after a run: counts, dates, previews, the views' SQL."""

import datetime as dt

import dagster as dg
import pytest

from pipelines.definitions import defs

LATE = dt.date(2026, 10, 30)


@pytest.fixture(scope="module")
def materialized(small_home):
    # The events of the shared home's one run: tests that run again work on copies of it.
    home, truths = small_home
    assert truths[-1].snapshot_date == LATE
    with dg.DagsterInstance.from_config(str(home.dagster)) as instance:

        def latest(*path: str) -> dict:
            event = instance.get_latest_materialization_event(dg.AssetKey(list(path)))
            assert event is not None, path
            return event.asset_materialization.metadata

        yield latest, truths[-1]


def test_every_asset_has_a_description_group_and_kind():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.group_name in {"ingest", "core", "marts", "analytics"}, key
        assert {t for t in node.tags if t.startswith("dagster/kind/")}, key


def test_analytics_views_show_counts_dates_preview_and_their_sql(materialized):
    latest, truth = materialized
    reach = latest("analytics", "reach")
    assert reach["dagster/row_count"].value == 2
    assert reach["latest_snapshots"].value == f"me: {LATE}"
    assert "FROM marts.reach" in reach["sql"].value
    # As written in warehouse/sql/views.sql: over several lines.
    assert reach["sql"].value.startswith("```sql\nCREATE OR REPLACE VIEW analytics.reach AS\n")
    current = latest("analytics", "current_relationships")
    assert current["dagster/row_count"].value == len(truth.people)
    preview = current["preview"].value.splitlines()
    assert preview[0].startswith("| account | relationship |")
    assert len(preview) == 2 + 5
    # What the rows are like, never who they are about: Dagster keeps metadata for good.
    names = {p.full_name for p in truth.people.values() if p.full_name}
    assert not any(name in current["preview"].value for name in names)
    assert "linkedin.com/in/" not in current["preview"].value
    assert "@" not in current["preview"].value, "no email address in a preview"
    history = latest("analytics", "relationship_history")
    assert "FROM core.relationship_history" in history["sql"].value


def test_loaded_assets_say_which_account_and_dates(materialized):
    latest, _ = materialized
    for path in (("raw", "connections"), ("core", "relationship_snapshots"),
                 ("core", "relationship_history")):  # fmt: skip
        metadata = latest(*path)
        assert metadata["account"].value == "me"
        assert metadata["dagster/row_count"].value > 0
    assert latest("raw", "connections")["observed_on"].value == f"2026-10-02, {LATE}"
    assert latest("core", "relationship_snapshots")["latest_snapshot"].value == LATE.isoformat()
    assert "2026-10-02" in latest("core", "observations")["observations"].value
    assert "snapshot" in latest("marts", "network_relevance")["preview"].value


def test_every_run_rewrites_the_html_report(materialized):
    latest, _ = materialized
    path = latest("report")["path"].value
    assert path.endswith("report.html")
    with open(path, encoding="utf-8") as page:
        # One account: audience, new and lost, growth, relevance, composition.
        assert page.read().count('<svg class="chart"') == 5
