"""mission units removed_at: a unit removed from a mission by a dispatch update

Revision ID: 5c1e0a7d9b21
Revises: 5c1e0a7d2b94
Create Date: 2026-11-25 21:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e0a7d9b21"
down_revision: str | None = "5c1e0a7d2b94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: every existing assignment is current until a projection says otherwise.
    with op.batch_alter_table("mission_units") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mission_units") as batch:
        batch.drop_column("removed_at")
