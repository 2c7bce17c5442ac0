"""publication: links between rounds of releases

Revision ID: u5publication
Revises: u4backchecks
Create Date: 2026-12-02 00:00:00

Placeholder in the pre-arranged chain; the engineer who owns it fills in upgrade() and downgrade().
"""

from collections.abc import Sequence


revision: str = "u5publication"
down_revision: str | None = "u4backchecks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
