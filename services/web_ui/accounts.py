"""Create, reset, disable or enable a dashboard account.

    python -m services.web_ui.accounts add --email alice@example.com --name "Alice Martin"
    python -m services.web_ui.accounts disable --email alice@example.com

`add` creates the account, or resets the name and password (and enables it) if the email exists, which
logs that person out everywhere. The password is read from standard input when it is not a terminal
(`printf '%s\\n' "$PASSWORD" | python -m ...`), else asked twice; never from the command line, where
other users and shell history would see it. Uses DATABASE_URL like the services.
"""

import argparse
import asyncio
import getpass
import sys

from services.web_ui import domain
from shared.config import BaseServiceSettings
from shared.db import create_engine, create_session_factory
from shared.errors import DomainError
from shared.timeutil import utcnow


def read_password(stdin=sys.stdin) -> str:
    """The new password: stdin's first line when piped, else typed twice without echo."""
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("the two passwords differ; nothing changed")
    return first


async def _run(args: argparse.Namespace, database_url: str) -> str:
    settings = BaseServiceSettings(database_url=database_url, db_pool_size=1)
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine).begin() as session:
            if args.command == "add":
                password = read_password()
                result = await domain.set_account(
                    session, email=args.email, name=args.name, password=password, now=utcnow()
                )
                verb = "created" if result.created else "reset"
                return f"{verb} account {result.account.email} ({result.account.name})"
            account = await domain.set_disabled(
                session, email=args.email, disabled=args.command == "disable", now=utcnow()
            )
            return f"{args.command}d account {account.email}"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.web_ui.accounts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create an account, or reset its name and password")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    for name in ("disable", "enable"):
        commands.add_parser(name, help=f"{name} an account").add_argument("--email", required=True)
    args = parser.parse_args(argv)
    try:
        print(asyncio.run(_run(args, BaseServiceSettings().database_url)))
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
