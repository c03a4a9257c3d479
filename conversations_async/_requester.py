"""The :class:`Requester` protocol: what resources and pagers need in order to send.

The Session implements it. Everything below the Session depends on this protocol, never on the
Session itself, so no module imports a layer above it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from yarl import URL

from ._retry import RetryPolicy
from ._sansio import RawResponse, Request
from ._types import JSON

R = TypeVar("R")


class Requester(Protocol):
    """Sends requests with limiting and retries (the Session)."""

    @property
    def base_url(self) -> URL:
        """The service root every path is resolved against."""
        ...

    @property
    def media_base_url(self) -> URL:
        """The Media Content Service's root (``https://mcs.us1.twilio.com``)."""
        ...

    @property
    def retry(self) -> RetryPolicy:
        """How requests are retried (a bulk job reads it to pace its own rounds)."""
        ...

    @property
    def max_concurrency(self) -> int:
        """How many requests may be in flight at most (a bulk job's default worker count)."""
        ...

    async def request(self, request: Request) -> JSON:
        """Send ``request``; the decoded JSON of a 2xx answer, or a typed error."""
        ...

    def request_structured(
        self, request: Request, structure: Callable[[JSON], R]
    ) -> Coroutine[Any, Any, R]:
        """Send ``request``; ``structure`` applied to the decoded JSON of a 2xx answer (what a
        resource returns), or a typed error. A coroutine (an ``async def`` will do): resource
        methods return it as it is, so that it works with ``asyncio.create_task``."""
        ...

    async def request_raw(self, request: Request) -> RawResponse:
        """Send ``request``; a 2xx or 3xx answer as it came, or a typed error."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (the Session's sleep, which tests may replace)."""
        ...
