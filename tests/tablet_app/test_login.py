"""Log-in: field validation, online first, offline against the store's key wrap, the offline flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from tablet_app.auth import DemoLogin, PeopleDirectory, Person, StoreAuthenticator, StoreKeyring
from tablet_app.errors import CredentialsRefusedError, ServerUnreachableError
from tablet_app.viewmodels.login import LoginViewModel, Session
from tests.tablet_app.documenting import keyring
from tests.tablet_app.fakes import InlineRunner, ManualClock

NURSE = Person("amb1", "Ambulancebehandler Test")


class ServerSays:
    """An ``OnlineLogin`` whose answer the test chooses."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def log_in(self, *, username: str, password: str) -> Person:
        if self.answer == "unreachable":
            raise ServerUnreachableError("no route to host")
        if self.answer == "refused" or password != "rigtig":
            raise CredentialsRefusedError("wrong password")
        return NURSE


def login_vm(authenticator: StoreAuthenticator) -> tuple[LoginViewModel, list[Session]]:
    sessions: list[Session] = []
    vm = LoginViewModel(
        authenticator=authenticator, runner=InlineRunner(), clock=ManualClock(), on_logged_in=sessions.append
    )
    return vm, sessions


def fill(vm: LoginViewModel, username: str, password: str, pin: str) -> None:
    vm.set_field("username", username)
    vm.set_field("password", password)
    vm.set_field("pin", pin)


def authenticator(
    online: ServerSays | None, ring: StoreKeyring, people: Path | None = None
) -> StoreAuthenticator:
    return StoreAuthenticator(online=online, keyring=ring, people=PeopleDirectory(people))


def test_each_missing_or_malformed_field_gets_its_own_message(tmp_path: Path) -> None:
    vm, sessions = login_vm(authenticator(None, keyring(tmp_path)))
    fill(vm, "", "", "1111")
    vm.submit()
    assert {k: m.msg_id for k, m in vm.field_errors.items()} == {
        "username": "login.error.username_required",
        "password": "login.error.password_required",
        "pin": "login.error.pin_repeated",
    }
    fill(vm, "a b", "x", "12a4")
    vm.submit()
    assert vm.field_errors["username"].msg_id == "login.error.username_format"
    assert vm.field_errors["pin"].render() == "PIN skal være 4–6 cifre."
    assert sessions == [] and vm.username == "a b"  # nothing typed is cleared


def test_an_online_log_in_opens_the_store_and_the_same_password_opens_it_offline_later(
    tmp_path: Path,
) -> None:
    ring = keyring(tmp_path)
    vm, sessions = login_vm(authenticator(ServerSays("ok"), ring, tmp_path / "people.json"))
    fill(vm, "amb1", "rigtig", "2580")
    vm.submit()
    assert sessions[0].person == NURSE and not vm.offline_login
    assert sessions[0].pin.verify_pin("2580") and not sessions[0].pin.verify_pin("2581")
    assert ring.store is not None and ring.store.users() == ["amb1"]
    ring.close()
    assert b"rigtig" not in (tmp_path / "store.sqlite").read_bytes()
    assert "rigtig" not in (tmp_path / "people.json").read_text()

    later = keyring(tmp_path)
    offline_vm, offline_sessions = login_vm(
        authenticator(ServerSays("unreachable"), later, tmp_path / "people.json")
    )
    fill(offline_vm, "amb1", "rigtig", "2580")
    offline_vm.submit()
    assert offline_sessions[0].person == NURSE and offline_vm.offline_login
    assert later.store is not None  # the log-in unlocked the store's data key


def test_a_second_crew_member_gets_a_wrap_of_their_own_while_the_store_is_open(tmp_path: Path) -> None:
    ring = keyring(tmp_path)
    demo = DemoLogin()
    auth = StoreAuthenticator(online=demo, keyring=ring, people=PeopleDirectory(None))
    assert auth.authenticate(username="demo", password=demo.passwords["demo"]).person is not None
    assert auth.authenticate(username="demo2", password=demo.passwords["demo2"]).person is not None
    assert ring.store is not None and ring.store.users() == ["demo", "demo2"]
    assert auth.authenticate(username="demo2", password="guess").kind.value == "refused"


def test_a_person_the_server_knows_cannot_open_a_store_locked_to_others_until_a_colleague_logs_in(
    tmp_path: Path,
) -> None:
    first = keyring(tmp_path)
    StoreAuthenticator(online=ServerSays("ok"), keyring=first, people=PeopleDirectory(None)).authenticate(
        username="amb1", password="rigtig"
    )
    first.close()
    demo = DemoLogin()
    outcome = StoreAuthenticator(
        online=demo, keyring=keyring(tmp_path), people=PeopleDirectory(None)
    ).authenticate(username="demo", password=demo.passwords["demo"])
    assert outcome.kind.value == "not_enrolled_here"


def test_the_demo_has_no_fixed_password() -> None:
    assert DemoLogin().passwords != DemoLogin().passwords
    assert "ppj-demo" not in DemoLogin().passwords.values()


@pytest.mark.parametrize(
    ("server", "known", "password", "msg_id"),
    [
        ("refused", True, "rigtig", "login.error.refused"),  # the server's no is final
        ("unreachable", True, "forkert", "login.error.refused"),
        ("unreachable", False, "rigtig", "login.error.offline_unknown_user"),
    ],
)
def test_failed_log_ins_say_why_and_keep_the_fields(
    server: str, known: bool, password: str, msg_id: str, tmp_path: Path
) -> None:
    ring = keyring(tmp_path)
    if known:
        authenticator(ServerSays("ok"), ring).authenticate(username="amb1", password="rigtig")
        ring.close()
    vm, sessions = login_vm(authenticator(ServerSays(server), keyring(tmp_path)))
    fill(vm, "amb1", password, "2580")
    vm.submit()
    assert sessions == [] and vm.form_error is not None and vm.form_error.msg_id == msg_id
    assert (vm.username, vm.password, vm.pin) == ("amb1", password, "2580")
    assert not vm.busy
