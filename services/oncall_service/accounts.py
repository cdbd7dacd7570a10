"""Let an on-call user log in to the dashboard: set their password, disable or enable their login.

    printf '%s\\n' "$PASSWORD" | python -m services.oncall_service.accounts set-password --email a@x.org
    python -m services.oncall_service.accounts set-password --email bob@example.com --name "Bob Stone"
    python -m services.oncall_service.accounts disable --email alice@example.com

`set-password` sets the password of the user with that email (and enables their login), which logs that
person out everywhere; with `--name` a missing user is created (an existing one keeps their name). The
password is read from standard input when it is not a terminal, else asked twice; never from the command
line, where other users and shell history would see it. Uses DATABASE_URL like the services.
"""

import argparse
import asyncio
import getpass
import sys
from typing import TextIO

from services.oncall_service import logins
from shared.config import DatabaseSettings
from shared.db import create_engine, create_session_factory
from shared.errors import DomainError
from shared.timeutil import utcnow


def read_password(stdin: TextIO = sys.stdin) -> str:
    """The new password: stdin's first line when piped, else typed twice without echo."""
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("the two passwords differ; nothing changed")
    return first


async def _run(args: argparse.Namespace, database_url: str) -> str:
    settings = DatabaseSettings(database_url=database_url, db_pool_size=1)
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine).begin() as session:
            if args.command == "set-password":
                result = await logins.set_password(
                    session, email=args.email, name=args.name, password=read_password(), now=utcnow()
                )
                verb = "created user" if result.created else "set the password of"
                return f"{verb} {result.user.email} ({result.user.name})"
            disabled = args.command == "disable"
            user = await logins.set_login_disabled(session, email=args.email, disabled=disabled, now=utcnow())
            return f"{args.command}d the login of {user.email}"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.oncall_service.accounts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    set_password = commands.add_parser("set-password", help="set a user's password (and enable the login)")
    set_password.add_argument("--email", required=True)
    set_password.add_argument("--name", help="create the user with this name when the email is unknown")
    for name in ("disable", "enable"):
        commands.add_parser(name, help=f"{name} a user's login").add_argument("--email", required=True)
    args = parser.parse_args(argv)
    try:
        print(asyncio.run(_run(args, DatabaseSettings().database_url)))
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
