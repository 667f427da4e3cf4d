"""The hybrid logical clock's laws (Hypothesis) and device-made UUIDv7 ids."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal.errors import InvalidHlcError
from journal.hlc import Hlc, HybridClock
from journal.ids import new_uuid7, uuid7_from, uuid7_unix_ms

writers = st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True)
stamps = st.builds(Hlc, st.integers(0, 10**13), st.integers(0, 10**6), writers)


class ScriptedClock:
    """A physical clock that reads whatever the test says next (it may go backwards)."""

    def __init__(self, readings: list[int]) -> None:
        self.readings = readings
        self.i = 0

    def __call__(self) -> int:
        value = self.readings[self.i % len(self.readings)]
        self.i += 1
        return value


@settings(max_examples=60)
@given(
    st.lists(st.integers(0, 10**12), min_size=1, max_size=40),
    st.lists(st.booleans(), min_size=1, max_size=40),
)
def test_a_writers_stamps_strictly_increase_whatever_its_physical_clock_does(
    readings: list[int], receive_flags: list[bool]
) -> None:
    clock = HybridClock("tab-1", physical_ms=ScriptedClock(readings))
    previous = clock.last
    for i, receive in enumerate(receive_flags):
        stamp = clock.receive(Hlc(readings[i % len(readings)], i, "other")) if receive else clock.tick()
        assert stamp > previous
        previous = stamp


@settings(max_examples=60)
@given(stamps, st.integers(0, 10**13), st.integers(-(10**9), 10**9))
def test_a_stamp_made_after_receiving_orders_after_the_received_stamp_under_any_skew(
    seen: Hlc, now: int, skew: int
) -> None:
    clock = HybridClock("receiver", physical_ms=lambda: max(0, now + skew))
    clock.tick()
    assert clock.receive(seen) > seen
    assert clock.tick() > seen


@settings(max_examples=40)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans()), min_size=1, max_size=30),
    st.tuples(st.integers(-(10**7), 10**7), st.integers(-(10**7), 10**7), st.integers(-(10**7), 10**7)),
)
def test_causal_order_holds_between_writers_with_skewed_clocks(
    script: list[tuple[str, bool]], skews: tuple[int, int, int]
) -> None:
    """Messages pass between three writers whose clocks are minutes apart; every stamp a writer makes after
    seeing another's stamp orders after it."""
    base = [10**12]
    clocks = {
        name: HybridClock(name, physical_ms=lambda s=skew: base[0] + s)
        for name, skew in zip(["a", "b", "c"], skews, strict=True)
    }
    last_sent: Hlc | None = None
    for name, receives in script:
        base[0] += 7
        clock = clocks[name]
        if receives and last_sent is not None:
            stamp = clock.receive(last_sent)
            assert stamp > last_sent
        else:
            stamp = clock.tick()
        last_sent = stamp


@settings(max_examples=80)
@given(stamps, stamps)
def test_the_string_form_sorts_exactly_like_the_stamps(a: Hlc, b: Hlc) -> None:
    assert (a < b) == (a.encode() < b.encode())
    assert (a == b) == (a.encode() == b.encode())
    assert Hlc.parse(a.encode()) == a


def test_ties_in_time_and_counter_are_broken_by_writer_id() -> None:
    assert Hlc(5, 0, "tab-a") < Hlc(5, 0, "tab-b")
    assert Hlc(5, 1, "tab-a") > Hlc(5, 0, "tab-b")


@pytest.mark.parametrize(
    "text", ["", "123.0.x", "000000000000001.0000000000.", "000000000000001.0000000000.a b"]
)
def test_a_malformed_stamp_is_refused(text: str) -> None:
    with pytest.raises(InvalidHlcError):
        Hlc.parse(text)


def test_uuid7_has_version_7_the_rfc_variant_and_its_millisecond() -> None:
    u = uuid7_from(unix_ms=1_764_000_000_123, rand_a=5, rand_b=99)
    assert u.version == 7
    assert u.variant == uuid.RFC_4122
    assert uuid7_unix_ms(u) == 1_764_000_000_123


def test_new_uuid7s_strictly_increase_within_one_process() -> None:
    ids = [new_uuid7() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(u.version == 7 for u in ids)
