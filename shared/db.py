"""Async engine and session factory; the driver's own connections (DriverPool) and the writes of a
transaction on them (DriverWork)."""

import asyncio
import contextlib
import functools
import socket
from collections.abc import AsyncIterator, Iterable, Iterator

import asyncpg
import orjson
import sqlalchemy.exc
from sqlalchemy import Insert, Table, TextClause, event, insert, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction, configure_mappers

from shared.audit import AuditedSession
from shared.config import DatabaseSettings
from shared.errors import Unavailable
from shared.metrics import track_engine

_QUEUED = "rows_inserted_at_commit"
_SAVEPOINTS = "queued_rows_at_savepoints"


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An asyncpg-backed engine sized from settings, its pool in db_pool_connections_in_use."""
    engine = create_async_engine(
        settings.database_url,
        # A fixed pool: overflow connections are opened and closed per burst, and connecting costs far
        # more than waiting for a pooled connection (requests in flight are bounded upstream anyway).
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=10,
        # No ping round trip per checkout (it cost ~5 % of ingestion): after a database restart SQLAlchemy
        # invalidates the whole pool at the first disconnect error, so one request fails and is retried.
        pool_pre_ping=False,
        pool_recycle=1800,
        # JSONB columns (event payloads, subscriptions) through orjson: the stdlib json codec was ~5 % of
        # the notifier's CPU.
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
        # Prepared statements kept per connection (SQLAlchemy's default, 100, is below the number of
        # statements a service runs, and every miss is a Parse round trip and planning in PostgreSQL).
        connect_args={"prepared_statement_cache_size": 500},
    )
    track_engine(engine)
    return engine


# The database cannot be reached, or went away mid-statement (a restart, a failover, a network cut): a
# temporary refusal the caller may retry, unlike the errors of a statement itself.
_UNREACHABLE = (
    ConnectionError,  # refused, reset, broken pipe: connecting or mid-statement
    socket.gaierror,  # the database's host name does not resolve
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free within pool_timeout
)


# What the driver raises about a connection it lost track of: one the database ended (a restart, an
# administrator, an idle timeout) while it sat in the pool, used before its end was read.
_LOST = (asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, the driver's error it wraps, their causes: a short chain."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return
        yield seen
        seen = getattr(seen, "orig", None) or seen.__cause__


def database_unavailable(error: BaseException) -> Unavailable | None:
    """Unavailable (503, gRPC UNAVAILABLE: retry later) when `error` says the database could not be
    reached or dropped the connection; None for any other error."""
    for seen in _chain(error):
        if isinstance(seen, _UNREACHABLE) or getattr(seen, "connection_invalidated", False):
            return Unavailable(f"database unavailable ({type(seen).__name__}); retry later")
    return None


def connection_cut(error: BaseException) -> bool:
    """`error` says the connection broke under the work (the database ended it, or the driver lost track
    of it), not that the work itself was refused: the same work may succeed on a new connection."""
    return database_unavailable(error) is not None or any(isinstance(seen, _LOST) for seen in _chain(error))


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit. The ORM's mappers are configured here, at
    start-up, rather than by the first request that touches a model (~50 ms of the first alert's time)."""
    configure_mappers()
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=AuditedSession)


def create_autocommit_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions where each statement commits on its own, which spares the BEGIN and COMMIT/ROLLBACK round
    trips of a transaction (~0.25 ms of client CPU each time, measured here). Only for hot reads that do
    not need one snapshot across their statements, and for writes that are one statement."""
    return create_session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


class DriverPool:
    """A few connections of the driver itself (asyncpg), for the hottest statements that are one statement
    each (autocommit): through SQLAlchemy a statement cost 230-270 µs of client CPU, on the driver's
    connection 48-78 µs, and taking one from this pool ~40 µs against ~200 µs for SQLAlchemy's (measured
    here). Opened at first use; a released connection is not reset (its statements leave no session state:
    no transaction, only transaction-scoped locks), which spares a round trip per use."""

    def __init__(self, settings: DatabaseSettings, *, size: int) -> None:
        self._dsn, self._size = settings.asyncpg_dsn, size
        self._opening: asyncio.Future[asyncpg.Pool] | None = None

    async def _pool(self) -> asyncpg.Pool:
        if self._opening is None or _failed(self._opening):  # not yet, or the last attempt failed: again
            self._opening = asyncio.ensure_future(
                asyncpg.create_pool(self._dsn, min_size=0, max_size=self._size, reset=_keep_session)
            )
        return await asyncio.shield(self._opening)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        pool = await self._pool()
        async with pool.acquire() as connection:
            try:
                yield connection
            except (*_UNREACHABLE, *_LOST):
                # Ended under us, or left in a state the driver cannot go on from: most likely the database
                # restarted and ended them all, so every connection is replaced at its next use (this one
                # as it goes back to the pool) rather than handed out again.
                await pool.expire_connections()
                raise

    async def close(self) -> None:
        if self._opening is not None and self._opening.done() and not _failed(self._opening):
            await self._opening.result().close()


def _failed(opening: asyncio.Future) -> bool:
    return opening.done() and (opening.cancelled() or opening.exception() is not None)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Instead of asyncpg's reset on release (RESET ALL, UNLISTEN, ...: a round trip)."""


