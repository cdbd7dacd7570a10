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
