"""Configuration records: the account's, a service's, a service's push notifications, and the
address configurations (which inbound addresses create conversations by themselves)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from yarl import URL

from .._types import JSON
from ._record import Linked, OpenEnum, Record, url_text
from .webhooks import WebhookMethod


@attrs.frozen(kw_only=True)
class Configuration(Linked):
    """The account's Conversations settings (``/v1/Configuration``): which Conversation
    Service and Messaging Service new conversations use, and their default timers."""

    account_sid: str | None = None
    default_chat_service_sid: str | None = None
    """The Conversation Service (``IS…``) of the account scope: ``session.conversations`` and
    every namespace of the Session work in it."""
    default_messaging_service_sid: str | None = None
    default_inactive_timer: str | None = None
    """An ISO 8601 duration (``PT1M``) after which an active conversation becomes inactive."""
    default_closed_timer: str | None = None
    """An ISO 8601 duration (``PT10M``) after which a conversation closes."""
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    links: Mapping[str, URL] | None = None


@attrs.frozen(kw_only=True)
class ServiceConfiguration(Linked):
    """A Conversation Service's settings (``/v1/Services/{IS}/Configuration``): the roles its
    users and participants get by default, and whether reachability is shown."""

    chat_service_sid: str | None = None
    default_conversation_creator_role_sid: str | None = None
    default_conversation_role_sid: str | None = None
    default_chat_service_role_sid: str | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    links: Mapping[str, URL] | None = None
    reachability_enabled: bool | None = None


@attrs.frozen(kw_only=True)
class Notification(Record):
    """A push notification of a service: whether it is sent, its text and its sound.

    ``extra`` keeps any key that has no field here."""

    enabled: bool | None = None
    template: str | None = None
    """The text, with placeholders such as ``${CONVERSATION}``."""
    sound: str | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class MediaNotification(Record):
    """The push notification of a new message with media (files)."""

    enabled: bool | None = None
    template: str | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class NewMessageNotification(Record):
    """The push notification of a new message: a :class:`Notification` with a badge count and
    a text of its own for messages with media."""

    enabled: bool | None = None
    template: str | None = None
    sound: str | None = None
    badge_count_enabled: bool | None = None
    with_media: MediaNotification | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class NotificationConfiguration(Linked):
    """A Conversation Service's push notifications
    (``/v1/Services/{IS}/Configuration/Notifications``)."""

    account_sid: str | None = None
    chat_service_sid: str | None = None
    new_message: NewMessageNotification | None = None
    added_to_conversation: Notification | None = None
    removed_from_conversation: Notification | None = None
    log_enabled: bool | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)


class AddressType(OpenEnum):
    """The channel of a configured address (Twilio may add channels)."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    GBM = "gbm"
    """Google Business Messages."""
    EMAIL = "email"
    RCS = "rcs"
    APPLE = "apple"
    """Apple Messages for Business."""
    CHAT = "chat"


class AutoCreationType(OpenEnum):
    """What a conversation auto-created for an address gets attached."""

    WEBHOOK = "webhook"
    """A conversation-scoped webhook to your URL."""
    STUDIO = "studio"
    """A Twilio Studio flow (``FW…``)."""
    DEFAULT = "default"
    """Nothing more: the service's own webhooks apply."""


@attrs.frozen(kw_only=True)
class AddressAutoCreation(Record):
    """How an address creates a conversation for an inbound message that belongs to none.

    Which fields it has depends on ``type``: a URL, method and filters for ``webhook``; a
    flow SID and retry count for ``studio``. ``extra`` keeps any key that has no field here.
    """

    enabled: bool | None = None
    type: AutoCreationType | None = None
    conversation_service_sid: str | None = None
    """The service the conversation is created in (None: the account's default service)."""
    webhook_url: str | None = None
    webhook_method: WebhookMethod | None = None
    """Twilio answers it in upper case (``POST``), though it is sent in lower case."""
    webhook_filters: tuple[str, ...] | None = None
    studio_flow_sid: str | None = None
    studio_retry_count: int | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class AddressConfiguration(Linked):
    """One address of the account (a number, a WhatsApp sender, an email address, …) and
    whether a message to it creates a conversation (``/v1/Configuration/Addresses``)."""

    sid: str
    account_sid: str | None = None
    type: AddressType | None = None
    address: str | None = None
    friendly_name: str | None = None
    auto_creation: AddressAutoCreation | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    address_country: str | None = None
    """An ISO 3166-1 alpha-2 country code (short codes only)."""
