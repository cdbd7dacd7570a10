"""On-call API shapes: users, teams, rotations and the current on-call answer."""

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_serializer,
    model_validator,
)

from services.oncall_service.domain import Shift
from services.oncall_service.models import User
from shared.auth import Role
from shared.text import InputModel, PatchModel
from shared.timeutil import Instant, rfc3339

_EMAIL = re.compile(r"^[^@\s]+@([^@\s]+\.[^@\s]+|localhost)$")
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


class _Body(InputModel):
    model_config = ConfigDict(extra="forbid")


class _Patch(PatchModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Body):
    name: Name
    email: Email
    time_zone: TimeZone = "UTC"
    email_notifications: bool = True
    notify_event_types: EventTypes = Field(default_factory=list)
    role: Role = Role.responder


class UserPatch(_Patch):
    name: Name | None = None
    email: Email | None = None
    time_zone: TimeZone | None = None
    email_notifications: bool | None = None
    notify_event_types: EventTypes | None = None
    role: Role | None = None


class UserRead(_Read):
    id: uuid.UUID
    name: str
    email: str
    time_zone: str
    email_notifications: bool
    notify_event_types: list[str]
    role: Role
    created_at: datetime


class TeamCreate(_Body):
    name: Name
    services: list[ServiceName] = Field(default_factory=list, max_length=500)


class TeamPatch(_Patch):
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


class RotationPatch(_Patch):
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


# --- schedules -----------------------------------------------------------------------------------

ShiftUnit = Literal["hours", "days", "weeks"]


def _check_wall_time(value: object) -> object:
    if not isinstance(value, str) or not _HH_MM.match(value):
        raise ValueError("must be HH:MM (24-hour)")
    return value


WallTime = Annotated[time, BeforeValidator(_check_wall_time)]


class RestrictionBody(_Body):
    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    start: WallTime
    end: WallTime = Field(description="at or before start: runs past midnight")


class LayerCreate(_Body):
    name: Name = "Layer"
    shift_length: int = Field(ge=1, le=1000)
    shift_unit: ShiftUnit
    handoff_time: WallTime
    start_date: date
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    restrictions: list[RestrictionBody] = Field(default_factory=list, max_length=50)


class LayerPatch(_Patch):
    name: Name | None = None
    shift_length: int | None = Field(default=None, ge=1, le=1000)
    shift_unit: ShiftUnit | None = None
    handoff_time: WallTime | None = None
    start_date: date | None = None
    member_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    restrictions: list[RestrictionBody] | None = Field(default=None, max_length=50)


class ScheduleCreate(_Body):
    name: Name
    time_zone: TimeZone
    description: str = Field(default="", max_length=2000)
    team_id: uuid.UUID | None = None
    layers: list[LayerCreate] = Field(default_factory=list, max_length=20)


class SchedulePatch(_Patch):
    name: Name | None = None
    time_zone: TimeZone | None = None
    description: str | None = Field(default=None, max_length=2000)
    team_id: uuid.UUID | None = None


class OverrideCreate(_Body):
    user_id: uuid.UUID
    replaces_user_id: uuid.UUID | None = None
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> "OverrideCreate":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RestrictionRead(_Read):
    weekdays: list[int]
    start: str
    end: str


class LayerRead(_Read):
    id: uuid.UUID
    position: int
    name: str
    shift_length: int
    shift_unit: str
    handoff_time: time
    start_date: date
    member_ids: list[uuid.UUID]
    restrictions: list[RestrictionRead]


class OverrideRead(_Read):
    id: uuid.UUID
    user_id: uuid.UUID
    replaces_user_id: uuid.UUID | None
    start: datetime
    end: datetime


class ScheduleRead(_Read):
    id: uuid.UUID
    name: str
    description: str
    time_zone: str
    team_id: uuid.UUID | None
    layers: list[LayerRead]
    overrides: list[OverrideRead]
    created_at: datetime


class ShiftRead(_Read):
    start: datetime
    end: datetime
    user: OnCallUserRead | None


class ShiftsRead(_Read):
    schedule_id: uuid.UUID
    time_zone: str
    start: datetime
    end: datetime
    shifts: list[ShiftRead]


class ScheduleOnCallRead(_Read):
    schedule_id: uuid.UUID
    at: datetime
    user: OnCallUserRead | None
    shift_start: datetime
    shift_end: datetime


# --- escalation policies -----------------------------------------------------------------------


class TargetBody(_Body):
    type: Literal["user", "schedule"]
    id: uuid.UUID


class LevelBody(_Body):
    delay_minutes: float | None = Field(
        default=None, gt=0, le=10_080, description="None: ESCALATION_TIMEOUT_SECONDS"
    )
    targets: list[TargetBody] = Field(min_length=1, max_length=20)


class PolicyCreate(_Body):
    name: Name
    description: str = Field(default="", max_length=2000)
    repeat: int = Field(default=0, ge=0, le=20)
    levels: list[LevelBody] = Field(min_length=1, max_length=20)


class PolicyPatch(_Patch):
    name: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    repeat: int | None = Field(default=None, ge=0, le=20)
    levels: list[LevelBody] | None = Field(default=None, min_length=1, max_length=20)


class LevelRead(BaseModel):
    delay_minutes: float | None
    targets: list[TargetBody]


class PolicyRead(_Read):
    id: uuid.UUID
    name: str
    description: str
    repeat: int
    levels: list[LevelRead]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EscalationAnswer:
    """One level of a policy resolved at an instant: who to page, for how long, and who was nobody."""

    policy_id: uuid.UUID
    policy_name: str
    level: int
    level_count: int
    repeat: int
    delay_minutes: float | None
    users: list[User]
    empty_targets: list[str]
