"""Enrolling the tablet with a one-time code from an administrator (``ppj device code``).

A tablet started with a server and no device credential shows this first. The code is typed as read
aloud or from a note ("ABCD-EFGH-JKLM"; case, spaces and hyphens do not matter); one that cannot be a
code is refused on the spot. The server call runs in the background; the credential it answers goes
straight into the device-credential facade (sealed, never plain text beside the database) and then the
log-in screen follows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sync.enrolment import ENROLMENT_CODE_LENGTH, normalise_enrolment_code
from tablet_app.background import BackgroundRunner
from tablet_app.errors import EnrolmentCodeRefusedError, ServerUnreachableError
from tablet_app.facades.device_credential import DeviceCredentialFacade
from tablet_app.i18n import Message, message
from tablet_app.observable import Observable

log = logging.getLogger(__name__)


class EnrolmentViewModel(Observable):
    def __init__(
        self,
        *,
        enrol: Callable[[str], str],
        credentials: DeviceCredentialFacade,
        runner: BackgroundRunner,
        on_enrolled: Callable[[str], None],
    ) -> None:
        super().__init__()
        self._enrol = enrol  # code -> device credential (``server_login.enrol_device`` over the app's client)
        self._credentials = credentials
        self._runner = runner
        self._on_enrolled = on_enrolled
        self.code = ""
        self.error: Message | None = None
        self.busy = False

    def set_code(self, text: str) -> None:
        if text != self.code:
            self.code = text
            self.error = None
            self._changed()

    def submit(self) -> None:
        if self.busy:
            return
        code = normalise_enrolment_code(self.code)
        if code is None:
            self.error = message("enrol.error.format", length=ENROLMENT_CODE_LENGTH)
            self._changed()
            return
        self.busy, self.error = True, None
        self._changed()
        self._runner.submit(lambda: self._enrol(code), on_success=self._enrolled, on_error=self._failed)

    def _enrolled(self, credential: str) -> None:
        self._credentials.save(credential)
        self.busy, self.code = False, ""
        self._changed()
        self._on_enrolled(credential)

    def _failed(self, error: Exception) -> None:
        self.busy = False
        if isinstance(error, EnrolmentCodeRefusedError):
            self.error = message("enrol.error.refused")
        elif isinstance(error, ServerUnreachableError):
            self.error = message("enrol.error.unreachable")
        else:
            log.error("enrolment failed unexpectedly", exc_info=error)
            self.error = message("enrol.error.unexpected")
        self._changed()
