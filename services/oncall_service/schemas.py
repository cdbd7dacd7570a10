"""On-call API shapes: users, teams, rotations and the current on-call answer."""

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_serializer

from services.oncall_service.domain import Shift
from shared.models import User
from shared.timeutil import rfc3339

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_EVENT_TYPE = r"^incident\.[a-z_]{1,50}$"


def _check_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not a valid email address")
    return value


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{value!r} is not an IANA time zone") from error
    return value


def _check_hh_mm(value: object) -> object:
    if not isinstance(value, str) or not _HH_MM.match(value):
        raise ValueError("handoff_time must be HH:MM (24-hour)")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_check_email)]
TimeZone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_check_zone)]
ServiceName = Annotated[str, Field(min_length=1, max_length=200)]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday")]
HandoffTime = Annotated[time, BeforeValidator(_check_hh_mm)]
EventTypes = Annotated[
    list[Annotated[str, Field(pattern=_EVENT_TYPE)]],
    Field(max_length=20, description="event types to be emailed about; empty means every incident event"),
]


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_serializer("*", when_used="json")
    def _times(self, value: object) -> object:
        if isinstance(value, datetime):
            return rfc3339(value)
        return value.strftime("%H:%M") if isinstance(value, time) else value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Body):
    name: Name
    email: Email
    time_zone: TimeZone = "UTC"
    email_notifications: bool = True
    notify_event_types: EventTypes = Field(default_factory=list)


class UserPatch(_Body):
    name: Name | None = None
    email: Email | None = None
    time_zone: TimeZone | None = None
    email_notifications: bool | None = None
    notify_event_types: EventTypes | None = None


class UserRead(_Read):
    id: uuid.UUID
    name: str
    email: str
    time_zone: str
    email_notifications: bool
    notify_event_types: list[str]
    created_at: datetime


class TeamCreate(_Body):
    name: Name
    services: list[ServiceName] = Field(default_factory=list, max_length=500)


class TeamPatch(_Body):
    name: Name | None = None
    services: list[ServiceName] | None = Field(default=None, max_length=500)


class TeamRead(_Read):
    id: uuid.UUID
    name: str
    services: list[str]
    created_at: datetime


class RotationCreate(_Body):
    team_id: uuid.UUID
    name: Name
    time_zone: TimeZone
    handoff_weekday: Weekday
    handoff_time: HandoffTime
    start_date: date
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class RotationPatch(_Body):
    team_id: uuid.UUID | None = None
    name: Name | None = None
    time_zone: TimeZone | None = None
    handoff_weekday: Weekday | None = None
    handoff_time: HandoffTime | None = None
    start_date: date | None = None
    member_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)


class RotationRead(_Read):
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    time_zone: str
    handoff_weekday: int
    handoff_time: time
    start_date: date
    member_ids: list[uuid.UUID]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CurrentOnCall:
    """Who holds the shift for a team; user, rotation and shift are None when nobody does."""

    team: str
    user: User | None
    rotation: str | None
    shift: Shift | None


class OnCallUserRead(BaseModel):
    id: uuid.UUID
    name: str
    email: str


class OnCallRead(BaseModel):
    team: str
    user: OnCallUserRead | None
    rotation: str | None
    shift_start: str | None
    shift_end: str | None
