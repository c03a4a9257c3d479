"""``session.webhook_configuration`` (the account's) and
``session.service(IS).webhook_configuration`` (a service's): where pre- and post-action webhooks
go, and which events fire."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any

import attrs

from .._sansio import Operation, Params
from .._sansio.params import form
from .._sansio.rules import Choice, Each, Text
from .._types import NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError
from ..models import (
    ServiceWebhookConfiguration,
    WebhookConfiguration,
    WebhookConfigurationTarget,
    WebhookMethod,
)
from ._base import Resource


@attrs.frozen
class EventName(Text):
    """An event name (``onMessageAdded``, ``onParticipantAdd``, …); a name this library does
    not know is sent as given, since Twilio may add events."""

    def encode(self, field: str, value: Any) -> str:
        text = super().encode(field, value)
        if not text:
            raise InvalidArgumentError(field, "must not be empty")
        return text


_FILTERS = Each(EventName())
_URL = Text()
_METHOD = Choice(WebhookMethod)


@attrs.frozen(kw_only=True)
class UpdateWebhookConfiguration(Params):
    """The parameters of :meth:`AccountWebhookConfig.update`."""

    method: WebhookMethod | str | NotGiven = form("Method", _METHOD)
    filters: Sequence[str] | NotGiven = form("Filters", _FILTERS)
    pre_webhook_url: str | NotGiven = form("PreWebhookUrl", _URL)
    post_webhook_url: str | NotGiven = form("PostWebhookUrl", _URL)
    target: WebhookConfigurationTarget | str | NotGiven = form(
        "Target", Choice(WebhookConfigurationTarget)
    )


@attrs.frozen(kw_only=True)
class UpdateServiceWebhookConfiguration(Params):
    """The parameters of :meth:`ServiceWebhookConfig.update`."""

    pre_webhook_url: str | NotGiven = form("PreWebhookUrl", _URL)
    post_webhook_url: str | NotGiven = form("PostWebhookUrl", _URL)
    filters: Sequence[str] | NotGiven = form("Filters", _FILTERS)
    method: WebhookMethod | str | NotGiven = form("Method", _METHOD)


_PATH = "Configuration/Webhooks"

FETCH = Operation(
    "fetch", "GET", _PATH, WebhookConfiguration, spec=("FetchConfigurationWebhook", None)
)
UPDATE = Operation(
    "update",
    "POST",
    _PATH,
    WebhookConfiguration,
    UpdateWebhookConfiguration,
    spec=("UpdateConfigurationWebhook", None),
)
SERVICE_FETCH = Operation(
    "fetch",
    "GET",
    _PATH,
    ServiceWebhookConfiguration,
    spec=(None, "FetchServiceWebhookConfiguration"),
)
SERVICE_UPDATE = Operation(
    "update",
    "POST",
    _PATH,
    ServiceWebhookConfiguration,
    UpdateServiceWebhookConfiguration,
    spec=(None, "UpdateServiceWebhookConfiguration"),
)


class AccountWebhookConfig(Resource):
    """The account's webhooks: ``/v1/Configuration/Webhooks`` (``session.webhook_configuration``).

    They serve the account's default Conversation Service. Twilio sends a pre-action webhook
    (``onMessageAdd``, …: your answer can reject or modify the action) to ``pre_webhook_url``
    and a post-action one (``onMessageAdded``, …) to ``post_webhook_url``, for the events in
    ``filters`` only. REST actions fire post-action webhooks only when sent with
    ``webhook_enabled=True``.
    """

    operations = (FETCH, UPDATE)

    def fetch(self) -> Coroutine[Any, Any, WebhookConfiguration]:
        """The account's webhook configuration. Retried on 429, 5xx, timeouts and disconnects."""
        return self._call(FETCH, locals())

    def update(
        self,
        *,
        method: WebhookMethod | str | NotGiven = NOT_GIVEN,
        filters: Sequence[str] | NotGiven = NOT_GIVEN,
        pre_webhook_url: str | NotGiven = NOT_GIVEN,
        post_webhook_url: str | NotGiven = NOT_GIVEN,
        target: WebhookConfigurationTarget | str | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, WebhookConfiguration]:
        """Change the account's webhooks; returns the new configuration.

        ``method`` is ``GET`` or ``POST``; ``filters`` the events that fire (a list replaces
        the one configured); ``target`` ``webhook`` (your URLs) or ``flex``. Only the
        parameters you pass are sent. Not resent after a 5xx, timeout or disconnect.
        """
        return self._call(UPDATE, locals())


class ServiceWebhookConfig(Resource):
    """A service's webhooks: ``/v1/Services/{IS}/Configuration/Webhooks``
    (``session.service(IS).webhook_configuration``).

    Like the account's (:class:`AccountWebhookConfig`), for the conversations of that service;
    it has no ``target``. "Events not configured [in ``filters``] will not fire" (Twilio).
    """

    operations = (SERVICE_FETCH, SERVICE_UPDATE)

    def fetch(self) -> Coroutine[Any, Any, ServiceWebhookConfiguration]:
        """The service's webhook configuration (every field ``None`` until configured)."""
        return self._call(SERVICE_FETCH, locals())

    def update(
        self,
        *,
        pre_webhook_url: str | NotGiven = NOT_GIVEN,
        post_webhook_url: str | NotGiven = NOT_GIVEN,
        filters: Sequence[str] | NotGiven = NOT_GIVEN,
        method: WebhookMethod | str | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, ServiceWebhookConfiguration]:
        """Change the service's webhooks; returns the new configuration (see
        :meth:`AccountWebhookConfig.update`)."""
        return self._call(SERVICE_UPDATE, locals())
