"""UTC clock, RFC 3339 formatting, and the range of times the platform accepts."""

from datetime import UTC, datetime
from typing import Annotated, overload

from pydantic import AwareDatetime, Field

# A time a client may send: aware, and one that date arithmetic (a window's default start, a quarter
# hour's start in UTC) and PostgreSQL can hold, so year 1 or 9999 is refused with 422, not a 500.
Instant = Annotated[
    AwareDatetime,
    Field(ge=datetime(1900, 1, 1, tzinfo=UTC), le=datetime(9000, 1, 1, tzinfo=UTC)),
]


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def rfc3339(value: datetime) -> str: ...
@overload
def rfc3339(value: None) -> None: ...
@overload
def rfc3339(value: datetime | None) -> str | None: ...
def rfc3339(value: datetime | None) -> str | None:
    """`2026-11-24T15:00:00.123456Z`, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def proto_time(value: datetime | None) -> str:
    """`rfc3339`, or "" for None: protobuf's string fields have no null."""
    return rfc3339(value) or ""


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 instant; naive values are taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
