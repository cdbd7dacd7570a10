"""shared.db.insert_at_commit on a real PostgreSQL: queued rows land at commit, in order, and go away with
a rolled-back savepoint or transaction; shared.db.undone_on_error undoes a block's in-memory changes."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from shared.config import BaseServiceSettings
from shared.db import create_engine, create_session_factory, insert_at_commit, undone_on_error
from shared.models import MonitoredService, OutboxEvent

TABLE = OutboxEvent.__table__


def _row(kind: str) -> dict:
    return {"event_id": uuid.uuid4(), "type": kind, "payload": {"kind": kind, "at": datetime.now(UTC)}}


async def test_queued_rows_are_inserted_at_commit_in_order_without_rolled_back_savepoints(database_url):
    engine = create_engine(BaseServiceSettings(database_url=database_url))
    sessions = create_session_factory(engine)
    try:
        async with sessions.begin() as session:
            insert_at_commit(session, TABLE, _row("first"))
            assert (await session.execute(select(func.count()).select_from(TABLE))).scalar_one() == 0
            try:
                async with session.begin_nested():
                    insert_at_commit(session, TABLE, _row("undone"))
                    raise RuntimeError("roll the savepoint back")
            except RuntimeError:
                pass
            async with session.begin_nested():
                insert_at_commit(session, TABLE, _row("kept"))
            try:
                async with session.begin_nested():  # an outer savepoint rolled back after an inner release
                    insert_at_commit(session, TABLE, _row("undone outer"))
                    async with session.begin_nested():
                        insert_at_commit(session, TABLE, _row("undone inner"))
                    insert_at_commit(session, TABLE, _row("undone after inner"))
                    raise RuntimeError("roll the outer savepoint back")
            except RuntimeError:
                pass
            insert_at_commit(session, TABLE, _row("last"))

        async with sessions.begin() as session:
            insert_at_commit(session, TABLE, _row("rolled back"))
            await session.rollback()

        async with sessions() as session:
            stored = (await session.execute(select(TABLE.c.type, TABLE.c.payload).order_by(TABLE.c.id))).all()
        assert [kind for kind, _ in stored] == ["first", "kept", "last"]
        assert stored[0].payload["kind"] == "first"  # the JSONB went through orjson (datetime included)
        assert isinstance(stored[0].payload["at"], str)
    finally:
        await engine.dispose()


async def test_a_block_that_fails_leaves_its_objects_and_queued_rows_as_they_were(database_url):
    engine = create_engine(BaseServiceSettings(database_url=database_url))
    sessions = create_session_factory(engine)
    name = f"undo-{uuid.uuid4().hex[:8]}"
    try:
        async with sessions.begin() as session:
            session.add(MonitoredService(name=name, description="stored", team="before"))
        async with sessions.begin() as session:
            service = (
                await session.execute(select(MonitoredService).where(MonitoredService.name == name))
            ).scalar_one()
            service.team = "changed before the block"  # kept: the block does not undo what came before it
            insert_at_commit(session, TABLE, _row("before the block"))
            try:
                with undone_on_error(session, [service]):
                    service.description, service.team = "changed in the block", "also in the block"
                    insert_at_commit(session, TABLE, _row("in the failed block"))
                    raise TimeoutError("on-call did not answer")
            except TimeoutError:
                pass
            assert (service.description, service.team) == ("stored", "changed before the block")
            with undone_on_error(session, [service]):  # a block that succeeds keeps its changes
                service.auto_resolve = False
                insert_at_commit(session, TABLE, _row("in the good block"))

        async with sessions() as session:
            stored = (
                await session.execute(select(MonitoredService).where(MonitoredService.name == name))
            ).scalar_one()
            kinds = (await session.execute(select(TABLE.c.type).order_by(TABLE.c.id))).scalars().all()
        assert (stored.description, stored.team, stored.auto_resolve) == (
            "stored",
            "changed before the block",
            False,
        )
        assert "in the failed block" not in kinds
        assert kinds[-2:] == ["before the block", "in the good block"]
    finally:
        await engine.dispose()
