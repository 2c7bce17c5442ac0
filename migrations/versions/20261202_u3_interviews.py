"""interviews: assignments, attempts with AAPOR dispositions, callbacks

Revision ID: u3interviews
Revises: u2dataentry
Create Date: 2026-12-02 00:00:00

Placeholder in the pre-arranged chain; the engineer who owns it fills in upgrade() and downgrade().
"""

from collections.abc import Sequence


revision: str = "u3interviews"
down_revision: str | None = "u2dataentry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
