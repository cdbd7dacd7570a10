"""The CLI's stack commands, native (scripts/devstack) or compose (`docker compose`)."""

import shutil
import sys

from scripts import stack
from scripts.devstack import runner
from scripts.devstack.processes import StartupFailed
from scripts.devstack.settings import StackSettings
from scripts.ops import compose, health, logs, scaling

COMPOSE_GATEWAY = "http://127.0.0.1:8000"


def deploy(settings: StackSettings, mode: str) -> int:
    """Check the installation, start what is not running, wait until healthy, print the URLs."""
    if mode == "compose":
        code = compose.run("up", "-d", "--wait")
        if code == 0:
            compose.marker(settings).parent.mkdir(parents=True, exist_ok=True)
            compose.marker(settings).touch()
            print(
                f"OnCall Platform is up in compose: {COMPOSE_GATEWAY}/ui/ (the admin of ADMIN_EMAIL in .env)"
            )
        return code
    try:
        runner.traefik_binary()
    except FileNotFoundError as missing:
        print(f"not installed: {missing}", file=sys.stderr)
        return 2
    had_admin = settings.admin_email or settings.admin_password_file.exists()
    code = stack.main_up(settings)
    if code == 0 and had_admin:
        email, _ = runner.admin_login(settings)
        where = settings.admin_password_file if not settings.admin_password else "ADMIN_PASSWORD"
        print(f"\n  first admin            {email}  (password in {where})")
    return code


def down(settings: StackSettings, mode: str) -> int:
    """Stop everything the stack started; the next deploy starts INGESTION_REPLICAS replicas again."""
    if mode == "compose":
        code = compose.run("down")
        compose.marker(settings).unlink(missing_ok=True)
        return code
    stopped = runner.down(settings)
    scaling.replicas_file(settings).unlink(missing_ok=True)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def restart(settings: StackSettings, mode: str, service: str | None) -> int:
    """One process (stopped, then started and healthy again), or the whole stack."""
    if mode == "compose":
        return compose.run("restart", *([service] if service else []))
    if service is None:
        runner.down(settings)
        return deploy(settings, mode)
    code = stack.start_or_stop(settings, "stop", service)
    return code or stack.start_or_stop(settings, "start", service)


def clean(settings: StackSettings, mode: str, *, yes: bool) -> int:
    """Stop the stack and delete VAR_DIR (its data, logs, generated secrets)."""
    if not yes and input(f"stop the stack and delete {settings.var_dir}? [y/N] ").strip().lower() != "y":
        print("nothing deleted")
        return 1
    if mode == "compose":
        compose.run("down", "--volumes")
    else:
        runner.down(settings)
    shutil.rmtree(settings.var_dir, ignore_errors=True)
    print(f"deleted {settings.var_dir}")
    return 0


def status(settings: StackSettings, mode: str) -> int:
    return compose.run("ps") if mode == "compose" else stack.print_status(settings)


def check_health(settings: StackSettings, mode: str) -> int:
    """Exit code 1 when any component is not healthy, each named with its reason."""
    if mode == "compose":
        return compose.run("ps", "--format", "table {{.Service}}\t{{.Status}}")
    rows = health.check_all(settings)
    print(health.report(rows))
    sick = [row.name for row in rows if not row.healthy]
    print(f"not healthy: {', '.join(sick)}" if sick else "all healthy")
    return 1 if sick else 0


def show_logs(settings: StackSettings, mode: str, service: str | None, *, follow: bool, lines: int) -> int:
    if mode == "compose":
        return compose.run(
            "logs", "--tail", str(lines), *(["-f"] if follow else []), *([service] if service else [])
        )
    return logs.show(settings, service, lines=lines, follow=follow)


def build(settings: StackSettings) -> int:
    """The images, when a Docker engine answers; else why not (not an error: the native stack needs none)."""
    if not compose.engine_answers():
        print("no Docker engine answers (`docker info` fails or docker is not installed): no image built")
        return 0
    return compose.run("build")


def scale(settings: StackSettings, mode: str, replicas: int) -> int:
    """Live: the running stack's alert-ingestion replicas to `replicas`."""
    try:
        scaling.check_count(replicas)
        if mode == "compose":
            return compose.run(*compose.scale_args(replicas))
        changes = scaling.scale(settings, replicas)
    except (ValueError, StartupFailed) as failure:
        print(f"scale: {failure}", file=sys.stderr)
        return 1
    for line in changes or [f"already {replicas} alert-ingestion replica(s)"]:
        print(line)
    return 0
