"""anonymity: responses keep no link to invitations once submitted

Revision ID: t3anonymity
Revises: t2accounts
Create Date: 2026-12-01 21:00:00

A submitted response keeps what estimation needs and nothing that leads back to its invitation
(docs/privacy.md): ``invitation_id`` is cleared on completed responses and a CHECK constraint
keeps it so; the exact ``started_at`` / ``completed_at`` times and the ``submission_hash`` are
dropped for a ``completed_month``; the first-stage unit of two-stage draws is copied to ``psu``
(releases read it there instead of joining the invitation); ``mode`` records how the answers
were collected. The invitations' start and completion times are coarsened to the day.

The downgrade restores the columns, but not what the upgrade erased on purpose: completed
responses stay unlinked and times stay coarse (the first day of the month, midnight).
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = 't3anonymity'
down_revision: str | None = 't2accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# survey.designs.PSU_COLUMNS at the time of this revision (dossier columns, safe in SQL text).
PSU_COLUMNS = ('commune_code', 'agency_code')


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def _copy_first_stage_units() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            'SELECT campaign.id, draw.design_snapshot FROM campaign '
            'JOIN draw ON draw.id = campaign.draw_id'
        )
    ).all()
    for campaign_id, snapshot in rows:
        if isinstance(snapshot, str):
            snapshot = json.loads(snapshot)
        design = (snapshot or {}).get('design') or {}
        column = design.get('psu_column')
        if design.get('selection') != 'pps' or column not in PSU_COLUMNS:
            continue
        bind.execute(
            sa.text(
                f'UPDATE response SET psu = COALESCE((SELECT dossier.{column} FROM invitation '
                'JOIN sample_unit ON sample_unit.id = invitation.sample_unit_id '
                'JOIN dossier ON dossier.id = sample_unit.dossier_id '
                "WHERE invitation.id = response.invitation_id), '') WHERE campaign_id = :c"
            ),
            {'c': campaign_id},
        )


def upgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                      server_default='web')
        )
        batch_op.add_column(
            sa.Column('psu', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                      server_default='')
        )
        batch_op.add_column(sa.Column('completed_month', sa.Date(), nullable=True))

    if _postgresql():
        op.execute(
            "UPDATE response SET completed_month = "
            "date_trunc('month', completed_at AT TIME ZONE 'UTC')::date "
            "WHERE completed_at IS NOT NULL"
        )
        for column in ('started_at', 'completed_at'):
            op.execute(
                f"UPDATE invitation SET {column} = "
                f"date_trunc('day', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' "
                f"WHERE {column} IS NOT NULL"
            )
    else:
        op.execute(
            "UPDATE response SET completed_month = date(completed_at, 'start of month') "
            "WHERE completed_at IS NOT NULL"
        )
        for column in ('started_at', 'completed_at'):
            op.execute(
                f"UPDATE invitation SET {column} = datetime({column}, 'start of day') "
                f"WHERE {column} IS NOT NULL"
            )
    _copy_first_stage_units()
    op.execute("UPDATE response SET invitation_id = NULL WHERE status <> 'in_progress'")

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('started_at')
        batch_op.drop_column('completed_at')
        batch_op.drop_column('submission_hash')
        batch_op.create_check_constraint(
            op.f('ck_response_unlinked'), "status = 'in_progress' OR invitation_id IS NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_response_unlinked'), type_='check')
        batch_op.add_column(
            sa.Column('submission_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                      nullable=True)
        )
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
    # Only the month survives the upgrade; its first day stands in for both times.
    op.execute("UPDATE response SET completed_at = completed_month")
    op.execute(
        "UPDATE response SET started_at = COALESCE(completed_month, CURRENT_TIMESTAMP)"
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.alter_column('started_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)
        batch_op.drop_column('completed_month')
        batch_op.drop_column('psu')
        batch_op.drop_column('mode')
