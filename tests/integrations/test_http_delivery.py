"""HTTP delivery to a receiver: wire outcomes with a MockTransport, and end to end over loopback HTTP
against the receiver simulator (hospital EPJ) answering with MedCom Acknowledgements."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from integrations.delivery.http import HttpDelivery
from integrations.receiver_simulator.server import Behaviour, ReceiverSimulator
from medcom.acknowledgement import read_acknowledgement
from medcom.fhir_packages import PackageRegistry, shared_reference_dir
from medcom.fhir_validator import Validator
from medcom.handover_message import BuiltMessage, build_handover, for_resend
from medcom.message_parts import MessageClock
from medcom.ppj_package import build_package
from medcom.receiver import MessageReceiver
from tests.medcom.journal_fixtures import HOSPITAL, SENDER, entries_of, state_of

PACKAGES = shared_reference_dir() / "reference" / "medcom" / "packages"


def mock_delivery(status: int | None, error: Exception | None = None) -> HttpDelivery:
    def answer(request: httpx2.Request) -> httpx2.Response:
        if error is not None:
            raise error
        assert status is not None
        return httpx2.Response(status, content=b"answer")

    return HttpDelivery(httpx2.Client(transport=httpx2.MockTransport(answer)))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (503, "retry"),
        (500, "retry"),
        (429, "retry"),
        (408, "retry"),
        (400, "rejected"),
        (404, "rejected"),
    ],
)
def test_the_wire_outcome_follows_the_http_status(status: int, outcome: str) -> None:
    assert mock_delivery(status).deliver(endpoint="http://receiver.test/fhir", body=b"{}").outcome == outcome


def test_a_connection_error_is_worth_retrying() -> None:
    result = mock_delivery(None, httpx2.ConnectError("refused")).deliver(
        endpoint="http://receiver.test/", body=b"{}"
    )
    assert (result.outcome, result.status) == ("retry", None)
    assert result.error is not None and "refused" in result.error


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    own = tmp_path_factory.mktemp("ppj-package")
    build_package(own, registry=PackageRegistry([PACKAGES]))
    return Validator(PackageRegistry([PACKAGES, own]))


@pytest.fixture
def hospital(validator: Validator) -> Iterator[ReceiverSimulator]:
    with ReceiverSimulator(handler=MessageReceiver(validator=validator), name="epj").running() as simulator:
        yield simulator


@pytest.fixture(scope="module")
def message() -> dict[str, Any]:
    return build_handover(state=state_of(entries_of("stemi")), sender=SENDER, receiver=HOSPITAL).bundle


def send(simulator: ReceiverSimulator, message: dict[str, Any], *, timeout: float = 10.0) -> Any:
    with httpx2.Client(timeout=timeout) as client:
        return HttpDelivery(client).deliver(endpoint=simulator.url, body=json.dumps(message).encode())


def handler_of(simulator: ReceiverSimulator) -> MessageReceiver:
    assert isinstance(simulator.handler, MessageReceiver)
    return simulator.handler


def test_a_handover_delivered_over_http_is_acknowledged_ok(
    hospital: ReceiverSimulator, message: dict[str, Any]
) -> None:
    result = send(hospital, message)
    assert result.outcome == "delivered"
    assert read_acknowledgement(json.loads(result.body)).ok


def test_a_receiver_that_fails_twice_is_reached_on_the_third_try_and_processes_once(
    hospital: ReceiverSimulator, message: dict[str, Any]
) -> None:
    hospital.behaviour = Behaviour(fail_next=2)
    outcomes = [
        send(hospital, for_resend(BuiltMessage(message), clock=MessageClock()).bundle).outcome
        for _ in range(3)
    ]
    assert outcomes == ["retry", "retry", "delivered"]
    assert len(handler_of(hospital).processed()) == 1


def test_a_slow_receiver_times_out_as_retry_and_the_resend_is_a_duplicate_not_a_second_message(
    hospital: ReceiverSimulator, message: dict[str, Any]
) -> None:
    hospital.behaviour = Behaviour(delay_seconds=0.5)
    assert send(hospital, message, timeout=0.1).outcome == "retry"
    hospital.behaviour = Behaviour()
    resent = send(hospital, for_resend(BuiltMessage(message), clock=MessageClock()).bundle)
    assert read_acknowledgement(json.loads(resent.body)).ok
    assert len(handler_of(hospital).processed()) == 1


def test_a_duplicated_delivery_is_processed_once_and_answered_the_same(
    hospital: ReceiverSimulator, message: dict[str, Any]
) -> None:
    hospital.behaviour = Behaviour(duplicate_delivery=True)
    assert read_acknowledgement(json.loads(send(hospital, message).body)).ok
    assert [r.outcome for r in handler_of(hospital).received] == ["processed", "duplicate"]


def test_a_transient_error_acknowledgement_tells_the_sender_to_retry(
    hospital: ReceiverSimulator, message: dict[str, Any]
) -> None:
    hospital.behaviour = Behaviour(transient_next=1)
    first = read_acknowledgement(json.loads(send(hospital, message).body))
    second = read_acknowledgement(json.loads(send(hospital, message).body))
    assert (first.code, second.code) == ("transient-error", "ok")


def test_garbage_gets_a_rejection_not_a_crash(hospital: ReceiverSimulator) -> None:
    with httpx2.Client() as client:
        result = HttpDelivery(client).deliver(endpoint=hospital.url, body=b"not a message")
    assert (result.outcome, result.status) == ("rejected", 400)
