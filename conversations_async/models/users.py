"""User records: the users of a Conversation Service and their conversations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from yarl import URL

from .._types import JSON
from ._record import Linked, OpenEnum, url_text
from .conversations import ConversationState, ConversationTimers


class NotificationLevel(OpenEnum):
    """Whether a user gets push notifications for one conversation: ``default`` or ``muted``."""

    DEFAULT = "default"
    MUTED = "muted"


@attrs.frozen(kw_only=True)
class User(Linked):
    """A chat user of a Conversation Service, unique by ``identity`` within the service.

    A chat participant (one with an ``identity``) is backed by the user of that identity; SMS and
    WhatsApp participants have none.
    """

    sid: str
    account_sid: str | None = None
    chat_service_sid: str | None = None
    role_sid: str | None = None
    """The user's service-level role (``RL…``)."""
    identity: str | None = None
    friendly_name: str | None = None
    attributes: JSON = None
    """The parsed JSON of Twilio's ``attributes`` string (``{}`` when unset)."""
    is_online: bool | None = None
    """Whether the user is connected through a client SDK: only a fetch answers it, and only
    when the service's reachability is on (otherwise None)."""
    is_notifiable: bool | None = None
    """Whether the user has a push registration: only a fetch answers it, and only when the
    service's reachability is on (otherwise None)."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    links: Mapping[str, URL] = attrs.field(factory=dict)
    """``user_conversations``."""


@attrs.frozen(kw_only=True)
class UserConversation(Linked):
    """One conversation a user is a participant of, with the participant's read state.

    There is no ``sid``: it is the pair (``user_sid``, ``conversation_sid``).
    """

    account_sid: str | None = None
    chat_service_sid: str | None = None
    conversation_sid: str | None = None
    unread_messages_count: int | None = None
    """Messages after the participant's last read one (Twilio counts at most 1,000)."""
    last_read_message_index: int | None = None
    participant_sid: str | None = None
    user_sid: str | None = None
    friendly_name: str | None = None
    """The conversation's friendly name."""
    conversation_state: ConversationState | None = None
    timers: ConversationTimers | None = None
    attributes: JSON = None
    """The parsed JSON of the conversation's ``attributes`` string."""
    date_created: datetime | None = None
    """When the conversation was created."""
    date_updated: datetime | None = None
    created_by: str | None = None
    """The identity that created the conversation."""
    notification_level: NotificationLevel | None = None
    unique_name: str | None = None
    """The conversation's unique name."""
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    links: Mapping[str, URL] = attrs.field(factory=dict)
    """``participant`` and ``conversation``."""
