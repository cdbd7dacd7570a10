"""The audit log: who changed what, from where, with the fields before and after.

The credential check (shared.access, or a gRPC server for the dashboard's calls) says who is acting; every
session of `create_session_factory` then writes, in the same transaction as the change, one entry per
row the change creates, updates or deletes, named after the route (`create_user`, `acknowledge`...).
Rows are found by the ORM's own bookkeeping (its flush, and its bulk DELETE statements), so no command has
to remember to write an entry; a change written outside a session (a person's change of an incident, on
the driver's connection) gets the same entry from `change_entries`, written with the change. Secret
columns are never recorded; the rows a change causes rather than makes (timeline, outbox, alerts) are left
out. The table refuses UPDATE and DELETE (migration 0016).
"""

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import ColumnClause, Delete, Table, TableClause, event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import instance_state

from services.oncall_service.models import AuditEntry
from shared.auth import Identity, Role

SECRET_COLUMNS = frozenset({"password_hash", "secret", "previous_secret", "token_hash", "key_hash"})
# Written as a consequence of a change (or the log itself), not changes of their own.
UNAUDITED_TABLES = frozenset(
    {
        "audit_log",
        "timeline_entries",
        "outbox_events",
        "alerts",
        "incident_quarter_sums",
        "webhook_attempts",
        "email_notifications",
    }
)
_TABLE = cast(Table, AuditEntry.__table__)  # the ORM types a mapped class's table as any FromClause


@dataclass(frozen=True)
class Acting:
    identity: Identity | None
    client_ip: str | None
    action: str


_acting: ContextVar[Acting | None] = ContextVar("audit_acting", default=None)


def acting(identity: Identity, client_ip: str | None, *, action: str) -> None:
    """Who the changes made from here on in this request are made by."""
    _acting.set(Acting(identity, client_ip, action))


def acting_identity() -> Identity | None:
    """Who the current request or gRPC call acts for, when it named someone."""
    who = _acting.get()
    return who.identity if who else None


