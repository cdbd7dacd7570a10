"""docker-compose.yml is checked here, since CI has no Docker: it is valid Compose, and the files it mounts,
the modules it runs and the variables it requires exist."""

import importlib.util
import json
import re

import jsonschema
import yaml

from scripts.devstack import traefik
from scripts.devstack.settings import ROOT, StackSettings

COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
# The Compose Specification's schema, vendored (tests/schemas/README.md says from where).
SCHEMA = json.loads((ROOT / "tests/schemas/compose-spec.json").read_text())


def test_compose_file_validates_against_the_compose_specification():
    errors = [f"{e.json_path}: {e.message}" for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(COMPOSE)]
    assert errors == []


def test_the_schema_check_catches_a_malformed_service():
    web = {"image": "x", "ports": [{"bogus": 1}], "entrypoint": {"a": 1}, "colour": "red"}
    broken = {"services": {"web": web}}
    paths = sorted(e.json_path for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(broken))
    assert paths == ["$.services.web", "$.services.web.entrypoint", "$.services.web.ports[0]"]


def test_every_long_running_service_restarts_unless_stopped():
    for name, service in COMPOSE["services"].items():
        expected = "no" if name == "migrate" else "unless-stopped"  # migrate runs once, then exits
        assert service.get("restart") == expected, name


def test_traefik_is_health_checked_on_the_entry_point_serving_ping():
    test = COMPOSE["services"]["traefik"]["healthcheck"]["test"]
    assert test == ["CMD", "traefik", "healthcheck", "--ping", "--configFile=/etc/traefik/traefik.yml"]
    static = yaml.safe_load((ROOT / "config/traefik/compose/traefik.yml").read_text())
    assert static["ping"]["entryPoint"] in static["entryPoints"]


def test_notifier_mails_to_mailpit_once_it_is_healthy():
    notifier = COMPOSE["services"]["notifier"]
    assert (notifier["environment"]["SMTP_HOST"], notifier["environment"]["SMTP_PORT"]) == ("mailpit", "1025")
    assert notifier["depends_on"]["mailpit"] == {"condition": "service_healthy"}
    mailpit = COMPOSE["services"]["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit:v")
    assert mailpit["ports"] == ["127.0.0.1:1025:1025", "127.0.0.1:8025:8025"]


# `${NAME:?message}`: compose refuses to start without NAME.
REQUIRED = sorted(set(re.findall(r"\$\{([A-Z_]+):\?", COMPOSE_TEXT)))


def test_variables_compose_requires_are_in_env_example_and_the_readme_quick_start():
    assert REQUIRED == ["AUTH_JWT_SECRET", "GRAFANA_ADMIN_PASSWORD", "INTERNAL_TOKEN", "POSTGRES_PASSWORD"]
    example = (ROOT / ".env.example").read_text()
    header = example.split("\n\n")[0]
    readme = (ROOT / "README.md").read_text()
    quick_start = readme[readme.index("cp .env.example .env") : readme.index("docker compose up --build")]
    for name in [*REQUIRED, "ADMIN_EMAIL", "ADMIN_PASSWORD"]:
        assert re.search(rf"^{name}=$", example, re.MULTILINE), f".env.example has no {name}= line"
        assert name in header, f".env.example's header does not name {name}"
        assert name in quick_start, f"the README's Docker quick-start does not name {name}"


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


def test_alert_ingestion_is_one_service_that_scales():
    """`docker compose up --scale alert-ingestion=N` needs one service that nothing ties to one container:
    no fixed name or hostname, no published port, no replica id of its own (each is its hostname)."""
    assert [n for n in COMPOSE["services"] if n.startswith("alert-ingestion")] == ["alert-ingestion"]
    ingestion = COMPOSE["services"]["alert-ingestion"]
    assert not {"container_name", "hostname", "ports"} & set(ingestion), "these hold it to one container"
    assert ingestion["deploy"]["replicas"] == 2
    assert ingestion["environment"]["HTTP_PORT"] == "8001" and "REPLICA_ID" not in ingestion["environment"]
    assert "alert-ingestion" in COMPOSE["services"]["traefik"]["depends_on"]


def _pool_labels(service: dict) -> dict[str, str]:
    """The service's Traefik labels of its load balancer, without the prefix naming it."""
    prefix = f"traefik.http.services.{traefik.DOCKER_INGESTION_SERVICE.removesuffix('@docker')}.loadbalancer."
    return {
        key.removeprefix(prefix): value for key, value in service["labels"].items() if key.startswith(prefix)
    }


def test_traefik_finds_every_ingestion_container_through_the_docker_socket():
    gateway = COMPOSE["services"]["traefik"]
    assert "/var/run/docker.sock:/var/run/docker.sock:ro" in gateway["volumes"]
    static = yaml.safe_load((ROOT / "config/traefik/compose/traefik.yml").read_text())
    docker = static["providers"]["docker"]
    assert docker["endpoint"] == "unix:///var/run/docker.sock" and docker["exposedByDefault"] is False
    assert "file" in static["providers"]  # the routes and their middlewares stay in the rendered files
    labelled = [
        n
        for n, s in COMPOSE["services"].items()
        if any(k.startswith("traefik.") for k in s.get("labels", {}))
    ]
    assert labelled == ["alert-ingestion"]
    assert COMPOSE["services"]["alert-ingestion"]["labels"]["traefik.enable"] == "true"
    routes = yaml.safe_load((ROOT / "config/traefik/compose/dynamic/routes.yml").read_text())["http"]
    assert routes["services"]["alert-ingestion-failover"]["failover"]["service"] == "alert-ingestion@docker"


def test_the_ingestion_containers_are_health_checked_as_the_native_replicas(tmp_path):
    """The labels give the compose pool the native pool's health check (its path, 500ms interval and
    timeout, which the retry's backoff outlasts), and send to the port the replicas listen on."""
    native = traefik.render(traefik.native_config(StackSettings(_env_file=None, var_dir=tmp_path)))
    pool = yaml.safe_load(native["dynamic.yml"])["http"]["services"]["alert-ingestion"]["loadBalancer"]
    ingestion = COMPOSE["services"]["alert-ingestion"]
    labels = _pool_labels(ingestion)
    checks = {k.removeprefix("healthcheck."): v for k, v in labels.items() if k.startswith("healthcheck.")}
    assert checks == pool["healthCheck"]
    assert labels["server.port"] == ingestion["environment"]["HTTP_PORT"]
    assert set(labels) == {"server.port", *(f"healthcheck.{k}" for k in checks)}, "no passive health check"


# What shows traces, logs, mail or the gateway's routes, none of it behind a login of ours.
OPERATOR_PORTS = {"traefik": "8080", "jaeger": "16686", "grafana": "3000", "mailpit": "8025"}


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
    # on-call, incident-management, notifier, web-ui, alert-ingestion, the metrics exporter
    assert len(services) == 6, services
    for name in services:
        assert COMPOSE["services"][name]["environment"]["INTERNAL_TOKEN"].startswith("${INTERNAL_TOKEN:?"), (
            name
        )
