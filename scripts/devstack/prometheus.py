"""Render Prometheus's configuration from config/prometheus/prometheus.yml.j2 (native and compose alike),
and the native stack's Prometheus process when a `prometheus` binary is on the PATH."""

import shutil

import jinja2

from scripts.devstack.processes import ProcessSpec
from scripts.devstack.settings import ROOT, StackSettings
from scripts.devstack.traefik import write_atomic

CONFIG = ROOT / "config" / "prometheus"
RULES = CONFIG / "rules"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(CONFIG), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
)
# Retention of the native stack's samples: a week of a developer's stack stays small (~100 MB).
NATIVE_RETENTION = "7d"


def render(
    jobs: dict[str, list[str]],
    *,
    rules_dir: str,
    scrape_interval: str = "15s",
    dns_jobs: dict[str, str] | None = None,
) -> str:
    """The configuration scraping each job's targets (host:port), and each of `dns_jobs` at every address
    its DNS name (host:port) answers with, with the alert rules of `rules_dir`."""
    values = {
        "jobs": jobs,
        "dns_jobs": {job: target.rsplit(":", 1) for job, target in (dns_jobs or {}).items()},
        "rules_dir": rules_dir,
        "scrape_interval": scrape_interval,
    }
    return _env.get_template("prometheus.yml.j2").render(values)


def native_jobs(settings: StackSettings) -> dict[str, list[str]]:
    """Every process of the native stack that serves metrics, on 127.0.0.1, by job (the service's name)."""
    local = "127.0.0.1:{}".format
    return {
        "alert-ingestion": [local(port) for port in settings.ingestion_ports()],
        "incident-management": [local(settings.incident_http_port)],
        "oncall": [local(settings.oncall_http_port)],
        "notifier": [local(settings.notifier_http_port)],
        "web-ui": [local(settings.web_ui_http_port)],
        "metrics-exporter": [local(settings.metrics_exporter_port)],
        "traefik": [local(settings.gateway_admin_port)],
    }


def compose_jobs() -> dict[str, list[str]]:
    """docker-compose.yml's single containers by name, each on its own port."""
    return {
        "incident-management": ["incident-management:8002"],
        "oncall": ["oncall:8003"],
        "notifier": ["notifier:8004"],
        "web-ui": ["web-ui:8005"],
        "metrics-exporter": ["metrics-exporter:9090"],
        "traefik": ["traefik:8080"],
    }


# A scaled compose service, by job: Docker's DNS answers its name with every container's address.
COMPOSE_DNS_JOBS = {"alert-ingestion": "alert-ingestion:8001"}


def config_path(settings: StackSettings):
    return settings.var_dir.resolve() / "prometheus" / "prometheus.yml"


def write_native(settings: StackSettings) -> None:
    """Write VAR_DIR/prometheus/prometheus.yml."""
    text = render(
        native_jobs(settings), rules_dir=str(RULES), scrape_interval=settings.prometheus_scrape_interval
    )
    write_atomic(config_path(settings), text)


def render_compose() -> str:
    """The compose copy's text."""
    return render(compose_jobs(), rules_dir="/etc/prometheus/rules", dns_jobs=COMPOSE_DNS_JOBS)


def write_compose() -> list:
    """Regenerate the committed compose copy, config/prometheus/prometheus.yml."""
    path = CONFIG / "prometheus.yml"
    write_atomic(path, render_compose())
    return [path]


def prometheus_binary() -> str | None:
    """Debian's `prometheus` (or any on the PATH); None when there is none."""
    return shutil.which("prometheus")


def native_spec(settings: StackSettings, binary: str) -> ProcessSpec:
    """Prometheus on 127.0.0.1:PROMETHEUS_PORT with write_native's configuration, its data under
    VAR_DIR/prometheus/data."""
    home = settings.var_dir.resolve() / "prometheus"
    return ProcessSpec(
        name="prometheus",
        argv=[
            binary,
            f"--config.file={config_path(settings)}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--storage.tsdb.retention.time={NATIVE_RETENTION}",
            f"--web.listen-address=127.0.0.1:{settings.prometheus_port}",
        ],
        health_url=f"http://127.0.0.1:{settings.prometheus_port}/-/ready",
    )
