"""Errors raised by the tablet app.

::

    TabletAppError                      base of everything below
    ├── UnknownLanguageError            a language with no message catalogue was asked for
    ├── MissingMessageError             a message id is absent from the current catalogue
    ├── ViewModelStateError             an action that the view-model's current state does not allow
    ├── LoginError                      an online log-in did not succeed
    │   ├── CredentialsRefusedError     the server says the user name or password is wrong
    │   ├── ServerUnreachableError      no answer from the server (offline log-in may follow)
    │   └── EnrolmentCodeRefusedError   the server refused a one-time enrolment code
    └── ControlCommandError             the UI test driver got a command it cannot carry out
"""

from __future__ import annotations


class TabletAppError(Exception):
    """Base class of the tablet app's errors."""


class UnknownLanguageError(TabletAppError):
    """Raised by ``i18n.set_language`` for a language code that has no catalogue."""

    def __init__(self, language: str, known: tuple[str, ...]) -> None:
        super().__init__(f"language {language!r} has no message catalogue (known: {', '.join(known)})")
        self.language = language


class MissingMessageError(TabletAppError, KeyError):
    """Raised by ``i18n._`` when the message id is not in the current language's catalogue."""

    def __init__(self, msg_id: str, language: str) -> None:
        super().__init__(f"message id {msg_id!r} is missing from the {language!r} catalogue")
        self.msg_id = msg_id
        self.language = language

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return str(self.args[0])


class ViewModelStateError(TabletAppError):
    """Raised when a view-model action is called in a state that does not allow it (a programming error
    in the screen, e.g. ``confirm()`` when nothing awaits confirmation)."""


class LoginError(TabletAppError):
    """Base of the errors an ``OnlineLogin`` raises."""


class CredentialsRefusedError(LoginError):
    """Raised by an ``OnlineLogin`` when the server refuses the user name or password."""


class ServerUnreachableError(LoginError):
    """Raised by an ``OnlineLogin`` when the server cannot be reached; offline log-in follows."""


class EnrolmentCodeRefusedError(LoginError):
    """Raised by ``server_login.enrol_device`` when the code is unknown, used, expired or malformed."""


class ControlCommandError(TabletAppError):
    """Raised by the test driver for an unknown command or a widget id not on the current screen."""
