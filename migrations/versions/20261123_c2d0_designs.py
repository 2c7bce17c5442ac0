"""draws: contact status of sampled units (one invitation per person)

Revision ID: c2d0designs
Revises: f1e1d0wk
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = 'c2d0designs'
down_revision: str | None = 'f1e1d0wk'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sample_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'contact_status', sqlmodel.sql.sqltypes.AutoString(length=24),
            nullable=False, server_default='invite',
        ))
        batch_op.add_column(sa.Column('duplicate_of', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sample_unit', schema=None) as batch_op:
        batch_op.drop_column('duplicate_of')
        batch_op.drop_column('contact_status')
