"""The numeric pad view-model: refusal on the spot, confirmation of implausible values, drafts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tablet_app import i18n
from tablet_app.errors import ViewModelStateError
from tablet_app.viewmodels.drafts import InMemoryDraftStoreForTests
from tablet_app.viewmodels.numeric_entry import EntryStatus, NumericEntryViewModel, NumericResult
from tablet_app.viewmodels.vital_fields import VITAL_FIELDS_BY_ID


def pad(
    field_id: str, drafts: InMemoryDraftStoreForTests | None = None
) -> tuple[NumericEntryViewModel, list[NumericResult]]:
    saved: list[NumericResult] = []
    vm = NumericEntryViewModel(
        spec=VITAL_FIELDS_BY_ID[field_id],
        drafts=drafts if drafts is not None else InMemoryDraftStoreForTests(),
        draft_scope="test",
        on_accept=saved.append,
    )
    return vm, saved


def test_a_decimal_comma_and_a_decimal_point_mean_the_same() -> None:
    comma, _ = pad("temperature")
    comma.type_text("37,5")
    point, _ = pad("temperature")
    point.type_text("37.5")
    assert comma.entry == point.entry == "37.5"
    assert comma.display_text() == "37,5"
    i18n.set_language("en")
    assert comma.display_text() == "37.5"


def test_a_plausible_value_is_saved_and_the_pad_says_so() -> None:
    vm, saved = pad("heart_rate")
    vm.type_text("88")
    vm.submit()
    assert saved == [NumericResult("heart_rate", Decimal(88), False, False)]
    assert vm.status is EntryStatus.ACCEPTED
    assert vm.message is not None and vm.message.render() == "Puls: 88 /min registreret."


def test_a_key_that_makes_the_value_meaningless_is_refused_and_the_entry_kept() -> None:
    vm, saved = pad("spo2")
    vm.type_text("10")
    vm.press("1")  # 101 % cannot be
    assert vm.entry == "10"
    assert vm.status is EntryStatus.REFUSED
    assert vm.message is not None and vm.message.render() == "SpO2 kan ikke være over 100 %."
    assert saved == []


def test_a_value_below_the_meaningful_minimum_is_refused_at_ok_not_while_typing() -> None:
    vm, saved = pad("temperature")
    vm.press("3")  # on the way to 35: must not be refused yet
    assert vm.status is EntryStatus.EDITING
    vm.submit()
    assert vm.status is EntryStatus.REFUSED
    assert vm.message is not None and vm.message.render() == "Temperatur kan ikke være under 10 °C."
    assert vm.entry == "3" and saved == []


def test_an_implausible_value_is_saved_only_after_confirmation_and_is_marked() -> None:
    vm, saved = pad("heart_rate")
    vm.type_text("260")
    vm.submit()
    assert vm.status is EntryStatus.AWAITING_CONFIRMATION and saved == []
    assert vm.message is not None and vm.message.render() == "Puls 260 /min er usædvanlig. Er værdien rigtig?"
    vm.confirm()
    assert saved == [NumericResult("heart_rate", Decimal(260), False, True)]


def test_correcting_an_implausible_value_keeps_it_for_editing() -> None:
    vm, saved = pad("heart_rate")
    vm.type_text("260")
    vm.submit()
    vm.revise()
    assert vm.status is EntryStatus.EDITING and vm.entry == "260" and saved == []
    with pytest.raises(ViewModelStateError):
        vm.confirm()


@pytest.mark.parametrize(
    ("field_id", "typed", "status"),
    [
        ("heart_rate", "20", EntryStatus.ACCEPTED),  # plausible minimum
        ("heart_rate", "19", EntryStatus.AWAITING_CONFIRMATION),
        ("heart_rate", "250", EntryStatus.ACCEPTED),
        ("heart_rate", "251", EntryStatus.AWAITING_CONFIRMATION),
        ("heart_rate", "0", EntryStatus.AWAITING_CONFIRMATION),  # only in cardiac arrest
        ("heart_rate", "400", EntryStatus.AWAITING_CONFIRMATION),  # meaningful maximum
        ("bp_systolic", "50", EntryStatus.ACCEPTED),
        ("bp_systolic", "49", EntryStatus.AWAITING_CONFIRMATION),
        ("bp_systolic", "281", EntryStatus.AWAITING_CONFIRMATION),
        ("respiratory_rate", "0", EntryStatus.AWAITING_CONFIRMATION),
        ("respiratory_rate", "61", EntryStatus.AWAITING_CONFIRMATION),
        ("spo2", "100", EntryStatus.ACCEPTED),
        ("spo2", "49", EntryStatus.AWAITING_CONFIRMATION),
        ("temperature", "42", EntryStatus.ACCEPTED),
        ("temperature", "42,1", EntryStatus.AWAITING_CONFIRMATION),
        ("temperature", "29,9", EntryStatus.AWAITING_CONFIRMATION),
        ("temperature", "9,9", EntryStatus.REFUSED),
        ("glucose", "1,0", EntryStatus.ACCEPTED),
        ("glucose", "0,9", EntryStatus.AWAITING_CONFIRMATION),
        ("glucose", "33,4", EntryStatus.AWAITING_CONFIRMATION),
    ],
)
def test_limits_hold_at_their_boundaries(field_id: str, typed: str, status: EntryStatus) -> None:
    vm, _ = pad(field_id)
    vm.type_text(typed)
    vm.submit()
    assert vm.status is status


def test_the_meaningful_maximum_refuses_the_key_just_above_it() -> None:
    vm, _ = pad("heart_rate")
    vm.type_text("40")
    vm.press("1")
    assert vm.entry == "40" and vm.status is EntryStatus.REFUSED


def test_format_limits_refuse_the_key_with_a_reason() -> None:
    vm, _ = pad("heart_rate")
    vm.press(",")
    assert vm.status is EntryStatus.REFUSED
    assert vm.message is not None and vm.message.render() == "Puls skrives som et helt tal."
    temp, _ = pad("temperature")
    temp.type_text("37,55")
    assert temp.entry == "37.5"
    assert temp.message is not None and temp.message.msg_id == "pad.refuse.too_many_decimals"


def test_ok_on_an_empty_pad_asks_for_a_value_or_not_measurable() -> None:
    vm, saved = pad("spo2")
    vm.submit()
    assert vm.status is EntryStatus.REFUSED and saved == []
    assert vm.message is not None and vm.message.msg_id == "pad.refuse.empty"


def test_not_measurable_is_saved_as_such_and_the_typed_value_comes_back_when_switched_off() -> None:
    vm, saved = pad("bp_systolic")
    vm.type_text("120")
    vm.toggle_not_measurable()
    vm.press("5")
    assert vm.status is EntryStatus.REFUSED and vm.entry == "120"
    vm.toggle_not_measurable()
    assert vm.entry == "120" and vm.not_measurable is False
    vm.toggle_not_measurable()
    vm.submit()
    assert saved == [NumericResult("bp_systolic", None, True, False)]


def test_a_draft_survives_a_crash_and_is_gone_after_saving() -> None:
    drafts = InMemoryDraftStoreForTests()
    first, _ = pad("temperature", drafts)
    first.type_text("38,2")
    del first  # the app dies here
    second, saved = pad("temperature", drafts)
    assert second.entry == "38.2"
    assert second.message is not None and second.message.msg_id == "pad.draft_restored"
    second.submit()
    assert saved[0].value == Decimal("38.2")
    assert drafts.bodies == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list("0123456789,.") + ["⌫", "NM", "OK"]), max_size=25))
def test_the_entry_is_never_emptied_except_by_saving_or_clear(keys: list[str]) -> None:
    vm, saved = pad("temperature")
    for key in keys:
        before = vm.entry
        accepted_before = len(saved)
        if key == "⌫":
            vm.backspace()
            assert vm.entry in (before, before[:-1])
        elif key == "NM":
            vm.toggle_not_measurable()
            assert vm.entry == before
        elif key == "OK":
            vm.submit()
            if len(saved) == accepted_before:
                assert vm.entry == before
        else:
            vm.press(key)
            assert vm.entry.startswith(before) or before == "0"
        assert vm.entry.count(".") <= 1
