"""Conversation Service records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from yarl import URL

from ._record import Linked, url_text


@attrs.frozen(kw_only=True)
class Service(Linked):
    """A Conversation Service: what holds conversations, users, roles and their settings.

    ``session.service(service.sid)`` reaches everything it holds.
    """

    sid: str
    account_sid: str | None = None
    friendly_name: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    links: Mapping[str, URL] = attrs.field(factory=dict)
    """``conversations``, ``users``, ``roles``, ``bindings``, ``configuration``,
    ``participant_conversations``, ``conversation_with_participants``."""
