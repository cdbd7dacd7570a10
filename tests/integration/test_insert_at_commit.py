"""shared.db.insert_at_commit on a real PostgreSQL: queued rows land at commit, in order, and go away with
a rolled-back savepoint or transaction; shared.db.undone_on_error undoes a block's in-memory changes;
shared.db.DriverWork writes a driver transaction's changes and queued rows in one statement."""

import uuid
from datetime import UTC, datetime

import orjson
from sqlalchemy import event, func, select

from services.incident_management.repository import adopt_incident
from shared.config import DatabaseSettings
from shared.db import (
    DriverPool,
    DriverWork,
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


async def _inserted_incident(connection, title: str) -> dict:
    """An incident row as the ingest statement gives it (`to_jsonb`), inserted in the caller's transaction."""
    row = await connection.fetchval(
        "INSERT INTO incidents (id, title, service, severity, status, assignment_pending, alert_count,"
        " duplicate_count, created_at, updated_at, escalation_level, escalation_cycle)"
        " VALUES (gen_random_uuid(), $1, 'svc', 'critical', 'open', true, 1, 0, now(), now(), -1, 0)"
        " RETURNING to_jsonb(incidents.*)::text",
        title,
    )
    return orjson.loads(row)


async def test_driver_work_writes_changed_columns_and_queued_rows_in_one_statement(database_url):
    driver = DriverPool(DatabaseSettings(database_url=database_url), size=1)
    user, at = uuid.uuid4(), datetime(2026, 12, 1, 9, 0, 0, 250000, tzinfo=UTC)
    try:
        async with driver.connection() as connection:
            sent: list[str] = []
            connection.add_query_logger(lambda record: sent.append(record.query))
            async with connection.transaction():
                rows = [
                    await _inserted_incident(connection, title) for title in ("paged", "unassigned", "as is")
                ]
                work = DriverWork()
                paged, unassigned, untouched = (adopt_incident(work, row) for row in rows)
                # the database's own value after the row was adopted: a column nobody changed is not written
                await connection.execute("UPDATE incidents SET title = 'retitled' WHERE id = $1", paged.id)
                paged.assigned_to, paged.assignee_name, paged.updated_at = user, 'Ada "the" Lovelace', at
                paged.assignment_pending = unassigned.assignment_pending = False
                untouched.severity = "critical"  # set to the value it had: no change
                for incident in (paged, unassigned):
                    insert_at_commit(work, TimelineEntry.__table__, _entry(incident.id, at, incident.title))
                insert_at_commit(work, TABLE, _row("assigned"))
                await work.write(connection)
            [written] = [query for query in sent if "jsonb_to_record" in query]
            assert [written.count(f"{verb} {table}") for verb, table in WRITES] == [2, 1, 1]
            stored = {
                row["title"]: row
                for row in await connection.fetch(
                    "SELECT title, assigned_to, assignee_name, assignment_pending, updated_at FROM incidents"
                )
            }
            entries = await connection.fetch("SELECT message, at FROM timeline_entries ORDER BY id")
            kinds = await connection.fetch("SELECT type FROM outbox_events")
        assert set(stored) == {"retitled", "unassigned", "as is"}
        assert tuple(stored["retitled"].values())[1:] == (user, 'Ada "the" Lovelace', False, at)
        assert (
            stored["unassigned"]["assignment_pending"] is False
            and stored["unassigned"]["assigned_to"] is None
        )
        assert stored["as is"]["assignment_pending"] is True
        assert [(e["message"], e["at"]) for e in entries] == [("paged", at), ("unassigned", at)]
        assert [k["type"] for k in kinds] == ["assigned"]
        assert work.info == {}  # the queued rows went with the write
    finally:
        await driver.close()


async def test_driver_work_writes_nothing_a_failed_block_changed(database_url):
    driver = DriverPool(DatabaseSettings(database_url=database_url), size=1)
    try:
        async with driver.connection() as connection, connection.transaction():
            work = DriverWork()
            incident = adopt_incident(work, await _inserted_incident(connection, "kept"))
            try:
                with undone_on_error(work, [incident]):
                    incident.assignment_pending, incident.assignee_name = False, "nobody answered"
                    insert_at_commit(work, TABLE, _row("in the failed block"))
                    raise TimeoutError("on-call did not answer")
            except TimeoutError:
                pass
            await work.write(connection)
            stored = await connection.fetchrow(
                "SELECT assignment_pending, assignee_name FROM incidents WHERE id = $1", incident.id
            )
            assert tuple(stored.values()) == (True, None)
            assert await connection.fetchval("SELECT count(*) FROM outbox_events") == 0
    finally:
        await driver.close()
