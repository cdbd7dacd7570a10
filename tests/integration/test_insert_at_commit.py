"""shared.db.insert_at_commit on a real PostgreSQL: queued rows land at commit, in order, and go away with
a rolled-back savepoint or transaction."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from shared.config import BaseServiceSettings
from shared.db import create_engine, create_session_factory, insert_at_commit
from shared.models import OutboxEvent

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