def entry(
    *,
    identity: Identity | None,
    client_ip: str | None,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """An audit row; `actor` names an unauthenticated caller (a failed login's email)."""
    return {
        "at": datetime.now(UTC),
        "actor_type": identity.kind if identity else "anonymous",
        "actor_id": str(identity.id) if identity else None,
        "actor": identity.actor if identity else (actor or "anonymous")[:400],
        "client_ip": client_ip,
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "before": before,
        "after": after,
    }


async def append(session: AsyncSession, row: dict[str, Any]) -> None:
    """Write an entry that no row change carries (a login, a failed login)."""
    await session.execute(insert(_TABLE), [row])


def _json(value: object) -> object:
    if isinstance(value, datetime | date | time | uuid.UUID):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    return value


def _columns(table: TableClause) -> list[ColumnClause[Any]]:
    return [c for c in table.columns if c.key not in SECRET_COLUMNS]


def snapshot(obj: object) -> dict[str, object]:
    """A mapped object's columns as the log records them (secret columns left out)."""
    mapper = instance_state(obj).mapper
    return {
        c.key: _json(getattr(obj, prop.key))
        for prop in mapper.column_attrs
        for c in prop.columns
        if c.key not in SECRET_COLUMNS
    }


def _changes(obj: object) -> tuple[dict[str, object], dict[str, object]]:
    """The changed columns' values before and after."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    state = instance_state(obj)
    for prop in state.mapper.column_attrs:
        if prop.key in SECRET_COLUMNS:
            continue
        history = state.attrs[prop.key].history
        if history.has_changes():
            before[prop.key] = _json(history.deleted[0]) if history.deleted else None
            after[prop.key] = _json(history.added[0]) if history.added else None
    return before, after


def _audited(obj: object) -> str | None:
    table = getattr(obj, "__tablename__", None)
    return None if table is None or table in UNAUDITED_TABLES else table


def _row(
    who: Acting,
    table: str,
    target_id: object,
    before: dict[str, object] | None,
    after: dict[str, object] | None,
) -> dict[str, Any]:
    return entry(
        identity=who.identity,
        client_ip=who.client_ip,
        action=who.action,
        target_type=table,
        target_id=target_id,
        before=before,
        after=after,
    )


def _flushed_rows(session: Session, who: Acting) -> list[dict[str, Any]]:
    rows = []
    for obj in session.new:
        if table := _audited(obj):
            rows.append(_row(who, table, getattr(obj, "id", None), None, snapshot(obj)))
    for obj in session.dirty:
        if (table := _audited(obj)) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                rows.append(_row(who, table, getattr(obj, "id", None), before, after))
    for obj in session.deleted:
        if table := _audited(obj):
            rows.append(_row(who, table, getattr(obj, "id", None), snapshot(obj), None))
    return rows


def change_entries(
    table: str, target_id: object, before: dict[str, object], after: dict[str, object]
) -> list[dict[str, Any]]:
    """The entry of a row changed outside a session (`before` and `after` are its `snapshot`s), as a
    session's flush would write it: none when nobody is acting or nothing changed."""
    who = _acting.get()
    changed = [key for key, value in after.items() if before.get(key) != value]
    if who is None or not changed:
        return []
    return [_row(who, table, target_id, {k: before.get(k) for k in changed}, {k: after[k] for k in changed})]


class AuditedSession(Session):
    """The ORM session of every service: changes made while someone is acting are logged."""


@event.listens_for(AuditedSession, "after_flush")
def _log_flush(session: Session, _flush_context: UOWTransaction) -> None:
    who = _acting.get()
    if who is None:
        return
    rows = _flushed_rows(session, who)
    if rows:
        session.connection().execute(insert(_TABLE), rows)


@event.listens_for(AuditedSession, "do_orm_execute")
def _log_bulk_delete(state: ORMExecuteState) -> None:
    """A DELETE statement of mapped rows (`delete(User).where(...)`): each row deleted, as it was."""
    who, statement = _acting.get(), state.statement
    if who is None or not isinstance(statement, Delete) or not isinstance(statement.table, TableClause):
        return
    table = statement.table
    if table.name in UNAUDITED_TABLES:
        return
    query = select(*_columns(table))
    if statement.whereclause is not None:  # without one, every row goes (`where(None)` would match none)
        query = query.where(statement.whereclause)
    found = state.session.execute(query)
    rows = [
        _row(who, table.name, r.get("id"), {k: _json(v) for k, v in r.items()}, None)
        for r in found.mappings()
    ]
    if rows:
        state.session.connection().execute(insert(_TABLE), rows)


# The dashboard acts through gRPC in a person's name: who, and from where, travel in the call's metadata
# (trusted: only holders of the internal credential can call).
_ACTOR_KEYS = ("x-actor-kind", "x-actor-id", "x-actor-name", "x-actor-role", "x-client-ip")


def identity_metadata(identity: Identity, client_ip: str | None) -> tuple[tuple[str, str], ...]:
    """Metadata naming the person a gRPC call acts for."""
    values = (identity.kind, str(identity.id), identity.name, identity.role.value, client_ip or "")
    return tuple(zip(_ACTOR_KEYS, values, strict=True))


def acting_from_metadata(metadata: dict[str, str], *, action: str) -> None:
    """Adopt the person a gRPC call acts for, when it names one."""
    kind = metadata.get("x-actor-kind")
    if kind not in ("user", "token"):
        return
    try:
        who = Identity(
            kind,
            uuid.UUID(metadata["x-actor-id"]),
            metadata.get("x-actor-name", ""),
            Role(metadata.get("x-actor-role", "")),
        )
    except (KeyError, ValueError):
        return
    _acting.set(Acting(who, metadata.get("x-client-ip") or None, action))
