"""anonymity: responses keep no link to invitations once submitted

Revision ID: t3anonymity
Revises: t2accounts
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = 't3anonymity'
down_revision: str | None = 't2accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
