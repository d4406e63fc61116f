"""Metadata that makes the lineage readable in the UI: the catalog's contract of each table
and view (column schema, table name, code references, SQL, column lineage), and what a run
adds (counts, previews)."""

import warnings
from collections.abc import Iterable, Sequence

import dagster as dg
import duckdb

from warehouse.catalog import Relation, catalog

# Code references are "beta" in Dagster 1.13: a warning per asset at every load of the
# definitions, which nobody running the pipeline can act on.
warnings.filterwarnings(
    "ignore",
    r"(Class|Function) `(LocalFileCodeReference|CodeReferencesMetadataValue|"
    r"with_source_code_references)`",
    category=dg.BetaWarning,
)

# The DuckDB catalog name of the warehouse file (and of its readers' copy), `warehouse.duckdb`.
DATABASE = "warehouse"

PREVIEW_ROWS = 5
# Never previewed, even if a later view exposes them. Dagster keeps every materialization's
# metadata in its own storage for good, beyond the reach of `lnw forget`: a preview shows what
# the rows are like (classes, dates, scores), never who they are about.
PRIVATE_COLUMNS = {
    "email", "email_hash", "content", "body", "subject",
    "person_key", "full_name", "first_name", "last_name", "profile_url", "headline",
    "company", "position", "inviter_name", "invitee_name", "inviter_url", "invitee_url",
    "sender_url", "recipient_urls", "self_key",
}  # fmt: skip


def _cell(value: object) -> str:
    # Names come from exports: keep them from breaking the table or becoming HTML in the UI.
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def markdown_preview(con: duckdb.DuckDBPyConnection, relation: str, order_by: str) -> str:
    """The first rows of a table or view as a Markdown table, the columns that say who a
    row is about (or hold private text) left out."""
    columns = [
        name
        for (name,) in con.execute(f"SELECT column_name FROM (DESCRIBE {relation})").fetchall()
        if name not in PRIVATE_COLUMNS
    ]
    rows = con.execute(
        f"SELECT {', '.join(columns)} FROM {relation} ORDER BY {order_by} LIMIT {PREVIEW_ROWS}"
    ).fetchall()
    if not rows:
        return "_no rows yet_"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def asset_key(relation: str) -> dg.AssetKey:
    """The asset of a table or view: `schema/name`, or for a table without an asset of its
    own (core.snapshots), the asset whose step writes it (`asset:` in catalog.yaml)."""
    found = catalog().get(relation)
    if found is not None and found.asset:
        return dg.AssetKey.from_user_string(found.asset)
    return dg.AssetKey(relation.split("."))


def source_assets(relation: Relation) -> list[dg.AssetKey]:
    """The assets a view reads, from its SQL, each once."""
    return list(dict.fromkeys(asset_key(source) for source in relation.sources))


def column_schema(relation: Relation) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.type,
                description=c.description,
                constraints=None
                if c.nullable is None
                else dg.TableColumnConstraints(nullable=c.nullable),
            )
            for c in relation.columns
        ]
    )


def column_lineage(relation: Relation) -> dg.TableColumnLineage:
    return dg.TableColumnLineage(
        deps_by_column={
            column: [dg.TableColumnDep(asset_key(source), name) for source, name in sources]
            for column, sources in relation.column_sources.items()
        }
    )


def computed_from(relation: Relation) -> dg.MetadataValue:
    """The column lineage as a table a person reads in the UI: Dagster's open-source UI keeps
    `dagster/column_lineage` for its API and draws it only in Dagster+."""
    lines = ["| column | computed from (table.column) |", "|---|---|"]
    for column in relation.columns:
        sources = relation.column_sources.get(column.name, ())
        shown = ", ".join(f"`{table}.{name}`" for table, name in sources)
        lines.append(f"| `{column.name}` | {shown or '(no source column)'} |")
    return dg.MetadataValue.md("\n".join(lines))


def sql_block(relation: Relation) -> dg.MetadataValue:
    """The statement that creates a view, as written in its file: over several lines, with
    its comments."""
    return dg.MetadataValue.md(f"```sql\n{relation.sql}\n```")


def contract_metadata(relation: Relation) -> dict:
    """What the catalog says about a table or view, as the definition metadata of its asset:
    the UI shows it before any run."""
    metadata = {
        "dagster/table_name": f"{DATABASE}.{relation.name}",
        "dagster/column_schema": column_schema(relation),
        "dagster/code_references": dg.CodeReferencesMetadataValue(
            code_references=[
                dg.LocalFileCodeReference(
                    file_path=str(relation.file),
                    line_number=relation.line,
                    label=f"{relation.file.parent.name}/{relation.file.name}",
                )
            ]
        ),
    }
    if relation.sql is not None:
        metadata["sql"] = sql_block(relation)
        metadata["dagster/column_lineage"] = column_lineage(relation)
        metadata["columns_computed_from"] = computed_from(relation)
    return metadata


def with_contract_metadata(assets: Iterable) -> Sequence:
    """Every asset that is a table or view of the catalog (`schema/name`) gets its contract
    metadata; other assets are left as they are. Applied to all the definitions' assets, so
    that the raw and core specs carry their tables' schemas without listing them."""
    relations = catalog()

    def attach(spec: dg.AssetSpec) -> dg.AssetSpec:
        relation = relations.get(".".join(spec.key.path))
        if relation is None or len(spec.key.path) != 2:
            return spec
        contract = contract_metadata(relation)
        return spec.merge_attributes(
            metadata={k: v for k, v in contract.items() if k not in spec.metadata}
        )

    return dg.map_asset_specs(attach, list(assets))


def per_account_latest(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """`account: latest snapshot date` for each account of a mart."""
    rows = con.execute(
        f"SELECT account, max(snapshot_date) FROM {relation} GROUP BY account ORDER BY account"
    ).fetchall()
    return ", ".join(f"{account}: {day}" for account, day in rows) or "none"


def per_account_counts(con: duckdb.DuckDBPyConnection, relation: str, *, dated: bool = True):
    """Rows, accounts and (for a relation with snapshot_date) `per_account_latest`'s text, in
    one scan: over a million-person view each scan costs a tenth of a second or more."""
    latest = "max(snapshot_date)" if dated else "NULL"
    rows = con.execute(
        f"SELECT account, {latest}, count(*) FROM {relation} GROUP BY account ORDER BY account"
    ).fetchall()
    text = ", ".join(f"{account}: {day}" for account, day, _ in rows) or "none"
    return sum(n for *_, n in rows), len(rows), text


def table_summary(
    con: duckdb.DuckDBPyConnection, table: str, order_by: str, *, per_account: bool, dated: bool
) -> tuple[int, int | None, str | None, str]:
    """A table's rows, accounts, latest snapshots (as `per_account_counts`; None where it has
    no account column) and preview. For a view, summarize its rows evaluated into a table:
    over a million people some views cost seconds each time they are evaluated, and the
    counts and the preview would evaluate them twice."""
    if per_account:
        rows, accounts, latest = per_account_counts(con, table, dated=dated)
    else:
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        accounts = latest = None
    return rows, accounts, latest, markdown_preview(con, table, order_by)
