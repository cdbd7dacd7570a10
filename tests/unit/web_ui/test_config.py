"""WEB_UI_JWT_SECRET is required, long and not a placeholder, and a refused one is never echoed."""

import pytest
from pydantic import ValidationError

from services.web_ui.config import WebUISettings


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "Field required"),
        ("s3cr3t-but-short", "at least 32 characters"),
        ("change-me-change-me-change-me-change-me", "placeholder"),
    ],
)
def test_a_missing_short_or_placeholder_secret_stops_the_start(monkeypatch, secret, message):
    monkeypatch.delenv("WEB_UI_JWT_SECRET", raising=False)
    values = {} if secret is None else {"web_ui_jwt_secret": secret}
    with pytest.raises(ValidationError) as refused:
        WebUISettings(_env_file=None, **values)
    assert message in str(refused.value)
    assert secret is None or secret not in str(refused.value)


def test_a_long_random_secret_is_taken():
    settings = WebUISettings(_env_file=None, web_ui_jwt_secret="0f" * 32)
    assert settings.session_seconds == 12 * 3600 and settings.http_port == 8005
