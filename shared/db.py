"""Async engine and session factory; the driver's own connections (DriverPool)."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Protocol, cast

import asyncpg
import orjson
import sqlalchemy.exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import configure_mappers

from shared.audit import AuditedSession
from shared.config import DatabaseSettings
from shared.errors import Unavailable
from shared.metrics import track_engine


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
                # The pool's proxy forwards every method of the connection it wraps, but asyncpg-stubs type
                # it as a class of its own, not a Connection.
                yield cast(asyncpg.Connection, connection)
            except (*_UNREACHABLE, *_LOST):
                # Ended under us, or left in a state the driver cannot go on from: most likely the database
                # restarted and ended them all, so every connection is replaced at its next use (this one
                # as it goes back to the pool) rather than handed out again.
                await pool.expire_connections()
                raise

    async def close(self) -> None:
        if self._opening is not None and self._opening.done() and not _failed(self._opening):
            await self._opening.result().close()


def _failed(opening: asyncio.Future[asyncpg.Pool]) -> bool:
    return opening.done() and (opening.cancelled() or opening.exception() is not None)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Instead of asyncpg's reset on release (RESET ALL, UNLISTEN, ...: a round trip)."""


class Writes(Protocol):
    """Where a use case's new rows go: a session, which inserts them with its transaction, or a collector
    whose owner writes them in a statement of its own (`assignment.InlinePaging`)."""

    def add(self, instance: object) -> None: ...
