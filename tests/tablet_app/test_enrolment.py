"""Enrolling the tablet with a one-time code: the code is checked on the spot, the server's answer is kept
sealed by the device-credential facade (never in plain text beside the store)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tablet_app.errors import EnrolmentCodeRefusedError, ServerUnreachableError
from tablet_app.facades.device_credential import SealedFileCredential
from tablet_app.viewmodels.enrolment import EnrolmentViewModel
from tests.tablet_app.fakes import InlineRunner

CREDENTIAL = "0194f3c2-7a5e-7cc0-9d7e-0e6f4a1b2c3d.s3cr3t-t0k3n-from-the-server"


class FakeServer:
    """Answers enrolment codes like ``POST /api/devices/enrol`` (one valid code, used once)."""

    def __init__(self, *, reachable: bool = True) -> None:
        self.reachable = reachable
        self.asked: list[str] = []
        self.valid = {"ABCDEFGHJKLM"}

    def enrol(self, code: str) -> str:
        self.asked.append(code)
        if not self.reachable:
            raise ServerUnreachableError("no route to host")
        if code not in self.valid:
            raise EnrolmentCodeRefusedError("refused")
        self.valid.discard(code)
        return CREDENTIAL


def enrolment(
    tmp_path: Path, server: FakeServer
) -> tuple[EnrolmentViewModel, SealedFileCredential, list[str]]:
    credentials = SealedFileCredential(path=tmp_path / "device-credential", device_secret=b"s" * 32)
    enrolled: list[str] = []
    vm = EnrolmentViewModel(
        enrol=server.enrol, credentials=credentials, runner=InlineRunner(), on_enrolled=enrolled.append
    )
    return vm, credentials, enrolled


def test_a_code_as_read_aloud_enrols_and_the_credential_is_kept_sealed(tmp_path: Path) -> None:
    server = FakeServer()
    vm, credentials, enrolled = enrolment(tmp_path, server)
    vm.set_code(" abcd-efgh jklm ")
    vm.submit()
    assert server.asked == ["ABCDEFGHJKLM"] and enrolled == [CREDENTIAL] and vm.error is None
    assert credentials.load() == CREDENTIAL
    sealed = (tmp_path / "device-credential").read_bytes()
    assert b"s3cr3t" not in sealed and CREDENTIAL.encode() not in sealed
    assert stat.S_IMODE((tmp_path / "device-credential").stat().st_mode) == 0o600


@pytest.mark.parametrize("typed", ["", "ABCD-EFGH", "ABCD-EFGH-JKL0", "ABCD-EFGH-JKLMN"])
def test_a_text_that_cannot_be_a_code_is_refused_on_the_spot_without_asking_the_server(
    tmp_path: Path, typed: str
) -> None:
    server = FakeServer()
    vm, credentials, enrolled = enrolment(tmp_path, server)
    vm.set_code(typed)
    vm.submit()
    assert vm.error is not None and vm.error.msg_id == "enrol.error.format"
    assert vm.code == typed and server.asked == [] and enrolled == [] and credentials.load() is None


def test_a_refused_or_unanswered_code_says_so_and_keeps_what_was_typed(tmp_path: Path) -> None:
    server = FakeServer(reachable=False)
    vm, credentials, enrolled = enrolment(tmp_path, server)
    vm.set_code("ABCD-EFGH-JKLM")
    vm.submit()
    assert vm.error is not None and vm.error.msg_id == "enrol.error.unreachable" and not vm.busy
    assert vm.code == "ABCD-EFGH-JKLM"
    server.reachable = True
    server.valid.clear()  # meanwhile used or expired
    vm.submit()
    assert vm.error is not None and vm.error.msg_id == "enrol.error.refused"
    assert enrolled == [] and credentials.load() is None


def test_the_sealed_credential_opens_only_with_this_tablets_device_secret(tmp_path: Path) -> None:
    path = tmp_path / "device-credential"
    SealedFileCredential(path=path, device_secret=b"a" * 32).save(CREDENTIAL)
    assert SealedFileCredential(path=path, device_secret=b"a" * 32).load() == CREDENTIAL
    assert SealedFileCredential(path=path, device_secret=b"b" * 32).load() is None
    SealedFileCredential(path=path, device_secret=b"a" * 32).clear()
    assert not path.exists()
    with pytest.raises(ValueError, match="device_secret"):
        SealedFileCredential(path=path, device_secret=b"short")
