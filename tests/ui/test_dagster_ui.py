"""The Dagster UI as a user opens it: `lnw ui` from any folder, the lineage in chromium."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from inbox.home import Home
from pipelines.definitions import defs
from tests.ui.chromium import browser_test, headless_page, needs_chromium

pytestmark = [browser_test, needs_chromium, pytest.mark.slow]

# The lineage a user must find in the graph, by group (layer) and node label. Written out,
# not derived from the definitions, so that an asset dropped from the code fails this test.
EXPECTED_GRAPH = {
    ("ingest", "inbox"),
    ("ingest", "connections"),
    ("ingest", "invitations"),
    ("ingest", "messages"),
    ("ingest", "followers"),
    ("core", "observations"),
    ("core", "relationship_snapshots"),
    ("core", "relationship_history"),
    ("marts", "reach"),
    ("marts", "messaging_capacity"),
    ("marts", "network_relevance"),
    ("marts", "contact_relevance"),
    ("analytics", "current_relationships"),
    ("analytics", "relationship_history"),
    ("analytics", "reach"),
    ("analytics", "messaging_capacity"),
    ("analytics", "network_relevance"),
    ("analytics", "account_comparison"),
    ("analytics", "relationship_events"),
    ("analytics", "relationships_as_of"),
    ("analytics", "report"),
}
STARTUP_SECONDS = 240
SHUTDOWN_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc (so none is left behind unnoticed)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def ui_folder(tmp_path_factory):
    """Where the UI's log and the screenshots go (look at them: the tests print the path)."""
    return tmp_path_factory.mktemp("dagster-ui")


