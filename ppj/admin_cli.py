"""``ppj user|device|org|audit|db …``: administration from the console. Thin: parse, call the core, print."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from server.errors import ServerError

console = Console()
user_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
device_app = typer.Typer(help="Enrolled tablets and their credentials.", no_args_is_help=True)
org_app = typer.Typer(help="The organisation registry (SOR, GLN, endpoints, units).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)


@contextmanager
def _session() -> Iterator[Session]:
    """A session on PPJ_DATABASE_URL; core errors become a one-line message and exit code 2."""
    from server.config import Settings
    from server.db import make_engine, make_session_factory

    engine = make_engine(Settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    except ServerError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database at PPJ_DATABASE_URL to the latest schema (production deploy step)."""
    from server import migrate
    from server.config import Settings
    from server.db import make_engine

    engine = make_engine(Settings().database_url)
    migrate.upgrade(engine=engine, revision=revision)
    engine.dispose()
    console.print(f"database at {revision}")


@db_app.command("revision")
def db_revision(message: str = typer.Option(..., "-m", "--message", help="What the migration does.")) -> None:
    """Autogenerate a migration from the ORM models against the (up-to-date) database."""
    from server import migrate
    from server.config import Settings
    from server.db import make_engine

    engine = make_engine(Settings().database_url)
    migrate.revision(engine=engine, message=message)
    engine.dispose()


@db_app.command("heads")
def db_heads() -> None:
    """Print the migration head(s); there must be exactly one."""
    from server import migrate

    for head in migrate.heads():
        console.print(head)


# ---------------------------------------------------------------- users


@user_app.command("create")
def user_create(
    username: str,
    name: str = typer.Option(..., help="Display name."),
    role: str = typer.Option(
        ...,
        help="dispatcher, dispatch_system, ambulanceassistent, ambulancebehandler, "
        "paramediciner, physician, ed_staff, integrator, administrator or receiver_system.",
    ),
    authorisation_id: str | None = typer.Option(None, help="Autorisations-ID (required for physicians)."),
    organisation: str | None = typer.Option(
        None, help="SOR id, call sign or id (ED staff: their hospital; receiving systems: the receiver)."
    ),
) -> None:
    """Create a person; the password is asked for (never taken from the command line)."""
    from server.identity.models import Role
    from server.identity.service import create_person
    from server.orgs.service import find_organisation

    try:
        role_value = Role(role)
    except ValueError:
        raise typer.BadParameter(f"unknown role {role!r}", param_hint="--role") from None
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _session() as session:
        organisation_id = find_organisation(session=session, key=organisation).id if organisation else None
        person = create_person(
            session=session,
            username=username,
            display_name=name,
            role=role_value,
            password=password,
            authorisation_id=authorisation_id,
            organisation_id=organisation_id,
        )
        session.commit()
        console.print(f"created {person.username} ({person.role.value}) {person.id}")


@user_app.command("list")
def user_list() -> None:
    from server.identity.models import Person

    with _session() as session:
        table = Table("username", "name", "role", "authorisation id", "active")
        for person in session.scalars(select(Person).order_by(Person.username)):
            table.add_row(
                person.username,
                person.display_name,
                person.role.value,
                person.authorisation_id or "",
                "yes" if person.active else "no",
            )
        console.print(table)


