"""When to send a request again, and how long to wait first. Pure: no I/O, no sleeping.

Twilio never processes a request it answered 429, and a connection that was never made cannot
have reached it, so both are retried for every method. A 5xx, a timeout or a connection cut
after sending may have been applied: those are retried only for GET and DELETE, unless the
caller opts in with ``retry_ambiguous_writes`` (``create_many`` instead reads back to check).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs

from ._checks import check_int, check_number
from ._sansio import Request, parse_retry_after
from .errors import (
    APIConnectionError,
    APIStatusError,
    ConversationsError,
    InvalidArgumentError,
    RateLimitError,
)


@attrs.frozen(kw_only=True)
class RetryEvent:
    """What the ``on_retry`` hook is told before each wait."""

    error: ConversationsError
    method: str
    url: str
    attempt: int
    """The attempt that just failed (1 for the first try)."""
    wait: float
    """The seconds about to be slept (after the hook, if it changed them)."""


RetryHook = Callable[[RetryEvent], float | None]
"""Called before each retry; return a float to wait that long instead, or None."""


# Validators raise InvalidArgumentError (a ValueError) naming the field, on construction and
# on attrs.evolve alike.


def _attempts(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    check_int(attribute.name, value, minimum=1)


def _seconds(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    # Finite: an infinite wait or cap would let one answer park a call for ever.
    check_number(attribute.name, value)


def _flag(instance: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise InvalidArgumentError(attribute.name, f"must be True or False, not {value!r}")


def _hook(
    instance: object, attribute: attrs.Attribute[RetryHook | None], value: RetryHook | None
) -> None:
    if value is not None and not callable(value):
        raise InvalidArgumentError(
            attribute.name, f"must be callable or None, not {type(value).__name__}"
        )


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How a Session retries. ``RetryPolicy(attempts=1)`` turns retries off.

    Waits follow ``Retry-After`` when the server sends it, otherwise exponential backoff from
    ``initial`` doubling up to ``max_wait``, with full jitter (a uniform random wait between 0 and
    the backoff) so that many clients do not retry in step. A ``Retry-After`` longer than
    ``retry_after_cap`` ends the retries at once: trying sooner than the server asked would only
    be refused again. No retry is started that would end after ``deadline`` seconds from the
    first try.

    ``attempts`` is an integer >= 1; the four durations are finite numbers of seconds >= 0.
    Anything else raises :class:`~conversations_async.errors.InvalidArgumentError` naming it.
    """

    attempts: int = attrs.field(default=8, validator=_attempts)
    """Total tries, the first one included."""
    initial: float = attrs.field(default=0.5, validator=_seconds)
    max_wait: float = attrs.field(default=8.0, validator=_seconds)
    jitter: bool = attrs.field(default=True, validator=_flag)
    deadline: float = attrs.field(default=45.0, validator=_seconds)
    retry_after_cap: float = attrs.field(default=60.0, validator=_seconds)
    retry_ambiguous_writes: bool = attrs.field(default=False, validator=_flag)
    """Also resend POSTs after a 5xx, timeout or disconnect. Off: a create may already be done."""
    on_retry: RetryHook | None = attrs.field(default=None, eq=False, validator=_hook)

    def should_retry(self, error: ConversationsError, request: Request) -> bool:
        """Whether ``error`` on ``request`` is worth another try (ignoring attempts and time)."""
        if isinstance(error, RateLimitError):
            return True
        if isinstance(error, APIConnectionError):
            if not error.sent:
                return True
            return request.idempotent or self.retry_ambiguous_writes
        if isinstance(error, APIStatusError) and error.status >= 500:
            return request.idempotent or self.retry_ambiguous_writes
        return False

    def next_wait(
        self,
        error: ConversationsError,
        request: Request,
        attempt: int,
        elapsed: float,
        *,
        rand: Callable[[], float] = random.random,
    ) -> float | None:
        """Seconds to wait before trying ``request`` again, or ``None`` to raise ``error`` now.

        ``error`` ended attempt number ``attempt`` (1-based), ``elapsed`` seconds after the first
        try began. ``None`` when the error is not worth retrying, the attempts are used up, the
        server's ``Retry-After`` exceeds ``retry_after_cap``, or the wait would end after the
        ``deadline``. After a 429 the Session also hands this wait to the limiter as the pause
        every caller shares, so that pause never outlasts what this policy allows.
        """
        if attempt >= self.attempts or not self.should_retry(error, request):
            return None
        retry_after = retry_after_of(error)
        if retry_after is not None and retry_after > self.retry_after_cap:
            return None
        wait = self.compute_wait(attempt, retry_after, rand=rand)
        if elapsed + wait > self.deadline:
            return None
        return wait

    def wait_for(
        self, error: ConversationsError, attempt: int, *, rand: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait after ``error`` ended attempt number ``attempt`` (1-based)."""
        return self.compute_wait(attempt, retry_after_of(error), rand=rand)

    def compute_wait(
        self,
        attempt: int,
        retry_after: float | None = None,
        *,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        ``retry_after`` (the server's ``Retry-After`` in seconds) wins, capped at
        ``retry_after_cap``; otherwise ``min(max_wait, initial * 2**(attempt-1))``, times a
        uniform random factor in [0, 1) when ``jitter`` is on ("full jitter").
        """
        if retry_after is not None and retry_after == retry_after:  # NaN is not a wait
            return min(max(retry_after, 0.0), self.retry_after_cap)
        exponent = min(max(attempt - 1, 0), 64)  # 2.0**1100 would overflow
        backoff = min(self.max_wait, self.initial * 2.0**exponent)
        return backoff * rand() if self.jitter else backoff


def retry_after_of(error: ConversationsError) -> float | None:
    """The server's ``Retry-After`` (seconds or an HTTP date) carried by ``error``, if any.

    Twilio may send it with a 429 and, like any HTTP server, with a 503.
    """
    if isinstance(error, RateLimitError):
        return error.retry_after
    if isinstance(error, APIStatusError):
        return parse_retry_after(error.headers.get("Retry-After"))
    return None


DEFAULT_RETRY = RetryPolicy()
