"""Native stack: `python -m scripts.stack up|down|status|start NAME|stop NAME|render-compose` (the compose
copies of the Traefik and Prometheus configurations)."""

import argparse
import sys

from scripts.devstack import prometheus, runner, traefik
from scripts.devstack.processes import StartupFailed
from scripts.devstack.settings import StackSettings


def main_up(settings: StackSettings) -> int:
    """Start the stack, print its URLs (and a new first admin's login); 1 when it failed to start."""
    new_admin = not settings.admin_email and not settings.admin_password_file.exists()
    try:
        runner.up(settings)
    except StartupFailed as failure:
        print(f"stack failed to start: {failure}\nlogs: {settings.log_dir}", file=sys.stderr)
        return 1
    gateway = settings.gateway_url
    files = settings.gateway_tls_files
    https = (
        f"\n    certificate          {files[0]} (http://127.0.0.1:{settings.gateway_port} redirects)"
        if files
        else ""
    )
    print(f"""OnCall Platform is up (logs in {settings.log_dir}, `make down` stops it):
  gateway (Traefik)      {gateway}{https}
    alerts               POST {gateway}/api/v1/alerts
    incidents            {gateway}/api/v1/incidents
    users/teams/on-call  {gateway}/api/v1/users  /teams  /rotations  /oncall/current?team=
    webhooks             {gateway}/api/v1/webhooks
  dashboard              {gateway}/ui/  (log in as an admin or a user given a password)
  mail sent (SMTP sink)  {settings.mail_dir}
  Traefik dashboard      http://127.0.0.1:{settings.gateway_admin_port}/dashboard/
  metrics                GET /metrics on each service's port; the exporter: :{settings.metrics_exporter_port}
  {prometheus_line(settings)}""")
    if new_admin:
        print(first_admin_notice(settings))
    return 0


def prometheus_line(settings: StackSettings) -> str:
    """Where Prometheus is, or why it did not start."""
    if not settings.prometheus:
        return "Prometheus             off (PROMETHEUS=false)"
    if prometheus.prometheus_binary() is None:
        return "Prometheus             not started: no `prometheus` on PATH (apt-get install prometheus)"
    return f"Prometheus             http://127.0.0.1:{settings.prometheus_port}/  (alert rules: /alerts)"


def first_admin_notice(settings: StackSettings) -> str:
    """The generated admin's login, said once: when its password was just made."""
    return f"""
  first admin            {runner.DEFAULT_ADMIN}  password: {settings.admin_password_file.read_text().strip()}
                         (shown once; kept in {settings.admin_password_file}, readable by you only)
  an access token        curl -s {settings.gateway_url}/api/v1/auth/token \\
                           -H 'content-type: application/json' \\
                           -d '{{"email":"{runner.DEFAULT_ADMIN}","password":"…"}}'"""


def print_status(settings: StackSettings) -> int:
    """One line per process: PID and health; 3 when any is not healthy."""
    rows = runner.status(settings)
    for name, pid, healthy in rows:
        state = "healthy" if healthy else ("running, not healthy" if pid else "stopped")
        print(f"  {name:22} {pid or '-':>8}  {state}")
    return 0 if all(healthy for _, _, healthy in rows) else 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "start", "stop", "render-compose"])
    parser.add_argument("name", nargs="?", help="for start/stop: postgres, redis, oncall, …")
    args = parser.parse_args(argv)
    settings = StackSettings()
    if args.command == "up":
        return main_up(settings)
    if args.command == "down":
        stopped = runner.down(settings)
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        return 0
    if args.command == "status":
        return print_status(settings)
    if args.command == "render-compose":
        for path in [*traefik.write_compose(), *prometheus.write_compose()]:
            print(f"wrote {path}")
        return 0
    if not args.name:
        parser.error(f"{args.command} needs a process name")
    return start_or_stop(settings, args.command, args.name)


def start_or_stop(settings: StackSettings, command: str, name: str) -> int:
    """Start or stop one process by name; 2 for an unknown or external one, 1 when it failed to start."""
    try:
        if command == "start":
            runner.start_named(settings, name)
            print(f"started: {name}")
        elif runner.stop(settings, name):
            print(f"stopped: {name}")
        else:
            if name not in runner.BACKENDS:
                runner.spec_named(settings, name)  # KeyError for a name the stack does not have
            print(f"{name} was not running")
    except runner.NotManaged as external:
        print(external, file=sys.stderr)
        return 2
    except KeyError as unknown:
        print(unknown.args[0], file=sys.stderr)
        return 2
    except StartupFailed as failure:
        print(f"{name} failed to start: {failure}\nlogs: {settings.log_dir}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
