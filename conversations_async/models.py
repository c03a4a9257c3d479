"""Records returned by the API: frozen attrs classes whose fields are Twilio's JSON keys.

Records hold data only; how JSON becomes a record lives in the one cattrs converter
(``conversations_async._convert``), so unknown fields Twilio adds later are simply ignored.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs
from yarl import URL

from ._types import JSON


class ConversationState(enum.StrEnum):
    """A conversation's state. A value Twilio adds later becomes a new member, not an error."""

    INITIALIZING = "initializing"
    INACTIVE = "inactive"
    ACTIVE = "active"
    CLOSED = "closed"

    @classmethod
    def _missing_(cls, value: object) -> ConversationState | None:
        if not isinstance(value, str):
            return None
        # A pseudo-member keeps the unknown value instead of failing the whole record.
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member


@attrs.frozen(kw_only=True)
class MessagingBinding:
    """How a non-chat participant is reached (SMS, WhatsApp, RCS, Group MMS).

    ``extra`` keeps any key Twilio sends that has no field here.
    """

    type: str | None = None
    address: str | None = None
    proxy_address: str | None = None
    projected_address: str | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Participant:
    """A member of a conversation: a chat user (``identity``) or an SMS/WhatsApp address."""

    sid: str
    account_sid: str | None = None
    conversation_sid: str | None = None
    chat_service_sid: str | None = None
    """Set on records read through a service scope (``session.service("IS…")``)."""
    identity: str | None = None
    attributes: JSON = None
    """The parsed JSON of Twilio's ``attributes`` string (``{}`` when unset, ``None`` when null)."""
    messaging_binding: MessagingBinding | None = None
    role_sid: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(
        default=None, alias="url", converter=attrs.converters.optional(str)
    )
    last_read_message_index: int | None = None
    last_read_timestamp: str | None = None

    @property
    def url(self) -> URL | None:
        """The participant's absolute URL.

        Kept as Twilio's text and made a :class:`yarl.URL` when read: a yarl URL weighs about
        400 bytes, which a bulk report of 100,000 participants would otherwise hold 100,000 times.
        """
        return None if self._url is None else URL(self._url, encoded=True)


@attrs.frozen(kw_only=True)
class ConversationTimers:
    """When an active conversation becomes inactive, and when it closes."""

    date_inactive: datetime | None = None
    date_closed: datetime | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Conversation:
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
    url: URL | None = None
    links: Mapping[str, URL] = attrs.field(factory=dict)
    bindings: Mapping[str, JSON] | None = None


__all__ = [
    "Conversation",
    "ConversationState",
    "ConversationTimers",
    "MessagingBinding",
    "Participant",
]
