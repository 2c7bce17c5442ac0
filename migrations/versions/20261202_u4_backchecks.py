"""back-checks (phuc tra): sub-samples of collected forms, outcomes, exclusions

Revision ID: u4backchecks
Revises: u3interviews
Create Date: 2026-12-02 00:00:00

Placeholder in the pre-arranged chain; the engineer who owns it fills in upgrade() and downgrade().
"""

from collections.abc import Sequence


revision: str = "u4backchecks"
down_revision: str | None = "u3interviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