class DriverWork:
    """What a transaction on the driver's own connection (`DriverPool`) writes as it ends, made in memory
    meanwhile, as a session's would be: rows queued with `insert_at_commit`, and the changes made to ORM
    objects `add`ed to it as loaded (detached: rows this transaction inserted, as they were inserted).
    `write` sends all of it in one statement, which the caller runs before committing: a session flushed
    the changes, then inserted the rows, each through SQLAlchemy (~0.25 ms of client CPU a statement,
    here)."""

    def __init__(self) -> None:
        self.info: dict = {}
        self._adopted: list[object] = []

    def add(self, obj: object) -> None:
        self._adopted.append(obj)

    async def write(self, connection: asyncpg.Connection) -> None:
        """The adopted objects' changed columns, then the queued rows, as one statement of CTEs."""
        parts, values = [], []
        for table, columns, row in _updates(self._adopted):
            values.append(_json_param(row))
            parts.append(_update_cte(len(parts), table, columns, f"${len(values)}::jsonb"))
        for table, rows in self.info.pop(_QUEUED, {}).items():
            if rows:
                values.append(_json_param(rows))
                parts.append(_insert_cte(len(parts), table, _columns(table, rows), f"${len(values)}::jsonb"))
        if parts:
            await connection.execute(f"WITH {', '.join(parts)} SELECT", *values)


# Where a transaction's rows are queued and its objects changed: a session, or a DriverWork.
Writes = AsyncSession | Session | DriverWork


def insert_at_commit(session: Writes, table: Table, row: dict) -> None:
    """Queue `row` for `table`: just before the transaction commits, each table's queued rows go in one
    executemany INSERT. Cheaper than ORM objects for rows nobody reads back in the same transaction (the
    ORM fetched every generated id with RETURNING); a table's rows keep the order they were queued in.
    Rows queued inside a savepoint that rolls back are dropped with it."""
    queued(session, table).append(row)


def queued(session: Writes, table: Table) -> list[dict]:
    """The rows queued for `table` in this transaction, in order: the list itself, which the caller may
    change (outside an `undone_on_error` block: it undoes by cutting the list back to its length)."""
    return session.info.setdefault(_QUEUED, {}).setdefault(table, [])


@event.listens_for(Session, "before_commit")
def _insert_queued(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy fires this for those too): the rows wait for the commit
    queued = session.info.pop(_QUEUED, None)
    session.info.pop(_SAVEPOINTS, None)
    if not queued:
        return
    session.flush()  # rows may refer to objects added in this transaction
    batches = [(table, rows) for table, rows in queued.items() if rows]
    shape = _shape(batches)
    if shape is not None:  # several tables: one statement, one round trip
        params = {f"rows_{n}": _json_param(rows) for n, (_, rows) in enumerate(batches)}
        session.execute(_insert_all(shape), params)
        return
    for table, rows in batches:  # a single row as a plain execute: executemany costs more for one
        session.execute(_insert_statement(table), rows if len(rows) > 1 else rows[0])


@functools.cache
def _insert_statement(table: Table) -> Insert:
    return insert(table)  # one object per table: its cache key is computed once


def _shape(batches: list[tuple[Table, list[dict]]]) -> tuple[tuple[Table, tuple[str, ...]], ...] | None:
    """Each table with the columns its rows give, when there are several tables whose rows all give the
    same columns and leave out none with a Python-side default; else None (one statement per table)."""
    if len(batches) < 2:
        return None
    shape = []
    for table, rows in batches:
        columns = _uniform_columns(table, rows)
        if columns is None:
            return None
        shape.append((table, columns))
    return tuple(shape)


def _uniform_columns(table: Table, rows: list[dict]) -> tuple[str, ...] | None:
    """The columns every row gives, if they all give the same and leave out none with a Python-side
    default (which only SQLAlchemy's own INSERT applies); else None."""
    columns = tuple(rows[0])
    if any(tuple(row) != columns for row in rows):
        return None
    if any(c.default is not None and c.name not in columns for c in table.columns):
        return None
    return columns


def _columns(table: Table, rows: list[dict]) -> tuple[str, ...]:
    columns = _uniform_columns(table, rows)
    if columns is None:
        raise ValueError(f"rows queued for {table.name} on the driver must all give the same columns")
    return columns


def _json_param(value: object) -> str:
    # default=str: ids read from the database are the driver's own UUID type, which orjson leaves out
    return orjson.dumps(value, default=str).decode()


