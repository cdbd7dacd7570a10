"""Render Traefik's configuration from the templates in config/traefik/ (native and compose alike)."""

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2

from scripts.devstack.settings import ROOT, StackSettings
from shared.http import MAX_BODY_BYTES

TEMPLATES = ROOT / "config" / "traefik"
COMPOSE_DIR = TEMPLATES / "compose"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
)


@dataclass(frozen=True)
class GatewayConfig:
    listen_host: str
    gateway_port: int
    admin_port: int
    dynamic_dir: str
    ingestion_urls: list[str]
    incident_url: str
    oncall_url: str
    notifier_url: str
    web_ui_url: str
    rate_limit_average: int
    rate_limit_burst: int
    hsts_seconds: int
    # HTTPS on tls_port with this certificate and key, and GATEWAY_PORT redirecting to it; None: HTTP only.
    tls_port: int | None = None
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    log_level: str = "INFO"
    # True (compose): the alert-ingestion pool is every container of that compose service, found by
    # Traefik's Docker provider; ingestion_urls then only serve the error pages.
    ingestion_from_docker: bool = False


def native_config(settings: StackSettings) -> GatewayConfig:
    """Everything on 127.0.0.1: one ingestion port per replica."""
    tls_files = settings.gateway_tls_files
    return GatewayConfig(
        listen_host="127.0.0.1",
        gateway_port=settings.gateway_port,
        admin_port=settings.gateway_admin_port,
        dynamic_dir=str(settings.var_dir.resolve() / "traefik" / "dynamic"),
        ingestion_urls=[f"http://127.0.0.1:{port}" for port in settings.ingestion_ports()],
        incident_url=f"http://127.0.0.1:{settings.incident_http_port}",
        oncall_url=f"http://127.0.0.1:{settings.oncall_http_port}",
        notifier_url=f"http://127.0.0.1:{settings.notifier_http_port}",
        web_ui_url=f"http://127.0.0.1:{settings.web_ui_http_port}",
        rate_limit_average=settings.rate_limit_average,
        rate_limit_burst=settings.rate_limit_burst,
        hsts_seconds=settings.gateway_hsts_seconds,
        tls_port=settings.gateway_tls_port if tls_files else None,
        tls_cert_file=str(tls_files[0]) if tls_files else None,
        tls_key_file=str(tls_files[1]) if tls_files else None,
        log_level=traefik_log_level(settings.log_level),
    )


# Python's level names that Traefik spells differently (it knows TRACE, DEBUG, INFO, WARN, ERROR, FATAL,
# PANIC, and falls back to ERROR, with a complaint in its log, for any other).
_TRAEFIK_LEVELS = {"WARNING": "WARN", "CRITICAL": "FATAL"}


def traefik_log_level(level: str) -> str:
    """The stack's LOG_LEVEL (Python's names) as Traefik's `log.level`."""
    return _TRAEFIK_LEVELS.get(level.upper(), level.upper())


# The alert routes' middlewares, in order (config/traefik/dynamic.yml.j2 defines them): the error pages
# wrap everything the gateway itself refuses; the rate limit refuses first, at the least cost; the body is
# read whole; the retry re-sends it.
INGESTION_MIDDLEWARES = ("ingestion-errors", "ingestion-rate-limit", "ingestion-body", "ingestion-retry")
# The services routers send requests to, each through a failover to the JSON 503 when none of it is up.
ROUTED_SERVICES = ("alert-ingestion", "incident-management", "oncall", "notifier", "web-ui")


# The compose alert-ingestion service's pool, as its labels in docker-compose.yml name it.
DOCKER_INGESTION_SERVICE = "alert-ingestion@docker"


def compose_config() -> GatewayConfig:
    """docker-compose.yml's containers by name; alert-ingestion's, as many as it is scaled to, by Traefik's
    Docker provider (the compose service's DNS name, which answers with any of them, serves error pages)."""
    defaults = StackSettings(_env_file=None)
    return GatewayConfig(
        listen_host="",
        gateway_port=80,
        admin_port=8080,
        dynamic_dir="/etc/traefik/dynamic",
        ingestion_urls=["http://alert-ingestion:8001"],
        incident_url="http://incident-management:8002",
        oncall_url="http://oncall:8003",
        notifier_url="http://notifier:8004",
        web_ui_url="http://web-ui:8005",
        rate_limit_average=defaults.rate_limit_average,
        rate_limit_burst=defaults.rate_limit_burst,
        hsts_seconds=defaults.gateway_hsts_seconds,
        ingestion_from_docker=True,
    )


def failover_targets(config: GatewayConfig) -> dict[str, str]:
    """Each routed service's pool, which its failover sends to while any of the pool is up."""
    targets = {name: name for name in ROUTED_SERVICES}
    if config.ingestion_from_docker:
        targets["alert-ingestion"] = DOCKER_INGESTION_SERVICE
    return targets


def render(config: GatewayConfig) -> dict[str, str]:
    """The static and dynamic files' text, by file name."""
    tls = config.tls_cert_file is not None
    values = asdict(config) | {
        "tls": tls,
        # With TLS every route is on the HTTPS entry point; `web` then only redirects to it.
        "entry_point": "websecure" if tls else "web",
        "ingestion_middlewares": INGESTION_MIDDLEWARES,
        "max_body_bytes": MAX_BODY_BYTES,
        "failover_targets": failover_targets(config),
        # Every service serves them (shared/http.py): any one alive will do.
        "error_page_urls": [
            config.web_ui_url,
            config.oncall_url,
            config.notifier_url,
            config.incident_url,
            *config.ingestion_urls,
        ],
    }
    return {
        "traefik.yml": _env.get_template("traefik.yml.j2").render(values),
        "dynamic.yml": _env.get_template("dynamic.yml.j2").render(values),
    }


def write_native(settings: StackSettings) -> Path:
    """Write var/traefik/traefik.yml and dynamic/routes.yml, the latter atomically (Traefik watches it)."""
    files = render(native_config(settings))
    home = settings.var_dir / "traefik"
    write_atomic(home / "traefik.yml", files["traefik.yml"])
    write_atomic(home / "dynamic" / "routes.yml", files["dynamic.yml"])
    return home / "traefik.yml"


def write_compose() -> list[Path]:
    """Regenerate the committed compose copies under config/traefik/compose/."""
    written = []
    for name, text in render(compose_config()).items():
        path = COMPOSE_DIR / ("dynamic/routes.yml" if name == "dynamic.yml" else name)
        write_atomic(path, text)
        written.append(path)
    return written


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
