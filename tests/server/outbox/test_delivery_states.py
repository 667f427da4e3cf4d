"""The delivery state machine, every (state, event) pair: the table below is the specification."""

from __future__ import annotations

import pytest

from server.outbox.errors import TransitionRefused
from server.outbox.states import (
    FINAL,
    TRANSITIONS,
    DeliveryEvent,
    DeliveryState,
    claim_event,
    transition,
)

S, E = DeliveryState, DeliveryEvent

# Written out independently of server.outbox.states.TRANSITIONS: a change there must change this too.
EXPECTED: dict[tuple[DeliveryState, DeliveryEvent], DeliveryState] = {
    (S.queued, E.claim): S.sending,
    (S.queued, E.hold): S.manual_handling,
    (S.sending, E.reclaim): S.sending,
    (S.sending, E.ack_ok): S.acknowledged,
    (S.sending, E.ack_fatal): S.rejected,
    (S.sending, E.rejected): S.rejected,
    (S.sending, E.accepted_no_ack): S.awaiting_ack,
    (S.sending, E.retry_later): S.failed_retrying,
    (S.sending, E.give_up): S.dead_letter,
    (S.awaiting_ack, E.ack_timeout): S.sending,
    (S.awaiting_ack, E.ack_ok): S.acknowledged,
    (S.awaiting_ack, E.ack_fatal): S.rejected,
    (S.awaiting_ack, E.retry_later): S.failed_retrying,
    (S.awaiting_ack, E.give_up): S.dead_letter,
    (S.failed_retrying, E.claim): S.sending,
    (S.failed_retrying, E.ack_ok): S.acknowledged,
    (S.failed_retrying, E.give_up): S.dead_letter,
    (S.dead_letter, E.ack_ok): S.acknowledged,
    (S.dead_letter, E.retry): S.queued,
    (S.rejected, E.retry): S.queued,
    (S.manual_handling, E.retry): S.queued,
}

ALL_PAIRS = [(state, event) for state in DeliveryState for event in DeliveryEvent]


@pytest.mark.parametrize(("state", "event"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_state_and_event_leads_to_the_listed_state_or_is_refused(
    state: DeliveryState, event: DeliveryEvent
) -> None:
    if (state, event) in EXPECTED:
        assert transition(state, event) is EXPECTED[(state, event)]
    else:
        with pytest.raises(TransitionRefused) as refused:
            transition(state, event)
        assert (refused.value.state, refused.value.event) == (state.value, event.value)


def test_the_module_table_is_exactly_the_specified_one() -> None:
    assert TRANSITIONS == EXPECTED


def test_an_acknowledged_delivery_never_changes_again() -> None:
    assert {S.acknowledged} == FINAL
    assert not [pair for pair in EXPECTED if pair[0] in FINAL]


def test_every_state_is_reachable_from_queued() -> None:
    reached, frontier = {S.queued}, [S.queued]
    while frontier:
        state = frontier.pop()
        for (source, _), target in EXPECTED.items():
            if source is state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(DeliveryState)


def test_a_claim_of_an_overdue_ack_is_a_resend_and_of_an_expired_lease_a_reclaim() -> None:
    assert claim_event(S.queued) is E.claim
    assert claim_event(S.failed_retrying) is E.claim
    assert claim_event(S.awaiting_ack) is E.ack_timeout
    assert claim_event(S.sending) is E.reclaim
