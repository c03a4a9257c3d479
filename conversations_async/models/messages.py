"""Message records: messages, their delivery receipts, and a participant's conversations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from yarl import URL

from .._types import JSON
from ._record import Linked, OpenEnum, Record, url_text
from .conversations import ConversationState, ConversationTimers
from .participants import MessagingBinding


class MessageOrder(OpenEnum):
    """The order of ``messages.list``: oldest first (Twilio's default) or newest first."""

    ASC = "asc"
    DESC = "desc"


class DeliveryStatus(OpenEnum):
    """A delivery receipt's status. A value Twilio adds later becomes a new member."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNDELIVERED = "undelivered"


@attrs.frozen(kw_only=True)
class MessageMedia(Record):
    """One media object attached to a message (``extra`` keeps keys with no field here)."""

    sid: str | None = None
    """The Media SID (``ME…``)."""
    content_type: str | None = None
    filename: str | None = None
    size: int | None = None
    """In bytes."""
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class MessageDelivery(Record):
    """The summary of a message's delivery to the non-chat (SMS, WhatsApp) participants.

    ``total`` counts the receipts; each status holds ``"all"``, ``"some"`` or ``"none"`` of
    them (as Twilio sends it). ``extra`` keeps keys with no field here.
    """

    total: int | None = None
    sent: str | None = None
    delivered: str | None = None
    read: str | None = None
    failed: str | None = None
    undelivered: str | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Message(Linked):
    """A message of a conversation."""

    sid: str
    account_sid: str | None = None
    chat_service_sid: str | None = None
    """Set on records read through a service scope (``session.service("IS…")``)."""
    conversation_sid: str | None = None
    index: int = 0
    """The message's place in the conversation: increasing, though numbers may be skipped."""
    author: str | None = None
    """Who wrote it (``system`` unless given)."""
    body: str | None = None
    media: tuple[MessageMedia, ...] | None = None
    """The attached media, or None when there is none."""
    attributes: JSON = None
    """The parsed JSON of Twilio's ``attributes`` string (``{}`` when unset)."""
    participant_sid: str | None = None
    """The author's participant (None for ``system`` messages)."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    delivery: MessageDelivery | None = None
    """The delivery summary to non-chat participants (None in a chat-only conversation)."""
    links: Mapping[str, URL] = attrs.field(factory=dict)
    """``delivery_receipts`` and ``channel_metadata``."""
    content_sid: str | None = None
    """The Rich Content template (``HX…``) the message was made from."""


@attrs.frozen(kw_only=True)
class DeliveryReceipt(Linked):
    """The delivery of one message to one non-chat participant."""

    sid: str
    account_sid: str | None = None
    chat_service_sid: str | None = None
    conversation_sid: str | None = None
    message_sid: str | None = None
    channel_message_sid: str | None = None
    """The channel's own message (``SM…`` for SMS, ``WA…`` for WhatsApp)."""
    participant_sid: str | None = None
    status: DeliveryStatus | None = None
    error_code: int | None = None
    """The delivery error code of a ``failed`` or ``undelivered`` receipt (0: none)."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)


@attrs.frozen(kw_only=True)
class ParticipantConversation(Record):
    """A conversation one participant (an identity or an address) is in, with its state."""

    account_sid: str | None = None
    chat_service_sid: str | None = None
    participant_sid: str | None = None
    participant_user_sid: str | None = None
    participant_identity: str | None = None
    participant_messaging_binding: MessagingBinding | None = None
    conversation_sid: str | None = None
    conversation_unique_name: str | None = None
    conversation_friendly_name: str | None = None
    conversation_attributes: JSON = None
    """The parsed JSON of Twilio's ``conversation_attributes`` string."""
    conversation_date_created: datetime | None = None
    conversation_date_updated: datetime | None = None
    conversation_created_by: str | None = None
    conversation_state: ConversationState | None = None
    conversation_timers: ConversationTimers | None = None
    links: Mapping[str, URL] = attrs.field(factory=dict)
    """``participant`` and ``conversation``."""
