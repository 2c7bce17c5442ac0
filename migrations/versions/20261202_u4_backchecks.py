"""back-checks (phuc tra): sub-samples of collected forms, outcomes, exclusions

Revision ID: u4backchecks
Revises: u3interviews
Create Date: 2026-12-02 00:00:00

``collected_form`` (one row per form a clerk or interviewer completed: collector and mode, no
response), ``backcheck_plan`` (a campaign's rate), ``backcheck`` (the drawn forms, the only rows
that may link an invitation to a response, until settled or purged) and ``response_exclusion``
(responses left out of releases, with the reason).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "u4backchecks"
down_revision: str | None = "u3interviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "backcheck_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rate > 0 AND rate <= 1", name=op.f("ck_backcheck_plan_rate_range")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_backcheck_plan_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["staff_user.id"], name=op.f("fk_backcheck_plan_set_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backcheck_plan")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_backcheck_plan_campaign_id")),
    )
    op.create_table(
        "collected_form",
        sa.Column("id", _BIG_KEY, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.BigInteger(), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=False),
        sa.Column("mode", _text(16), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "mode IN ('paper', 'phone', 'face_to_face')", name=op.f("ck_collected_form_mode")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_collected_form_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["collector_id"],
            ["staff_user.id"],
            name=op.f("fk_collected_form_collector_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_collected_form_invitation_id_invitation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collected_form")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_collected_form_invitation_id")),
    )
    with op.batch_alter_table("collected_form", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collected_form_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collected_form_collector_id"), ["collector_id"], unique=False
        )
    op.create_table(
        "backcheck",
        sa.Column("id", _BIG_KEY, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.BigInteger(), nullable=True),
        sa.Column("response_id", sa.BigInteger(), nullable=True),
        sa.Column("collector_id", sa.Integer(), nullable=False),
        sa.Column("mode", _text(16), nullable=False),
        sa.Column("outcome", _text(24), nullable=True),
        sa.Column("note", _text(500), nullable=False),
        sa.Column("checked_by", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", _text(16), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_backcheck_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["staff_user.id"], name=op.f("fk_backcheck_checked_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["collector_id"], ["staff_user.id"], name=op.f("fk_backcheck_collector_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["staff_user.id"], name=op.f("fk_backcheck_decided_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_backcheck_invitation_id_invitation"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_backcheck_response_id_response"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backcheck")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_backcheck_invitation_id")),
        sa.UniqueConstraint("response_id", name=op.f("uq_backcheck_response_id")),
    )
    with op.batch_alter_table("backcheck", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_backcheck_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_backcheck_collector_id"), ["collector_id"], unique=False
        )
    op.create_table(
        "response_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", _text(500), nullable=False),
        sa.Column("excluded_by", sa.Integer(), nullable=True),
        sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_response_exclusion_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["excluded_by"],
            ["staff_user.id"],
            name=op.f("fk_response_exclusion_excluded_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_response_exclusion_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_exclusion")),
        sa.UniqueConstraint("response_id", name=op.f("uq_response_exclusion_response_id")),
    )
    with op.batch_alter_table("response_exclusion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_exclusion_campaign_id"), ["campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("response_exclusion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_exclusion_campaign_id"))
    op.drop_table("response_exclusion")
    with op.batch_alter_table("backcheck", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backcheck_collector_id"))
        batch_op.drop_index(batch_op.f("ix_backcheck_campaign_id"))
    op.drop_table("backcheck")
    with op.batch_alter_table("collected_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collected_form_collector_id"))
        batch_op.drop_index(batch_op.f("ix_collected_form_campaign_id"))
    op.drop_table("collected_form")
    op.drop_table("backcheck_plan")
