"""organisation contact phone and municipality code

Revision ID: 5c1e0a7d2b94
Revises: 5e1f0c2d9a47
Create Date: 2026-11-25 21:00:00.000000

A sender's contact phone (CareCommunication requires one on every payload) and, for municipalities, the
DK Core municipality code the home-care notice is addressed by.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e0a7d2b94"
down_revision: str | None = "5e1f0c2d9a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("municipality_code", sa.String(length=4), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_organisations_municipality_code"), ["municipality_code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_organisations_municipality_code"), type_="unique")
        batch_op.drop_column("municipality_code")
        batch_op.drop_column("phone")
