"""INTERNAL_TOKEN: every service needs it, long and not a placeholder, and a refused one is never echoed."""

import pytest
from pydantic import ValidationError

from services.alert_ingestion.config import IngestionSettings
from services.incident_management.config import IncidentSettings
from services.notifier.config import NotifierSettings
from services.oncall_service.config import OnCallSettings
from services.web_ui.config import WebUISettings
from shared.config import DatabaseSettings

SERVICES = [IncidentSettings, OnCallSettings, IngestionSettings, NotifierSettings, WebUISettings]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("s3cr3t-but-short", "INTERNAL_TOKEN must have at least 32 bytes"),
        ("change-me-change-me-change-me-change-me", "INTERNAL_TOKEN is a placeholder"),
    ],
)
def test_a_short_or_placeholder_token_stops_the_start_without_being_shown(token, message):
    with pytest.raises(ValidationError) as refused:
        OnCallSettings(_env_file=None, internal_token=token)
    assert message in str(refused.value) and token not in str(refused.value)


@pytest.mark.parametrize("settings_class", SERVICES)
def test_every_service_needs_the_token(monkeypatch, settings_class):
    monkeypatch.delenv("INTERNAL_TOKEN", raising=False)
    with pytest.raises(ValidationError) as refused:
        settings_class(_env_file=None, web_ui_jwt_secret="0f" * 32)
    assert "internal_token" in str(refused.value) and "Field required" in str(refused.value)


def test_a_long_random_token_is_taken_and_kept_out_of_the_settings_repr():
    settings = IncidentSettings(_env_file=None, internal_token="ab" * 32)
    assert settings.internal_token.get_secret_value() == "ab" * 32 and "ab" * 32 not in repr(settings)


def test_tools_that_only_touch_the_database_need_no_token(monkeypatch):
    monkeypatch.delenv("INTERNAL_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@db:5432/x")
    assert DatabaseSettings(_env_file=None).asyncpg_dsn == "postgresql://u@db:5432/x"


def test_incident_management_requires_integration_keys_unless_told_otherwise(monkeypatch):
    assert IncidentSettings(_env_file=None).require_integration_key is True
    monkeypatch.setenv("REQUIRE_INTEGRATION_KEY", "false")
    assert IncidentSettings(_env_file=None).require_integration_key is False
