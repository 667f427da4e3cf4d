"""Accounts, devices and the organisation registry as services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ppj.cli import app as cli
from server.db import utcnow
from server.demo import MEDCOM_TEST_CPR, REGION_DEMO_PHONE, demo_gln, seed_demo
from server.errors import Conflict, InvalidInput
from server.identity.models import Device, Person, Role
from server.identity.passwords import verify_password
from server.identity.service import authenticate_device, create_person, enrol_device
from server.orgs.gp_lookup import RegistryGpLookup
from server.orgs.models import EndpointKind, MessageEndpoint, Organisation, OrgKind, UnitType
from server.orgs.service import add_endpoint, create_organisation, gln_check_digit_ok, update_organisation

GOOD_PASSWORD = "a long enough password"


def test_a_person_is_stored_with_an_argon2_hash_never_the_password(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        person = create_person(
            session=session,
            username="Anna.B",
            display_name="Anna B",
            role=Role.dispatcher,
            password=GOOD_PASSWORD,
        )
        session.commit()
        assert person.username == "anna.b"
        assert person.password_hash.startswith("$argon2id$") and GOOD_PASSWORD not in person.password_hash
        assert verify_password(person.password_hash, GOOD_PASSWORD)
        assert not verify_password(person.password_hash, "another password")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "x"}, "username"),
        ({"username": "has space"}, "username"),
        ({"password": "short"}, "password"),
        ({"role": Role.physician}, "authorisation_id"),
        ({"role": Role.physician, "authorisation_id": "12"}, "authorisation_id"),
        ({"role": Role.ed_staff}, "organisation_id"),
        ({"display_name": " "}, "display_name"),
    ],
)
def test_bad_account_input_names_the_field_and_stores_nothing(
    sessions: sessionmaker[Session], changes: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "username": "someone",
        "display_name": "Some One",
        "role": Role.ambulancebehandler,
        "password": GOOD_PASSWORD,
    }
    values.update(changes)
    with sessions() as session:
        with pytest.raises(InvalidInput) as caught:
            create_person(session=session, **values)  # type: ignore[arg-type]
        assert caught.value.field == field
        session.rollback()
        assert session.scalars(select(Person)).all() == []


def test_usernames_are_unique_case_insensitively(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        create_person(
            session=session, username="anna", display_name="A", role=Role.dispatcher, password=GOOD_PASSWORD
        )
        with pytest.raises(Conflict):
            create_person(
                session=session,
                username="ANNA",
                display_name="B",
                role=Role.dispatcher,
                password=GOOD_PASSWORD,
            )


def test_ed_staff_must_be_bound_to_a_hospital(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        region = create_organisation(session=session, kind=OrgKind.region, name="Region")
        hospital = create_organisation(
            session=session, kind=OrgKind.hospital, name="OUH", parent_id=region.id
        )
        with pytest.raises(InvalidInput):
            create_person(session=session, username="ed1", display_name="E", role=Role.ed_staff,
                          password=GOOD_PASSWORD, organisation_id=region.id)  # fmt: skip
        person = create_person(session=session, username="ed2", display_name="E", role=Role.ed_staff,
                               password=GOOD_PASSWORD, organisation_id=hospital.id)  # fmt: skip
        assert person.organisation_id == hospital.id


def test_a_device_secret_is_stored_only_as_its_hash_and_checks_out(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        enrolment = enrol_device(session=session, label="Tablet 1")
        session.commit()
        secret = enrolment.credential.split(".", 1)[1]
        stored = session.scalars(select(Device)).one()
        assert secret not in stored.secret_sha256 and len(stored.secret_sha256) == 64
        assert authenticate_device(session=session, credential=enrolment.credential).id == stored.id


def test_gln_check_digits_follow_gs1_mod_10() -> None:
    assert gln_check_digit_ok("5790001348120")  # MedCom Acknowledgement 2.0.3 example
    assert not gln_check_digit_ok("5790001348121")
    assert all(gln_check_digit_ok(demo_gln(n)) for n in range(50))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": OrgKind.region, "name": "R", "sor_id": "1234"}, "sor_id"),
        ({"kind": OrgKind.region, "name": "R", "gln": "5790001348121"}, "gln"),
        ({"kind": OrgKind.hospital, "name": "H"}, "parent_id"),
        ({"kind": OrgKind.region, "name": "R", "call_sign": "AMB-1"}, "call_sign"),
        ({"kind": OrgKind.region, "name": "R", "phone": "1234"}, "phone"),
        ({"kind": OrgKind.region, "name": "R", "phone": "+45 7011-1111"}, "phone"),
        ({"kind": OrgKind.region, "name": "R", "municipality_code": "0461"}, "municipality_code"),
        ({"kind": OrgKind.municipality, "name": "M", "municipality_code": "461"}, "municipality_code"),
    ],
)
def test_bad_organisation_input_names_the_field(
    sessions: sessionmaker[Session], kwargs: dict[str, object], field: str
) -> None:
    with sessions() as session, pytest.raises(InvalidInput) as caught:
        create_organisation(session=session, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_municipality_code_names_one_home_care_receiver(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        create_organisation(session=session, kind=OrgKind.municipality, name="M", municipality_code="0461")
        other = create_organisation(session=session, kind=OrgKind.municipality, name="N")
        with pytest.raises(Conflict):
            create_organisation(
                session=session, kind=OrgKind.municipality, name="M2", municipality_code="0461"
            )
        with pytest.raises(Conflict):
            update_organisation(session=session, organisation_id=other.id, municipality_code="0461")
        update_organisation(session=session, organisation_id=other.id, municipality_code="0561")
        assert other.municipality_code == "0561"


@pytest.mark.parametrize(
    ("address", "development", "accepted"),
    [
        ("https://epj.example.org/fhir", False, True),
        ("https://127.0.0.1:8443/fhir", False, True),
        ("http://127.0.0.1:8090/", True, True),
        ("http://localhost:8090/", True, True),
        ("http://[::1]:8090/", True, True),
        ("http://127.0.0.1:8090/", False, False),
        ("http://epj.example.org/fhir", True, False),
        ("http://10.0.0.5/fhir", True, False),
        ("ftp://127.0.0.1/", True, False),
        ("https://", True, False),
        ("epj.example.org", True, False),
    ],
)
def test_http_fhir_endpoints_are_https_and_plain_http_only_to_loopback_in_development(
    sessions: sessionmaker[Session], address: str, development: bool, accepted: bool
) -> None:
    with sessions() as session:
        receiver = create_organisation(session=session, kind=OrgKind.municipality, name="M")

        def register() -> None:
            add_endpoint(
                session=session,
                organisation_id=receiver.id,
                kind=EndpointKind.fhir_http,
                address=address,
                allow_loopback_http=development,
            )

        if accepted:
            register()
            assert [e.address for e in receiver.endpoints] == [address]
            return
        with pytest.raises(InvalidInput) as caught:
            register()
        assert caught.value.field == "address"
        assert session.scalars(select(MessageEndpoint)).all() == []


def test_units_need_a_call_sign_and_a_type(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        region = create_organisation(session=session, kind=OrgKind.region, name="R")
        with pytest.raises(InvalidInput) as caught:
            create_organisation(
                session=session, kind=OrgKind.unit, name="U", parent_id=region.id, call_sign="AMB-1"
            )
        assert caught.value.field == "unit_type"
        unit = create_organisation(session=session, kind=OrgKind.unit, name="U", parent_id=region.id,
                                   call_sign="AMB-1", unit_type=UnitType.helicopter)  # fmt: skip
        assert unit.unit_type is UnitType.helicopter


def test_the_demo_seed_is_region_syddanmark_with_flagged_demo_identifiers_and_a_fresh_password(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        first = seed_demo(session=session, now=utcnow())
        session.commit()
        second = seed_demo(session=session, now=utcnow())
        session.commit()
        assert first.password != second.password and len(first.password) >= 16
        organisations = session.scalars(select(Organisation)).all()
        assert {o.name for o in organisations if o.kind is OrgKind.region} == {"Region Syddanmark"}
        assert all(o.demo_identifiers and (o.sor_id or "").startswith("999") for o in organisations)
        assert len([o for o in organisations if o.kind is OrgKind.emergency_department]) == 5
        admin = session.scalars(select(Person).where(Person.username == "admin")).one()
        assert verify_password(admin.password_hash, second.password)
        assert not verify_password(admin.password_hash, first.password)
        gp = RegistryGpLookup(session).gp_for(patient_cpr=MEDCOM_TEST_CPR)
        assert gp is not None and gp.kind is OrgKind.gp_practice
        assert RegistryGpLookup(session).gp_for(patient_cpr="0101010000") is None
        municipalities = {o.municipality_code: o for o in organisations if o.kind is OrgKind.municipality}
        assert len(municipalities) == 22 and municipalities["0461"].name == "Odense Kommune"
        region = next(o for o in organisations if o.kind is OrgKind.region)
        assert region.phone == REGION_DEMO_PHONE


def test_serve_refuses_demo_data_outside_development(tmp_path: object) -> None:
    env = {"PPJ_ENVIRONMENT": "production", "PPJ_SECRET_KEY": "x" * 40}
    result = CliRunner().invoke(cli, ["serve", "--demo"], env=env)
    assert result.exit_code != 0 and "development only" in result.output
