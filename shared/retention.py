"""Retention: delete rows past their window in short batches, and keep what the last pass did for /health.

Each batch is one statement in its own transaction that deletes at most `batch` rows it could lock
(`FOR UPDATE SKIP LOCKED`): a row another transaction holds is left for the next pass, nothing waits on the
job, and no lock outlives a batch. The services' retention modules name their tables and windows.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter

from pydantic import Field
from pydantic_settings import BaseSettings
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.timeutil import rfc3339, utcnow

# Read by the trigger keeping the analytics sums (migration 0017): a retention delete subtracts nothing.
_KEEP_SUMS = text("SET LOCAL oncall.retention = on")


class RetentionSettings(BaseSettings):
    """How often a service's retention pass runs and how many rows one statement deletes at most."""

    retention_interval_seconds: float = Field(default=3600.0, gt=0, description="time between passes")
    retention_batch: int = Field(default=1000, ge=1, le=100_000, description="rows per delete statement")


@dataclass(frozen=True)
class Purge:
    """One kind of row to delete: `statement` deletes at most `:batch` rows older than `:cutoff` and returns
    one row of counts, `table` (the batch's own count, which ends the loop when short) and any cascaded."""

    table: str
    statement: TextClause
    keep_sums: bool = False


@dataclass
class RetentionStatus:
    """The last pass of this process, for /health; `error` when it failed."""

    last_pass_at: datetime | None = None
    seconds: float = 0.0
    deleted: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def details(self) -> dict[str, object]:
        return {
            "last_pass_at": rfc3339(self.last_pass_at),
            "seconds": round(self.seconds, 3),
            "deleted": dict(self.deleted),
            "error": self.error,
        }


async def purge(engine: AsyncEngine, job: Purge, *, cutoff: datetime, batch: int) -> Counter[str]:
    """Delete `job`'s rows older than `cutoff`, batch after batch, each in its own transaction."""
    deleted: Counter[str] = Counter()
    while True:
        async with engine.begin() as connection:
            if job.keep_sums:
                await connection.execute(_KEEP_SUMS)
            counts = (await connection.execute(job.statement, {"cutoff": cutoff, "batch": batch})).one()
        deleted.update(counts._asdict())
        if counts._mapping[job.table] < batch:
            return deleted


async def run_pass(
    engine: AsyncEngine,
    jobs: list[tuple[Purge, datetime]],
    *,
    batch: int,
    status: RetentionStatus,
    log: logging.Logger,
) -> Counter[str]:
    """One pass over `jobs` (each with its cutoff); logs and records the rows deleted per table."""
    started, deleted = perf_counter(), Counter[str]()
    try:
        for job, cutoff in jobs:
            deleted.update(await purge(engine, job, cutoff=cutoff, batch=batch))
        status.error = None
    except Exception as error:
        status.error = f"{type(error).__name__}: {error}"[:300]
        raise
    finally:
        status.last_pass_at, status.seconds = utcnow(), perf_counter() - started
        status.deleted = {table: deleted[table] for table in sorted(deleted)}
    fields = {"deleted": status.deleted, "seconds": round(status.seconds, 3)}
    log.info("retention pass", extra={"fields": fields})
    return deleted
