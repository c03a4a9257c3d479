"""The user events: ``onUserAdded``, ``onUserUpdate`` (pre-action) and ``onUserUpdated``.

Registered with :func:`~conversations_async.webhooks.parse_event` when the package is imported
(importing any part of it imports the package first). The fields are those of Twilio's user
events (the webhooks page, and the same events' schemas in Event Streams); anything else that
arrives is kept in ``params``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from .._types import JSON  # typing.get_type_hints resolves it at runtime
from .events import WebhookEvent, _event


@attrs.frozen(kw_only=True)
class UserEvent(WebhookEvent):
    """Fields common to the user events (a user of a Conversation Service, by identity)."""

    user_sid: str
    identity: str | None = None
    friendly_name: str | None = None
    role_sid: str | None = None
    attributes: JSON = None
    """The user's attributes, parsed from the JSON text Twilio sends."""
    raw_attributes: str | None = None
    """``Attributes`` exactly as received."""
    date_created: datetime | None = None


@_event("onUserAdded")
@attrs.frozen(kw_only=True)
class UserAdded(UserEvent):
    """Post-action: a user was added to the service."""


@attrs.frozen(kw_only=True)
class _ChangedUser(UserEvent):
    date_updated: datetime | None = None
    is_online: bool | None = None
    """Whether the user is connected through a client SDK (``None`` when not sent)."""
    is_notifiable: bool | None = None
    """Whether the user can get push notifications (``None`` when not sent)."""


@_event("onUserUpdate")
@attrs.frozen(kw_only=True)
class UserUpdate(_ChangedUser):
    """Pre-action: a user is about to be updated (the answer may reject it)."""


@_event("onUserUpdated")
@attrs.frozen(kw_only=True)
class UserUpdated(_ChangedUser):
    """Post-action: a user was updated."""
