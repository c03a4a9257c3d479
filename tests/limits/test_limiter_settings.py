"""LimiterSettings: one record of limiter numbers, checked once, shared by every limiter.

Constructing a RedisLimiter does no I/O, so its checks are tested here without a server.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest

import conversations_async as ca
from conversations_async import AdaptiveLimiter, InvalidArgumentError, LimiterSettings
from conversations_async.redis_limiter import RedisLimiter

ACCOUNT = "AC" + "0" * 32
NO_SERVER = "redis://127.0.0.1:1/0"

# Every field, with values each refused by the one rule both limiters now share. The RedisLimiter
# used to accept the ones marked "stricter", or fail on them with a raw TypeError.
BAD_SETTINGS: list[tuple[str, object]] = [
    ("max_permits", 0),
    ("max_permits", True),
    ("max_permits", 1.5),
    ("max_permits", "2"),
    ("initial_permits", 0),
    ("initial_permits", 51),
    ("initial_permits", True),
    ("initial_permits", 2.0),
    ("min_permits", 0),
    ("min_permits", 51),
    ("min_permits", False),
    ("grow_after", 0),
    ("grow_after", 2.5),
    ("writes_per_second", 0),
    ("writes_per_second", -1),
    ("writes_per_second", math.nan),
    ("writes_per_second", math.inf),
    ("writes_per_second", "30"),  # stricter
    ("writes_per_second", True),
    ("writes_per_second", 1e-320),  # the write interval overflows
    ("write_burst", 0),
    ("write_burst", 1.0),
    ("rate_margin", 0),
    ("rate_margin", 1.5),
    ("rate_margin", math.nan),
    ("rate_margin", "1"),  # stricter
    ("retry_after_cap", -1),
    ("retry_after_cap", math.inf),  # stricter
    ("retry_after_cap", math.nan),
    ("retry_after_cap", True),  # stricter
]


def make_redis(**options: Any) -> RedisLimiter:
    return RedisLimiter(NO_SERVER, account_sid=ACCOUNT, **options)


def refused_field(make: Any, field: str, value: object) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        make(**{field: value})
    assert raised.value.field == field


@pytest.mark.parametrize(("field", "value"), BAD_SETTINGS, ids=repr)
def test_each_bad_setting_is_refused_by_name(field: str, value: object) -> None:
    refused_field(LimiterSettings, field, value)


@pytest.mark.parametrize(("field", "value"), BAD_SETTINGS, ids=repr)
def test_both_limiters_refuse_the_same_settings(field: str, value: object) -> None:
    refused_field(AdaptiveLimiter, field, value)
    refused_field(make_redis, field, value)


def test_a_too_small_rate_margin_is_named() -> None:
    # The interval overflows because of the margin, not the rate: the margin is named.
    refused_field(
        lambda **kw: LimiterSettings(writes_per_second=1e-300, **kw), "rate_margin", 1e-10
    )


def test_defaults_and_derived_values() -> None:
    settings = LimiterSettings()
    assert attrs.asdict(settings) == {
        "max_permits": 50,
        "initial_permits": None,
        "min_permits": 1,
        "grow_after": 2,
        "writes_per_second": 30.0,
        "write_burst": 1,
        "rate_margin": 0.97,
        "retry_after_cap": 60.0,
        "probe_interval": 1.0,
        "probe_interval_max": 2.0,
    }
    assert settings.start_permits == 25  # slow start, below max_permits
    assert LimiterSettings(max_permits=8).start_permits == 8
    assert LimiterSettings(min_permits=30).start_permits == 30
    assert settings.write_interval == pytest.approx(1 / (30 * 0.97))
    assert LimiterSettings(initial_permits=5).start_permits == 5
    assert LimiterSettings(writes_per_second=None).write_interval is None
    assert ca.LimiterSettings is LimiterSettings


def test_frozen_and_evolve_checks_again() -> None:
    settings = LimiterSettings(max_permits=10)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        settings.max_permits = 20  # type: ignore[misc]
    assert attrs.evolve(settings, min_permits=4).min_permits == 4
    with pytest.raises(InvalidArgumentError) as raised:
        attrs.evolve(settings, min_permits=11)
    assert raised.value.field == "min_permits"


def test_keywords_build_the_settings() -> None:
    limiter = AdaptiveLimiter(max_permits=8, initial_permits=3, grow_after=2)
    assert limiter.settings == LimiterSettings(max_permits=8, initial_permits=3, grow_after=2)
    assert limiter.state.permits == 3
    redis_limiter = make_redis(max_permits=8, write_burst=2)
    assert redis_limiter.settings == LimiterSettings(max_permits=8, write_burst=2)


def test_a_settings_record_is_used_as_given() -> None:
    settings = LimiterSettings(max_permits=8, initial_permits=2, writes_per_second=10.0)
    limiter = AdaptiveLimiter(settings=settings)
    assert limiter.settings is settings
    assert limiter.state.permits == 2
    assert limiter.write_interval == settings.write_interval
    redis_limiter = make_redis(settings=settings)
    assert redis_limiter.settings is settings
    # The default fallback is built from the very same record.
    assert isinstance(redis_limiter.fallback, AdaptiveLimiter)
    assert redis_limiter.fallback.settings is settings


@pytest.mark.parametrize("make", [AdaptiveLimiter, make_redis], ids=["adaptive", "redis"])
def test_settings_and_its_keywords_are_not_both_given(make: Any) -> None:
    # Even a keyword equal to its default: which of the two was meant cannot be told.
    with pytest.raises(InvalidArgumentError) as raised:
        make(settings=LimiterSettings(max_permits=10), max_permits=50)
    assert raised.value.field == "max_permits"
    with pytest.raises(InvalidArgumentError) as raised:
        make(settings={"max_permits": 5})
    assert raised.value.field == "settings"


def test_arguments_that_are_not_settings_go_with_a_record() -> None:
    settings = LimiterSettings(max_permits=10)
    assert AdaptiveLimiter(settings=settings, key_sweep_interval=1.0).settings is settings
    assert make_redis(settings=settings, lease_seconds=1.0, namespace="ns").settings is settings


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lease_seconds", 0.05),
        ("lease_seconds", math.inf),
        ("lease_seconds", True),  # used to be accepted
        ("poll_interval", 0),
        ("poll_interval", math.inf),  # used to be accepted
        ("poll_interval", "0.1"),  # used to be a TypeError
        ("redis_timeout", 0),
        ("redis_timeout", math.nan),
        ("namespace", ""),
        ("namespace", "a{b}"),
        ("namespace", 5),  # used to be a TypeError
    ],
    ids=repr,
)
def test_redis_only_arguments_are_refused_by_name(field: str, value: object) -> None:
    refused_field(make_redis, field, value)
