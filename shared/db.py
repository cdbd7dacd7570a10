"""Async engine and session factory."""

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.config import BaseServiceSettings


def create_engine(settings: BaseServiceSettings) -> AsyncEngine:
    """An asyncpg-backed engine sized from settings."""
    return create_async_engine(
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
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
