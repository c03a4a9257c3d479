"""Participant records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from .._types import JSON
from ._record import Linked, Record, url_text


@attrs.frozen(kw_only=True)
class MessagingBinding(Record):
    """How a non-chat participant is reached (SMS, WhatsApp, RCS, Group MMS).

    ``extra`` keeps any key Twilio sends that has no field here.
    """

    type: str | None = None
    address: str | None = None
    proxy_address: str | None = None
    projected_address: str | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Participant(Linked):
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
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    last_read_message_index: int | None = None
    last_read_timestamp: str | None = None
