"""The ops CLI's pure parts: which stack a command is for, argument handling, durations as printed."""

import pytest

from scripts.devstack.settings import StackSettings
from scripts.ops import calls, cli, compose, scaling


@pytest.fixture
def settings(tmp_path) -> StackSettings:
    return StackSettings(_env_file=None, var_dir=tmp_path)


def test_mode_is_compose_after_a_compose_deploy_unless_asked_otherwise(settings):
    assert compose.choose_mode(settings, None) == "native"
    compose.marker(settings).touch()
    assert compose.choose_mode(settings, None) == "compose"
    assert compose.choose_mode(settings, "native") == "native"


def test_a_scaled_stack_keeps_its_replica_count_for_later_commands(settings):
    assert scaling.live_settings(settings).ingestion_replicas == 2
    scaling.replicas_file(settings).write_text("5\n")
    assert scaling.live_settings(settings).ingestion_replicas == 5


def test_scale_refuses_a_count_out_of_bounds(settings):
    with pytest.raises(ValueError, match="between 1 and 32"):
        scaling.scale(settings, 0)


def test_compose_scales_the_one_ingestion_service_keeping_the_running_containers():
    assert compose.scale_args(4) == ["up", "-d", "--scale", "alert-ingestion=4", "--no-recreate", "--wait"]


def test_compose_scale_refuses_a_count_out_of_bounds_before_calling_docker(settings, capsys, monkeypatch):
    monkeypatch.setattr(compose, "run", lambda *args: pytest.fail(f"docker compose {args} was called"))
    assert cli.main(["--mode", "compose", "scale", "33"], settings=settings) == 1
    assert "between 1 and 32" in capsys.readouterr().err


def test_compose_scale_runs_docker_compose_with_the_built_arguments(settings, monkeypatch):
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(compose, "run", lambda *args: calls.append(args) or 0)
    assert cli.main(["--mode", "compose", "scale", "3"], settings=settings) == 0
    assert cli.main(["--mode", "compose", "scale-down"], settings=settings) == 0
    assert calls == [tuple(compose.scale_args(3)), tuple(compose.scale_args(1))]


def test_only_development_commands_take_further_arguments(settings, capsys):
    with pytest.raises(SystemExit) as refused:
        cli.main(["status", "--bogus"], settings=settings)
    assert refused.value.code == 2 and "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_the_demos_refuse_compose_mode(settings, capsys):
    assert cli.main(["--mode", "compose", "full-demo"], settings=settings) == 2
    assert "native stack only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "-"), (4.25, "4.2 s"), (300, "5.0 min"), (7200, "2.0 h")]
)
def test_durations_read_as_people_read_them(value, shown):
    assert calls.seconds(value) == shown
