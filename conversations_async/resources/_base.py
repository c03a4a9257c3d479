"""What every resource namespace shares: its Session, its service scope, and structuring."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

import attrs

from .._convert import structure
from .._pagination import AsyncPager
from .._sansio import CHAT_SERVICE_SID, Request, check_pattern
from .._types import JSON

if TYPE_CHECKING:
    from .._session import Session


class ScopedRecord(Protocol):
    @property
    def chat_service_sid(self) -> str | None: ...


R = TypeVar("R", bound=ScopedRecord)


class Resource:
    """A namespace bound to a Session and, optionally, a Conversation Service."""

    def __init__(self, session: Session, *, service: str | None = None) -> None:
        if service is not None:
            check_pattern("chat_service_sid", service, CHAT_SERVICE_SID)
        self._session = session
        self._service = service

    @property
    def chat_service_sid(self) -> str | None:
        """The service this namespace is scoped to, or None for the account's default service."""
        return self._service

    def __repr__(self) -> str:
        scope = f" service={self._service}" if self._service else ""
        return f"<{type(self).__name__}{scope}>"

    def _structure(self, data: JSON, cls: type[R]) -> R:
        """Structure one record; a service-scoped one always names its service."""
        record = structure(data, cls)
        if self._service is not None and record.chat_service_sid is None:
            # Twilio's default-scope participant JSON has no chat_service_sid; the scope knows it.
            record = attrs.evolve(record, chat_service_sid=self._service)  # type: ignore[misc]
        return record

    def _structurer(self, cls: type[R]) -> Callable[[JSON], R]:
        return lambda data: self._structure(data, cls)

    async def _fetch_record(self, request: Request, cls: type[R]) -> R:
        """Send ``request`` and structure the JSON answer as ``cls``."""
        return self._structure(await self._session.request(request), cls)

    async def _send(self, request: Request) -> None:
        """Send a request whose answer has no body (a delete's 204)."""
        await self._session.request(request)

    def _pager(
        self, request: Request, cls: type[R], *, key: str, limit: int | None, page_size: int | None
    ) -> AsyncPager[R]:
        return AsyncPager(
            self._session,
            request,
            self._structurer(cls),
            key=key,
            limit=limit,
            page_size=page_size,
        )
