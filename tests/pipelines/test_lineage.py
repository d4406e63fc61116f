"""The lineage the UI shows is what the SQL reads: table by table and column by column.

The expected lineage is worked out here from DuckDB's own parser (`json_serialize_sql` of the
SQL DuckDB stores for each view and macro), not from sqlglot, which the asset code uses: two
parsers that agree, on SQL that cannot drift from the warehouse.
"""

import json

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.definitions import defs
from warehouse.catalog import CATALOG_FILE
from warehouse.database import migrate


@pytest.fixture(scope="module")
def warehouse():
    con = duckdb.connect()
    migrate(con)
    yield con
    con.close()


def public_relations(con) -> dict[str, str]:
    """Every view and table macro of the analytics schema, with its SELECT, as DuckDB has it."""
    found = {}
    for name, sql in con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'analytics'"
    ).fetchall():
        found[name] = sql.split(" AS ", 1)[1].rstrip(";")
    for name, body in con.execute(
        "SELECT function_name, macro_definition FROM duckdb_functions() "
        "WHERE schema_name = 'analytics' AND function_type = 'table_macro'"
    ).fetchall():
        found[name] = body
    return found


class DuckDBLineage:
    """Column lineage from DuckDB's parse tree: each output column's base-table columns,
    through CTEs, subqueries, unions and lateral joins. A column counts when the value
    expression names it (CASE conditions included); the PARTITION BY and ORDER BY of a window,
    and the WHERE, ON and GROUP BY clauses, shape rows and count for no column."""

    def __init__(self, con):
        self.con = con
        self.columns: dict[str, list[str]] = {}
        for schema, table, column in con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "ORDER BY table_schema, table_name, ordinal_position"
        ).fetchall():
            self.columns.setdefault(f"{schema}.{table}", []).append(column)

    def of(self, select: str) -> dict[str, set[tuple[str, str]]]:
        tree = json.loads(
            self.con.execute("SELECT json_serialize_sql(?)", [select]).fetchall()[0][0]
        )
        assert not tree["error"], tree
        return dict(self.node(tree["statements"][0]["node"], {}, []))

    def node(self, node: dict, ctes: dict, outer: list) -> list[tuple[str, set]]:
        """The output columns of a query node, in order, each with its base columns."""
        ctes = dict(ctes)
        for entry in (node.get("cte_map") or {}).get("map", []):
            ctes[entry["key"]] = self.node(entry["value"]["query_node"], ctes, outer)
        if node["type"] == "SET_OPERATION_NODE":
            parts = [self.node(side, ctes, outer) for side in self.set_sides(node)]
            return [
                (name, set().union(*(part[i][1] for part in parts)))
                for i, (name, _) in enumerate(parts[0])
            ]
        sources = self.sources(node.get("from_table"), ctes, outer)
        out = []
        for position, expression in enumerate(node["select_list"]):
            if expression["class"] == "STAR":
                for _, columns in sources:
                    out.extend(columns)
                continue
            # An unnamed expression (a NULL in a union's second branch) takes its name from
            # the first branch: only its place counts.
            name = expression.get("alias") or expression.get("column_names", [f"#{position}"])[-1]
            out.append((name, self.refs(expression, [*sources, *outer])))
        return out

    @staticmethod
    def set_sides(node: dict) -> list[dict]:
        return node.get("children") or [node["left"], node["right"]]

    def sources(self, table: dict | None, ctes: dict, outer: list) -> list:
        """(alias, [(column, base columns)]) for each relation in a FROM clause."""
        if table is None or table["type"] == "EMPTY":
            return []
        if table["type"] == "JOIN":
            left = self.sources(table["left"], ctes, outer)
            # A lateral subquery on the right sees the columns of the left.
            return left + self.sources(table["right"], ctes, left + outer)
        if table["type"] == "SUBQUERY":
            columns = self.node(table["subquery"]["node"], ctes, outer)
            return [(table.get("alias") or "", columns)]
        assert table["type"] == "BASE_TABLE", table["type"]
        name = table["table_name"]
        alias = table.get("alias") or name
        if not table.get("schema_name") and name in ctes:
            return [(alias, ctes[name])]
        qualified = f"{table['schema_name']}.{name}"
        return [(alias, [(c, {(qualified, c)}) for c in self.columns[qualified]])]

    def refs(self, expression, scope: list) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        if isinstance(expression, list):
            for item in expression:
                found |= self.refs(item, scope)
        elif isinstance(expression, dict):
            if expression.get("class") == "COLUMN_REF":
                return self.resolve(expression["column_names"], scope)
            if expression.get("class") == "WINDOW":
                expression = {
                    k: v for k, v in expression.items() if k not in ("partitions", "orders")
                }
            for value in expression.values():
                found |= self.refs(value, scope)
        return found

    @staticmethod
    def resolve(names: list[str], scope: list) -> set[tuple[str, str]]:
        *qualifier, column = names
        for alias, columns in scope:
            if qualifier and qualifier[-1] != alias:
                continue
            for name, base in columns:
                if name == column:
                    return base
        raise AssertionError(f"column {'.'.join(names)} not found")


