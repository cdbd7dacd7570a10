"""Which database errors are a temporary refusal (503 / UNAVAILABLE) rather than an internal error."""

import asyncpg
import sqlalchemy.exc

from shared.db import database_unavailable


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
