"""docker-compose.yml is checked here, since CI has no Docker: files it mounts and modules it runs exist."""

import importlib.util

import yaml

from scripts.devstack.settings import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_command_module_and_build_file_exists():
    for name, service in COMPOSE["services"].items():
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        command = service.get("command", [])
        if command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2]) is not None, f"{name}: {command[2]} not found"


def test_every_mounted_config_file_is_in_the_repo():
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_gateway_lists_each_ingestion_replica_of_the_compose_file():
    routes = yaml.safe_load((ROOT / "config/traefik/compose/dynamic/routes.yml").read_text())
    servers = routes["http"]["services"]["alert-ingestion"]["loadBalancer"]["servers"]
    replicas = sorted(n for n in COMPOSE["services"] if n.startswith("alert-ingestion-"))
    assert [s["url"] for s in servers] == [f"http://{n}:8001" for n in replicas]
    for name in replicas:
        env = COMPOSE["services"][name]["environment"]
        assert (env["HTTP_PORT"], env["REPLICA_ID"]) == ("8001", name)


# What shows traces, logs, mail or the gateway's routes, none of it behind a login of ours.
OPERATOR_PORTS = {"traefik": "8080", "jaeger": "16686", "grafana": "3000", "mailhog": "8025"}


def test_operator_tools_are_published_on_loopback_only():
    for name, service in COMPOSE["services"].items():
        for mapping in service.get("ports", []):
            host_port = mapping.split(":")[-2]
            if host_port in OPERATOR_PORTS.values():
                assert mapping.startswith("127.0.0.1:"), f"{name} publishes {mapping} on every interface"
    for name, port in OPERATOR_PORTS.items():
        assert f"127.0.0.1:{port}:{port}" in COMPOSE["services"][name]["ports"], name


def test_traefiks_api_is_not_insecure_and_is_routed_on_the_admin_entry_point_only():
    static = yaml.safe_load((ROOT / "config/traefik/compose/traefik.yml").read_text())
    assert static["api"]["insecure"] is False
    routes = yaml.safe_load((ROOT / "config/traefik/compose/dynamic/routes.yml").read_text())
    api = [r for r in routes["http"]["routers"].values() if r["service"] == "api@internal"]
    assert [r["entryPoints"] for r in api] == [["traefik"]]


def test_grafana_needs_its_admin_password_from_env_and_has_no_anonymous_access():
    env = COMPOSE["services"]["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert "GF_AUTH_ANONYMOUS_ORG_ROLE" not in env
    # Required from .env (`:?` fails compose when unset): no password of the repository's own.
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")


def test_every_service_gets_the_internal_token_from_the_env_file():
    commands = {name: service.get("command", []) for name, service in COMPOSE["services"].items()}
    services = [
        name for name, command in commands.items() if command[2:3] and command[2].startswith("services.")
    ]
    # on-call, incident-management, notifier, web-ui, two replicas, the metrics exporter
    assert len(services) == 7, services
    for name in services:
        assert COMPOSE["services"][name]["environment"]["INTERNAL_TOKEN"].startswith("${INTERNAL_TOKEN:?"), (
            name
        )
