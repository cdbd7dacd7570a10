"""roles of users, API tokens and the append-only audit log

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 03:00:00

Existing users become responders (they are the on-call staff who acknowledge and resolve); the first admin
is made by `make up` or ADMIN_EMAIL/ADMIN_PASSWORD. API tokens keep only a SHA-256 of the token. The audit
log refuses UPDATE and DELETE in the database itself, so no code path (and no API) can rewrite history.
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"
ROLES = "('viewer', 'responder', 'admin')"


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("role", sa.String(length=16), server_default="responder", nullable=False)
    )
    op.create_check_constraint("ck_users_role", "users", f"role IN {ROLES}")
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.UUID(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"role IN {ROLES}", name="ck_api_tokens_role"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=400), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target_id", "at"])
    op.execute((SQL / "audit_log_append_only.sql").read_text())
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("audit_log")
    op.drop_table("api_tokens")
    op.drop_constraint("ck_users_role", "users")
    op.drop_column("users", "role")
