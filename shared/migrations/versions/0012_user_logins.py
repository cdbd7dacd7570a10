"""on-call users can log in to the dashboard: argon2id password hash, login switch, credentials' change time

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:40:00

A user without a password hash cannot log in (every existing user, until someone sets one). Sessions
issued before `credentials_changed_at` are refused: setting a password or disabling the login moves it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("password_hash", sa.String(length=255), nullable=True))
    op.add_column(
        "users", sa.Column("login_disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    changed_at = sa.Column(
        "credentials_changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )
    op.add_column("users", changed_at)


def downgrade() -> None:
    op.drop_column("users", "credentials_changed_at")
    op.drop_column("users", "login_disabled")
    op.drop_column("users", "password_hash")
