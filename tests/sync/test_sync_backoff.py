"""Backoff with full jitter: the schedule's properties (Hypothesis) and its clock-offset companion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.backoff import Backoff
from sync.clock_offset import estimate_offset

backoffs = st.builds(
    lambda base, factor: Backoff(base_s=base, cap_s=base * factor),
    st.floats(0.01, 10),
    st.floats(1, 10_000),
)
unit = st.floats(0, 1, exclude_max=True)


@given(backoff=backoffs, attempt=st.integers(0, 10_000), r=unit)
def test_every_delay_lies_between_zero_and_the_ceiling_and_never_beyond_the_cap(
    backoff: Backoff, attempt: int, r: float
) -> None:
    delay = backoff.delay(attempt, rand=lambda: r)
    assert 0 <= delay <= backoff.ceiling(attempt) <= backoff.cap_s


@given(backoff=backoffs, attempt=st.integers(0, 1000))
def test_the_ceiling_doubles_until_it_reaches_the_cap(backoff: Backoff, attempt: int) -> None:
    now, after = backoff.ceiling(attempt), backoff.ceiling(attempt + 1)
    assert after == min(backoff.cap_s, 2 * now) or after == backoff.cap_s
    assert after >= now


@given(backoff=backoffs, attempt=st.integers(0, 100))
def test_the_jitter_spans_the_whole_range(backoff: Backoff, attempt: int) -> None:
    assert backoff.delay(attempt, rand=lambda: 0.0) == 0.0
    assert backoff.delay(attempt, rand=lambda: 0.5) == pytest.approx(backoff.ceiling(attempt) / 2)


@given(backoff=backoffs, attempt=st.integers(0, 100), r=unit, hint=st.floats(0.001, 1e6))
def test_retry_after_is_a_floor_capped_like_the_rest(
    backoff: Backoff, attempt: int, r: float, hint: float
) -> None:
    delay = backoff.delay(attempt, rand=lambda: r, retry_after=hint)
    assert delay >= min(hint, backoff.cap_s)
    assert delay <= max(backoff.ceiling(attempt), min(hint, backoff.cap_s))


def test_a_backoff_needs_a_positive_base_below_its_cap() -> None:
    with pytest.raises(ValueError, match="base_s"):
        Backoff(base_s=0, cap_s=1)
    with pytest.raises(ValueError, match="base_s"):
        Backoff(base_s=5, cap_s=1)


@given(
    offset_s=st.floats(-86_400 * 2, 86_400 * 2),
    out_ms=st.integers(0, 5_000),
    back_ms=st.integers(0, 5_000),
    server_ms=st.integers(0, 2_000),
)
def test_the_offset_estimate_is_within_half_the_round_trip_of_the_truth(
    offset_s: float, out_ms: int, back_ms: int, server_ms: int
) -> None:
    t0 = datetime(2026, 11, 25, 12, tzinfo=UTC)
    t1 = t0 + timedelta(seconds=offset_s, milliseconds=out_ms)
    t2 = t1 + timedelta(milliseconds=server_ms)
    t3 = t2 - timedelta(seconds=offset_s) + timedelta(milliseconds=back_ms)
    sample = estimate_offset(sent_at=t0, server_received_at=t1, server_sent_at=t2, received_at=t3)
    assert sample.rtt_ms == pytest.approx(out_ms + back_ms, abs=0.01)
    assert abs(sample.offset_ms - offset_s * 1000) <= sample.rtt_ms / 2 + 0.01
