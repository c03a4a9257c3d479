"""What every resource namespace shares: its Session, its service scope, and structuring."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from .._convert import structure
from .._sansio import CHAT_SERVICE_SID, Request, check_pattern

if TYPE_CHECKING:
    from .._session import Session

R = TypeVar("R")


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

    async def _fetch_record(self, request: Request, cls: type[R]) -> R:
        """Send ``request`` and structure the JSON answer as ``cls``."""
        data = await self._session.request(request)
        return structure(data, cls)
