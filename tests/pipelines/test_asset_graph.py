"""A snapshot of the asset graph, reviewed like code: every asset's key, dependencies, group,
kinds, checks, the step that computes it (the asset or multi-asset) and its partitions, in
`asset_graph.json` beside this file. A change to the graph shows in the
diff of that file; when the change is meant, regenerate it and commit it with the change:

    uv run --locked python -m tests.pipelines.test_asset_graph
"""

import json
import sys
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("asset_graph.json")


def asset_graph() -> dict:
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    checks: dict[str, list[str]] = {}
    for key in graph.asset_check_keys:
        checks.setdefault(key.asset_key.to_user_string(), []).append(key.name)
    assets = {}
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        name = key.to_user_string()
        definition = graph.assets_def_for_key(key)
        partitions = node.partitions_def
        assets[name] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "checks": sorted(checks.get(name, [])),
            # Assets one step materializes together share its name (`load_account`).
            "computed_by": definition.node_def.name if definition.is_executable else None,
            "partitions": None
            if partitions is None
            else getattr(partitions, "name", None) or type(partitions).__name__,
        }
    return assets


def render() -> str:
    return json.dumps(asset_graph(), indent=2, sort_keys=True) + "\n"


def test_the_asset_graph_matches_its_reviewed_snapshot():
    assert SNAPSHOT.exists(), f"no {SNAPSHOT.name}: run `{__doc__.split(':')[-1].strip()}`"
    assert json.loads(SNAPSHOT.read_text()) == asset_graph(), (
        f"the asset graph changed: if that is meant, regenerate {SNAPSHOT.name} with "
        "`uv run --locked python -m tests.pipelines.test_asset_graph` and review its diff"
    )


if __name__ == "__main__":
    SNAPSHOT.write_text(render())
    print(f"wrote {SNAPSHOT}", file=sys.stderr)
