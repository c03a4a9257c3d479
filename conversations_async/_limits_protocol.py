"""What a limiter is: the protocol the Session calls, its state record, and the write keys.

Twilio enforces two kinds of limit (API-FACTS.md section 4):

1. account concurrency, answered with HTTP 429 / code 20429 (or no code);
2. 30 writes per second per conversation (participant create/update/delete, conversation
   update) and per service (conversation create/delete): "actions per second", answered with
   HTTP 429 and code 50063 or 50074 (:data:`APS_CODES`).

The Session asks a :class:`Limiter` for a :class:`Slot` around each single send-and-read and tells
the slot how it went. Anything that implements the protocol (an in-process limiter, or a shared
one backed by Redis) can be passed as ``Session(limiter=...)``.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Final, Protocol, runtime_checkable

import attrs

WriteKey = str
"""Names one per-second write budget, e.g. ``"conversation:CH…"`` or ``"service:IS…"``."""

DEFAULT_SERVICE_KEY = "service:default"

APS_CODES: Final = frozenset({50063, 50074})
"""Twilio codes of a 429 for too many actions per second on one conversation or service
(API-FACTS 3.3): such a 429 slows that write key, not the account's concurrency."""


def conversation_write_key(conversation: str, service: str | None = None) -> WriteKey:
    """The write budget of one conversation (participant writes, conversation update)."""
    return f"conversation:{service or 'default'}:{conversation}"


def service_write_key(service: str | None) -> WriteKey:
    """The write budget of one service (conversation create/delete)."""
    return f"service:{service}" if service else DEFAULT_SERVICE_KEY


@attrs.frozen(kw_only=True)
class LimiterState:
    """A snapshot of a limiter, for logs and metrics."""

    permits: int
    """How many requests may be in flight now (adaptive: follows the account's cap)."""
    max_permits: int
    in_flight: int
    throttled: int
    """How many 429 answers the limiter has been told about."""
    wait_seconds: float
    """Total time callers spent waiting for a permit or a write token."""
    paused_for: float
    """Seconds left of a ``Retry-After`` pause that holds every caller (0 when none)."""
    waiting: int = 0
    """Callers inside ``slot()`` that do not hold a permit yet (queued for a token or a permit)."""
    succeeded: int = 0
    """How many successful (non-429) answers the limiter has been told about."""
    halvings: int = 0
    """How many times a 429 lowered the permits (at most once per window of requests in flight
    together). The name is older than the estimate: the permits are set to what the 429 says,
    not halved."""
    write_keys: int = 0
    """How many write budgets (token buckets) are held in memory."""
    ceiling: int | None = None
    """The most requests the account is estimated to take in flight, account-wide when the
    server sends ``Twilio-Concurrent-Requests`` (None before the first 429)."""


class Slot(Protocol):
    """One permit, held around exactly one send-and-read.

    ``concurrent_requests`` is the answer's ``Twilio-Concurrent-Requests`` header (the account's
    requests in flight at that moment, API-FACTS 4.1), or ``None`` when it sent none.
    """

    def succeeded(self, concurrent_requests: int | None = None) -> None:
        """The request got an answer that was not a 429."""

    def throttled(
        self,
        retry_after: float | None,
        code: int | None = None,
        concurrent_requests: int | None = None,
    ) -> None:
        """The request was answered 429, with Twilio error ``code`` (None without one).

        ``retry_after`` is the pause to hold every caller for: the Session passes the wait it
        will itself take before trying again for the server's ``Retry-After`` (so never more
        than its retry policy allows), and ``None`` when there was none or it will not retry.
        A code in :data:`APS_CODES` is about the request's write key (its pause holds that key
        only); any other code, or none, is about the account's concurrency.
        """


@runtime_checkable
class Limiter(Protocol):
    """What the Session needs from a limiter."""

    def slot(self, write_key: WriteKey | None) -> AbstractAsyncContextManager[Slot]:
        """Wait for a write token (when ``write_key`` is given) and a concurrency permit.

        The permit is returned when the context exits, whatever happens, cancellation included.
        """
        ...

    @property
    def state(self) -> LimiterState: ...