def _typed(table: Table, columns: Iterable[str]) -> str:
    return ", ".join(f'"{c}" {table.c[c].type.compile(dialect=postgresql.dialect())}' for c in columns)


@functools.cache
def _insert_cte(n: int, table: Table, columns: tuple[str, ...], rows: str) -> str:
    """A data-modifying CTE inserting a table's rows, given as one JSON array `rows` (a parameter, typed
    by the columns), in their order."""
    names = ", ".join(f'"{c}"' for c in columns)
    return (
        f"q{n} AS (INSERT INTO {table.name} ({names}) SELECT {names}"  # nosec B608 - names from the models' Table; values bound
        f" FROM ROWS FROM (jsonb_to_recordset({rows}) AS ({_typed(table, columns)}))"
        f" WITH ORDINALITY AS x({names}, ord) ORDER BY ord)"
    )


@functools.cache
def _update_cte(n: int, table: Table, columns: tuple[str, ...], row: str) -> str:
    """A data-modifying CTE setting `columns` of the row whose primary key `row` (a JSON object, a
    parameter) gives, with the values it gives: one row per CTE, found by key through its index (a join
    with a set of rows costs PostgreSQL ~0.15 ms more per statement, here, and a young table's statistics
    can make it hash-join the whole table). A transaction that changes several objects sends as many
    CTEs in its one statement: one prepared statement per count, as a group of new incidents has."""
    assigned = ", ".join(f'"{c}"' for c in columns)
    matched = " AND ".join(
        f"t.\"{k.name}\" = CAST({row}->>'{k.name}' AS {k.type.compile(dialect=postgresql.dialect())})"
        for k in table.primary_key.columns
    )
    return (
        f"q{n} AS (UPDATE {table.name} AS t SET ({assigned}) = (SELECT {assigned}"  # nosec B608 - names from the models' Table; values bound
        f" FROM jsonb_to_record({row}) AS x({_typed(table, columns)})) WHERE {matched})"
    )


def _updates(adopted: list[object]) -> list[tuple[Table, tuple[str, ...], dict]]:
    """The adopted objects' changes: each changed object's table, changed columns, and row (primary key
    and new values)."""
    changes = []
    for obj in adopted:
        state = inspect(obj)
        mapper, table = state.mapper, state.mapper.local_table
        changed = sorted(
            key
            for key in state.committed_state
            if key in mapper.column_attrs and state.attrs[key].history.has_changes()
        )
        if changed:
            values = {mapper.column_attrs[key].columns[0].name: state.dict[key] for key in changed}
            keys = {k.name: state.dict[mapper.get_property_by_column(k).key] for k in table.primary_key}
            changes.append((table, tuple(values), keys | values))
    return changes


@functools.cache
def _insert_all(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> TextClause:
    """One INSERT per table as data-modifying CTEs of one statement, each table's rows given as one JSON
    array (typed by its columns, in the order queued): queued rows of a transaction cost one round trip."""
    parts = [
        _insert_cte(n, table, columns, f"CAST(:rows_{n} AS jsonb)")
        for n, (table, columns) in enumerate(shape)
    ]
    return text(f"WITH {', '.join(parts)} SELECT")


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        queued = session.info.get(_QUEUED, {})
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = {t: len(r) for t, r in queued.items()}


@event.listens_for(Session, "after_soft_rollback")
def _forget_queued(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_QUEUED, None)
        session.info.pop(_SAVEPOINTS, None)
        return
    mark = session.info.get(_SAVEPOINTS, {}).pop(previous_transaction, None)
    if mark is not None:
        for table, rows in session.info.get(_QUEUED, {}).items():
            del rows[mark.get(table, 0) :]


@contextlib.contextmanager
def undone_on_error(session: Writes, objects: Iterable[object]) -> Iterator[None]:
    """What a savepoint does for a block that runs no statement (it only changes `objects` in memory and
    queues rows with `insert_at_commit`), without the SAVEPOINT and RELEASE round trips: if the block
    raises, the attributes it set on `objects` get back the values they had when it began, so the flush
    writes none of them, and the rows it queued are dropped."""
    marks = {table: len(rows) for table, rows in session.info.get(_QUEUED, {}).items()}
    before = [(obj, dict(inspect(obj).dict)) for obj in objects]
    try:
        yield
    except BaseException:
        for table, rows in session.info.get(_QUEUED, {}).items():
            del rows[marks.get(table, 0) :]
        for obj, values in before:
            changed = [key for key in inspect(obj).committed_state if key not in values]
            for key in inspect(obj).committed_state.keys() & values.keys():  # changed since loaded
                setattr(obj, key, values[key])
            if changed:  # not loaded when the block began: reloaded on next access
                session.expire(obj, changed)
        raise
