"""webhook_attempts.response_excerpt: the start of each receiver's answer, for the delivery log

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 09:00:00

An attempt kept its status code and error but not what the receiver said, which is often the reason a
delivery failed ("invalid signature", a stack trace). The notifier keeps the first 1 KiB of each answer,
decoded as UTF-8 and made storable as text; older attempts have none (NULL). Adding a nullable column
without a default rewrites no rows.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_attempts", sa.Column("response_excerpt", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("webhook_attempts", "response_excerpt")
