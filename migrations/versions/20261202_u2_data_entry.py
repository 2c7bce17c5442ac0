"""data entry: paper forms keyed twice, disagreements resolved by a supervisor

Revision ID: u2dataentry
Revises: u1contacts
Create Date: 2026-12-02 00:00:00

Placeholder in the pre-arranged chain; the engineer who owns it fills in upgrade() and downgrade().
"""

from collections.abc import Sequence


revision: str = "u2dataentry"
down_revision: str | None = "u1contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
