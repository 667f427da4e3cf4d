"""Messages built from journals: only where the journal calls for them, valid, corrections never silent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from journal_fixtures import (
    GP,
    HOSPITAL,
    OTHER_PERSON,
    REPLACEMENT_ONLY,
    SENDER,
    clock,
    entries_of,
    identity_entry,
    state_of,
    with_identity,
)

from journal.demo.scenarios import scenarios
from medcom.care_communication import SentCareCommunication, build_care_communication
from medcom.errors import (
    MessageBuildError,
    MessageTooLargeError,
    NotCalledForError,
    UnknownReceiverError,
    WrongPatientError,
)
from medcom.fhir_validator import Validator
from medcom.handover_message import SentMessage, build_handover, for_resend
from medcom.journal_messages import DEMO_ORGANISATIONS, DEMO_RECEIVER_OF, build_message, called_for
from medcom.message_parts import Organisation

GOLDEN = Path(__file__).parent / "golden"
CALLED_FOR = {
    "stemi": ["handover"],
    "stroke": [],
    "trauma": [],
    "cardiac-arrest": [],
    "hypoglycaemia-released": ["epikrise", "homecare"],
    "copd-scale-2": [],
    "unknown-patient": ["handover"],
}


def resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def errors(validator: Validator, bundle: dict[str, Any]) -> str:
    return "\n".join(i.line() for i in validator.validate(bundle).errors)


def test_the_handover_of_a_patient_still_unknown_validates_without_errors(ppj_validator: Validator) -> None:
    """Before identification the Patient's family name is unknown (data-absent-reason, no value): ele-1
    holds for a primitive whose only children are extensions."""
    unidentified = [e for e in entries_of("unknown-patient") if e.kind not in ("correction", "retraction")]
    built = build_handover(state=state_of(unidentified), sender=SENDER, receiver=HOSPITAL)
    [patient] = resources(built.bundle, "Patient")
    assert "family" not in patient["name"][0] and "_family" in patient["name"][0]
    assert errors(ppj_validator, built.bundle) == ""
    patient["name"][0]["_family"] = {"id": "f1"}  # an id alone is no child: ele-1 fails, as it should
    assert "ele-1" in errors(ppj_validator, built.bundle)


def test_each_demo_journal_calls_for_exactly_the_messages_its_disposition_names() -> None:
    assert {s.name: called_for(state_of(list(s.entries))) for s in scenarios()} == CALLED_FOR


@pytest.mark.parametrize(
    ("scenario", "message_type"), [(s, t) for s, types in CALLED_FOR.items() for t in types]
)
def test_every_message_built_from_a_demo_journal_validates_without_errors(
    ppj_validator: Validator, scenario: str, message_type: Any
) -> None:
    built = build_message(
        state=state_of(entries_of(scenario)),
        message_type=message_type,
        sender=DEMO_ORGANISATIONS["sender"],
        receiver=DEMO_ORGANISATIONS[DEMO_RECEIVER_OF[message_type]],
    )
    assert errors(ppj_validator, built.bundle) == ""


def test_the_handover_names_our_profiles_and_event_and_focuses_the_prehospital_summary() -> None:
    bundle = build_handover(state=state_of(entries_of("stemi")), sender=SENDER, receiver=HOSPITAL).bundle
    header = bundle["entry"][0]["resource"]
    assert header["eventCoding"] == {
        "system": "http://ppj.dk/fhir/CodeSystem/ppj-message-events",
        "code": "prehospital-handover-message",
    }
    (composition,) = resources(bundle, "Composition")
    assert header["focus"] == [{"reference": f"Composition/{composition['id']}"}]
    assert [s["title"] for s in composition["section"]][:3] == ["Times", "Dispatch", "Chief complaint"]
    codes = {c["code"] for o in resources(bundle, "Observation") for c in o["code"]["coding"]}
    assert {"8480-6", "150021", "9269-2", "news2"} <= codes  # LOINC, MDC, GCS total, derived NEWS2
    assert {
        m["medicationCodeableConcept"]["coding"][0]["code"]
        for m in resources(bundle, "MedicationAdministration")
    } == {"B01AC06", "B01AB01"}


def test_our_profiles_reject_a_handover_with_a_medcom_event_code_or_a_missing_section(
    ppj_validator: Validator,
) -> None:
    bundle = build_handover(state=state_of(entries_of("stemi")), sender=SENDER, receiver=HOSPITAL).bundle
    bundle["entry"][0]["resource"]["eventCoding"]["code"] = "care-communication-message"
    (composition,) = resources(bundle, "Composition")
    composition["section"] = [s for s in composition["section"] if s["title"] != "Times"]
    found = errors(ppj_validator, bundle)
    assert "must be exactly 'prehospital-handover-message'" in found
    assert "slice 'times' of Composition.section: minimum required = 1" in found


def test_a_handover_is_refused_for_a_patient_released_on_scene() -> None:
    with pytest.raises(NotCalledForError, match="only for a transported patient"):
        build_handover(state=state_of(entries_of("hypoglycaemia-released")), sender=SENDER, receiver=HOSPITAL)


def test_a_handover_is_refused_before_the_journal_has_a_disposition() -> None:
    with pytest.raises(NotCalledForError, match="disposition is not recorded"):
        build_handover(state=state_of(entries_of("stroke")), sender=SENDER, receiver=HOSPITAL)


def test_no_epikrise_without_a_cpr_but_the_home_care_notice_may_use_a_replacement_cpr(
    ppj_validator: Validator,
) -> None:
    state = state_of(with_identity(entries_of("hypoglycaemia-released"), REPLACEMENT_ONLY))
    with pytest.raises(NotCalledForError, match="no epikrise without CPR"):
        build_care_communication(state=state, kind="epikrise", sender=SENDER, receiver=GP)
    notice = build_care_communication(state=state, kind="homecare", sender=SENDER, receiver=GP)
    assert errors(ppj_validator, notice.bundle) == ""


def test_no_home_care_notice_without_recorded_consent() -> None:
    with pytest.raises(NotCalledForError, match="consent"):
        build_care_communication(
            state=state_of(entries_of("stemi")), kind="homecare", sender=SENDER, receiver=GP
        )


def test_the_epikrise_text_is_in_psoap_order_with_the_physicians_order() -> None:
    bundle = build_care_communication(
        state=state_of(entries_of("hypoglycaemia-released")), kind="epikrise", sender=SENDER, receiver=GP
    ).bundle
    (communication,) = resources(bundle, "Communication")
    text = communication["payload"][0]["contentString"]
    assert [line[:2] for line in text.splitlines() if line[:1] != " "] == ["P:", "S:", "O:", "A:", "P:"]
    assert "Akutlæge, AMK Syddanmark" in text and "BS <1.1 mmol/L" in text


@pytest.mark.parametrize(
    ("receiver", "field"),
    [
        (Organisation(sor="123", gln="5790001348120", name="x"), "receiver.sor"),
        (Organisation(sor="953741000016009", gln="5790001348121", name="x"), "receiver.gln"),
    ],
)
def test_an_unaddressable_receiver_is_a_clear_error_naming_the_field(
    receiver: Organisation, field: str
) -> None:
    with pytest.raises(UnknownReceiverError, match=field):
        build_handover(state=state_of(entries_of("stemi")), sender=SENDER, receiver=receiver)


def test_a_message_without_a_known_receiver_is_refused() -> None:
    with pytest.raises(UnknownReceiverError, match="no receiver"):
        build_message(
            state=state_of(entries_of("stemi")), message_type="handover", sender=SENDER, receiver=None
        )


def test_an_oversized_message_is_refused_with_its_size() -> None:
    built = build_handover(
        state=state_of(entries_of("stemi")), sender=SENDER, receiver=HOSPITAL, max_bytes=1000
    )
    with pytest.raises(
        MessageTooLargeError, match="prehospital-handover-message is .* more than the limit of 1000"
    ):
        built.to_json()


def test_a_care_communication_needs_the_senders_phone() -> None:
    no_phone = Organisation(sor=SENDER.sor, gln=SENDER.gln, name=SENDER.name)
    with pytest.raises(MessageBuildError, match="sender.phone"):
        build_care_communication(
            state=state_of(entries_of("hypoglycaemia-released")),
            kind="epikrise",
            sender=no_phone,
            receiver=GP,
        )


def test_a_resend_keeps_the_message_header_id_and_gets_a_new_bundle_id() -> None:
    first = build_handover(state=state_of(entries_of("stemi")), sender=SENDER, receiver=HOSPITAL)
    again = for_resend(first, clock=clock("resend"))
    assert again.header_id == first.header_id
    assert again.bundle_id != first.bundle_id


def test_identifying_an_unknown_patient_after_sending_is_a_new_message_naming_the_previous_one(
    ppj_validator: Validator,
) -> None:
    entries = entries_of("unknown-patient")
    before = [e for e in entries if e.entry_id != identity_entry(entries).entry_id]
    sent = build_handover(state=state_of(before), sender=SENDER, receiver=HOSPITAL)
    assert (
        resources(sent.bundle, "Patient")[0]["identifier"][0]["system"]
        == "urn:ppj:identifier:unknown-patient"
    )
    correction = build_handover(
        state=state_of(entries), sender=SENDER, receiver=HOSPITAL, previous=SentMessage.of(sent.bundle)
    )
    assert correction.header_id != sent.header_id
    provenances = resources(correction.bundle, "Provenance")
    assert [p["activity"]["coding"][0]["code"] for p in provenances] == ["new-message", "modified-message"]
    assert provenances[-1]["entity"] == [
        {"role": "revision", "what": {"reference": f"MessageHeader/{sent.header_id}"}}
    ]
    assert resources(correction.bundle, "Composition")[0]["status"] == "amended"
    assert errors(ppj_validator, correction.bundle) == ""


def test_an_identity_changed_to_another_person_after_sending_goes_to_manual_handling() -> None:
    entries = entries_of("stemi")
    sent = build_handover(state=state_of(entries), sender=SENDER, receiver=HOSPITAL)
    with pytest.raises(WrongPatientError, match="manual handling"):
        build_handover(
            state=state_of(with_identity(entries, OTHER_PERSON)),
            sender=SENDER,
            receiver=HOSPITAL,
            previous=SentMessage.of(sent.bundle),
        )


def test_a_corrected_epikrise_is_a_reply_in_the_same_thread_that_keeps_the_first_text(
    ppj_validator: Validator,
) -> None:
    state = state_of(entries_of("hypoglycaemia-released"))
    first = build_care_communication(state=state, kind="epikrise", sender=SENDER, receiver=GP)
    second = build_care_communication(
        state=state,
        kind="epikrise",
        sender=SENDER,
        receiver=GP,
        previous=SentCareCommunication.of(first.bundle),
    )
    (c1,), (c2,) = resources(first.bundle, "Communication"), resources(second.bundle, "Communication")
    assert c2["identifier"] == c1["identifier"]
    assert c2["payload"][0]["contentString"] == c1["payload"][0]["contentString"]
    assert c2["payload"][1]["contentString"].startswith("RETTELSE")
    assert resources(second.bundle, "Provenance")[-1]["activity"]["coding"][0]["code"] == "reply-message"
    assert errors(ppj_validator, second.bundle) == ""


def test_the_handover_wire_format_matches_its_golden_file() -> None:
    built = build_handover(
        state=state_of(entries_of("stemi")), sender=SENDER, receiver=HOSPITAL, clock=clock("golden")
    )
    golden = GOLDEN / "handover-stemi.json"
    assert built.bundle == json.loads(golden.read_text(encoding="utf-8"))


def test_the_epikrise_wire_format_matches_its_golden_file() -> None:
    built = build_care_communication(
        state=state_of(entries_of("hypoglycaemia-released")),
        kind="epikrise",
        sender=SENDER,
        receiver=GP,
        clock=clock("golden"),
    )
    golden = GOLDEN / "epikrise-hypoglycaemia.json"
    assert built.bundle == json.loads(golden.read_text(encoding="utf-8"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    scenario=st.sampled_from(sorted(CALLED_FOR)),
    cut=st.floats(min_value=0.3, max_value=1.0),
    message_type=st.sampled_from(["handover", "epikrise", "homecare"]),
)
def test_any_journal_so_far_gets_a_valid_message_or_a_clear_refusal(
    ppj_validator: Validator, scenario: str, cut: float, message_type: Any
) -> None:
    entries = entries_of(scenario)
    state = state_of(entries[: max(1, int(len(entries) * cut))])
    receiver = DEMO_ORGANISATIONS[DEMO_RECEIVER_OF[message_type]]
    try:
        built = build_message(state=state, message_type=message_type, sender=SENDER, receiver=receiver)
    except MessageBuildError as refusal:
        assert str(refusal)
        return
    assert errors(ppj_validator, built.bundle) == ""
