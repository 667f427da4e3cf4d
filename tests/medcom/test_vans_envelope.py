"""VANSEnvelope 1.0.4: golden wire format, round trips in JSON and XML, clear refusals of broken envelopes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from journal_fixtures import GP, SENDER, clock, entries_of, state_of

from medcom.care_communication import build_care_communication
from medcom.errors import EnvelopeError
from medcom.vans_envelope import unwrap, wrap

GOLDEN = Path(__file__).parent / "golden"
SENT = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)


def epikrise() -> dict[str, object]:
    return build_care_communication(
        state=state_of(entries_of("hypoglycaemia-released")),
        kind="epikrise",
        sender=SENDER,
        receiver=GP,
        clock=clock("golden"),
    ).bundle


def test_the_envelope_wire_format_matches_its_golden_file() -> None:
    wrapped = wrap(epikrise(), sender_gln=SENDER.gln, receiver_gln=GP.gln, sent_at=SENT)
    assert wrapped == (GOLDEN / "vans-epikrise.xml").read_bytes()


@pytest.mark.parametrize("xml", [False, True])
def test_a_wrapped_message_unwraps_to_the_same_message_with_its_ids(xml: bool) -> None:
    message = epikrise()
    envelope = unwrap(wrap(message, sender_gln=SENDER.gln, receiver_gln=GP.gln, sent_at=SENT, xml=xml))
    assert envelope.message == message
    assert (envelope.sender_gln, envelope.receiver_gln) == (SENDER.gln, GP.gln)
    assert envelope.envelope_id == message["id"]
    assert envelope.message_id == message["entry"][0]["resource"]["id"]  # type: ignore[index]
    assert (envelope.document_name, envelope.document_version) == ("MCM:FDIS91#acute-ambulant", "5.0")
    assert envelope.mime == ("application/fhir+xml" if xml else "application/fhir+json")


def test_an_address_that_is_not_a_gln_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="receiver_gln"):
        wrap(epikrise(), sender_gln=SENDER.gln, receiver_gln="12345", sent_at=SENT)


def good() -> bytes:
    return wrap(epikrise(), sender_gln=SENDER.gln, receiver_gln=GP.gln, sent_at=SENT)


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (b"not xml at all", "not well-formed XML"),
        (b"<Other xmlns='urn:x'/>", "not a VANSEnvelope 1.0.4"),
        (b"", "not well-formed XML"),
    ],
)
def test_something_that_is_not_an_envelope_is_refused_with_the_reason(broken: bytes, reason: str) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        unwrap(broken)


def test_damaged_data_is_refused_with_the_reason() -> None:
    data = good()
    start = data.index(b"<Data>") + len(b"<Data>")
    with pytest.raises(EnvelopeError, match="not base64"):
        unwrap(data[:start] + b"!!" + data[start + 2 :])
    not_fhir = base64.b64encode(b'{"hello": 1}')
    end = data.index(b"</Data>")
    with pytest.raises(EnvelopeError, match="not a FHIR resource"):
        unwrap(data[:start] + not_fhir + data[end:])


def test_an_envelope_without_data_is_refused() -> None:
    data = good()
    start, end = data.index(b"<Data>"), data.index(b"</Data>") + len(b"</Data>")
    with pytest.raises(EnvelopeError, match="lacks Message/Data"):
        unwrap(data[:start] + data[end:])


def test_an_envelope_over_the_size_limit_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="more than the limit of 5000"):
        wrap(epikrise(), sender_gln=SENDER.gln, receiver_gln=GP.gln, sent_at=SENT, max_bytes=5000)
