"""Apply Alembic migrations: `python -m shared.migrate [upgrade|revision -m msg]`."""

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from shared.config import DatabaseSettings


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str) -> None:
    """Bring the schema to the newest revision; safe to run concurrently and repeatedly."""
    command.upgrade(alembic_config(database_url), "head")


def main(argv: list[str]) -> None:
    url = DatabaseSettings().database_url
    if argv[:1] == ["revision"]:
        command.revision(alembic_config(url), message=argv[-1], autogenerate=True)
    else:
        upgrade(url)


if __name__ == "__main__":
    main(sys.argv[1:])
