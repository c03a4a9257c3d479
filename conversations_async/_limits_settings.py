"""The settings record shared by the adaptive limiters: :class:`LimiterSettings`, checked once.

:class:`~conversations_async.AdaptiveLimiter` and
:class:`~conversations_async.redis_limiter.RedisLimiter` (and the in-process fallback it builds)
read their numbers from one record, so a setting can neither be checked two ways nor be lost on
the way from one limiter to the other.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from ._checks import check_int, check_number
from ._types import NOT_GIVEN
from .errors import InvalidArgumentError


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
    at ``max_permits``. A ``RedisLimiter`` starts there while the account has no shared state
    in Redis (its first use, or after a day without reports)."""
    min_permits: int = 1
    """A 429 never halves the permits below this."""
    grow_after: int = 10
    """How many successes in a row add one permit back."""
    writes_per_second: float | None = 30.0
    """The write budget of one conversation or service; ``None`` turns write pacing off."""
    write_burst: int = 1
    """How many writes on an idle key may go at once before the spacing applies."""
    rate_margin: float = 0.97
    """The share of ``writes_per_second`` used, in (0, 1]: the rest absorbs network jitter."""
    retry_after_cap: float = 60.0
    """The longest ``Retry-After`` pause that holds every caller, in seconds (0: no pause)."""

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
        interval = self.write_interval
        if interval is not None and not math.isfinite(interval):
            # e.g. 1e-320 writes a second: the gap between two writes overflows to infinity.
            assert self.writes_per_second is not None
            too_small = math.isinf(1.0 / self.writes_per_second)
            field = "writes_per_second" if too_small else "rate_margin"
            raise InvalidArgumentError(field, "is too small: writes would never be allowed")

    @property
    def start_permits(self) -> int:
        """The permits to start with: ``initial_permits``, or ``max_permits`` when it is None."""
        return self.max_permits if self.initial_permits is None else self.initial_permits

    @property
    def write_interval(self) -> float | None:
        """Seconds between two writes on one key (``None`` when write pacing is off)."""
        if self.writes_per_second is None:
            return None
        return 1.0 / (self.writes_per_second * self.rate_margin)


def settings_from(settings: object, keywords: dict[str, Any]) -> LimiterSettings:
    """A limiter's settings: ``settings`` itself, or a record built from the keyword arguments
    that were given (those still ``NOT_GIVEN`` keep their defaults). Giving both is refused."""
    given = {name: value for name, value in keywords.items() if value is not NOT_GIVEN}
    if settings is None:
        return LimiterSettings(**given)
    if not isinstance(settings, LimiterSettings):
        kind = type(settings).__name__
        raise InvalidArgumentError("settings", f"must be a LimiterSettings, not {kind}")
    if given:
        first = next(iter(given))
        raise InvalidArgumentError(first, "cannot be given with settings: set it in the settings")
    return settings
