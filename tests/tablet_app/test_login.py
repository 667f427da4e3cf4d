"""Log-in: field validation, online first, offline against the cached verifier, the offline flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from tablet_app.auth import CachingAuthenticator, Person, VerifierCache
from tablet_app.errors import CredentialsRefusedError, ServerUnreachableError
from tablet_app.viewmodels.login import LoginViewModel, Session
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


def login_vm(authenticator: CachingAuthenticator) -> tuple[LoginViewModel, list[Session]]:
    sessions: list[Session] = []
    vm = LoginViewModel(
        authenticator=authenticator, runner=InlineRunner(), clock=ManualClock(), on_logged_in=sessions.append
    )
    return vm, sessions


def fill(vm: LoginViewModel, username: str, password: str, pin: str) -> None:
    vm.set_field("username", username)
    vm.set_field("password", password)
    vm.set_field("pin", pin)


def test_each_missing_or_malformed_field_gets_its_own_message() -> None:
    vm, sessions = login_vm(CachingAuthenticator(online=None, cache=VerifierCache(None)))
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


def test_an_online_log_in_remembers_a_verifier_for_a_later_offline_log_in(tmp_path: Path) -> None:
    cache = VerifierCache(tmp_path / "verifiers.json")
    vm, sessions = login_vm(CachingAuthenticator(online=ServerSays("ok"), cache=cache))
    fill(vm, "amb1", "rigtig", "2580")
    vm.submit()
    assert sessions[0].person == NURSE and not vm.offline_login
    assert sessions[0].pin.verify_pin("2580") and not sessions[0].pin.verify_pin("2581")
    assert "rigtig" not in (tmp_path / "verifiers.json").read_text()

    offline_vm, offline_sessions = login_vm(
        CachingAuthenticator(
            online=ServerSays("unreachable"), cache=VerifierCache(tmp_path / "verifiers.json")
        )
    )
    fill(offline_vm, "amb1", "rigtig", "2580")
    offline_vm.submit()
    assert offline_sessions[0].person == NURSE and offline_vm.offline_login


@pytest.mark.parametrize(
    ("server", "known", "password", "msg_id"),
    [
        ("refused", True, "rigtig", "login.error.refused"),  # the server's no is final
        ("unreachable", True, "forkert", "login.error.refused"),
        ("unreachable", False, "rigtig", "login.error.offline_unknown_user"),
    ],
)
def test_failed_log_ins_say_why_and_keep_the_fields(
    server: str, known: bool, password: str, msg_id: str
) -> None:
    cache = VerifierCache(None)
    if known:
        cache.remember(NURSE, "rigtig")
    vm, sessions = login_vm(CachingAuthenticator(online=ServerSays(server), cache=cache))
    fill(vm, "amb1", password, "2580")
    vm.submit()
    assert sessions == [] and vm.form_error is not None and vm.form_error.msg_id == msg_id
    assert (vm.username, vm.password, vm.pin) == ("amb1", password, "2580")
    assert not vm.busy
