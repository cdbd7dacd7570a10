"""The migrated schema is exactly what shared/models.py declares."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.models import Base

pytestmark = pytest.mark.integration


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


async def test_the_ingest_function_keeps_its_index_plans_setting(database_url):
    """Migration 0011: a later CREATE OR REPLACE of the function drops its settings unless it repeats them,
    and without this one its cached plans scan `alerts` whole on a young database (see the migration)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            config = await connection.scalar(
                text("SELECT proconfig FROM pg_proc WHERE proname = 'ingest_triggered_alerts'")
            )
    finally:
        await engine.dispose()
    assert config == ["enable_seqscan=off"]
