"""Which message a journal calls for, and building it by type (handover, epikrise, homecare).

``called_for(state)`` lists the message types the journal's disposition calls for; ``build_message`` builds
one type and refuses (``NotCalledForError``) a type the journal does not call for.

``DEMO_ORGANISATIONS`` are the organisations of the official MedCom examples (SOR and GLN as published in
reference/medcom/examples), for the CLI and tests until the server's organisation registry supplies real
ones; they are test addresses, never production receivers.
"""

from __future__ import annotations

from typing import Literal

from journal.state import JournalState
from medcom.care_communication import build_care_communication
from medcom.errors import MessageBuildError, UnknownReceiverError
from medcom.handover_message import BuiltMessage, build_handover
from medcom.message_parts import MessageClock, Organisation

MessageType = Literal["handover", "epikrise", "homecare"]
MESSAGE_TYPES: tuple[MessageType, ...] = ("handover", "epikrise", "homecare")

DEMO_ORGANISATIONS: dict[str, Organisation] = {
    # MedCom CareCommunication 5.0.2 example Bundle-add5e7e2…: the sender hospital department.
    "sender": Organisation(
        sor="265161000016000",
        gln="5790000209354",
        name="Hjerteafdelingen på Herlev og Gentofte hospital (MedCom example, as PPJ demo sender)",
        phone="38683868",
    ),
    # Same example's receiver.
    "hospital": Organisation(
        sor="953741000016009", gln="5790001348120", name="Plejecenter Herlev (MedCom example)"
    ),
    # MedCom example GP practice (Skødstrup Lægepraksis).
    "gp": Organisation(
        sor="52581000016005", gln="5790000127092", name="Skødstrup Lægepraksis (MedCom example)"
    ),
    # MedCom example municipal home care (Pleje og Rehabilitering).
    "homecare": Organisation(
        sor="1144561000016002", gln="5790000123117", name="Pleje og Rehabilitering (MedCom example)"
    ),
}
DEMO_RECEIVER_OF: dict[MessageType, str] = {"handover": "hospital", "epikrise": "gp", "homecare": "homecare"}


def build_message(
    *,
    state: JournalState,
    message_type: MessageType,
    sender: Organisation,
    receiver: Organisation | None,
    clock: MessageClock | None = None,
) -> BuiltMessage:
    """Build the message of ``message_type`` for the journal; NotCalledForError when the journal does not
    call for it, UnknownReceiverError when there is no (valid) receiver."""
    if receiver is None:
        raise UnknownReceiverError(f"no receiver is known for the {message_type} of this journal")
    if message_type == "handover":
        return build_handover(state=state, sender=sender, receiver=receiver, clock=clock)
    return build_care_communication(
        state=state, kind=message_type, sender=sender, receiver=receiver, clock=clock
    )


def called_for(state: JournalState, *, sender: Organisation | None = None) -> list[MessageType]:
    """The message types this journal calls for (built once each with the demo receivers to decide)."""
    sender = sender or DEMO_ORGANISATIONS["sender"]
    out: list[MessageType] = []
    for message_type in MESSAGE_TYPES:
        receiver = DEMO_ORGANISATIONS[DEMO_RECEIVER_OF[message_type]]
        try:
            build_message(state=state, message_type=message_type, sender=sender, receiver=receiver)
        except MessageBuildError:
            continue
        out.append(message_type)
    return out
