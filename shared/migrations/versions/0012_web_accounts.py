"""web-ui: the dashboard's accounts (email and argon2id password hash)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:40:00

Emails are stored lower-cased (the check makes sure of it), so the plain unique constraint makes them
unique whatever their case.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_accounts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("email = lower(email)", name="ck_web_accounts_email_lower"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name="uq_web_accounts_email"),
    )


def downgrade() -> None:
    op.drop_table("web_accounts")
