"""Which database errors are a temporary refusal (503 / UNAVAILABLE) rather than an internal error, and which
say a connection was cut under the work (worth once more on a new one)."""

import asyncpg
import sqlalchemy.exc

from shared.db import connection_cut, database_unavailable


def test_a_database_that_cannot_be_reached_is_unavailable():
    assert database_unavailable(ConnectionRefusedError(111, "refused")) is not None
    assert database_unavailable(asyncpg.exceptions.CannotConnectNowError("starting up")) is not None
    assert database_unavailable(sqlalchemy.exc.TimeoutError("pool exhausted")) is not None


def test_a_connection_dropped_mid_statement_is_unavailable_through_the_wrappers():
    dropped = asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")
    wrapped = sqlalchemy.exc.DBAPIError("SELECT 1", {}, Exception("adapter"))
    wrapped.orig.__cause__ = dropped
    assert database_unavailable(wrapped).message.startswith(
        "database unavailable (ConnectionDoesNotExistError)"
    )
    invalidated = sqlalchemy.exc.DBAPIError("SELECT 1", {}, Exception("x"), connection_invalidated=True)
    assert database_unavailable(invalidated).http_status == 503


def test_a_statement_the_database_refused_is_not_unavailable():
    assert database_unavailable(asyncpg.exceptions.UniqueViolationError("duplicate key")) is None
    assert database_unavailable(sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("dup"))) is None
    assert database_unavailable(ValueError("a bug")) is None
    assert database_unavailable(FileNotFoundError("not the database")) is None


def test_a_connection_the_database_ended_is_cut_whatever_the_driver_says_about_it():
    ended = asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
    assert connection_cut(ended) and connection_cut(asyncpg.exceptions.ConnectionDoesNotExistError("closed"))
    # read before its end was: the driver's own errors about the connection's state
    assert connection_cut(asyncpg.exceptions.InternalClientError("cannot switch to state 15"))
    assert connection_cut(asyncpg.InterfaceError("connection is closed"))
    wrapped = sqlalchemy.exc.DBAPIError("BEGIN", {}, Exception("adapter"))
    wrapped.orig.__cause__ = ConnectionResetError(104, "reset by peer")
    assert connection_cut(wrapped)
    assert connection_cut(
        sqlalchemy.exc.DBAPIError("SELECT 1", {}, Exception("x"), connection_invalidated=True)
    )


def test_work_the_database_refused_is_not_a_cut_connection():
    assert not connection_cut(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not connection_cut(sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("dup")))
    assert not connection_cut(ValueError("a bug"))