def _set_active(username: str, active: bool) -> None:
    from server.identity.service import get_person, set_active

    with _session() as session:
        person = get_person(session=session, username=username)
        set_active(session=session, person=person, active=active, now=_now())
        session.commit()
        console.print(f"{person.username}: {'enabled' if active else 'disabled'}")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable an account: its tokens, web sessions and open shift end at once."""
    _set_active(username, False)


@user_app.command("enable")
def user_enable(username: str) -> None:
    _set_active(username, True)


@user_app.command("set-password")
def user_set_password(username: str) -> None:
    from server.identity.service import get_person, set_password

    password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with _session() as session:
        set_password(person=get_person(session=session, username=username), password=password)
        session.commit()
        console.print("password changed")


# ---------------------------------------------------------------- devices


@device_app.command("enrol")
def device_enrol(
    label: str, organisation: str | None = typer.Option(None, help="SOR id, call sign or id of the owner.")
) -> None:
    """Enrol a tablet; its credential is printed once and stored only as a hash."""
    from server.identity.service import enrol_device
    from server.orgs.service import find_organisation

    with _session() as session:
        organisation_id = find_organisation(session=session, key=organisation).id if organisation else None
        enrolment = enrol_device(session=session, label=label, organisation_id=organisation_id)
        session.commit()
        console.print(f"enrolled {enrolment.device.label} ({enrolment.device.id})")
        console.print("credential (shown once; enter it on the tablet):")
        print(enrolment.credential)


@device_app.command("code")
def device_code(
    label: str,
    organisation: str | None = typer.Option(None, help="SOR id, call sign or id of the owner."),
    minutes: int = typer.Option(15, help="How long the code can be used (once)."),
) -> None:
    """Issue a one-time code; the tablet enrols itself with it and keeps its credential sealed."""
    from server.identity.service import issue_enrolment_code
    from server.orgs.service import find_organisation

    with _session() as session:
        organisation_id = find_organisation(session=session, key=organisation).id if organisation else None
        issued = issue_enrolment_code(
            session=session,
            label=label,
            organisation_id=organisation_id,
            ttl=dt.timedelta(minutes=minutes),
            now=_now(),
        )
        session.commit()
        console.print(
            f"one-time code for {label.strip()} (valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC):"
        )
        print(issued.code)


@device_app.command("list")
def device_list() -> None:
    from server.identity.models import Device

    with _session() as session:
        table = Table("id", "label", "enrolled", "revoked")
        for device in session.scalars(select(Device).order_by(Device.enrolled_at)):
            table.add_row(
                str(device.id),
                device.label,
                f"{device.enrolled_at:%Y-%m-%d %H:%M}",
                f"{device.revoked_at:%Y-%m-%d %H:%M}" if device.revoked_at else "",
            )
        console.print(table)


@device_app.command("revoke")
def device_revoke(device_id: str) -> None:
    """Revoke a tablet's credential; it is refused from its next request."""
    from server.identity.service import revoke_device

    try:
        parsed = uuid.UUID(device_id)
    except ValueError:
        raise typer.BadParameter("not a device id", param_hint="DEVICE_ID") from None
    with _session() as session:
        device = revoke_device(session=session, device_id=parsed, now=_now())
        session.commit()
        console.print(f"revoked {device.label} ({device.id})")


# ---------------------------------------------------------------- organisations


@org_app.command("list")
def org_list(
    kind: str | None = typer.Option(None, help="Only this kind (region, hospital, …, unit)."),
) -> None:
    from server.orgs.models import OrgKind
    from server.orgs.service import list_organisations

    with _session() as session:
        table = Table("kind", "name", "SOR", "GLN", "call sign", "endpoints", "active")
        for org in list_organisations(session=session, kind=OrgKind(kind) if kind else None):
            table.add_row(
                org.kind.value + (f" ({org.unit_type.value})" if org.unit_type else ""),
                org.name,
                (org.sor_id or "") + (" (demo)" if org.demo_identifiers else ""),
                org.gln or "",
                org.call_sign or "",
                ", ".join(f"{e.kind.value}:{e.address}" for e in org.endpoints),
                "yes" if org.active else "no",
            )
        console.print(table)


@org_app.command("create")
def org_create(
    kind: str = typer.Option(
        ..., help="region, hospital, emergency_department, municipality, gp_practice, unit."
    ),
    name: str = typer.Option(...),
    parent: str | None = typer.Option(None, help="SOR id, call sign or id of the parent."),
    sor: str | None = typer.Option(None, help="SOR id."),
    gln: str | None = typer.Option(None, help="GLN (lokationsnummer)."),
    call_sign: str | None = typer.Option(None, help="Units: call sign."),
    unit_type: str | None = typer.Option(None, help="Units: ambulance, physician_car or helicopter."),
    phone: str | None = typer.Option(None, help="Contact phone (senders of CareCommunication)."),
    municipality_code: str | None = typer.Option(None, help="Municipalities: DK Core code, e.g. 0461."),
) -> None:
    from server.orgs.models import OrgKind, UnitType
    from server.orgs.service import create_organisation, find_organisation

    with _session() as session:
        parent_id = find_organisation(session=session, key=parent).id if parent else None
        org = create_organisation(
            session=session,
            kind=OrgKind(kind),
            name=name,
            parent_id=parent_id,
            sor_id=sor,
            gln=gln,
            call_sign=call_sign.upper() if call_sign else None,
            unit_type=UnitType(unit_type) if unit_type else None,
            phone=phone,
            municipality_code=municipality_code,
        )
        session.commit()
        console.print(f"created {org.kind.value} {org.name} ({org.id})")


@org_app.command("update")
def org_update(
    key: str = typer.Argument(..., help="SOR id, call sign or id."),
    name: str | None = typer.Option(None),
    sor: str | None = typer.Option(None),
    gln: str | None = typer.Option(None),
    active: bool | None = typer.Option(None, "--active/--inactive"),
    phone: str | None = typer.Option(None, help="Contact phone (senders of CareCommunication)."),
    municipality_code: str | None = typer.Option(None, help="Municipalities: DK Core code, e.g. 0461."),
) -> None:
    from server.orgs.service import find_organisation, update_organisation

    with _session() as session:
        org = find_organisation(session=session, key=key)
        update_organisation(
            session=session,
            organisation_id=org.id,
            name=name,
            sor_id=sor,
            gln=gln,
            active=active,
            phone=phone,
            municipality_code=municipality_code,
        )
        session.commit()
        console.print(f"updated {org.name}")


