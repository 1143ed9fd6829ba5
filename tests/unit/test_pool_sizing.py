"""keygen's sizing rule: the claim rate seen between runs sets the pool's target."""

from __future__ import annotations

import pytest

from snip.operations.key_pool import DEMAND_HORIZON, GROWTH_LIMIT, Sizing, plan_sizing
from snip.settings import read_settings

SETTINGS = read_settings({})  # target 50: the floor
FLOOR = SETTINGS.pool_target


def after(size: int, rate: float = 0.0, target: int = FLOOR, at: float = 1000.0) -> Sizing:
    return Sizing(size=size, at=at, rate=rate, target=target)


def test_a_first_run_aims_at_the_configured_target() -> None:
    assert plan_sizing(None, 0, 1000.0, SETTINGS) == (0.0, FLOOR)


@pytest.mark.parametrize(
    ("taken", "seconds", "rate", "target"),
    [
        (0, 60, 0.0, FLOOR),
        (30, 60, 0.5, FLOOR),  # 45 keys of demand over the horizon: the floor is more
        (300, 60, 5.0, 450),
        (40, 10, 4.0, 360),
        (90, 10, 9.0, 810),
    ],
)
def test_the_target_holds_the_horizon_of_the_rate_seen(
    taken: int, seconds: int, rate: float, target: int
) -> None:
    last = after(size=1000, target=1000)
    assert plan_sizing(last, 1000 - taken, 1000.0 + seconds, SETTINGS) == (rate, target)


def test_a_run_seconds_after_the_last_counts_at_least_one_second() -> None:
    assert plan_sizing(after(size=100, target=100), 90, 1000.2, SETTINGS)[0] == 10.0


def test_keys_added_by_another_run_are_not_demand() -> None:
    assert plan_sizing(after(size=50), 120, 1060.0, SETTINGS) == (0.0, FLOOR)


def test_the_rate_falls_by_half_per_quiet_run_and_the_target_returns_to_the_floor() -> None:
    last = after(size=900, rate=10.0, target=900)
    targets = []
    for _ in range(9):
        rate, target = plan_sizing(last, last.size, last.at + 60, SETTINGS)
        targets.append(target)
        last = Sizing(size=last.size, at=last.at + 60, rate=rate, target=target)
    assert targets[:3] == [450, 225, 113]
    assert targets[-1] == FLOOR
    assert targets == sorted(targets, reverse=True)


def test_a_higher_rate_is_followed_at_once() -> None:
    rate, target = plan_sizing(after(size=900, rate=1.0, target=900), 300, 1060.0, SETTINGS)
    assert (rate, target) == (10.0, 900)


def test_a_pool_found_nearly_dry_doubles_the_last_target() -> None:
    """The creates that fell back took no pool key: the rate seen is below the real one."""
    rate, target = plan_sizing(after(size=400, target=400), 5, 1000.0 + 300, SETTINGS)
    assert 395 / 300 * DEMAND_HORIZON < 800  # what the rate seen alone would ask for
    assert target == 800
    assert rate == pytest.approx(800 / DEMAND_HORIZON)  # remembered: the next quiet run halves it


def test_the_rate_remembered_is_capped_with_the_target() -> None:
    rate, target = plan_sizing(after(size=1000, target=1000), 0, 1001.0, SETTINGS)
    assert target == FLOOR * GROWTH_LIMIT
    assert rate == pytest.approx(target / DEMAND_HORIZON)