def asset_of(relation: str) -> dg.AssetKey:
    """The asset a relation belongs to: its own `schema/name`, or the one catalog.yaml names
    for a bookkeeping table."""
    owner = yaml.safe_load(CATALOG_FILE.read_text()).get(relation, {}).get("asset")
    return dg.AssetKey.from_user_string(owner) if owner else dg.AssetKey(relation.split("."))


def analytics_assets() -> dict[str, dg.AssetSpec]:
    graph = defs.resolve_asset_graph()
    return {
        key.path[1]: graph.get(key)
        for key in graph.get_all_asset_keys()
        if key.path[0] == "analytics" and len(key.path) == 2
    }


def test_every_public_view_and_table_macro_is_an_asset(warehouse):
    assert set(analytics_assets()) == set(public_relations(warehouse))
    assert {"relationship_events", "relationships_as_of"} <= set(analytics_assets())


def test_every_analytics_asset_depends_on_exactly_what_its_sql_reads(warehouse):
    lineage = DuckDBLineage(warehouse)
    assets = analytics_assets()
    for name, select in public_relations(warehouse).items():
        read = {base for sources in lineage.of(select).values() for base, _ in sources}
        tree = warehouse.execute("SELECT json_serialize_sql(?)", [select]).fetchall()[0][0]
        # Relations read only in a WHERE or join (no column of them selected) count too.
        read |= {
            f"{t['schema_name']}.{t['table_name']}"
            for t in base_tables(json.loads(tree))
            if t.get("schema_name")
        }
        expected = {asset_of(relation) for relation in read}
        assert set(assets[name].parent_keys) == expected, name


def base_tables(tree) -> list[dict]:
    if isinstance(tree, list):
        return [t for item in tree for t in base_tables(item)]
    if not isinstance(tree, dict):
        return []
    found = [tree] if tree.get("type") == "BASE_TABLE" else []
    return found + [t for value in tree.values() for t in base_tables(value)]


def test_reach_reads_only_marts_reach():
    assert set(analytics_assets()["reach"].parent_keys) == {dg.AssetKey(["marts", "reach"])}


def test_every_analytics_column_leads_back_to_the_columns_it_is_computed_from(warehouse):
    lineage = DuckDBLineage(warehouse)
    assets = analytics_assets()
    for name, select in public_relations(warehouse).items():
        expected = {
            column: {(asset_of(table), source) for table, source in sources}
            for column, sources in lineage.of(select).items()
            if sources
        }
        shown = assets[name].metadata["dagster/column_lineage"].deps_by_column
        assert {
            column: {(dep.asset_key, dep.column_name) for dep in deps}
            for column, deps in shown.items()
        } == expected, name


def test_follower_growth_rate_leads_back_to_the_mart_column():
    readable = analytics_assets()["reach"].metadata["columns_computed_from"].value
    assert "| `follower_growth_rate` | `marts.reach.follower_growth_rate` |" in readable
    shown = analytics_assets()["reach"].metadata["dagster/column_lineage"]
    assert shown.deps_by_column["follower_growth_rate"] == [
        dg.TableColumnDep(dg.AssetKey(["marts", "reach"]), "follower_growth_rate")
    ]
    comparison = analytics_assets()["account_comparison"].metadata["dagster/column_lineage"]
    assert {d.asset_key for d in comparison.deps_by_column["weeks_to_cap"]} == {
        dg.AssetKey(["marts", "messaging_capacity"])
    }


def test_a_view_added_to_a_view_file_becomes_an_asset_with_its_lineage(tmp_path, monkeypatch):
    """Views are found in the files, not in a list: issue 14's insights.sql needs only its
    name in `VIEW_FILES`."""
    import warehouse.catalog as catalog
    import warehouse.database as database

    extra = tmp_path / "insights.sql"
    extra.write_text(
        "-- A view over another view.\n"
        "CREATE OR REPLACE VIEW analytics.growth AS\n"
        "SELECT account, snapshot_date, followers - lost_followers AS kept\n"
        "FROM analytics.reach;\n"
    )
    monkeypatch.setattr(database, "SQL", tmp_path)
    monkeypatch.setattr(catalog, "SQL", tmp_path)
    for name in database.VIEW_FILES:
        (tmp_path / f"{name}.sql").write_text((catalog.HERE / "sql" / f"{name}.sql").read_text())
    monkeypatch.setattr(database, "VIEW_FILES", (*database.VIEW_FILES, "insights"))
    monkeypatch.setattr(catalog, "VIEW_FILES", database.VIEW_FILES)
    catalog.catalog.cache_clear()
    try:
        growth = catalog.catalog()["analytics.growth"]
    finally:
        catalog.catalog.cache_clear()
    assert growth.sources == ("analytics.reach",)
    assert growth.line == 2
    assert growth.column_sources["kept"] == (
        ("analytics.reach", "followers"),
        ("analytics.reach", "lost_followers"),
    )


def test_the_report_depends_on_the_views_its_queries_read():
    import re
    from pathlib import Path

    source = (Path(__file__).parents[2] / "report" / "render.py").read_text()
    read = set(re.findall(r"\banalytics\.(\w+)", source))
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey("report")).parent_keys
    assert {key.path[-1] for key in parents} == read
