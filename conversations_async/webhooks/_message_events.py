"""The message events beyond add (update, remove) and ``onDeliveryUpdated``.

Registered by EventType like those of :mod:`.events` (which holds the bases and the
registry); the package imports this module, so :func:`~.events.parse_event` always knows them.
Parameters as Twilio's "Webhook Bodies by Event Type" lists them
(https://www.twilio.com/docs/conversations/conversations-webhooks).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from .events import MessageEvent, WebhookEvent, _event


@attrs.frozen(kw_only=True)
class _ExistingMessage(MessageEvent):
    message_sid: str
    index: int
    date_updated: datetime | None = None


@_event("onMessageUpdate")
@attrs.frozen(kw_only=True)
class MessageUpdate(_ExistingMessage):
    """Pre-action: a message is about to change (``body``, ``author``, ``attributes`` can be
    modified by the answer)."""


@_event("onMessageUpdated")
@attrs.frozen(kw_only=True)
class MessageUpdated(_ExistingMessage):
    """Post-action: a message's body or attributes changed."""


@_event("onMessageRemove")
@attrs.frozen(kw_only=True)
class MessageRemove(_ExistingMessage):
    """Pre-action: a message is about to be removed."""


@_event("onMessageRemoved")
@attrs.frozen(kw_only=True)
class MessageRemoved(_ExistingMessage):
    """Post-action: a message was removed."""

    date_removed: datetime | None = None


@_event("onDeliveryUpdated")
@attrs.frozen(kw_only=True)
class DeliveryUpdated(WebhookEvent):
    """Post-action: a delivery receipt changed status (an SMS/WhatsApp participant's copy of a
    message was sent, delivered, read, failed or undelivered)."""

    conversation_sid: str
    message_sid: str
    delivery_receipt_sid: str
    channel_message_sid: str | None = None
    """The channel's message (``SM…`` for SMS, ``WA…`` for WhatsApp)."""
    participant_sid: str | None = None
    status: str | None = None
    """``sent``, ``delivered``, ``read``, ``failed`` or ``undelivered`` (kept as text, like
    the conversation states: Twilio may add some)."""
    error_code: int | None = None
    """Twilio's error code of a failed delivery."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
