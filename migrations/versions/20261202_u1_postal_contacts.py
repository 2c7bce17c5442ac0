"""postal contacts: applicant's name and address kept apart with the phone; letter short codes

Revision ID: u1contacts
Revises: t5operations
Create Date: 2026-12-02 00:00:00

Placeholder in the pre-arranged chain; the engineer who owns it fills in upgrade() and downgrade().
"""

from collections.abc import Sequence


revision: str = "u1contacts"
down_revision: str | None = "t5operations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
