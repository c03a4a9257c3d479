"""Webhook records: conversation-scoped webhooks, and the account's and services' webhook
configuration."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from .._types import JSON
from ._record import Linked, OpenEnum, Record, url_text


class WebhookTarget(OpenEnum):
    """Where a conversation-scoped webhook goes (Twilio may add targets)."""

    WEBHOOK = "webhook"
    """Your URL, for the events in its filters."""
    TRIGGER = "trigger"
    """Your URL, for messages that contain one of its trigger keywords."""
    STUDIO = "studio"
    """A Twilio Studio flow (``FW…``)."""


class ConversationWebhookMethod(OpenEnum):
    """The HTTP method of a conversation-scoped webhook (Twilio writes it in lower case)."""

    GET = "get"
    POST = "post"


class WebhookMethod(OpenEnum):
    """The HTTP method of the account's or a service's webhooks."""

    GET = "GET"
    POST = "POST"


class WebhookConfigurationTarget(OpenEnum):
    """Where the account's webhooks go: your URLs, or Flex."""

    WEBHOOK = "webhook"
    FLEX = "flex"


@attrs.frozen(kw_only=True)
class ConversationWebhookConfiguration(Record):
    """A conversation-scoped webhook's ``configuration``: which fields it has depends on the
    target (a URL, method and filters for ``webhook``; a URL and trigger keywords for
    ``trigger``; a flow SID for ``studio``).

    Twilio's examples show a trigger webhook's keywords under ``filters``; the record keeps
    what Twilio sends, as it sends it. ``extra`` keeps any key that has no field here.
    """

    url: str | None = None
    method: ConversationWebhookMethod | None = None
    filters: tuple[str, ...] | None = None
    triggers: tuple[str, ...] | None = None
    flow_sid: str | None = None
    replay_after: int | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ConversationWebhook(Linked):
    """A webhook of one conversation (at most five per conversation)."""

    sid: str
    account_sid: str | None = None
    chat_service_sid: str | None = None
    """Set on records read through a service scope (``session.service("IS…")``)."""
    conversation_sid: str | None = None
    target: WebhookTarget | None = None
    configuration: ConversationWebhookConfiguration | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)


@attrs.frozen(kw_only=True)
class WebhookConfiguration(Linked):
    """The account's webhooks (``/v1/Configuration/Webhooks``): where its pre- and post-action
    webhooks go and which events fire."""

    account_sid: str | None = None
    method: WebhookMethod | None = None
    filters: tuple[str, ...] | None = None
    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    target: WebhookConfigurationTarget | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)


@attrs.frozen(kw_only=True)
class ServiceWebhookConfiguration(Linked):
    """A Conversation Service's webhooks (``/v1/Services/{IS}/Configuration/Webhooks``).

    Every field is ``None`` until configured."""

    account_sid: str | None = None
    chat_service_sid: str | None = None
    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    filters: tuple[str, ...] | None = None
    method: WebhookMethod | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
