"""`scripts.backup`: which tools it runs, how it passes the password, and when it refuses."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scripts import backup
from scripts.devstack.processes import _start_time
from scripts.devstack.settings import StackSettings
from shared import embedded

EXTERNAL = "postgresql+asyncpg://oncall:s3cret@db.example:5433/oncall"


def _settings(tmp_path: Path, **values) -> StackSettings:
    return StackSettings(_env_file=None, var_dir=tmp_path, **values)


def test_the_embedded_server_is_dumped_with_its_own_pg_dump(tmp_path):
    assert backup.tool(_settings(tmp_path), "pg_dump") == str(embedded.PG_BIN / "pg_dump")


def test_an_external_server_needs_pg_dump_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError, match="pg_dump not found on PATH: with DATABASE_URL, install"):
        backup.tool(_settings(tmp_path, database_url=EXTERNAL), "pg_dump")


def test_the_password_goes_in_the_environment_not_on_the_command_line(tmp_path):
    url, env = backup.connection(_settings(tmp_path, database_url=EXTERNAL))
    assert url == "postgresql://oncall@db.example:5433/oncall"
    assert env["PGPASSWORD"] == "s3cret"


def test_a_stack_never_started_has_nothing_to_back_up_and_leaves_no_file(tmp_path):
    with pytest.raises(backup.BackupError, match="nothing to back up"):
        backup.dump(_settings(tmp_path), now=datetime(2026, 12, 7, 3, 0, tzinfo=UTC))
    assert list((tmp_path / "backups").iterdir()) == []


def test_restore_refuses_while_a_process_of_the_stack_runs(tmp_path):
    settings = _settings(tmp_path)
    settings.run_dir.mkdir()
    (settings.run_dir / "oncall.pid").write_text(f"{os.getpid()} {_start_time(os.getpid())}\n")
    dump = tmp_path / "oncall.dump"
    dump.write_bytes(b"PGDMP")
    with pytest.raises(
        backup.BackupError, match=r"the stack is running \(oncall\): stop it with `make down`"
    ):
        backup.restore(settings, dump)


def test_restore_names_a_missing_file(tmp_path):
    with pytest.raises(backup.BackupError, match="no such file"):
        backup.restore(_settings(tmp_path), tmp_path / "nope.dump")
