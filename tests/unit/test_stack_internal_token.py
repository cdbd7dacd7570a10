"""The native stack's internal gRPC credential: INTERNAL_TOKEN when set, else generated once under
VAR_DIR (owner-only), and the same one given to every service."""

import stat
from pathlib import Path

import pytest

from scripts.devstack import runner
from scripts.devstack.settings import StackSettings

SERVICES = ["oncall", "incident-management", "notifier", "web-ui", "alert-ingestion-1", "alert-ingestion-2"]


@pytest.fixture
def unset(monkeypatch):
    monkeypatch.delenv("INTERNAL_TOKEN", raising=False)


def test_every_service_gets_the_token_generated_once_readable_by_its_owner_only(tmp_path: Path, unset):
    settings = StackSettings(_env_file=None, var_dir=tmp_path)
    tokens = {runner.spec_named(settings, name).env["INTERNAL_TOKEN"] for name in SERVICES}
    token = (settings.secrets_dir / "internal-token").read_text().strip()
    assert tokens == {token} and len(token) == 64
    assert stat.S_IMODE((settings.secrets_dir / "internal-token").stat().st_mode) == 0o600
    assert stat.S_IMODE((settings.secrets_dir / "internal-token").parent.stat().st_mode) == 0o700


def test_a_configured_token_is_given_to_every_service_and_nothing_is_written(tmp_path: Path, unset):
    settings = StackSettings(_env_file=None, var_dir=tmp_path, internal_token="t" * 40)
    assert {runner.spec_named(settings, name).env["INTERNAL_TOKEN"] for name in SERVICES} == {"t" * 40}
    assert not (settings.secrets_dir / "internal-token").exists()
