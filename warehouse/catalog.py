"""The warehouse's catalog: every table, view and table macro, its columns with their types
and descriptions, where it is defined, and, for a view, what it reads, column by column.

Nothing here is kept by hand twice. Columns and types come from the warehouse itself (the
migrations and the view files run in an in-memory DuckDB); what a view reads comes from its
SQL, parsed with sqlglot; descriptions come from `catalog.yaml`, which docs/metrics.md's
column tables are generated from (`python -m warehouse.catalog` rewrites them). No Dagster
here: `pipelines/` turns this into asset specs and metadata.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import yaml

from warehouse.database import MIGRATIONS, SQL, VIEW_FILES, migrate

if TYPE_CHECKING:
    from sqlglot import exp

HERE = Path(__file__).parent
CATALOG_FILE = HERE / "catalog.yaml"
METRICS_DOC = HERE.parent / "docs" / "metrics.md"
SCHEMAS = ("raw", "core", "marts", "analytics")
_CREATE_TABLE = re.compile(r"^\s*CREATE TABLE (?:IF NOT EXISTS )?(\w+\.\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    nullable: bool | None = None
    example: str | None = None


@dataclass(frozen=True)
class Relation:
    """A table, view or table macro of the warehouse."""

    name: str  # schema-qualified: analytics.reach
    kind: str  # table | view | macro
    description: str
    columns: tuple[Column, ...]
    file: Path  # the .sql file that creates it
    line: int  # where its CREATE statement starts
    sql: str | None = None  # a view's or macro's statement, as written in its file
    # The relations a view reads, and for each of its columns the (relation, column) pairs
    # the column is computed from (a count(*) reads no column: absent).
    sources: tuple[str, ...] = ()
    column_sources: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # For a table without an asset of its own: the asset whose step writes it.
    asset: str | None = None

    @property
    def schema(self) -> str:
        return self.name.split(".")[0]

    @property
    def short_name(self) -> str:
        return self.name.split(".")[1]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class ViewStatement:
    """One CREATE VIEW or CREATE MACRO ... AS TABLE statement of a view file."""

    name: str
    kind: str
    file: Path
    line: int
    sql: str
    parsed: exp.Create


def view_files() -> list[Path]:
    """The view files, in the order the migrations apply them (`VIEW_FILES`)."""
    return [SQL / f"{name}.sql" for name in VIEW_FILES]


def view_statements(path: Path) -> Iterator[ViewStatement]:
    """The views and table macros a view file creates, in file order.

    Our SQL files end every statement with `;` at the end of a line (as
    `warehouse.database.run_sql_file` relies on), so a statement is the text up to such a
    line; sqlglot parses each one, which names what it creates."""
    import sqlglot
    from sqlglot import exp

    lines = path.read_text().splitlines()
    start = None
    for number, text in enumerate(lines, 1):
        code = text.split("--", 1)[0].strip()
        if start is None and code:
            start = number
        if start is not None and code.endswith(";"):
            sql = "\n".join(lines[start - 1 : number])
            try:
                parsed = sqlglot.parse_one(sql, read="duckdb")
            except sqlglot.errors.ParseError as exc:
                # The lineage of every view comes from this parse: a statement it cannot read
                # must stop the definitions, naming the place, not leave a view out.
                raise ValueError(f"{path}:{start}: sqlglot cannot parse it: {exc}") from exc
            start = None
            if not isinstance(parsed, exp.Create):
                continue
            kind = str(parsed.args.get("kind", "")).lower()
            target = parsed.this
            if isinstance(target, exp.UserDefinedFunction):
                target = target.this
            if kind in ("view", "macro") and isinstance(target, exp.Table):
                yield ViewStatement(
                    f"{target.db}.{target.name}", kind, path, number - sql.count("\n"), sql, parsed
                )


def relations_read(query: exp.Expression) -> set[str]:
    """The schema-qualified tables and views a query reads (its CTEs are not relations)."""
    from sqlglot import exp

    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    return {
        f"{table.db}.{table.name}"
        for table in query.find_all(exp.Table)
        if table.db or table.name not in ctes
    }


def column_lineage(query: exp.Expression, schema: dict) -> dict[str, tuple[tuple[str, str], ...]]:
    """For each output column of a query, the (relation, column) pairs it is computed from,
    following CTEs, subqueries, window functions and CASE expressions (sqlglot's lineage)."""
    from sqlglot import exp
    from sqlglot.lineage import lineage

    nodes = lineage(None, query, schema=schema, dialect="duckdb")
    found = {}
    for name, node in nodes.items():
        leaves = {
            (f"{leaf.source.db}.{leaf.source.name}", leaf.name.rsplit(".", 1)[-1])
            for leaf in node.walk()
            if not leaf.downstream and isinstance(leaf.source, exp.Table)
        }
        if leaves:
            found[name] = tuple(sorted(leaves))
    return found


def _described_columns(con, relation: str, kind: str) -> list[tuple[str, str, bool | None]]:
    if kind == "table":
        schema, name = relation.split(".")
        rows = con.execute(
            "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
        return [(n, t, nullable) for n, t, nullable in rows]
    source = f"{relation}(NULL)" if kind == "macro" else relation
    return [(n, t, None) for n, t, *_ in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]


def _describe(entries: dict, relation: str, column: str, seen: frozenset = frozenset()) -> dict:
    """A column's {description, example}: its own entry, else its `columns_like` relations',
    else the shared one."""
    entry = entries.get(relation, {})
    text = (entry.get("columns") or {}).get(column)
    if text is not None:
        return text if isinstance(text, dict) else {"description": text}
    for like in entry.get("columns_like", []):
        if like not in seen:
            found = _describe(entries, like, column, seen | {relation})
            if found:
                return found
    shared = entries.get("shared", {}).get(column)
    return {"description": shared} if shared else {}


def _table_definitions() -> dict[str, tuple[Path, int]]:
    found = {}
    for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql")):
        for number, text in enumerate(path.read_text().splitlines(), 1):
            match = _CREATE_TABLE.match(text)
            if match:
                found.setdefault(match.group(1).lower(), (path, number))
    return found


@functools.cache
def catalog() -> dict[str, Relation]:
    """Every relation of the warehouse's schemas, by schema-qualified name.

    Building it takes about 0.9 s (the migrations in an in-memory DuckDB, then sqlglot's
    lineage of each view), and every process that loads the definitions needs it: `lnw run`,
    each step process of `--workers N`, the UI's code server. So the result is kept in the
    user's cache directory under a digest of everything it is made from (catalog.yaml, the
    migrations, the view files, this module and database.py, the versions of DuckDB and
    sqlglot): any edit gives a new digest, and a stale entry is never read."""
    digest = _source_digest()
    cached = _read_cached(digest)
    if cached is not None:
        return cached
    found = _build_catalog()
    _write_cached(digest, found)
    return found


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lnw"


def _source_digest() -> str:
    from importlib.metadata import version

    sha = hashlib.sha256()
    sources = [
        CATALOG_FILE,
        Path(__file__),
        HERE / "database.py",
        *sorted(MIGRATIONS.glob("*.sql")),
        *view_files(),
    ]
    for path in sources:
        sha.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    sha.update(f"duckdb {duckdb.__version__} sqlglot {version('sqlglot')}".encode())
    return sha.hexdigest()[:32]


def _read_cached(digest: str) -> dict[str, Relation] | None:
    try:
        entries = json.loads((_cache_dir() / f"catalog-{digest}.json").read_text())
    except (OSError, ValueError):
        return None
    try:
        return {
            e["name"]: Relation(
                **{
                    **e,
                    "columns": tuple(Column(**c) for c in e["columns"]),
                    "file": Path(e["file"]),
                    "sources": tuple(e["sources"]),
                    "column_sources": {
                        column: tuple(tuple(pair) for pair in pairs)
                        for column, pairs in e["column_sources"].items()
                    },
                }
            )
            for e in entries
        }
    except (KeyError, TypeError):  # written by another shape of Relation: build again
        return None


def _write_cached(digest: str, found: dict[str, Relation]) -> None:
    """Best effort: a cache directory that cannot be written only costs the build again.
    The file holds no personal data (names of tables and columns, the SQL)."""
    entries = [
        {**dataclasses.asdict(relation), "file": str(relation.file)} for relation in found.values()
    ]
    directory = _cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = directory / f".catalog-{digest}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(entries))
        temporary.chmod(0o600)
        temporary.replace(directory / f"catalog-{digest}.json")
    except OSError:
        pass


def _build_catalog() -> dict[str, Relation]:
    import sqlglot

    entries = yaml.safe_load(CATALOG_FILE.read_text())
    con = duckdb.connect()
    try:
        migrate(con)
        schema: dict[str, dict[str, dict[str, str]]] = {}
        for table_schema, table, column, data_type in con.execute(
            "SELECT table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns ORDER BY table_schema, table_name, ordinal_position"
        ).fetchall():
            schema.setdefault(table_schema, {}).setdefault(table, {})[column] = data_type
        found: dict[str, Relation] = {}
        tables = _table_definitions()
        for name, (path, line) in tables.items():
            if name.split(".")[0] in SCHEMAS:
                found[name] = _relation(con, entries, name, "table", path, line)
        for path in view_files():
            for statement in view_statements(path):
                query = statement.parsed.expression
                try:
                    lineage_of_columns = column_lineage(query, schema)
                except sqlglot.errors.SqlglotError as exc:
                    raise ValueError(
                        f"{path}:{statement.line}: no column lineage for {statement.name}: {exc}"
                    ) from exc
                found[statement.name] = _relation(
                    con,
                    entries,
                    statement.name,
                    statement.kind,
                    path,
                    statement.line,
                    sql=statement.sql,
                    sources=tuple(sorted(relations_read(query))),
                    column_sources=lineage_of_columns,
                )
    finally:
        con.close()
    return found


def _relation(con, entries: dict, name: str, kind: str, path: Path, line: int, **more) -> Relation:
    entry = entries.get(name, {})
    columns = []
    for column, data_type, nullable in _described_columns(con, name, kind):
        described = _describe(entries, name, column)
        example = described.get("example")
        columns.append(
            Column(
                column,
                data_type,
                " ".join(str(described.get("description", "")).split()),
                nullable,
                None if example is None else str(example),
            )
        )
    return Relation(
        name=name,
        kind=kind,
        description=" ".join(str(entry.get("description", "")).split()),
        columns=tuple(columns),
        file=path,
        line=line,
        asset=entry.get("asset"),
        **more,
    )


def column_schema(relation: str) -> tuple[Column, ...]:
    """The columns of a table or view, with types and descriptions: what the lead's asset
    specs (and anyone else) attach as their column schema."""
    return catalog()[relation].columns


def public_views() -> list[Relation]:
    """The analytics views and table macros, in the order their files create them."""
    return [r for r in catalog().values() if r.kind in ("view", "macro")]


def catalog_problems() -> list[str]:
    """Columns without a description, and entries of catalog.yaml naming a relation or
    column the warehouse does not have."""
    entries = yaml.safe_load(CATALOG_FILE.read_text())
    relations = catalog()
    problems = [
        f"{r.name}.{c.name} has no description in {CATALOG_FILE.name}"
        for r in relations.values()
        for c in r.columns
        if not c.description
    ]
    problems += [
        f"{r.name} has no description in {CATALOG_FILE.name}"
        for r in relations.values()
        if not r.description
    ]
    for name, entry in entries.items():
        if name == "shared":
            continue
        if name not in relations:
            problems.append(f"{CATALOG_FILE.name} describes {name}, which does not exist")
            continue
        known = {c.name for c in relations[name].columns}
        problems += [
            f"{CATALOG_FILE.name} describes {name}.{column}, which does not exist"
            for column in entry.get("columns") or {}
            if column not in known
        ]
    return problems


# -- docs/metrics.md: the column tables between markers ------------------------------------

_BLOCK = re.compile(
    r"(<!-- columns of (?P<name>\w+\.\w+)[^>]*-->\n)(?P<body>.*?)(<!-- end of columns -->)",
    re.DOTALL,
)


def markdown_columns(relation: Relation) -> str:
    """A relation's columns as the Markdown table docs/metrics.md shows."""
    with_examples = any(c.example is not None for c in relation.columns)
    header = "| column | type | meaning |" + (" example |" if with_examples else "")
    lines = [header, "|---|---|---|" + ("---|" if with_examples else "")]
    for c in relation.columns:
        cells = [f"`{c.name}`", c.type, c.description.replace("|", "\\|")]
        if with_examples:
            cells.append((c.example or "").replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_metrics_doc(text: str) -> str:
    """docs/metrics.md with each `<!-- columns of NAME -->` block regenerated."""
    relations = catalog()

    def block(match: re.Match) -> str:
        return match.group(1) + markdown_columns(relations[match.group("name")]) + match.group(4)

    return _BLOCK.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/metrics.md's column tables from the catalog (`--check`: only compare)."""
    argv = sys.argv[1:] if argv is None else argv
    current = METRICS_DOC.read_text()
    wanted = render_metrics_doc(current)
    if "--check" in argv:
        if wanted != current:
            print(f"{METRICS_DOC} is out of date: run `uv run python -m warehouse.catalog`")
            return 1
        return 0
    if wanted != current:
        METRICS_DOC.write_text(wanted)
        print(f"rewrote the column tables of {METRICS_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
