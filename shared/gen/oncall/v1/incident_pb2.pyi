from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Alert(_message.Message):
    __slots__ = ("service", "severity", "summary", "source", "labels", "annotations", "fingerprint", "timestamp", "action")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AnnotationsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    service: str
    severity: str
    summary: str
    source: str
    labels: _containers.ScalarMap[str, str]
    annotations: _containers.ScalarMap[str, str]
    fingerprint: str
    timestamp: str
    action: str
    def __init__(self, service: _Optional[str] = ..., severity: _Optional[str] = ..., summary: _Optional[str] = ..., source: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., annotations: _Optional[_Mapping[str, str]] = ..., fingerprint: _Optional[str] = ..., timestamp: _Optional[str] = ..., action: _Optional[str] = ...) -> None: ...

class IngestAlertRequest(_message.Message):
    __slots__ = ("alert", "integration_key")
    ALERT_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_KEY_FIELD_NUMBER: _ClassVar[int]
    alert: Alert
    integration_key: str
    def __init__(self, alert: _Optional[_Union[Alert, _Mapping]] = ..., integration_key: _Optional[str] = ...) -> None: ...

class IngestAlertResponse(_message.Message):
    __slots__ = ("alert_id", "incident_id", "result", "fingerprint")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    incident_id: str
    result: str
    fingerprint: str
    def __init__(self, alert_id: _Optional[str] = ..., incident_id: _Optional[str] = ..., result: _Optional[str] = ..., fingerprint: _Optional[str] = ...) -> None: ...

class IngestAlertsRequest(_message.Message):
    __slots__ = ("alerts", "integration_key")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_KEY_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    integration_key: str
    def __init__(self, alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ..., integration_key: _Optional[str] = ...) -> None: ...

class IngestAlertsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[IngestAlertResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[IngestAlertResponse, _Mapping]]] = ...) -> None: ...

class GroupedAlert(_message.Message):
    __slots__ = ("request", "traceparent")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    request: IngestAlertRequest
    traceparent: str
    def __init__(self, request: _Optional[_Union[IngestAlertRequest, _Mapping]] = ..., traceparent: _Optional[str] = ...) -> None: ...

class IngestAlertGroupRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[GroupedAlert]
    def __init__(self, items: _Optional[_Iterable[_Union[GroupedAlert, _Mapping]]] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("code", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    field: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class IngestOutcome(_message.Message):
    __slots__ = ("result", "error")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    result: IngestAlertResponse
    error: ItemError
    def __init__(self, result: _Optional[_Union[IngestAlertResponse, _Mapping]] = ..., error: _Optional[_Union[ItemError, _Mapping]] = ...) -> None: ...

class IngestAlertGroupResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[IngestOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[IngestOutcome, _Mapping]]] = ...) -> None: ...

class Incident(_message.Message):
    __slots__ = ("id", "title", "service", "severity", "status", "assigned_to", "alert_count", "created_at", "acknowledged_at", "resolved_at", "mtta_seconds", "mttr_seconds", "duplicate_count", "acknowledged_by", "resolved_by", "assignee_name", "assignee_email", "escalation_level", "next_escalation_at", "escalation_policy_id", "snoozed_until")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    MTTA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MTTR_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_NAME_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_EMAIL_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    NEXT_ESCALATION_AT_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    SNOOZED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    service: str
    severity: str
    status: str
    assigned_to: str
    alert_count: int
    created_at: str
    acknowledged_at: str
    resolved_at: str
    mtta_seconds: float
    mttr_seconds: float
    duplicate_count: int
    acknowledged_by: str
    resolved_by: str
    assignee_name: str
    assignee_email: str
    escalation_level: int
    next_escalation_at: str
    escalation_policy_id: str
    snoozed_until: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., service: _Optional[str] = ..., severity: _Optional[str] = ..., status: _Optional[str] = ..., assigned_to: _Optional[str] = ..., alert_count: _Optional[int] = ..., created_at: _Optional[str] = ..., acknowledged_at: _Optional[str] = ..., resolved_at: _Optional[str] = ..., mtta_seconds: _Optional[float] = ..., mttr_seconds: _Optional[float] = ..., duplicate_count: _Optional[int] = ..., acknowledged_by: _Optional[str] = ..., resolved_by: _Optional[str] = ..., assignee_name: _Optional[str] = ..., assignee_email: _Optional[str] = ..., escalation_level: _Optional[int] = ..., next_escalation_at: _Optional[str] = ..., escalation_policy_id: _Optional[str] = ..., snoozed_until: _Optional[str] = ...) -> None: ...