@pytest.fixture(scope="module")
def lnw_ui(ui_folder):
    """`lnw ui` started from an unrelated folder, stopped with SIGINT like a Ctrl-C."""
    tmp_path = ui_folder
    home = Home(tmp_path / "home").ensure()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LNW_HOME", "DAGSTER_HOME", "LNW_ICP")}
    log = (tmp_path / "lnw-ui.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "lnw.cli", "ui", "--home", str(home.root), "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    tree: set[int] = set()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            tree |= descendants(process.pid)
            assert process.poll() is None, (tmp_path / "lnw-ui.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the Dagster UI did not start in time"
                time.sleep(1)
        tree |= descendants(process.pid)
        yield f"http://127.0.0.1:{port}", home
    finally:
        tree |= descendants(process.pid)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        while any(alive(p) for p in tree) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [p for p in tree if alive(p)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        log.close()
        assert not left, f"processes left behind after SIGINT: {left}"
        # `lnw ui` runs the webserver and the daemon themselves: no superseded CLI verb.
        assert "SupersessionWarning" not in (tmp_path / "lnw-ui.log").read_text()


def graph_nodes(page) -> list[dict]:
    """Every box of the lineage graph with its label and its place on the canvas."""
    return page.locator("[data-svg-viewport] foreignObject").evaluate_all(
        """boxes => boxes.map(box => ({
            x: +box.getAttribute('x'), y: +box.getAttribute('y'),
            width: +box.getAttribute('width'), height: +box.getAttribute('height'),
            label: box.querySelector('[data-tooltip]')?.getAttribute('data-tooltip') ?? null,
            checks: [...box.querySelectorAll('a[href*="view=checks"]')].map(
                link => [link.getAttribute('href'), link.textContent]),
        }))"""
    )


def by_group(nodes: list[dict]) -> tuple[list[tuple[str, str]], list]:
    # A group is drawn as an unlabelled outline plus a labelled header box of the same size.
    outlines = {(n["x"], n["y"], n["width"], n["height"]) for n in nodes if not n["label"]}
    groups = [
        n for n in nodes if n["label"] and (n["x"], n["y"], n["width"], n["height"]) in outlines
    ]
    shown, checks = [], []
    for node in (n for n in nodes if n["label"] and n not in groups):
        cx, cy = node["x"] + node["width"] / 2, node["y"] + node["height"] / 2
        inside = [
            g["label"]
            for g in groups
            if g["x"] <= cx <= g["x"] + g["width"] and g["y"] <= cy <= g["y"] + g["height"]
        ]
        shown.append((inside[0] if len(inside) == 1 else "?", node["label"]))
        checks.extend(node["checks"])
    return shown, checks


def dismiss_welcome(page) -> None:
    # A fresh instance greets with a newsletter dialog; dismiss it like a user would.
    skip = page.get_by_role("button", name="Skip")
    # No dialog is the normal case after the first visit.
    with contextlib.suppress(PlaywrightTimeout):
        skip.wait_for(timeout=5_000)
        skip.click()


def test_the_asset_graph_shows_the_lineage_from_raw_to_analytics_with_checks(lnw_ui, ui_folder):
    url, home = lnw_ui
    tmp_path = ui_folder
    errors: list[str] = []
    with headless_page((3000, 4600)) as page:
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/asset-groups", wait_until="domcontentloaded", timeout=120_000)
        page.locator("[data-svg-viewport]").wait_for(timeout=120_000)
        dismiss_welcome(page)
        # Groups start collapsed; Alt+E is the UI's "expand all groups".
        # (pressed again if the graph was still being laid out: on a loaded machine the first
        # press can land before the page listens)
        page.locator('[data-tooltip="analytics"]').first.wait_for(timeout=60_000)
        for attempt in range(3):
            page.keyboard.press("Alt+e")
            try:
                page.locator('[data-tooltip="current_relationships"]').wait_for(timeout=30_000)
                break
            except PlaywrightTimeout:
                page.screenshot(path=str(tmp_path / f"asset-graph-not-expanded-{attempt}.png"))
                if attempt == 2:
                    raise
        page.wait_for_timeout(1_000)
        page.screenshot(path=str(tmp_path / "asset-graph.png"))
        print(f"screenshots in {tmp_path}")
        listed, checks = by_group(graph_nodes(page))
    shown = set(listed)
    assert len(listed) == len(shown), f"shown twice: {[n for n in listed if listed.count(n) > 1]}"
    assert not EXPECTED_GRAPH - shown, f"missing from the graph: {EXPECTED_GRAPH - shown}"
    graph = defs.resolve_asset_graph()
    in_code = {(graph.get(k).group_name, k.path[-1]) for k in graph.get_all_asset_keys()}
    assert shown == in_code, "the graph and the definitions disagree"

    expected_checks: dict[str, int] = {}
    for check in graph.asset_check_keys:
        key = check.asset_key.to_user_string()
        expected_checks[key] = expected_checks.get(key, 0) + 1
    shown_checks = {href.removeprefix("/assets/").split("?")[0]: text for href, text in checks}
    assert set(shown_checks) == set(expected_checks)
    assert {"raw/connections", "core/relationship_history", "marts/reach"} <= set(shown_checks)
    for key, count in expected_checks.items():
        assert f"/ {count}" in shown_checks[key], (key, shown_checks[key])
    assert errors == []
    assert (tmp_path / "asset-graph.png").stat().st_size > 50_000
    # `lnw ui` kept Dagster's storage in the home, wherever it was started from.
    assert (home.dagster / "dagster.yaml").exists()
    assert (home.dagster / "history" / "runs.db").exists()


def test_reach_shows_exactly_its_mart_upstream_and_its_columns(lnw_ui, ui_folder):
    url, _ = lnw_ui
    with headless_page((1600, 1000)) as page:
        page.goto(
            f"{url}/assets/analytics/reach?view=lineage&lineageScope=upstream&lineageDepth=1",
            wait_until="domcontentloaded",
            timeout=120_000,
        )
        page.locator("[data-svg-viewport]").wait_for(timeout=120_000)
        dismiss_welcome(page)
        page.locator('[data-tooltip="reach"]').nth(1).wait_for(timeout=60_000)
        page.wait_for_timeout(1_000)
        page.screenshot(path=str(ui_folder / "reach-upstream.png"))
        listed, _ = by_group(graph_nodes(page))
        assert sorted(listed) == [("analytics", "reach"), ("marts", "reach")]

        page.goto(f"{url}/assets/analytics/reach", wait_until="domcontentloaded")
        columns = page.get_by_role("table").filter(has_text="Column name")
        growth = columns.get_by_role("row").filter(has_text="follower_growth_rate")
        growth.wait_for(timeout=60_000)
        page.screenshot(path=str(ui_folder / "reach-overview.png"))
        cells = [c.strip() for c in growth.get_by_role("cell").all_inner_texts()]
        assert cells == [
            "follower_growth_rate",
            "DOUBLE",
            "(followers - previous followers) / previous followers",
        ]
        body = page.inner_text("body")
        # The column lineage, readable in the open-source UI (it draws dagster/column_lineage
        # only in Dagster+).
        assert "follower_growth_rate\tmarts.reach.follower_growth_rate" in body
        # The table name and the code references of the catalog.
        assert "warehouse.analytics.reach" in body
        assert "sql/views.sql" in body and "marts.py" in body
