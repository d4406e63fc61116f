"""The Definitions the UI and the CLI load: lineage, groups, checks, automation."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[2]


def asset_graph() -> dict[str, set[str]]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): {d.to_user_string() for d in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }


def test_lineage_runs_from_the_inbox_to_every_analytics_view():
    graph = asset_graph()
    assert graph["raw/connections"] == {"inbox"}
    assert graph["core/observations"] == {
        "raw/connections",
        "raw/invitations",
        "raw/messages",
        "raw/followers",
    }
    assert graph["core/relationship_snapshots"] == {"core/observations"}
    assert graph["core/relationship_history"] == {"core/relationship_snapshots"}
    assert "core/relationship_history" in graph["marts/reach"]
    # Each view depends on what its SQL reads (tests/pipelines/test_lineage.py), no more.
    for view in ("reach", "messaging_capacity", "network_relevance"):
        assert graph[f"analytics/{view}"] == {f"marts/{view}"}
    assert graph["analytics/current_relationships"] == {
        "core/relationship_snapshots",
        "marts/contact_relevance",
    }
    assert graph["analytics/relationships_as_of"] == {"core/relationship_history"}


def test_assets_are_grouped_by_layer():
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["raw/messages"] == "ingest"
    assert groups["core/relationship_history"] == "core"
    assert groups["marts/network_relevance"] == "marts"
    assert groups["analytics/reach"] == "analytics"


def check_specs() -> dict[tuple[str, str], bool]:
    graph = defs.resolve_asset_graph()
    return {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key).blocking
        for key in graph.asset_check_keys
    }


def test_every_layer_has_a_blocking_check():
    specs = check_specs()
    layers = {key.split("/")[0] for (key, _), blocking in specs.items() if blocking}
    assert layers == {"raw", "core", "marts"}


def test_the_checks_sit_beside_their_assets_blocking_where_bad_data_would_spread():
    assert check_specs() == {
        ("raw/connections", "expectation_suite"): True,
        ("raw/invitations", "expectation_suite"): True,
        ("raw/messages", "expectation_suite"): True,
        ("raw/followers", "expectation_suite"): True,
        # Legacy accounts exceed LinkedIn's 30,000 cap: a warning, never a block.
        ("raw/connections", "connections_within_linkedin_cap"): False,
        ("core/relationship_snapshots", "expectation_suite"): True,
        ("core/relationship_snapshots", "partial_export_gate"): True,
        ("core/relationship_history", "history_has_one_current_row"): True,
        ("marts/reach", "metric_identities_hold"): True,
        # The lists' rules run once the views are published: a failure could only keep the
        # report away, so they warn on the view's page instead.
        **{
            (f"analytics/{view}", "rules_hold"): False
            for view in (
                "network_growth",
                "reengage",
                "stale_invitations",
                "invite_candidates",
                "network_composition",
                "target_company_contacts",
                "team_overlap",
                "team_reach",
            )
        },
    }
    graph = defs.resolve_asset_graph()
    gate = dg.AssetCheckKey(dg.AssetKey(["core", "relationship_snapshots"]), "partial_export_gate")
    assert gate in graph.asset_check_keys
    assert "accept-partial" in (graph.get_check_spec(gate).description or "")


def test_sensor_schedule_and_jobs_are_defined():
    assert {s.name for s in defs.sensors} == {
        "inbox_sensor",
        "refresh_marts_after_load",
        "refresh_marts_after_failed_load",
        "failure_reason",
    }
    assert [s.name for s in defs.schedules] == ["weekly_marts_refresh"]
    assert {job.name for job in defs.jobs} == {"load_inbox", "backfill_account", "refresh_marts"}


def test_dg_check_defs_loads_the_definitions_without_superseded_verbs(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path), "LNW_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All definitions loaded successfully" in result.stdout + result.stderr
    assert "SupersessionWarning" not in result.stdout + result.stderr


def test_the_inbox_sensor_loads_the_accounts_with_new_items_and_never_runs_an_item_twice(
    tmp_path,
):
    import datetime as dt

    from lnw.samples import write_account_exports
    from pipelines.resources import LnwSettings
    from pipelines.sensors import inbox_sensor

    write_account_exports(
        tmp_path / "inbox",
        "me",
        [dt.date(2026, 11, 6)],
        n_connections=20,
        n_followers=30,
        n_messages=10,
        seed=3,
    )
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, resources={"lnw": LnwSettings(home=str(tmp_path))}
        )
        result = inbox_sensor(context)
        config = result.run_config["ops"]["accounts_to_load"]["config"]
        assert config == {"accounts": ["me"]}
        again = inbox_sensor(context)
        assert again.run_key == result.run_key
        follower_list = next((tmp_path / "inbox" / "me").glob("followers_*.csv"))
        follower_list.write_text(
            follower_list.read_text() + "https://www.linkedin.com/in/new-one,New,One,CEO,\n"
        )
        changed = inbox_sensor(context)
        assert changed.run_key != result.run_key
