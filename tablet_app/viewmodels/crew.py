"""The crew on this tablet's unit, and who is writing now.

Each crew member logs in with their own password (``LoginViewModel``) and chooses their own unlock PIN;
they are then signed on to the unit. The *active author* is the one whose name goes on every entry
written now; switching author takes the other member's PIN (one tap and a PIN, not a full log-in), so
each person records their own tasks under their own name. Signing on a member who is already on the
crew replaces their session (a new PIN); the first member signed on is the first active author.
"""

from __future__ import annotations

from journal.entry import Author
from tablet_app.auth import Person
from tablet_app.errors import ViewModelStateError
from tablet_app.i18n import Message, message
from tablet_app.observable import Observable
from tablet_app.viewmodels.login import Session


class CrewViewModel(Observable):
    def __init__(self, *, unit: str) -> None:
        super().__init__()
        self.unit = unit
        self._sessions: dict[str, Session] = {}
        self.active: str | None = None
        self.switch_error: Message | None = None

    @property
    def members(self) -> list[Person]:
        return [s.person for s in self._sessions.values()]

    def sign_on(self, session: Session) -> None:
        self._sessions[session.person.username] = session
        if self.active is None:
            self.active = session.person.username
        self._changed()

    def session(self) -> Session:
        if self.active is None:
            raise ViewModelStateError("no crew member is signed on")
        return self._sessions[self.active]

    def active_person(self) -> Person:
        return self.session().person

    def active_author(self) -> Author:
        return self.active_person().author()

    def switch_to(self, username: str, pin: str) -> bool:
        """Make ``username`` the active author if ``pin`` is their session PIN."""
        session = self._sessions.get(username)
        if session is None:
            raise ViewModelStateError(f"{username!r} is not signed on to {self.unit}")
        if not session.pin.verify_pin(pin):
            self.switch_error = message("crew.wrong_pin", name=session.person.display_name)
            self._changed()
            return False
        self.active = username
        self.switch_error = None
        self._changed()
        return True
