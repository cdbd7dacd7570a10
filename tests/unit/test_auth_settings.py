"""AUTH_JWT_SECRET is required, long and not a placeholder, and a refused one is never echoed."""

import pytest
from pydantic import ValidationError

from services.incident_management.config import IncidentSettings
from services.web_ui.config import WebUISettings


@pytest.mark.parametrize("settings_class", [WebUISettings, IncidentSettings])
@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "Field required"),
        ("s3cr3t-but-short", "at least 32 bytes"),
        ("change-me-change-me-change-me-change-me", "placeholder"),
    ],
)
def test_a_missing_short_or_placeholder_secret_stops_the_start(monkeypatch, settings_class, secret, message):
    monkeypatch.delenv("AUTH_JWT_SECRET", raising=False)
    values = {} if secret is None else {"auth_jwt_secret": secret}
    with pytest.raises(ValidationError) as refused:
        settings_class(_env_file=None, **values)
    assert message in str(refused.value)
    assert secret is None or secret not in str(refused.value)


def test_a_long_random_secret_is_taken():
    settings = WebUISettings(_env_file=None, auth_jwt_secret="0f" * 32)
    assert settings.session_seconds == 12 * 3600 and settings.auth_token_minutes == 15
