"""shared.db.insert_at_commit on a real PostgreSQL: queued rows land at commit, in order, and go away with
a rolled-back savepoint or transaction; shared.db.undone_on_error undoes a block's in-memory changes."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import event, func, select

from shared.config import DatabaseSettings
from shared.db import (
    create_engine,
    create_session_factory,
    insert_at_commit,
    undone_on_error,
)
from shared.models import Incident, MonitoredService, OutboxEvent, TimelineEntry

TABLE = OutboxEvent.__table__


def _row(kind: str) -> dict:
    return {"event_id": uuid.uuid4(), "type": kind, "payload": {"kind": kind, "at": datetime.now(UTC)}}


async def test_queued_rows_are_inserted_at_commit_in_order_without_rolled_back_savepoints(database_url):
    engine = create_engine(DatabaseSettings(database_url=database_url))
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
    engine = create_engine(DatabaseSettings(database_url=database_url))
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


async def test_rows_of_several_tables_go_in_one_statement_with_their_types_and_order(database_url):
    engine = create_engine(DatabaseSettings(database_url=database_url))
    sessions = create_session_factory(engine)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    at = datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=UTC)
    incident_id = uuid.uuid4()
    events = [_row("first"), _row("second")]
    try:
        async with sessions.begin() as session:
            session.add(
                Incident(
                    id=incident_id, title="t", service="s", severity="critical", created_at=at, updated_at=at
                )
            )
            messages = ['disk "full" \\ 100 %', "résolu ✓"]
            for message, outbox_row in zip(messages, events, strict=True):
                insert_at_commit(session, TimelineEntry.__table__, _entry(incident_id, at, message))
                insert_at_commit(session, TABLE, outbox_row)
            statements.clear()
        inserts = [s for s in statements if "INSERT" in s.upper()]
        assert len(inserts) == 2  # the incident (the flush), then the queued rows of both tables together

        async with sessions() as session:
            entries = (
                (
                    await session.execute(
                        select(TimelineEntry)
                        .where(TimelineEntry.incident_id == incident_id)
                        .order_by(TimelineEntry.id)
                    )
                )
                .scalars()
                .all()
            )
            stored = (
                await session.execute(
                    select(TABLE.c.event_id, TABLE.c.payload)
                    .where(TABLE.c.event_id.in_([e["event_id"] for e in events]))
                    .order_by(TABLE.c.id)
                )
            ).all()
        assert [(e.message, e.at, e.actor) for e in entries] == [(m, at, "tester") for m in messages]
        assert [row.event_id for row in stored] == [e["event_id"] for e in events]
        assert [row.payload["kind"] for row in stored] == ["first", "second"]
    finally:
        await engine.dispose()


def _entry(incident_id: uuid.UUID, at: datetime, message: str) -> dict:
    return {"incident_id": incident_id, "at": at, "actor": "tester", "kind": "note", "message": message}


WRITES = [("UPDATE", "incidents"), ("INSERT INTO", "timeline_entries"), ("INSERT INTO", "outbox_events")]
