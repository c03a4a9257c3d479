"""The settings record shared by the adaptive limiters: :class:`LimiterSettings`, checked once.

:class:`~conversations_async.AdaptiveLimiter` and
:class:`~conversations_async.redis_limiter.RedisLimiter` (and the in-process fallback it builds)
read their numbers from one record, so a setting can neither be checked two ways nor be lost on
the way from one limiter to the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import attrs

from ._checks import check_int, check_number
from ._types import NOT_GIVEN
from .errors import InvalidArgumentError

SLOW_START_PERMITS: Final = 25
"""The permits to start with when ``initial_permits`` is None (or ``max_permits``, if fewer).

Each request above the cap in the first round trip costs a 429 (answered at once, retried);
each permit below it a share of a round trip. From 25, growing by half each round trip
(25, 37, 56), slow start reaches the default ``max_permits`` of 50 in two round trips, where
20 took three (20, 30, 45, 50) and lost more than a whole round's worth of requests."""
APS_SLOWDOWN_MAX: Final = 8
"""An actions-per-second 429 doubles its key's spacing between writes, up to this many times
the ``writes_per_second`` spacing."""
APS_MEMORY: Final = 10.0
"""Seconds after its last actions-per-second 429 that a key stays slowed down."""
APS_WINDOW: Final = 1.0
"""The 429s of one key within this many seconds of its last slowdown slow it no further: the
budget is per second, so refusals within one second answer the same burst."""


@attrs.frozen(kw_only=True)
class LimiterSettings:
    """The numbers of an adaptive limiter, each checked when the record is made.

    A bad value raises :class:`~conversations_async.errors.InvalidArgumentError` naming its
    field. Pass one record to several limiters (``AdaptiveLimiter(settings=...)``,
    ``RedisLimiter(..., settings=...)``) to give them the same limits; :func:`attrs.evolve`
    makes a changed copy, checked again.
    """

    max_permits: int = 50
    """The most requests in flight (for a ``RedisLimiter``: over all its workers together)."""
    initial_permits: int | None = None
    """The permits to start with, between ``min_permits`` and ``max_permits``; ``None`` starts
    at 25 (or ``max_permits``, if fewer). A ``RedisLimiter`` starts there while the account has
    no shared state in Redis (its first use, or after a day without reports)."""
    min_permits: int = 1
    """A 429 never brings the permits below this."""
    grow_after: int = 2
    """Until the first 429 (while the account's cap is unknown), how many successes add one
    permit: with 2 the permits grow by half every round trip (1 doubles them, as TCP's slow
    start does, but then the round that finds the cap can overshoot it by a whole cap)."""
    writes_per_second: float | None = 30.0
    """The write budget of one conversation or service; ``None`` turns write pacing off."""
    write_burst: int = 1
    """How many writes on an idle key may go at once before the spacing applies."""
    rate_margin: float = 0.97
    """The share of ``writes_per_second`` used, in (0, 1]: the rest absorbs network jitter."""
    retry_after_cap: float = 60.0
    """The longest ``Retry-After`` pause that holds every caller, in seconds (0: no pause)."""
    probe_interval: float = 1.0
    """Seconds after a 429 before the limiter tries more permits than its estimate of the
    account's cap (the cap may have risen, or another client left). Doubled each time the
    server refuses the try, up to ``probe_interval_max``; reset when it accepts."""
    probe_interval_max: float = 2.0
    """The longest wait between two tries above the estimate, in seconds: a cap that rises is
    found within about this long."""

    def __attrs_post_init__(self) -> None:
        check_int("max_permits", self.max_permits, minimum=1)
        check_int("min_permits", self.min_permits, minimum=1)
        if self.min_permits > self.max_permits:
            raise InvalidArgumentError("min_permits", "must not exceed max_permits")
        if self.initial_permits is not None:
            check_int("initial_permits", self.initial_permits, minimum=self.min_permits)
            if self.initial_permits > self.max_permits:
                raise InvalidArgumentError("initial_permits", "must not exceed max_permits")
        check_int("grow_after", self.grow_after, minimum=1)
        if self.writes_per_second is not None:
            check_number("writes_per_second", self.writes_per_second, exclusive=True)
        check_int("write_burst", self.write_burst, minimum=1)
        check_number("rate_margin", self.rate_margin, exclusive=True, maximum=1.0)
        check_number("retry_after_cap", self.retry_after_cap)
        check_number("probe_interval", self.probe_interval, exclusive=True)
        check_number("probe_interval_max", self.probe_interval_max, exclusive=True)
        if self.probe_interval_max < self.probe_interval:
            raise InvalidArgumentError("probe_interval_max", "must not be below probe_interval")
        interval = self.write_interval
        if interval is not None and not math.isfinite(interval):
            # e.g. 1e-320 writes a second: the gap between two writes overflows to infinity.
            assert self.writes_per_second is not None
            too_small = math.isinf(1.0 / self.writes_per_second)
            field = "writes_per_second" if too_small else "rate_margin"
            raise InvalidArgumentError(field, "is too small: writes would never be allowed")

    @property
    def start_permits(self) -> int:
        """The permits to start with: ``initial_permits``, or when it is None the lesser of
        ``max_permits`` and 25 (slow start: successes grow it until the first 429)."""
        if self.initial_permits is None:
            return min(self.max_permits, max(self.min_permits, SLOW_START_PERMITS))
        return self.initial_permits

    @property
    def write_interval(self) -> float | None:
        """Seconds between two writes on one key (``None`` when write pacing is off)."""
        if self.writes_per_second is None:
            return None
        return 1.0 / (self.writes_per_second * self.rate_margin)


def settings_from(settings: object, arguments: Mapping[str, Any]) -> LimiterSettings:
    """A limiter's settings: ``settings`` itself, or a record built from the keyword arguments
    named like its fields (``arguments``: the constructor's ``locals()``) that were given (those
    still ``NOT_GIVEN`` keep their defaults). Giving both is refused."""
    given = {
        name: arguments[name]
        for name in _FIELD_NAMES
        if arguments.get(name, NOT_GIVEN) is not NOT_GIVEN
    }
    if settings is None:
        return LimiterSettings(**given)
    if not isinstance(settings, LimiterSettings):
        kind = type(settings).__name__
        raise InvalidArgumentError("settings", f"must be a LimiterSettings, not {kind}")
    if given:
        first = next(iter(given))
        raise InvalidArgumentError(first, "cannot be given with settings: set it in the settings")
    return settings


_FIELD_NAMES: Final = tuple(field.name for field in attrs.fields(LimiterSettings))
