"""OnCall Platform operations: `python -m scripts.ops COMMAND` (`make COMMAND`, `.\\run.ps1 COMMAND`).

Stack commands act on the native stack, or on docker compose with `--mode compose` (chosen by itself
when the stack was deployed with compose, and on Windows). API commands sign in as the stack's first
admin (VAR_DIR/secrets/admin-password), or use ONCALL_API_TOKEN. Development commands pass further
arguments on to their tool (`test -k name`).
"""

import argparse
import importlib.util
import subprocess
import sys
from collections.abc import Callable

from scripts import demo
from scripts.devstack.processes import StartupFailed
from scripts.devstack.settings import StackSettings
from scripts.ops import calls, compose, dev, full_demo, scaling
from scripts.ops import stack_commands as stack
from scripts.ops.api import ApiError

Handler = Callable[[argparse.Namespace, StackSettings], int]
# Modules a command needs that may not exist in every checkout.
SECURITY_MODULE = "scripts.security"


def _stack_commands(sub: argparse._SubParsersAction, add: Callable) -> None:
    add(
        "deploy",
        "install check, start the stack, wait until healthy, print the URLs and the first admin",
        lambda a, s: stack.deploy(s, a.mode),
    )
    add("up", "the same as deploy", lambda a, s: stack.deploy(s, a.mode))
    add("build", "build the images when a Docker engine answers (else says so)", lambda a, s: stack.build(s))
    add("down", "stop everything the stack started", lambda a, s: stack.down(s, a.mode))
    restart = add(
        "restart",
        "restart one process (or the whole stack)",
        lambda a, s: stack.restart(s, a.mode, a.service),
    )
    restart.add_argument("service", nargs="?")
    clean = add(
        "clean",
        "stop the stack and delete var/ (asks unless --yes)",
        lambda a, s: stack.clean(s, a.mode, yes=a.yes),
    )
    clean.add_argument("--yes", action="store_true")
    add("status", "each process of the stack and its health", lambda a, s: stack.status(s, a.mode))
    add(
        "health",
        "every component, PostgreSQL/Redis/Traefik included; exit 1 naming any not healthy",
        lambda a, s: stack.check_health(s, a.mode),
    )
    logs = add(
        "logs",
        "the logs of the stack or of one service; -f follows",
        lambda a, s: stack.show_logs(s, a.mode, a.service, follow=a.follow, lines=a.lines),
    )
    logs.add_argument("service", nargs="?")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("-n", "--lines", type=int, default=50)
    scale = add(
        "scale",
        "live: N alert-ingestion replicas (default 3), no request lost",
        lambda a, s: stack.scale(s, a.mode, a.replicas),
    )
    scale.add_argument("replicas", nargs="?", type=int, default=3)
    add("scale-down", "live: back to one alert-ingestion replica", lambda a, s: stack.scale(s, a.mode, 1))


def _api_commands(sub: argparse._SubParsersAction, add: Callable) -> None:
    add(
        "test-alert",
        "send one alert through the gateway and show its incident",
        lambda a, s: calls.test_alert(s),
    )
    batch = add(
        "test-batch",
        "send N alerts (default 100) in batches; stored count and rate",
        lambda a, s: calls.test_batch(s, a.count),
    )
    batch.add_argument("count", nargs="?", type=int, default=100)
    hook = add(
        "webhook-add",
        "subscribe URL to incident events (prints its signing secret once)",
        lambda a, s: calls.webhook_add(s, a.url, allow_internal=a.allow_internal),
    )
    hook.add_argument("url")
    hook.add_argument("--allow-internal", action="store_true", help="a loopback or private address")
    add("webhooks", "list the webhook subscriptions", lambda a, s: calls.webhooks(s))
    report = add(
        "analytics",
        "incident counts, MTTA and MTTR per service",
        lambda a, s: calls.analytics(s, days=a.days, service=a.service),
    )
    report.add_argument("--days", type=int, default=30)
    report.add_argument("--service")
    add(
        "demo",
        "seed a demo on-call setup and fire a few alerts; prints the dashboard login",
        lambda a, s: native_only(a, lambda: demo.main(s)),
    )
    add(
        "full-demo",
        "the platform in seven narrated steps, with evidence and a summary (<2 min)",
        lambda a, s: native_only(a, lambda: full_demo.main(s)),
    )


def _dev_commands(sub: argparse._SubParsersAction, add: Callable) -> None:
    for name, (text, _) in dev.COMMANDS.items():
        add(name, text, lambda a, s, name=name: dev.run(name, a.extra))
    restore = add(
        "restore",
        "restore FILE into the stopped stack (`down` first)",
        lambda a, s: _python("-m", "scripts.backup", "restore", a.file),
    )
    restore.add_argument("file")
    if importlib.util.find_spec(SECURITY_MODULE) is not None:
        add(
            "security",
            "secret scan, bandit and dependency audit",
            lambda a, s: _python("-m", SECURITY_MODULE),
        )


def native_only(args: argparse.Namespace, run: Callable[[], int]) -> int:
    """The demos start and read the native stack (its processes, its mail sink): not compose's."""
    if args.mode == "compose":
        print(f"{args.command} runs on the native stack only (`--mode native`)", file=sys.stderr)
        return 2
    return run()


def _python(*args: str) -> int:
    return subprocess.run([sys.executable, *args], check=False).returncode


def parser() -> argparse.ArgumentParser:
    """Every command, each with its one-line help (`--help` lists them)."""
    top = argparse.ArgumentParser(
        prog="python -m scripts.ops",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument(
        "--mode",
        choices=["native", "compose"],
        help="default: native, or compose when the stack was deployed with it (and on Windows)",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, text: str, handler: Handler) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=text, description=text)
        command.set_defaults(handler=handler)
        return command

    _stack_commands(sub, add)
    _api_commands(sub, add)
    _dev_commands(sub, add)
    return top


def command_names() -> list[str]:
    """The commands, as the Makefile and run.ps1 must offer them."""
    return list(parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def main(argv: list[str] | None = None, settings: StackSettings | None = None) -> int:
    top = parser()
    args, extra = top.parse_known_args(argv)
    if extra and args.command not in dev.COMMANDS:
        top.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    settings = scaling.live_settings(settings or StackSettings())
    args.mode = compose.choose_mode(settings, args.mode)
    try:
        return args.handler(args, settings)
    except (ApiError, StartupFailed) as failure:
        print(f"{args.command}: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
