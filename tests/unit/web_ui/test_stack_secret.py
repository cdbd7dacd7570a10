"""The native stack's dashboard key: WEB_UI_JWT_SECRET when set, else generated once, owner-only."""

import stat
from pathlib import Path

from scripts.devstack import runner
from scripts.devstack.settings import StackSettings


def test_a_key_is_generated_once_readable_by_its_owner_only(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path)
    first = runner.generated_secret(settings.web_ui_secret_file, None)
    assert len(first) == 64 and runner.generated_secret(settings.web_ui_secret_file, None) == first
    assert stat.S_IMODE(settings.web_ui_secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.web_ui_secret_file.parent.stat().st_mode) == 0o700


def test_the_configured_key_wins_and_nothing_is_written(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path, web_ui_jwt_secret="s" * 40)
    assert runner.generated_secret(settings.web_ui_secret_file, settings.web_ui_jwt_secret) == "s" * 40
    assert not settings.web_ui_secret_file.exists()


def test_the_stack_starts_the_dashboard_with_the_grpc_servers_it_calls(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path, web_ui_http_port=9005)
    spec = runner.spec_named(settings, "web-ui")
    assert spec.health_url == "http://127.0.0.1:9005/health/ready" and spec.gateway_service == "web-ui"
    assert spec.env["INCIDENT_GRPC_TARGET"] == f"127.0.0.1:{settings.incident_grpc_port}"
    assert spec.env["ONCALL_GRPC_TARGET"] == f"127.0.0.1:{settings.oncall_grpc_port}"
    assert spec.env["WEB_UI_JWT_SECRET"] == settings.web_ui_secret_file.read_text().strip()
