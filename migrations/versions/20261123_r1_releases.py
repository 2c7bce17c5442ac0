"""releases: index releases of a campaign's indices with their uncertainty

Revision ID: r1releases
Revises: c2d0designs
Create Date: 2026-11-23 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = 'r1releases'
down_revision: str | None = 'c2d0designs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('index_release',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_index_release_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_index_release_created_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_release'))
    )
    with op.batch_alter_table('index_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_release_campaign_id'), ['campaign_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('index_release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_release_campaign_id'))

    op.drop_table('index_release')
