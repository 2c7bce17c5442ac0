"""postal contacts: applicant's name and address kept apart with the phone; letter short codes

Revision ID: u1contacts
Revises: t5operations
Create Date: 2026-12-02 00:00:00

``dossier_contact`` gains ``full_name`` and ``postal_address`` (purged with the phone) and its
phone becomes optional: a dossier may carry only a postal address, and is then invited by letter.
``paper_form`` holds the printed form number of an invitation (check digit, looked up by data
entry clerks) and the SHA-256 of its letter's short link.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "u1contacts"
down_revision: str | None = "t5operations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "full_name",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "postal_address",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )
        batch_op.alter_column(
            "phone_e164", existing_type=sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
        )
    # The server defaults stay (as the model declares): the importer's raw inserts name only the
    # columns a file has.

    op.create_table(
        "paper_form",
        sa.Column("invitation_id", sa.BigInteger(), nullable=False),
        sa.Column("form_number", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("short_code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_paper_form_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_paper_form")),
    )
    with op.batch_alter_table("paper_form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_form_form_number"), ["form_number"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_paper_form_short_code_hash"), ["short_code_hash"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("paper_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_form_short_code_hash"))
        batch_op.drop_index(batch_op.f("ix_paper_form_form_number"))
    op.drop_table("paper_form")
    # A phone is required again: rows that held only a postal address cannot stay.
    op.execute("DELETE FROM dossier_contact WHERE phone_e164 IS NULL")
    with op.batch_alter_table("dossier_contact", schema=None) as batch_op:
        batch_op.alter_column(
            "phone_e164", existing_type=sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False
        )
        batch_op.drop_column("postal_address")
        batch_op.drop_column("full_name")
