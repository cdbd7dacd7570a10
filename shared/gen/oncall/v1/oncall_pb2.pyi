from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCurrentOnCallRequest(_message.Message):
    __slots__ = ("team", "service", "at")
    TEAM_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    team: str
    service: str
    at: str
    def __init__(self, team: _Optional[str] = ..., service: _Optional[str] = ..., at: _Optional[str] = ...) -> None: ...

class OnCallUser(_message.Message):
    __slots__ = ("id", "name", "email")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    email: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class GetCurrentOnCallResponse(_message.Message):
    __slots__ = ("team", "user", "shift_start", "shift_end", "rotation")
    TEAM_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SHIFT_START_FIELD_NUMBER: _ClassVar[int]
    SHIFT_END_FIELD_NUMBER: _ClassVar[int]
    ROTATION_FIELD_NUMBER: _ClassVar[int]
    team: str
    user: OnCallUser
    shift_start: str
    shift_end: str
    rotation: str
    def __init__(self, team: _Optional[str] = ..., user: _Optional[_Union[OnCallUser, _Mapping]] = ..., shift_start: _Optional[str] = ..., shift_end: _Optional[str] = ..., rotation: _Optional[str] = ...) -> None: ...

class GetCurrentOnCallForServicesRequest(_message.Message):
    __slots__ = ("services", "at")
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedScalarFieldContainer[str]
    at: str
    def __init__(self, services: _Optional[_Iterable[str]] = ..., at: _Optional[str] = ...) -> None: ...

class ServiceOnCall(_message.Message):
    __slots__ = ("service", "owned", "on_call")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    OWNED_FIELD_NUMBER: _ClassVar[int]
    ON_CALL_FIELD_NUMBER: _ClassVar[int]
    service: str
    owned: bool
    on_call: GetCurrentOnCallResponse
    def __init__(self, service: _Optional[str] = ..., owned: bool = ..., on_call: _Optional[_Union[GetCurrentOnCallResponse, _Mapping]] = ...) -> None: ...

class GetCurrentOnCallForServicesResponse(_message.Message):
    __slots__ = ("services",)
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedCompositeFieldContainer[ServiceOnCall]
    def __init__(self, services: _Optional[_Iterable[_Union[ServiceOnCall, _Mapping]]] = ...) -> None: ...

class ListCurrentOnCallRequest(_message.Message):
    __slots__ = ("at",)
    AT_FIELD_NUMBER: _ClassVar[int]
    at: str
    def __init__(self, at: _Optional[str] = ...) -> None: ...

class ListCurrentOnCallResponse(_message.Message):
    __slots__ = ("teams",)
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[GetCurrentOnCallResponse]
    def __init__(self, teams: _Optional[_Iterable[_Union[GetCurrentOnCallResponse, _Mapping]]] = ...) -> None: ...

class AuthenticateUserRequest(_message.Message):
    __slots__ = ("email", "password", "client_ip")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    client_ip: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., client_ip: _Optional[str] = ...) -> None: ...

class AuthenticateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: OnCallUser
    def __init__(self, user: _Optional[_Union[OnCallUser, _Mapping]] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetUserResponse(_message.Message):
    __slots__ = ("user", "login_disabled", "credentials_changed_at", "role")
    USER_FIELD_NUMBER: _ClassVar[int]
    LOGIN_DISABLED_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    user: OnCallUser
    login_disabled: bool
    credentials_changed_at: str
    role: str
    def __init__(self, user: _Optional[_Union[OnCallUser, _Mapping]] = ..., login_disabled: bool = ..., credentials_changed_at: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class ResolveEscalationRequest(_message.Message):
    __slots__ = ("policy_id", "level", "at")
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    policy_id: str
    level: int
    at: str
    def __init__(self, policy_id: _Optional[str] = ..., level: _Optional[int] = ..., at: _Optional[str] = ...) -> None: ...

class ResolveEscalationResponse(_message.Message):
    __slots__ = ("policy_id", "policy_name", "level", "level_count", "repeat", "delay_minutes", "users", "empty_targets")
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    LEVEL_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPEAT_FIELD_NUMBER: _ClassVar[int]
    DELAY_MINUTES_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    EMPTY_TARGETS_FIELD_NUMBER: _ClassVar[int]
    policy_id: str
    policy_name: str
    level: int
    level_count: int
    repeat: int
    delay_minutes: float
    users: _containers.RepeatedCompositeFieldContainer[OnCallUser]
    empty_targets: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, policy_id: _Optional[str] = ..., policy_name: _Optional[str] = ..., level: _Optional[int] = ..., level_count: _Optional[int] = ..., repeat: _Optional[int] = ..., delay_minutes: _Optional[float] = ..., users: _Optional[_Iterable[_Union[OnCallUser, _Mapping]]] = ..., empty_targets: _Optional[_Iterable[str]] = ...) -> None: ...

class GetNotificationRulesRequest(_message.Message):
    __slots__ = ("user_id", "email")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class GetNotificationRulesResponse(_message.Message):
    __slots__ = ("user_id", "email", "email_enabled", "event_types", "time_zone")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ENABLED_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    email_enabled: bool
    event_types: _containers.RepeatedScalarFieldContainer[str]
    time_zone: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., email_enabled: bool = ..., event_types: _Optional[_Iterable[str]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UserWithRole(_message.Message):
    __slots__ = ("user", "role", "time_zone", "login_disabled")
    USER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    LOGIN_DISABLED_FIELD_NUMBER: _ClassVar[int]
    user: OnCallUser
    role: str
    time_zone: str
    login_disabled: bool
    def __init__(self, user: _Optional[_Union[OnCallUser, _Mapping]] = ..., role: _Optional[str] = ..., time_zone: _Optional[str] = ..., login_disabled: bool = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[UserWithRole]
    def __init__(self, users: _Optional[_Iterable[_Union[UserWithRole, _Mapping]]] = ...) -> None: ...

class SetUserRoleRequest(_message.Message):
    __slots__ = ("user_id", "role")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    role: str
    def __init__(self, user_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class SetUserRoleResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: UserWithRole
    def __init__(self, user: _Optional[_Union[UserWithRole, _Mapping]] = ...) -> None: ...

class ScheduleLayer(_message.Message):
    __slots__ = ("id", "name", "position", "shift_length", "shift_unit", "member_ids", "handoff_time", "start_date", "restrictions")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SHIFT_LENGTH_FIELD_NUMBER: _ClassVar[int]
    SHIFT_UNIT_FIELD_NUMBER: _ClassVar[int]
    MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_TIME_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    RESTRICTIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    position: int
    shift_length: int
    shift_unit: str
    member_ids: _containers.RepeatedScalarFieldContainer[str]
    handoff_time: str
    start_date: str
    restrictions: _containers.RepeatedCompositeFieldContainer[LayerRestriction]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., position: _Optional[int] = ..., shift_length: _Optional[int] = ..., shift_unit: _Optional[str] = ..., member_ids: _Optional[_Iterable[str]] = ..., handoff_time: _Optional[str] = ..., start_date: _Optional[str] = ..., restrictions: _Optional[_Iterable[_Union[LayerRestriction, _Mapping]]] = ...) -> None: ...

class LayerRestriction(_message.Message):
    __slots__ = ("weekdays", "start", "end")
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    start: str
    end: str
    def __init__(self, weekdays: _Optional[_Iterable[int]] = ..., start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class ScheduleOverride(_message.Message):
    __slots__ = ("id", "user_id", "start", "end")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    start: str
    end: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class OnCallSchedule(_message.Message):
    __slots__ = ("id", "name", "time_zone", "team_id", "layers", "overrides")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    time_zone: str
    team_id: str
    layers: _containers.RepeatedCompositeFieldContainer[ScheduleLayer]
    overrides: _containers.RepeatedCompositeFieldContainer[ScheduleOverride]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., time_zone: _Optional[str] = ..., team_id: _Optional[str] = ..., layers: _Optional[_Iterable[_Union[ScheduleLayer, _Mapping]]] = ..., overrides: _Optional[_Iterable[_Union[ScheduleOverride, _Mapping]]] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("schedules",)
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[OnCallSchedule]
    def __init__(self, schedules: _Optional[_Iterable[_Union[OnCallSchedule, _Mapping]]] = ...) -> None: ...

class Shift(_message.Message):
    __slots__ = ("start", "end", "user")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    start: str
    end: str
    user: OnCallUser
    def __init__(self, start: _Optional[str] = ..., end: _Optional[str] = ..., user: _Optional[_Union[OnCallUser, _Mapping]] = ...) -> None: ...

class ListScheduleShiftsRequest(_message.Message):
    __slots__ = ("schedule_id", "start", "end")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    start: str
    end: str
    def __init__(self, schedule_id: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class ListScheduleShiftsResponse(_message.Message):
    __slots__ = ("schedule_id", "time_zone", "shifts")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    SHIFTS_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    time_zone: str
    shifts: _containers.RepeatedCompositeFieldContainer[Shift]
    def __init__(self, schedule_id: _Optional[str] = ..., time_zone: _Optional[str] = ..., shifts: _Optional[_Iterable[_Union[Shift, _Mapping]]] = ...) -> None: ...

class CreateOverrideRequest(_message.Message):
    __slots__ = ("schedule_id", "user_id", "start", "end")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    user_id: str
    start: str
    end: str
    def __init__(self, schedule_id: _Optional[str] = ..., user_id: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class CreateOverrideResponse(_message.Message):
    __slots__ = ("override",)
    OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    override: ScheduleOverride
    def __init__(self, override: _Optional[_Union[ScheduleOverride, _Mapping]] = ...) -> None: ...

class DeleteOverrideRequest(_message.Message):
    __slots__ = ("schedule_id", "override_id")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_ID_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    override_id: str
    def __init__(self, schedule_id: _Optional[str] = ..., override_id: _Optional[str] = ...) -> None: ...

class DeleteOverrideResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PolicyTarget(_message.Message):
    __slots__ = ("type", "id")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    type: str
    id: str
    def __init__(self, type: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class PolicyLevel(_message.Message):
    __slots__ = ("delay_minutes", "targets")
    DELAY_MINUTES_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    delay_minutes: float
    targets: _containers.RepeatedCompositeFieldContainer[PolicyTarget]
    def __init__(self, delay_minutes: _Optional[float] = ..., targets: _Optional[_Iterable[_Union[PolicyTarget, _Mapping]]] = ...) -> None: ...

class EscalationPolicy(_message.Message):
    __slots__ = ("id", "name", "description", "repeat", "levels")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REPEAT_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    repeat: int
    levels: _containers.RepeatedCompositeFieldContainer[PolicyLevel]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., repeat: _Optional[int] = ..., levels: _Optional[_Iterable[_Union[PolicyLevel, _Mapping]]] = ...) -> None: ...

class ListEscalationPoliciesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListEscalationPoliciesResponse(_message.Message):
    __slots__ = ("policies",)
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    policies: _containers.RepeatedCompositeFieldContainer[EscalationPolicy]
    def __init__(self, policies: _Optional[_Iterable[_Union[EscalationPolicy, _Mapping]]] = ...) -> None: ...

class ApiToken(_message.Message):
    __slots__ = ("id", "name", "role", "prefix", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    role: str
    prefix: str
    created_by: str
    created_at: str
    expires_at: str
    last_used_at: str
    revoked_at: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., prefix: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[str] = ..., expires_at: _Optional[str] = ..., last_used_at: _Optional[str] = ..., revoked_at: _Optional[str] = ...) -> None: ...

class ListApiTokensRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListApiTokensResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[ApiToken]
    def __init__(self, tokens: _Optional[_Iterable[_Union[ApiToken, _Mapping]]] = ...) -> None: ...

class CreateApiTokenRequest(_message.Message):
    __slots__ = ("name", "role", "expires_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: str
    expires_at: str
    def __init__(self, name: _Optional[str] = ..., role: _Optional[str] = ..., expires_at: _Optional[str] = ...) -> None: ...

class CreateApiTokenResponse(_message.Message):
    __slots__ = ("token", "secret")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    token: ApiToken
    secret: str
    def __init__(self, token: _Optional[_Union[ApiToken, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class RevokeApiTokenRequest(_message.Message):
    __slots__ = ("token_id",)
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    token_id: str
    def __init__(self, token_id: _Optional[str] = ...) -> None: ...

class RevokeApiTokenResponse(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: ApiToken
    def __init__(self, token: _Optional[_Union[ApiToken, _Mapping]] = ...) -> None: ...

class GetApiTokenRequest(_message.Message):
    __slots__ = ("token_hash",)
    TOKEN_HASH_FIELD_NUMBER: _ClassVar[int]
    token_hash: str
    def __init__(self, token_hash: _Optional[str] = ...) -> None: ...

class GetApiTokenResponse(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: ApiToken
    def __init__(self, token: _Optional[_Union[ApiToken, _Mapping]] = ...) -> None: ...

class TouchApiTokenRequest(_message.Message):
    __slots__ = ("token_id", "at")
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    token_id: str
    at: str
    def __init__(self, token_id: _Optional[str] = ..., at: _Optional[str] = ...) -> None: ...

class TouchApiTokenResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("id", "at", "actor", "action", "target_type", "target_id", "client_ip", "details_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    DETAILS_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    at: str
    actor: str
    action: str
    target_type: str
    target_id: str
    client_ip: str
    details_json: str
    def __init__(self, id: _Optional[str] = ..., at: _Optional[str] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., target_type: _Optional[str] = ..., target_id: _Optional[str] = ..., client_ip: _Optional[str] = ..., details_json: _Optional[str] = ...) -> None: ...

class ListAuditRequest(_message.Message):
    __slots__ = ("actor", "action", "limit", "offset")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    actor: str
    action: str
    limit: int
    offset: int
    def __init__(self, actor: _Optional[str] = ..., action: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListAuditResponse(_message.Message):
    __slots__ = ("entries", "total")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    total: int
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("name", "email", "role", "time_zone")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    name: str
    email: str
    role: str
    time_zone: str
    def __init__(self, name: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class CreateUserResponse(_message.Message):
    __slots__ = ("user", "password")
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    user: UserWithRole
    password: str
    def __init__(self, user: _Optional[_Union[UserWithRole, _Mapping]] = ..., password: _Optional[str] = ...) -> None: ...

class DeleteUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class DeleteUserResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetUserLoginDisabledRequest(_message.Message):
    __slots__ = ("user_id", "disabled")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    disabled: bool
    def __init__(self, user_id: _Optional[str] = ..., disabled: bool = ...) -> None: ...

class SetUserLoginDisabledResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: UserWithRole
    def __init__(self, user: _Optional[_Union[UserWithRole, _Mapping]] = ...) -> None: ...

class Team(_message.Message):
    __slots__ = ("id", "name", "services")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    services: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., services: _Optional[_Iterable[str]] = ...) -> None: ...

class ListTeamsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTeamsResponse(_message.Message):
    __slots__ = ("teams",)
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[Team]
    def __init__(self, teams: _Optional[_Iterable[_Union[Team, _Mapping]]] = ...) -> None: ...

class GetEscalationPolicyRequest(_message.Message):
    __slots__ = ("policy_id",)
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    policy_id: str
    def __init__(self, policy_id: _Optional[str] = ...) -> None: ...

class GetEscalationPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: EscalationPolicy
    def __init__(self, policy: _Optional[_Union[EscalationPolicy, _Mapping]] = ...) -> None: ...

class CreateEscalationPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: EscalationPolicy
    def __init__(self, policy: _Optional[_Union[EscalationPolicy, _Mapping]] = ...) -> None: ...

class CreateEscalationPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: EscalationPolicy
    def __init__(self, policy: _Optional[_Union[EscalationPolicy, _Mapping]] = ...) -> None: ...

class UpdateEscalationPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: EscalationPolicy
    def __init__(self, policy: _Optional[_Union[EscalationPolicy, _Mapping]] = ...) -> None: ...

class UpdateEscalationPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: EscalationPolicy
    def __init__(self, policy: _Optional[_Union[EscalationPolicy, _Mapping]] = ...) -> None: ...

class DeleteEscalationPolicyRequest(_message.Message):
    __slots__ = ("policy_id",)
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    policy_id: str
    def __init__(self, policy_id: _Optional[str] = ...) -> None: ...

class DeleteEscalationPolicyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetScheduleRequest(_message.Message):
    __slots__ = ("schedule_id",)
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    def __init__(self, schedule_id: _Optional[str] = ...) -> None: ...

class GetScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: OnCallSchedule
    def __init__(self, schedule: _Optional[_Union[OnCallSchedule, _Mapping]] = ...) -> None: ...

class CreateScheduleRequest(_message.Message):
    __slots__ = ("name", "time_zone", "team_id", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    time_zone: str
    team_id: str
    description: str
    def __init__(self, name: _Optional[str] = ..., time_zone: _Optional[str] = ..., team_id: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreateScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: OnCallSchedule
    def __init__(self, schedule: _Optional[_Union[OnCallSchedule, _Mapping]] = ...) -> None: ...

class DeleteScheduleRequest(_message.Message):
    __slots__ = ("schedule_id",)
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    def __init__(self, schedule_id: _Optional[str] = ...) -> None: ...

class DeleteScheduleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddScheduleLayerRequest(_message.Message):
    __slots__ = ("schedule_id", "layer")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    layer: ScheduleLayer
    def __init__(self, schedule_id: _Optional[str] = ..., layer: _Optional[_Union[ScheduleLayer, _Mapping]] = ...) -> None: ...

class AddScheduleLayerResponse(_message.Message):
    __slots__ = ("layer",)
    LAYER_FIELD_NUMBER: _ClassVar[int]
    layer: ScheduleLayer
    def __init__(self, layer: _Optional[_Union[ScheduleLayer, _Mapping]] = ...) -> None: ...

class UpdateScheduleLayerRequest(_message.Message):
    __slots__ = ("schedule_id", "layer")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    layer: ScheduleLayer
    def __init__(self, schedule_id: _Optional[str] = ..., layer: _Optional[_Union[ScheduleLayer, _Mapping]] = ...) -> None: ...

class UpdateScheduleLayerResponse(_message.Message):
    __slots__ = ("layer",)
    LAYER_FIELD_NUMBER: _ClassVar[int]
    layer: ScheduleLayer
    def __init__(self, layer: _Optional[_Union[ScheduleLayer, _Mapping]] = ...) -> None: ...

class SetScheduleLayerRestrictionsRequest(_message.Message):
    __slots__ = ("schedule_id", "layer_id", "restrictions")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    LAYER_ID_FIELD_NUMBER: _ClassVar[int]
    RESTRICTIONS_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    layer_id: str
    restrictions: _containers.RepeatedCompositeFieldContainer[LayerRestriction]
    def __init__(self, schedule_id: _Optional[str] = ..., layer_id: _Optional[str] = ..., restrictions: _Optional[_Iterable[_Union[LayerRestriction, _Mapping]]] = ...) -> None: ...

class SetScheduleLayerRestrictionsResponse(_message.Message):
    __slots__ = ("layer",)
    LAYER_FIELD_NUMBER: _ClassVar[int]
    layer: ScheduleLayer
    def __init__(self, layer: _Optional[_Union[ScheduleLayer, _Mapping]] = ...) -> None: ...

class DeleteScheduleLayerRequest(_message.Message):
    __slots__ = ("schedule_id", "layer_id")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    LAYER_ID_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    layer_id: str
    def __init__(self, schedule_id: _Optional[str] = ..., layer_id: _Optional[str] = ...) -> None: ...

class DeleteScheduleLayerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
