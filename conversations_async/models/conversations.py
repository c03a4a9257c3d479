"""Conversation records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from yarl import URL

from .._types import JSON
from ._record import Linked, OpenEnum, Record, url_text


class ConversationState(OpenEnum):
    """A conversation's state. A value Twilio adds later becomes a new member, not an error."""

    INITIALIZING = "initializing"
    INACTIVE = "inactive"
    ACTIVE = "active"
    CLOSED = "closed"


@attrs.frozen(kw_only=True)
class ConversationTimers(Record):
    """When an active conversation becomes inactive, and when it closes."""

    date_inactive: datetime | None = None
    date_closed: datetime | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Conversation(Linked):
    """A conversation."""

    sid: str
    account_sid: str | None = None
    chat_service_sid: str | None = None
    messaging_service_sid: str | None = None
    friendly_name: str | None = None
    unique_name: str | None = None
    attributes: JSON = None
    """The parsed JSON of Twilio's ``attributes`` string."""
    state: ConversationState | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    timers: ConversationTimers | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    links: Mapping[str, URL] = attrs.field(factory=dict)
    bindings: Mapping[str, JSON] | None = None
