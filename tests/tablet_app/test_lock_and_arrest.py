"""Lock/unlock and the cardiac-arrest timer, driven by a hand-moved clock."""

from __future__ import annotations

from tablet_app.auth import SessionPin
from tablet_app.viewmodels.arrest_timer import ArrestTimerViewModel, format_elapsed
from tablet_app.viewmodels.lock import MAX_FAILED_UNLOCKS, LockState, LockViewModel
from tests.tablet_app.fakes import ManualClock, RecordingHaptics, SwitchableKeepAwake


def lock_vm(clock: ManualClock, timeout_s: float = 120) -> LockViewModel:
    return LockViewModel(clock=clock, verifier=SessionPin("2580"), timeout_s=timeout_s)


def enter(vm: LockViewModel, pin: str) -> None:
    for digit in pin:
        vm.press_digit(digit)
    vm.submit()


def test_the_right_pin_unlocks_and_a_wrong_one_says_how_many_tries_are_left() -> None:
    vm = lock_vm(ManualClock())
    vm.lock()
    enter(vm, "1111")
    assert vm.state is LockState.LOCKED
    assert (
        vm.message is not None
        and vm.message.render() == f"Forkert PIN. {MAX_FAILED_UNLOCKS - 1} forsøg tilbage."
    )
    enter(vm, "2580")
    assert vm.state is LockState.UNLOCKED and vm.failed_attempts == 0


def test_too_many_wrong_pins_require_a_full_log_in() -> None:
    vm = lock_vm(ManualClock())
    vm.lock()
    for _ in range(MAX_FAILED_UNLOCKS):
        enter(vm, "0000")
    assert vm.state is LockState.LOGIN_REQUIRED
    enter(vm, "2580")
    assert vm.state is LockState.LOGIN_REQUIRED


def test_auto_lock_after_idle_timeout_but_not_while_touched() -> None:
    clock = ManualClock()
    vm = lock_vm(clock, timeout_s=60)
    clock.advance(59)
    vm.tick()
    vm.note_activity()
    clock.advance(59)
    vm.tick()
    assert vm.state is LockState.UNLOCKED
    clock.advance(1)
    vm.tick()
    assert vm.state is LockState.LOCKED


def test_arrest_mode_keeps_the_screen_awake_and_suspends_auto_lock_until_stopped() -> None:
    clock = ManualClock()
    lock = lock_vm(clock, timeout_s=60)
    awake = SwitchableKeepAwake(available=True)
    timer = ArrestTimerViewModel(clock=clock, keep_awake=awake, haptics=RecordingHaptics(), lock=lock)
    timer.start()
    assert awake.inhibited and not timer.keep_awake_unavailable
    clock.advance(600)
    lock.tick()
    assert lock.state is LockState.UNLOCKED
    timer.stop()
    assert not awake.inhibited
    clock.advance(59)
    lock.tick()
    assert lock.state is LockState.UNLOCKED  # idle time counts from the stop, not from before
    clock.advance(1)
    lock.tick()
    assert lock.state is LockState.LOCKED


def test_the_timer_marks_each_two_minute_cycle_once_with_haptic_feedback() -> None:
    clock = ManualClock()
    haptics = RecordingHaptics()
    timer = ArrestTimerViewModel(
        clock=clock, keep_awake=SwitchableKeepAwake(available=True), haptics=haptics, lock=lock_vm(clock)
    )
    timer.start()
    clock.advance(119)
    assert timer.tick() is False and timer.cycle_number() == 1
    assert timer.seconds_to_next_cycle() == 1
    clock.advance(1)
    assert timer.tick() is True and timer.cycle_number() == 2
    assert timer.tick() is False
    assert haptics.buzzes == [400]
    assert format_elapsed(timer.elapsed_s()) == "02:00"
    assert format_elapsed(3725) == "1:02:05"


def test_the_timer_warns_when_the_screen_cannot_be_kept_awake_and_uses_corrected_now() -> None:
    clock = ManualClock()
    from datetime import timedelta

    clock.set_server_offset(offset=timedelta(seconds=30), measured_at=clock.device_now())
    timer = ArrestTimerViewModel(
        clock=clock,
        keep_awake=SwitchableKeepAwake(available=False),
        haptics=RecordingHaptics(),
        lock=lock_vm(clock),
    )
    timer.start()
    assert timer.keep_awake_unavailable
    assert timer.started_at == clock.device_now() + timedelta(seconds=30)


def test_a_re_log_in_during_an_arrest_hands_the_running_timer_to_the_new_lock() -> None:
    clock = ManualClock()
    old_lock, new_lock = lock_vm(clock, timeout_s=60), lock_vm(clock, timeout_s=60)
    timer = ArrestTimerViewModel(
        clock=clock, keep_awake=SwitchableKeepAwake(available=True), haptics=RecordingHaptics(), lock=old_lock
    )
    timer.start()
    clock.advance(30)
    timer.attach_lock(new_lock)
    assert timer.running and timer.elapsed_s() == 30
    assert new_lock.auto_lock_suspended and not old_lock.auto_lock_suspended
    timer.stop()
    assert not new_lock.auto_lock_suspended
