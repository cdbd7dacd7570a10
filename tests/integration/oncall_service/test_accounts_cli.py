"""`python -m services.oncall_service.accounts` on a real database: the password from stdin, never argv."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from scripts.devstack.settings import ROOT

pytestmark = pytest.mark.integration


def accounts(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.oncall_service.accounts", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=60,
    )


async def _row(database_url: str, email: str):
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            columns = "name, password_hash, login_disabled, credentials_changed_at"
            query = text(f"SELECT {columns} FROM users WHERE email = :e")
            return (await connection.execute(query, {"e": email})).one_or_none()
    finally:
        await engine.dispose()


async def test_set_password_creates_or_resets_and_disable_enable_move_the_change_time(database_url):
    made = accounts(
        database_url,
        "set-password",
        "--email",
        "Eve@Example.com",
        "--name",
        "Eve",
        stdin="first password 1\n",
    )
    assert made.returncode == 0 and "created user eve@example.com" in made.stdout, made.stderr
    name, first_hash, disabled, first_change = await _row(database_url, "eve@example.com")
    assert (name, disabled) == ("Eve", False) and first_hash.startswith("$argon2id$")
    assert "first password" not in first_hash

    reset = accounts(database_url, "set-password", "--email", "eve@example.com", stdin="second password\n")
    assert reset.returncode == 0 and "set the password of eve@example.com (Eve)" in reset.stdout
    _, second_hash, _, second_change = await _row(database_url, "eve@example.com")
    assert second_hash != first_hash and second_change > first_change

    assert accounts(database_url, "disable", "--email", "EVE@example.com").returncode == 0
    _, _, disabled, disabled_at = await _row(database_url, "eve@example.com")
    assert disabled is True and disabled_at > second_change
    assert accounts(database_url, "enable", "--email", "eve@example.com").returncode == 0
    assert (await _row(database_url, "eve@example.com"))[2] is False


async def test_bad_input_is_refused_by_field_and_nothing_is_written(database_url):
    short = accounts(database_url, "set-password", "--email", "a@example.com", "--name", "A", stdin="short\n")
    assert short.returncode == 2 and "password: at least 12 characters" in short.stderr
    bad_email = accounts(
        database_url, "set-password", "--email", "not-an-email", "--name", "A", stdin="long enough pass\n"
    )
    assert bad_email.returncode == 2 and "email:" in bad_email.stderr
    no_user = accounts(database_url, "set-password", "--email", "a@example.com", stdin="long enough pass\n")
    assert no_user.returncode == 2 and "no user a@example.com (give --name" in no_user.stderr
    unknown = accounts(database_url, "disable", "--email", "nobody@example.com")
    assert unknown.returncode == 2 and "no user" in unknown.stderr
    assert await _row(database_url, "a@example.com") is None
    no_password_flag = accounts(
        database_url, "set-password", "--email", "a@example.com", "--name", "A", "--password", "x"
    )
    assert no_password_flag.returncode == 2  # argparse refuses it: there is no such option