class IncidentAlert(_message.Message):
    __slots__ = ("id", "fingerprint", "service", "severity", "summary", "source", "labels", "annotations", "occurred_at", "received_at", "last_seen_at", "duplicate_count")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AnnotationsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    fingerprint: str
    service: str
    severity: str
    summary: str
    source: str
    labels: _containers.ScalarMap[str, str]
    annotations: _containers.ScalarMap[str, str]
    occurred_at: str
    received_at: str
    last_seen_at: str
    duplicate_count: int
    def __init__(self, id: _Optional[str] = ..., fingerprint: _Optional[str] = ..., service: _Optional[str] = ..., severity: _Optional[str] = ..., summary: _Optional[str] = ..., source: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., annotations: _Optional[_Mapping[str, str]] = ..., occurred_at: _Optional[str] = ..., received_at: _Optional[str] = ..., last_seen_at: _Optional[str] = ..., duplicate_count: _Optional[int] = ...) -> None: ...

class TimelineEntry(_message.Message):
    __slots__ = ("at", "actor", "kind", "message")
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    at: str
    actor: str
    kind: str
    message: str
    def __init__(self, at: _Optional[str] = ..., actor: _Optional[str] = ..., kind: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class GetIncidentRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetIncidentResponse(_message.Message):
    __slots__ = ("incident", "alerts", "timeline")
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    alerts: _containers.RepeatedCompositeFieldContainer[IncidentAlert]
    timeline: _containers.RepeatedCompositeFieldContainer[TimelineEntry]
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ..., alerts: _Optional[_Iterable[_Union[IncidentAlert, _Mapping]]] = ..., timeline: _Optional[_Iterable[_Union[TimelineEntry, _Mapping]]] = ...) -> None: ...

class ListIncidentsRequest(_message.Message):
    __slots__ = ("status", "severity", "service", "since", "limit", "offset", "team", "assignee", "text", "until", "sort")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    status: str
    severity: str
    service: str
    since: str
    limit: int
    offset: int
    team: str
    assignee: str
    text: str
    until: str
    sort: str
    def __init__(self, status: _Optional[str] = ..., severity: _Optional[str] = ..., service: _Optional[str] = ..., since: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., team: _Optional[str] = ..., assignee: _Optional[str] = ..., text: _Optional[str] = ..., until: _Optional[str] = ..., sort: _Optional[str] = ...) -> None: ...

class ListIncidentsResponse(_message.Message):
    __slots__ = ("incidents", "total", "status_counts")
    class StatusCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_COUNTS_FIELD_NUMBER: _ClassVar[int]
    incidents: _containers.RepeatedCompositeFieldContainer[Incident]
    total: int
    status_counts: _containers.ScalarMap[str, int]
    def __init__(self, incidents: _Optional[_Iterable[_Union[Incident, _Mapping]]] = ..., total: _Optional[int] = ..., status_counts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class AcknowledgeIncidentRequest(_message.Message):
    __slots__ = ("id", "actor")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class AcknowledgeIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ...) -> None: ...

class ResolveIncidentRequest(_message.Message):
    __slots__ = ("id", "actor")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class ResolveIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ...) -> None: ...

class IncidentActionRequest(_message.Message):
    __slots__ = ("id", "actor")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class IncidentActionResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ...) -> None: ...

class ReassignIncidentRequest(_message.Message):
    __slots__ = ("id", "actor", "user_id", "escalation_policy_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    user_id: str
    escalation_policy_id: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ..., user_id: _Optional[str] = ..., escalation_policy_id: _Optional[str] = ...) -> None: ...

class SnoozeIncidentRequest(_message.Message):
    __slots__ = ("id", "actor", "until")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    until: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ..., until: _Optional[str] = ...) -> None: ...

