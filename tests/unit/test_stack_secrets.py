"""The native stack's keys and first admin: configured values win, else generated once, owner-only."""

import stat
from pathlib import Path

from scripts.devstack import runner
from scripts.devstack.settings import StackSettings


def test_a_key_is_generated_once_readable_by_its_owner_only(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path, auth_jwt_secret=None)
    first = runner.auth_secret(settings)
    assert len(first) == 64 and runner.auth_secret(settings) == first
    assert stat.S_IMODE((settings.secrets_dir / "auth-jwt-secret").stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.secrets_dir.stat().st_mode) == 0o700


def test_the_configured_key_wins_and_nothing_is_written(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path, auth_jwt_secret="s" * 40)
    assert runner.auth_secret(settings) == "s" * 40
    assert not (settings.secrets_dir / "auth-jwt-secret").exists()


def test_every_service_gets_the_same_key_and_on_call_the_first_admin(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path, web_ui_http_port=9005)
    key = runner.auth_secret(settings)
    for name in ("web-ui", "incident-management", "notifier", "oncall"):
        assert runner.spec_named(settings, name).env["AUTH_JWT_SECRET"] == key
    oncall = runner.spec_named(settings, "oncall").env
    assert oncall["ADMIN_EMAIL"] == "admin@localhost"
    assert oncall["ADMIN_PASSWORD"] == settings.admin_password_file.read_text().strip()
    assert stat.S_IMODE(settings.admin_password_file.stat().st_mode) == 0o600
    web = runner.spec_named(settings, "web-ui")
    assert web.health_url == "http://127.0.0.1:9005/health/ready" and web.gateway_service == "web-ui"
    assert web.env["INCIDENT_GRPC_TARGET"] == f"127.0.0.1:{settings.incident_grpc_port}"


def test_a_configured_first_admin_is_passed_and_no_password_is_generated(tmp_path: Path):
    settings = StackSettings(
        _env_file=None, var_dir=tmp_path, admin_email="ops@x.org", admin_password="p" * 20
    )
    assert runner.admin_login(settings) == ("ops@x.org", "p" * 20)
    assert not settings.admin_password_file.exists()
