"""One fixture runs a test in both scopes: the default service and ``session.service("IS…")``."""

from __future__ import annotations

import attrs

from conversations_async import Session
from conversations_async.resources import Conversations, Participants

SERVICE_SID = "IS" + "1" * 32


@attrs.frozen
class Scope:
    conversations: Conversations
    participants: Participants
    prefix: str
    """The path prefix the requests must use."""
    service: str | None


def scope_for(session: Session, *, service: bool) -> Scope:
    if not service:
        return Scope(session.conversations, session.participants, "/v1", None)
    scoped = session.service(SERVICE_SID)
    return Scope(
        scoped.conversations, scoped.participants, f"/v1/Services/{SERVICE_SID}", SERVICE_SID
    )
