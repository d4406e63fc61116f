"""The catalog: every column of the warehouse described once, and docs/metrics.md made from it."""

import dagster as dg

from pipelines.definitions import defs
from warehouse.catalog import METRICS_DOC, catalog, catalog_problems, column_schema, main
from warehouse.database import MIGRATIONS


def test_every_table_view_and_column_has_a_description_and_none_is_stale():
    assert catalog_problems() == []


def test_docs_metrics_column_tables_are_generated_from_the_catalog():
    assert main(["--check"]) == 0, "run `uv run --locked python -m warehouse.catalog`"
    text = METRICS_DOC.read_text()
    # One source: the meaning of a column is in the doc as the catalog words it.
    growth = catalog()["analytics.reach"].column("follower_growth_rate")
    assert f"| `follower_growth_rate` | DOUBLE | {growth.description} |" in text
    for relation in (r for r in catalog().values() if r.schema == "analytics"):
        assert f"<!-- columns of {relation.name} " in text, relation.name


def test_a_raw_table_schema_comes_from_its_migration():
    columns = column_schema("raw.connections")
    assert [c.name for c in columns][:3] == ["export_id", "source_file", "row_number"]
    email = next(c for c in columns if c.name == "email_hash")
    assert email.type == "VARCHAR" and "never stored" in email.description
    assert next(c for c in columns if c.name == "export_id").nullable is False
    relation = catalog()["raw.connections"]
    assert relation.file.parent == MIGRATIONS
    assert (
        "CREATE TABLE raw.connections" in relation.file.read_text().splitlines()[relation.line - 1]
    )


def test_every_table_and_view_asset_shows_its_contract_in_the_catalog():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        if key.path[0] not in ("raw", "core", "marts", "analytics"):
            continue
        metadata = graph.get(key).metadata
        relation = catalog()[".".join(key.path)]
        assert metadata["dagster/table_name"] == f"warehouse.{relation.name}"
        schema = metadata["dagster/column_schema"]
        assert [c.name for c in schema.columns] == [c.name for c in relation.columns]
        assert all(c.description for c in schema.columns), key
        references = metadata["dagster/code_references"].code_references
        files = {r.file_path for r in references if isinstance(r, dg.LocalFileCodeReference)}
        assert str(relation.file) in files, key
        assert any(f.endswith(".py") for f in files), key
        if key.path[0] == "analytics":
            sql = metadata["sql"].value
            assert sql.startswith("```sql\nCREATE OR REPLACE ") and sql.count("\n") > 3, key


def test_a_view_statement_the_parser_cannot_read_names_its_file_and_line(tmp_path):
    import pytest

    from warehouse.catalog import view_statements

    bad = tmp_path / "insights.sql"
    bad.write_text("-- a typo\nCREATE OR REPLACE VIEW analytics.x AS\nSELECT (1 FROM t;\n")
    with pytest.raises(ValueError, match=r"insights\.sql:2: sqlglot cannot parse it"):
        list(view_statements(bad))


def test_the_kept_catalog_is_the_built_one_and_an_edit_is_never_served_stale(tmp_path, monkeypatch):
    import stat

    import warehouse.catalog as module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    built = module._build_catalog()
    module.catalog.cache_clear()
    try:
        first = module.catalog()  # builds and keeps it
        kept = list((tmp_path / "cache" / "lnw").glob("catalog-*.json"))
        assert len(kept) == 1
        assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
        module.catalog.cache_clear()
        assert module.catalog() == first == built  # read back: the same relations

        # A description edited in catalog.yaml: a new digest, so the catalog is built again.
        edited = tmp_path / "catalog.yaml"
        edited.write_text(
            module.CATALOG_FILE.read_text().replace(
                "item_name: the file or folder name in the inbox", "item_name: its name"
            )
        )
        monkeypatch.setattr(module, "CATALOG_FILE", edited)
        module.catalog.cache_clear()
        assert module.catalog()["raw.exports"].column("item_name").description == "its name"
        assert len(list((tmp_path / "cache" / "lnw").glob("catalog-*.json"))) == 2
    finally:
        module.catalog.cache_clear()
