"""frame headers: the file's own column name for each field of a frame

Revision ID: u6frameheaders
Revises: u4backchecks
Create Date: 2026-12-02 00:00:00

``frame.column_headers`` holds ``{field: header as written in the file}`` recorded at import, so
import reports and their downloads name the coordinator's columns ("Mã hồ sơ"). Frames imported
before get ``{}`` and are reported by field name.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "u6frameheaders"
down_revision: str | None = "u4backchecks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("frame", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("column_headers", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("frame", schema=None) as batch_op:
        batch_op.drop_column("column_headers")