class AddIncidentNoteRequest(_message.Message):
    __slots__ = ("id", "actor", "note")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    id: str
    actor: str
    note: str
    def __init__(self, id: _Optional[str] = ..., actor: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class DeclareIncidentRequest(_message.Message):
    __slots__ = ("service", "severity", "title", "description", "actor")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    service: str
    severity: str
    title: str
    description: str
    actor: str
    def __init__(self, service: _Optional[str] = ..., severity: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class DeclareIncidentResponse(_message.Message):
    __slots__ = ("incident", "created")
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    incident: Incident
    created: bool
    def __init__(self, incident: _Optional[_Union[Incident, _Mapping]] = ..., created: bool = ...) -> None: ...

class RecordHeartbeatRequest(_message.Message):
    __slots__ = ("integration_key",)
    INTEGRATION_KEY_FIELD_NUMBER: _ClassVar[int]
    integration_key: str
    def __init__(self, integration_key: _Optional[str] = ...) -> None: ...

class RecordHeartbeatResponse(_message.Message):
    __slots__ = ("service", "next_due_at", "recovered")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    NEXT_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    RECOVERED_FIELD_NUMBER: _ClassVar[int]
    service: str
    next_due_at: str
    recovered: bool
    def __init__(self, service: _Optional[str] = ..., next_due_at: _Optional[str] = ..., recovered: bool = ...) -> None: ...

class GetIntegrationRequest(_message.Message):
    __slots__ = ("integration_key",)
    INTEGRATION_KEY_FIELD_NUMBER: _ClassVar[int]
    integration_key: str
    def __init__(self, integration_key: _Optional[str] = ...) -> None: ...

class GetIntegrationResponse(_message.Message):
    __slots__ = ("integration_id", "service", "type", "config_json")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    service: str
    type: str
    config_json: str
    def __init__(self, integration_id: _Optional[str] = ..., service: _Optional[str] = ..., type: _Optional[str] = ..., config_json: _Optional[str] = ...) -> None: ...

class Integration(_message.Message):
    __slots__ = ("id", "service_id", "name", "type", "key_hint", "created_at", "revoked_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_HINT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    service_id: str
    name: str
    type: str
    key_hint: str
    created_at: str
    revoked_at: str
    def __init__(self, id: _Optional[str] = ..., service_id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., key_hint: _Optional[str] = ..., created_at: _Optional[str] = ..., revoked_at: _Optional[str] = ...) -> None: ...

class Service(_message.Message):
    __slots__ = ("id", "name", "description", "team", "escalation_policy_id", "auto_resolve", "integrations")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    AUTO_RESOLVE_FIELD_NUMBER: _ClassVar[int]
    INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    team: str
    escalation_policy_id: str
    auto_resolve: bool
    integrations: _containers.RepeatedCompositeFieldContainer[Integration]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., team: _Optional[str] = ..., escalation_policy_id: _Optional[str] = ..., auto_resolve: bool = ..., integrations: _Optional[_Iterable[_Union[Integration, _Mapping]]] = ...) -> None: ...

class ListServicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListServicesResponse(_message.Message):
    __slots__ = ("services",)
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedCompositeFieldContainer[Service]
    def __init__(self, services: _Optional[_Iterable[_Union[Service, _Mapping]]] = ...) -> None: ...

class CreateServiceRequest(_message.Message):
    __slots__ = ("name", "description", "team", "escalation_policy_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    team: str
    escalation_policy_id: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., team: _Optional[str] = ..., escalation_policy_id: _Optional[str] = ...) -> None: ...

class CreateServiceResponse(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: Service
    def __init__(self, service: _Optional[_Union[Service, _Mapping]] = ...) -> None: ...

class DeleteServiceRequest(_message.Message):
    __slots__ = ("service_id",)
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    service_id: str
    def __init__(self, service_id: _Optional[str] = ...) -> None: ...

class DeleteServiceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateIntegrationRequest(_message.Message):
    __slots__ = ("service_id", "name", "type", "config_json")
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    service_id: str
    name: str
    type: str
    config_json: str
    def __init__(self, service_id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., config_json: _Optional[str] = ...) -> None: ...

class CreateIntegrationResponse(_message.Message):
    __slots__ = ("integration", "key")
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    integration: Integration
    key: str
    def __init__(self, integration: _Optional[_Union[Integration, _Mapping]] = ..., key: _Optional[str] = ...) -> None: ...

class RevokeIntegrationRequest(_message.Message):
    __slots__ = ("service_id", "integration_id")
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    service_id: str
    integration_id: str
    def __init__(self, service_id: _Optional[str] = ..., integration_id: _Optional[str] = ...) -> None: ...

class RevokeIntegrationResponse(_message.Message):
    __slots__ = ("integration",)
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    integration: Integration
    def __init__(self, integration: _Optional[_Union[Integration, _Mapping]] = ...) -> None: ...

class AnalyticsRequest(_message.Message):
    __slots__ = ("query",)
    class QueryEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: _containers.ScalarMap[str, str]
    def __init__(self, query: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AnalyticsResponse(_message.Message):
    __slots__ = ("body_json",)
    BODY_JSON_FIELD_NUMBER: _ClassVar[int]
    body_json: str
    def __init__(self, body_json: _Optional[str] = ...) -> None: ...
