"""`python -m services.web_ui.accounts` on a real database: the password from stdin, never argv."""

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
        [sys.executable, "-m", "services.web_ui.accounts", *args],
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
            query = text("SELECT name, password_hash, disabled FROM web_accounts WHERE email = :e")
            return (await connection.execute(query, {"e": email})).one_or_none()
    finally:
        await engine.dispose()


async def test_add_reset_disable_and_enable(database_url):
    made = accounts(
        database_url, "add", "--email", "Eve@Example.com", "--name", "Eve", stdin="first password 1\n"
    )
    assert made.returncode == 0 and "created account eve@example.com" in made.stdout, made.stderr
    name, first_hash, disabled = await _row(database_url, "eve@example.com")
    assert (name, disabled) == ("Eve", False) and first_hash.startswith("$argon2id$")
    assert "first password" not in first_hash

    reset = accounts(
        database_url, "add", "--email", "eve@example.com", "--name", "Eve A.", stdin="second password\n"
    )
    assert reset.returncode == 0 and "reset account" in reset.stdout
    assert (await _row(database_url, "eve@example.com"))[1] != first_hash

    assert accounts(database_url, "disable", "--email", "EVE@example.com").returncode == 0
    assert (await _row(database_url, "eve@example.com"))[2] is True
    assert accounts(database_url, "enable", "--email", "eve@example.com").returncode == 0
    assert (await _row(database_url, "eve@example.com"))[2] is False


async def test_bad_input_is_refused_by_field_and_nothing_is_written(database_url):
    short = accounts(database_url, "add", "--email", "a@example.com", "--name", "A", stdin="short\n")
    assert short.returncode == 2 and "password: at least 12 characters" in short.stderr
    bad_email = accounts(
        database_url, "add", "--email", "not-an-email", "--name", "A", stdin="long enough pass\n"
    )
    assert bad_email.returncode == 2 and "email:" in bad_email.stderr
    unknown = accounts(database_url, "disable", "--email", "nobody@example.com")
    assert unknown.returncode == 2 and "no account" in unknown.stderr
    assert await _row(database_url, "a@example.com") is None
    no_password_flag = accounts(
        database_url, "add", "--email", "a@example.com", "--name", "A", "--password", "x"
    )
    assert no_password_flag.returncode == 2  # argparse refuses it: there is no such option
