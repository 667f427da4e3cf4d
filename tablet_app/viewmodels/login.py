"""The log-in screen: validation on the spot, log-in off the UI thread, the offline flag.

Fields: user name, password and the quick-unlock PIN the person chooses for this session (4–6 digits,
not one digit repeated). Each field's error names the field. A log-in made against the cached verifier
(the store's key wrap, ``tablet_app.auth``) because the server did not answer sets
``offline_login``: the app shows a banner until a later online
check (wave 2, sync) clears it. Nothing typed is cleared by a failed log-in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tablet_app.auth import LoginOutcome, LoginOutcomeKind, Person, SessionPin, StoreAuthenticator
from tablet_app.background import BackgroundRunner
from tablet_app.facades.clock import ClockFacade
from tablet_app.i18n import Message, message
from tablet_app.observable import Observable

log = logging.getLogger(__name__)

USERNAME_MAX = 64
PIN_MIN, PIN_MAX = 4, 6


@dataclass(frozen=True)
class Session:
    person: Person
    offline_login: bool
    started_at: datetime
    pin: SessionPin


def pin_problem(pin: str) -> Message | None:
    """Why ``pin`` cannot be an unlock PIN, or None."""
    if not pin:
        return message("login.error.pin_required")
    if not pin.isascii() or not pin.isdigit() or not PIN_MIN <= len(pin) <= PIN_MAX:
        return message("login.error.pin_format", min=PIN_MIN, max=PIN_MAX)
    if len(set(pin)) == 1:
        return message("login.error.pin_repeated")
    return None


class LoginViewModel(Observable):
    def __init__(
        self,
        *,
        authenticator: StoreAuthenticator,
        runner: BackgroundRunner,
        clock: ClockFacade,
        on_logged_in: Callable[[Session], None],
    ) -> None:
        super().__init__()
        self._authenticator = authenticator
        self._runner = runner
        self._clock = clock
        self._on_logged_in = on_logged_in
        self.username = ""
        self.password = ""
        self.pin = ""
        self.field_errors: dict[str, Message] = {}
        self.form_error: Message | None = None
        self.busy = False
        self.session: Session | None = None

    @property
    def offline_login(self) -> bool:
        return self.session is not None and self.session.offline_login

    def set_field(self, name: str, value: str) -> None:
        """A field's text changed; its own error goes away (it is re-checked on submit)."""
        if name not in ("username", "password", "pin"):
            raise ValueError(f"no such log-in field: {name!r}")
        setattr(self, name, value)
        if self.field_errors.pop(name, None) is not None:
            self._changed()

    def validate(self) -> dict[str, Message]:
        errors: dict[str, Message] = {}
        username = self.username.strip()
        if not username:
            errors["username"] = message("login.error.username_required")
        elif len(username) > USERNAME_MAX or any(c.isspace() for c in username):
            errors["username"] = message("login.error.username_format", max=USERNAME_MAX)
        if not self.password:
            errors["password"] = message("login.error.password_required")
        pin_error = pin_problem(self.pin)
        if pin_error is not None:
            errors["pin"] = pin_error
        return errors

    def submit(self) -> None:
        if self.busy:
            return
        self.field_errors = self.validate()
        self.form_error = None
        if self.field_errors:
            self._changed()
            return
        self.busy = True
        self._changed()
        username, password, pin = self.username.strip(), self.password, self.pin

        def work() -> tuple[LoginOutcome, SessionPin | None]:
            outcome = self._authenticator.authenticate(username=username, password=password)
            ok = outcome.kind in (LoginOutcomeKind.ONLINE, LoginOutcomeKind.OFFLINE)
            return outcome, SessionPin(pin) if ok else None

        self._runner.submit(work, on_success=self._finished, on_error=self._failed)

    def _finished(self, result: tuple[LoginOutcome, SessionPin | None]) -> None:
        outcome, pin = result
        self.busy = False
        if outcome.person is not None and pin is not None:
            self.session = Session(
                person=outcome.person,
                offline_login=outcome.kind is LoginOutcomeKind.OFFLINE,
                started_at=self._clock.now(),
                pin=pin,
            )
            # The session exists now; a password kept in memory helps no one, and the form is empty for
            # the next crew member who signs on.
            self.username = ""
            self.password = ""
            self.pin = ""
            self._changed()
            self._on_logged_in(self.session)
            return
        if outcome.kind is LoginOutcomeKind.NO_OFFLINE_VERIFIER:
            self.form_error = message("login.error.offline_unknown_user")
        elif outcome.kind is LoginOutcomeKind.NOT_ENROLLED_HERE:
            self.form_error = message("login.error.not_enrolled_here")
        else:
            self.form_error = message("login.error.refused")
        self._changed()

    def _failed(self, error: Exception) -> None:
        log.error("log-in failed unexpectedly", exc_info=error)
        self.busy = False
        self.form_error = message("login.error.unexpected")
        self._changed()