@org_app.command("add-endpoint")
def org_add_endpoint(
    key: str = typer.Argument(..., help="SOR id, call sign or id."),
    kind: str = typer.Option(..., help="vans or fhir_http."),
    address: str = typer.Option(
        ..., help="VANS: the GLN; fhir_http: https URL (http:// to loopback only in development)."
    ),
) -> None:
    from server.config import Environment, Settings
    from server.orgs.models import EndpointKind
    from server.orgs.service import add_endpoint, find_organisation

    development = Settings().environment is Environment.development
    with _session() as session:
        org = find_organisation(session=session, key=key)
        add_endpoint(
            session=session,
            organisation_id=org.id,
            kind=EndpointKind(kind),
            address=address,
            allow_loopback_http=development,
        )
        session.commit()
        console.print(f"{org.name}: endpoint {kind} {address}")


# ---------------------------------------------------------------- audit


@audit_app.command("verify")
def audit_verify(
    anchor: bool = typer.Option(True, "--anchor/--no-anchor", help="Anchor the heads of clean partitions."),
) -> None:
    """Recompute every hash chain; exit 1 if any event was altered or removed, or a tail truncated."""
    from server.audit.service import verify

    with _session() as session:
        report = verify(session=session, anchor=anchor, now=_now())
        session.commit()
    for problem in report.problems:
        console.print(f"[red]{problem.kind}[/red] {problem.partition} seq {problem.seq}: {problem.detail}")
    console.print(
        f"{report.events} events in {report.partitions} partitions; {len(report.problems)} problems; "
        f"{report.anchored} partitions anchored"
    )
    if report.problems:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    cpr: str = typer.Option(..., help="The citizen's CPR number."),
    fhir: bool = typer.Option(False, "--fhir", help="A FHIR R4 Bundle of AuditEvents (IHE BALP style)."),
) -> None:
    """The citizen's view: who accessed this patient's data, when, how and why. Itself audited."""
    from server.audit.fhir import bundle
    from server.audit.service import AuditContext, ChainWriter, events_for_patient, record
    from server.config import Settings

    with _session() as session:
        events = events_for_patient(session=session, patient_cpr=cpr)
        operator = getpass.getuser()
        ctx = AuditContext(
            actor_id=None,
            actor_name=f"console user {operator}",
            actor_role="operator",
            actor_authorisation_id=None,
            actor_organisation_id=None,
            device_id=None,
            client_ip=None,
            channel="cli audit export",
            purpose="citizen-access-request",
        )
        record(
            session=session,
            writer=ChainWriter(anchor_every=Settings().audit_anchor_every),
            ctx=ctx,
            action="export",
            outcome="allowed",
            patient_cpr=cpr,
            journal_id=None,
            now=_now(),
        )
        session.commit()
        if fhir:
            print(json.dumps(bundle(events).model_dump(mode="json"), indent=2, ensure_ascii=False))
            return
        table = Table("when (UTC)", "who", "role", "what", "outcome", "purpose", "via")
        for event in events:
            table.add_row(
                f"{event.occurred_at:%Y-%m-%d %H:%M:%S}",
                event.actor_name,
                event.actor_role,
                event.action,
                event.outcome,
                event.purpose,
                event.channel,
            )
        console.print(table)


# ---------------------------------------------------------------- serve


def prepare_database(engine: Engine, *, demo: bool, url: str) -> None:
    """Before ``ppj serve``: migrate SQLite (the embedded dev database), require PostgreSQL to be migrated
    (``ppj db upgrade`` is the production deploy step), and with ``--demo`` seed the demo data and print
    the generated demo password once."""
    from server import migrate
    from server.demo import seed_demo

    if engine.dialect.name == "sqlite":
        migrate.upgrade(engine=engine)
    elif not migrate.is_current(engine=engine):
        console.print("[red]the database schema is not current; run `ppj db upgrade` first[/red]")
        raise typer.Exit(2)
    if not demo:
        return
    from server.db import make_session_factory

    with make_session_factory(engine)() as session:
        seed = seed_demo(session=session, now=_now())
        session.commit()
    console.rule("[bold]PPJ demo (development only)")
    console.print(f"demo users: {', '.join(seed.usernames)}")
    console.print(f"password for every demo user (generated for this start): [bold]{seed.password}[/bold]")
    console.print(f"demo tablet credential (X-PPJ-Device): {seed.device_credential}")
    console.print(f"log in at {url}/login — the demo journals are visible only after log-in")
    console.rule()
