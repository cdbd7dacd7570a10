"""`scripts.stack start|stop NAME`: every process by name, the embedded PostgreSQL and Redis included;
external servers are named as such and left alone."""

from pathlib import Path

import pytest

from scripts import stack
from scripts.devstack import runner
from scripts.devstack.settings import StackSettings


def _settings(tmp_path: Path, **values) -> StackSettings:
    return StackSettings(_env_file=None, var_dir=tmp_path, **values)


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_stopping_an_embedded_server_that_does_not_run_reports_it_was_not_running(tmp_path, name):
    assert runner.stop(_settings(tmp_path), name) is False


@pytest.mark.parametrize(("name", "variable"), [("postgres", "DATABASE_URL"), ("redis", "REDIS_URL")])
def test_an_external_server_is_neither_started_nor_stopped(tmp_path, name, variable):
    settings = _settings(
        tmp_path, database_url="postgresql+asyncpg://db.example/oncall", redis_url="redis://cache.example/0"
    )
    for action in (runner.stop, runner.start_named):
        with pytest.raises(runner.NotManaged, match=f"{name} is external \\({variable} is set\\)"):
            action(settings, name)


def test_the_cli_says_an_external_server_is_not_managed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://db.example/oncall")
    assert stack.main(["stop", "postgres"]) == 2
    assert "postgres is external (DATABASE_URL is set)" in capsys.readouterr().err


def test_the_cli_names_the_processes_when_given_an_unknown_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    assert stack.main(["start", "nginx"]) == 2
    error = capsys.readouterr().err
    assert "no process named 'nginx'" in error and "postgres, redis, oncall" in error
    assert stack.main(["stop", "nginx"]) == 2


def test_the_cli_reports_a_server_that_was_not_running(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert stack.main(["stop", "redis"]) == 0
    assert capsys.readouterr().out == "redis was not running\n"
