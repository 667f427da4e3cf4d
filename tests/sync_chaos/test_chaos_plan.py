"""A run's plan is a pure function of (seed, run): ``--first-run N --runs 1`` replays run N's faults
whatever ran before it or beside it (``--parallel``)."""

from __future__ import annotations

from ppj.sync_chaos.plan import make_plan


def test_the_same_seed_and_run_give_the_same_plan() -> None:
    first = make_plan(seed=2026, run=412, devices=3, servers=2, quick=False)
    again = make_plan(seed=2026, run=412, devices=3, servers=2, quick=False)
    assert first == again and first.describe() == again.describe()


def test_another_run_or_seed_gives_another_plan() -> None:
    plan = make_plan(seed=2026, run=412, devices=3, servers=2, quick=False)
    assert plan.describe() != make_plan(seed=2026, run=413, devices=3, servers=2, quick=False).describe()
    assert plan.describe() != make_plan(seed=2027, run=412, devices=3, servers=2, quick=False).describe()
    assert plan.journals != make_plan(seed=2026, run=413, devices=3, servers=2, quick=False).journals
