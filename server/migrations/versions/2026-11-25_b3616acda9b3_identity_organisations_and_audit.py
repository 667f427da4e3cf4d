"""identity organisations and audit

Revision ID: b3616acda9b3
Revises:
Create Date: 2026-11-25 18:03:06.088019
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3616acda9b3"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partition", sa.String(length=120), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
    )
    with op.batch_alter_table("audit_anchors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_anchors_partition"), ["partition"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partition", sa.String(length=120), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=40), nullable=False),
        sa.Column("actor_authorisation_id", sa.String(length=20), nullable=True),
        sa.Column("actor_organisation_id", sa.Uuid(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("patient_cpr", sa.String(length=10), nullable=True),
        sa.Column("journal_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("partition", "seq", name=op.f("uq_audit_events_partition_seq")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_journal_id"), ["journal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_patient_cpr"), ["patient_cpr"], unique=False)

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_failures_username_ip_at", ["username", "client_ip", "at"], unique=False
        )

    op.create_table(
        "missions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "region",
                "hospital",
                "emergency_department",
                "municipality",
                "gp_practice",
                "unit",
                name="orgkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("sor_id", sa.String(length=20), nullable=True),
        sa.Column("gln", sa.String(length=13), nullable=True),
        sa.Column("demo_identifiers", sa.Boolean(), nullable=False),
        sa.Column("call_sign", sa.String(length=40), nullable=True),
        sa.Column(
            "unit_type",
            sa.Enum(
                "ambulance", "physician_car", "helicopter", name="unittype", native_enum=False, length=32
            ),
            nullable=True,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["organisations.id"], name=op.f("fk_organisations_parent_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("call_sign", name=op.f("uq_organisations_call_sign")),
        sa.UniqueConstraint("sor_id", name=op.f("uq_organisations_sor_id")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "gp_assignments",
        sa.Column("patient_cpr", sa.String(length=10), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_gp_assignments_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("patient_cpr", name=op.f("pk_gp_assignments")),
    )
    op.create_table(
        "journals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mission_id", sa.Uuid(), nullable=False),
        sa.Column("patient_cpr", sa.String(length=10), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("episode_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_journals_mission_id_missions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journals")),
    )
    with op.batch_alter_table("journals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journals_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_journals_patient_cpr"), ["patient_cpr"], unique=False)

    op.create_table(
        "message_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("vans", "fhir_http", name="endpointkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_message_endpoints_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_endpoints")),
        sa.UniqueConstraint(
            "organisation_id",
            "kind",
            "address",
            name=op.f("uq_message_endpoints_organisation_id_kind_address"),
        ),
    )
    op.create_table(
        "mission_units",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mission_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_mission_units_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["organisations.id"], name=op.f("fk_mission_units_unit_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_units")),
        sa.UniqueConstraint("mission_id", "unit_id", name=op.f("uq_mission_units_mission_id_unit_id")),
    )
    with op.batch_alter_table("mission_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mission_units_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "dispatcher",
                "dispatch_system",
                "ambulanceassistent",
                "ambulancebehandler",
                "paramediciner",
                "physician",
                "ed_staff",
                "integrator",
                "administrator",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("authorisation_id", sa.String(length=20), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_people_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("username", name=op.f("uq_people_username")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["enrolled_by"], ["people.id"], name=op.f("fk_devices_enrolled_by_people")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_devices_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
    )
    op.create_table(
        "journal_announcements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("emergency_department_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("destination", "pre_alert", name="announcementkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["emergency_department_id"],
            ["organisations.id"],
            name=op.f("fk_journal_announcements_emergency_department_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["journals.id"],
            name=op.f("fk_journal_announcements_journal_id_journals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_announcements")),
    )
    with op.batch_alter_table("journal_announcements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_announcements_emergency_department_id"),
            ["emergency_department_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_journal_announcements_journal_id"), ["journal_id"], unique=False)

    op.create_table(
        "journal_handovers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("emergency_department_id", sa.Uuid(), nullable=False),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["emergency_department_id"],
            ["organisations.id"],
            name=op.f("fk_journal_handovers_emergency_department_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["journals.id"],
            name=op.f("fk_journal_handovers_journal_id_journals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["people.id"], name=op.f("fk_journal_handovers_recorded_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_handovers")),
    )
    with op.batch_alter_table("journal_handovers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_handovers_emergency_department_id"),
            ["emergency_department_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_journal_handovers_journal_id"), ["journal_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_web_sessions_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_web_sessions_token_sha256")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_person_id"), ["person_id"], unique=False)

    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_access_tokens_device_id_devices")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_access_tokens_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_access_tokens_token_sha256")),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_tokens_person_id"), ["person_id"], unique=False)

    op.create_table(
        "board_view_marks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("web_session_id", sa.Uuid(), nullable=False),
        sa.Column("patient_key", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["web_session_id"],
            ["web_sessions.id"],
            name=op.f("fk_board_view_marks_web_session_id_web_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_view_marks")),
        sa.UniqueConstraint(
            "web_session_id", "patient_key", name=op.f("uq_board_view_marks_web_session_id_patient_key")
        ),
    )
    op.create_table(
        "crew_shifts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_crew_shifts_device_id_devices")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_crew_shifts_person_id_people")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["organisations.id"], name=op.f("fk_crew_shifts_unit_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_shifts")),
    )
    with op.batch_alter_table("crew_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crew_shifts_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_crew_shifts_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crew_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crew_shifts_unit_id"))
        batch_op.drop_index(batch_op.f("ix_crew_shifts_person_id"))

    op.drop_table("crew_shifts")
    op.drop_table("board_view_marks")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_tokens_person_id"))

    op.drop_table("access_tokens")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_person_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("journal_handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_handovers_journal_id"))
        batch_op.drop_index(batch_op.f("ix_journal_handovers_emergency_department_id"))

    op.drop_table("journal_handovers")
    with op.batch_alter_table("journal_announcements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_announcements_journal_id"))
        batch_op.drop_index(batch_op.f("ix_journal_announcements_emergency_department_id"))

    op.drop_table("journal_announcements")
    op.drop_table("devices")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_organisation_id"))

    op.drop_table("people")
    with op.batch_alter_table("mission_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mission_units_unit_id"))

    op.drop_table("mission_units")
    op.drop_table("message_endpoints")
    with op.batch_alter_table("journals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journals_patient_cpr"))
        batch_op.drop_index(batch_op.f("ix_journals_mission_id"))

    op.drop_table("journals")
    op.drop_table("gp_assignments")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_parent_id"))

    op.drop_table("organisations")
    op.drop_table("missions")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_username_ip_at")

    op.drop_table("login_failures")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_patient_cpr"))
        batch_op.drop_index(batch_op.f("ix_audit_events_journal_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("audit_anchors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_anchors_partition"))

    op.drop_table("audit_anchors")
