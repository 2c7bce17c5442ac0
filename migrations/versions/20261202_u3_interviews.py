"""interviews: assignments, attempts with AAPOR dispositions, callbacks

Revision ID: u3interviews
Revises: u2dataentry
Create Date: 2026-12-02 00:00:00

``interview_assignment`` puts one invitation on one interviewer's call list or route (mode,
attempts, the next callback, the final AAPOR code, the answers while the interview is being
conducted); ``interview_attempt`` keeps each call or visit with its outcome code. No contact data
in either: the pages read it from the contact tables, which the purge empties.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = "u3interviews"
down_revision: str | None = "u2dataentry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "interview_assignment",
        sa.Column("id", _KEY, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.BigInteger(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("current_page", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["staff_user.id"],
            name=op.f("fk_interview_assignment_assigned_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_interview_assignment_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interviewer_id"],
            ["staff_user.id"],
            name=op.f("fk_interview_assignment_interviewer_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_interview_assignment_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_assignment")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_interview_assignment_invitation_id")),
    )
    with op.batch_alter_table("interview_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interview_assignment_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_interview_assignment_interviewer_id"), ["interviewer_id"], unique=False
        )
    op.create_table(
        "interview_attempt",
        sa.Column("id", _KEY, nullable=False),
        sa.Column("assignment_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["interview_assignment.id"],
            name=op.f("fk_interview_attempt_assignment_id_interview_assignment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interviewer_id"],
            ["staff_user.id"],
            name=op.f("fk_interview_attempt_interviewer_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_attempt")),
    )
    with op.batch_alter_table("interview_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interview_attempt_assignment_id"), ["assignment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("interview_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interview_attempt_assignment_id"))
    op.drop_table("interview_attempt")
    with op.batch_alter_table("interview_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interview_assignment_interviewer_id"))
        batch_op.drop_index(batch_op.f("ix_interview_assignment_campaign_id"))
    op.drop_table("interview_assignment")
