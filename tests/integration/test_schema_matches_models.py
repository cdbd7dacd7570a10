"""The migrated schema is exactly what the services' models (gathered by shared/models.py) and
shared/migrations/sql/ declare."""

import asyncio
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrate import alembic_config
from shared.models import Base
from tests.conftest import fresh_database

pytestmark = pytest.mark.integration

SQL = Path(__file__).resolve().parents[2] / "shared" / "migrations" / "sql"

# Triggers are made by migrations only; their functions are files under SQL.
TRIGGERS = {
    ("audit_log", "audit_log_append_only"),
    ("incidents", "incident_counts_delete"),
    ("incidents", "incident_counts_insert"),
    ("incidents", "incident_counts_update"),
    ("incidents", "incident_quarter_sums_delete"),
    ("incidents", "incident_quarter_sums_insert"),
    ("incidents", "incident_quarter_sums_update"),
}

# What the catalog says of the public schema: (kind, name) -> definition.
_CATALOG = {
    "column": """
        SELECT table_name || '.' || column_name,
               concat_ws(' ', data_type, character_maximum_length, is_nullable, column_default)
          FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> 'alembic_version'""",
    "index": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    " AND tablename <> 'alembic_version'",
    "constraint": """
        SELECT c.conrelid::regclass || '.' || c.conname, pg_get_constraintdef(c.oid)
          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = 'public' AND c.conrelid::regclass::text <> 'alembic_version'""",
    "function": """
        SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
               concat_ws(' ', pg_get_function_result(p.oid), p.proconfig::text, p.prosrc)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'""",
    "trigger": """
        SELECT t.tgrelid::regclass || '.' || t.tgname, pg_get_triggerdef(t.oid)
          FROM pg_trigger t WHERE NOT t.tgisinternal""",
}


async def _catalog(url: str) -> dict[tuple[str, str], str]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return {
            (kind, name): definition
            for kind, query in _CATALOG.items()
            for name, definition in await connection.fetch(query)
        }
    finally:
        await connection.close()


async def _build_from_declarations(url: str) -> None:
    """The models' tables, then every SQL file (functions)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
            driver = (await connection.get_raw_connection()).driver_connection
            for path in sorted(SQL.glob("*.sql")):
                await driver.execute(path.read_text())
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def declared_catalog(postgres_server_url):
    with fresh_database(postgres_server_url, migrated=False) as url:
        asyncio.run(_build_from_declarations(url))
        yield asyncio.run(_catalog(url))


async def test_migrations_produce_the_declared_schema(database_url):
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_the_migration_chain_builds_what_the_models_and_sql_files_declare(
    database_url, declared_catalog
):
    """Tables, columns, indexes, constraints and functions' text of a database upgraded through every
    migration equal those of one built from the declarations; its triggers are the known ones."""
    migrated = await _catalog(database_url)
    triggers = {name for kind, name in migrated if kind == "trigger"}
    assert triggers == {f"{table}.{name}" for table, name in TRIGGERS}
    migrated = {key: value for key, value in migrated.items() if key[0] != "trigger"}
    differing = {
        key: (migrated.get(key), declared_catalog.get(key))
        for key in migrated.keys() | declared_catalog.keys()
        if migrated.get(key) != declared_catalog.get(key)
    }
    assert differing == {}, "\n".join(f"{k}: {v}" for k, v in sorted(differing.items()))


async def test_every_function_of_the_schema_is_one_sql_file(declared_catalog):
    """A function's current text lives in shared/migrations/sql/<name>.sql, one file each."""
    functions = {name.split("(")[0] for kind, name in declared_catalog if kind == "function"}
    assert functions == {path.stem for path in SQL.glob("*.sql")}


async def test_the_ingest_functions_keep_their_plan_settings(database_url):
    """Index plans (migration 0011: without them, cached plans scan `alerts` whole on a young database),
    and generic ones (0024: the custom plan made for every call cost a single alert's call ~0.2 ms)."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT proname, proconfig FROM pg_proc WHERE proname LIKE 'ingest%' ORDER BY proname"
        )
    finally:
        await connection.close()
    assert {row["proname"]: row["proconfig"] for row in rows} == {
        "ingest_alerts": ["enable_seqscan=off", "plan_cache_mode=force_generic_plan"],
        "ingest_quiet_alerts": ["plan_cache_mode=force_generic_plan"],
        "ingest_triggered_alerts": ["enable_seqscan=off", "plan_cache_mode=force_generic_plan"],
    }


def test_the_migrations_downgrade_and_upgrade_again(postgres_server_url):
    """Each migration's downgrade undoes it far enough for its upgrade to run again (none imports another:
    each holds the text it needs)."""
    with fresh_database(postgres_server_url) as url:
        config = alembic_config(url)
        command.downgrade(config, "0005")
        command.upgrade(config, "head")
        after = asyncio.run(_catalog(url))
    with fresh_database(postgres_server_url) as url:
        assert after == asyncio.run(_catalog(url))
