"""The migration history stays one straight line, so `upgrade head` has one meaning."""

from alembic.script import ScriptDirectory

from shared.migrate import alembic_config


def test_migrations_have_a_single_head():
    script = ScriptDirectory.from_config(alembic_config("postgresql+asyncpg://unused/unused"))
    heads = script.get_heads()
    assert len(heads) == 1, f"several heads {heads}: set down_revision to the newest"
