"""data entry: paper forms keyed twice, disagreements resolved by a supervisor

Revision ID: u2dataentry
Revises: u1contacts
Create Date: 2026-12-02 00:00:00

``paper_entry`` is one returned paper form on its way to a response (keying, disagreement,
completed); ``paper_keying`` is one clerk's keying of it (round 1 or 2, never twice by the same
clerk), whose typed values are cleared when the response is made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "u2dataentry"
down_revision: str | None = "u1contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "paper_entry",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("differing_items", sa.Integer(), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('keying', 'disagreement', 'completed')",
            name=op.f("ck_paper_entry_status"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_paper_entry_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_paper_entry_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["staff_user.id"],
            name=op.f("fk_paper_entry_resolved_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_entry")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_paper_entry_invitation_id")),
    )
    with op.batch_alter_table("paper_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_entry_campaign_id"), ["campaign_id"])

    op.create_table(
        "paper_keying",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("keyed", sa.JSON(), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=True),
        sa.Column("keyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("round IN (1, 2)", name=op.f("ck_paper_keying_round")),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["paper_entry.id"],
            name=op.f("fk_paper_keying_entry_id_paper_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clerk_id"], ["staff_user.id"], name=op.f("fk_paper_keying_clerk_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_keying")),
        sa.UniqueConstraint("entry_id", "clerk_id", name=op.f("uq_paper_keying_entry_id_clerk_id")),
        sa.UniqueConstraint("entry_id", "round", name=op.f("uq_paper_keying_entry_id_round")),
    )
    with op.batch_alter_table("paper_keying", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_keying_entry_id"), ["entry_id"])
        batch_op.create_index(batch_op.f("ix_paper_keying_clerk_id"), ["clerk_id"])


def downgrade() -> None:
    with op.batch_alter_table("paper_keying", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_keying_clerk_id"))
        batch_op.drop_index(batch_op.f("ix_paper_keying_entry_id"))
    op.drop_table("paper_keying")
    with op.batch_alter_table("paper_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_entry_campaign_id"))
    op.drop_table("paper_entry")
