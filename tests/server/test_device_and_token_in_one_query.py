"""``authenticate_device_and_token`` (the sync routes' one-query authentication) decides exactly as
``authenticate_device`` followed by ``authenticate_token`` with that credential; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session, sessionmaker

from server.db import utcnow
from server.errors import AuthenticationFailed
from server.identity.models import Role
from server.identity.passwords import HashedPassword
from server.identity.service import (
    authenticate_device,
    authenticate_device_and_token,
    authenticate_token,
    create_person,
    enrol_device,
    issue_access_token,
    revoke_device,
    revoke_token,
)


def _separately(session: Session, credential: str, token: str, now: dt.datetime) -> tuple[object, object]:
    device = authenticate_device(session=session, credential=credential)
    try:
        identity = authenticate_token(session=session, token=token, device_credential=credential, now=now)
    except AuthenticationFailed as failed:
        return device.id, failed.reason
    return device.id, (identity.person.id, identity.token_id)


def _together(session: Session, credential: str, token: str, now: dt.datetime) -> tuple[object, object]:
    device, identity = authenticate_device_and_token(
        session=session, credential=credential, token=token, now=now
    )
    if isinstance(identity, AuthenticationFailed):
        return device.id, identity.reason
    return device.id, (identity.person.id, identity.token_id)


def _device_failure(session: Session, credential: str, token: str) -> tuple[str | None, str | None]:
    reasons: list[str | None] = []
    for check in (
        lambda: authenticate_device(session=session, credential=credential),
        lambda: authenticate_device_and_token(
            session=session, credential=credential, token=token, now=utcnow()
        ),
    ):
        try:
            check()
            reasons.append(None)
        except AuthenticationFailed as failed:
            reasons.append(failed.reason)
    return reasons[0], reasons[1]


def test_device_and_token_in_one_query_decide_as_the_two_checks_do(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with sessions() as session:
        person = create_person(
            session=session,
            username="one-query",
            display_name="Paramediciner Én Forespørgsel",
            role=Role.paramediciner,
            password=HashedPassword.of(uuid.uuid4().hex),
        )
        mine, other, revoked = (enrol_device(session=session, label=f"tablet {n}") for n in range(3))
        hour = dt.timedelta(hours=1)
        valid = issue_access_token(session=session, person=person, device=mine.device, ttl=hour, now=now)
        expired = issue_access_token(
            session=session, person=person, device=mine.device, ttl=dt.timedelta(minutes=1), now=now - hour
        )
        withdrawn = issue_access_token(session=session, person=person, device=mine.device, ttl=hour, now=now)
        elsewhere = issue_access_token(session=session, person=person, device=other.device, ttl=hour, now=now)
        revoke_token(
            session=session,
            token_id=authenticate_token(
                session=session, token=withdrawn.token, device_credential=mine.credential, now=now
            ).token_id,
            now=now,
        )
        revoke_device(session=session, device_id=revoked.device.id, now=now)
        session.commit()

        outcomes = {
            token: _together(session, mine.credential, token, now)
            for token in (valid.token, expired.token, withdrawn.token, elsewhere.token, "no-such-token")
        }
        for token, outcome in outcomes.items():
            assert outcome == _separately(session, mine.credential, token, now)
        assert outcomes[valid.token][1][0] == person.id  # type: ignore[index]
        assert [outcome[1] for outcome in list(outcomes.values())[1:]] == [
            "token expired",
            "token revoked",
            "token belongs to another device",
            "unknown token",
        ]
        for credential in (revoked.credential, f"{mine.device.id}.wrong-secret", "not-a-credential"):
            assert _device_failure(session, credential, valid.token)[0] is not None
            assert len(set(_device_failure(session, credential, valid.token))) == 1
