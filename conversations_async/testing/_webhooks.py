"""The emulator's outgoing webhooks, signed with the auth token as Twilio sends them.

A post-action event goes where Twilio sends it (:meth:`WebhookSender.dispatch`): to the
``post_webhook_url`` of the conversation's service (the account's, for the default service) when
its ``filters`` name the event, and to each webhook of the conversation whose filters (or, for a
``trigger`` webhook, keywords) match; plus, for tests, to ``webhooks.url`` (all events, or those
in ``webhooks.filters``). Twilio fires post-action webhooks for REST actions only when the
request carried ``X-Twilio-Webhook-Enabled: true`` (API-FACTS.md 6.2); the emulator does the
same, after the change is committed and without delaying the REST answer. A pre-action webhook
(:meth:`WebhookSender.pre_action`) is awaited: its answer decides the action.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Final

import aiohttp
import attrs
from yarl import URL

from ..webhooks import SIGNATURE_HEADER, compute_signature
from ._state import JSONDict, conversations
from ._state import webhooks as configured_webhooks

if TYPE_CHECKING:
    from ._state import ConversationEntry, Store

logger = logging.getLogger("conversations_async.testing")


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One webhook the emulator sent, and how it was answered (``status`` None: no answer)."""

    event_type: str
    params: Mapping[str, str]
    status: int | None
    error: str | None = None
    url: str | None = None
    method: str = "POST"
    kind: str = "post"
    """``post`` (a post-action event), ``pre`` (a pre-action one, whose answer decides)."""
    target: str = "test"
    """Who it went to: ``test`` (``webhooks.url``), ``service`` (the configured post-webhook
    URL), ``conversation`` (a conversation-scoped webhook) or ``pre`` (the pre-webhook URL)."""

    @property
    def refused(self) -> bool:
        """Answered with an error status (4xx/5xx): for a pre-action event, a rejection."""
        return self.status is not None and self.status >= 400


def participant_params(event_type: str, record: JSONDict) -> dict[str, str]:
    """The form parameters of a participant webhook, from the participant's JSON record."""
    params = {
        "EventType": event_type,
        "Source": "API",
        "AccountSid": record["account_sid"],
        "ConversationSid": record["conversation_sid"],
        "ParticipantSid": record["sid"],
        "Attributes": record["attributes"],
        "DateCreated": record["date_created"],
        "DateUpdated": record["date_updated"],
    }
    for key, field in (
        ("Identity", "identity"),
        ("RoleSid", "role_sid"),
        ("ChatServiceSid", "chat_service_sid"),
    ):
        if record.get(field) is not None:
            params[key] = record[field]
    binding = record.get("messaging_binding") or {}
    for key, field in (
        ("MessagingBinding.Address", "address"),
        ("MessagingBinding.ProxyAddress", "proxy_address"),
        ("MessagingBinding.ProjectedAddress", "projected_address"),
    ):
        if binding.get(field):
            params[key] = binding[field]
    if binding:
        params["MessagingBinding.Type"] = str(binding.get("type", "sms")).upper()
    return params


def conversation_params(event_type: str, record: JSONDict) -> dict[str, str]:
    """The form parameters of a conversation webhook, from the conversation's JSON record."""
    params = {
        "EventType": event_type,
        "Source": "API",
        "AccountSid": record["account_sid"],
        "ChatServiceSid": record["chat_service_sid"],
        "ConversationSid": record["sid"],
        "MessagingServiceSid": record["messaging_service_sid"],
        "Attributes": record["attributes"],
        "DateCreated": record["date_created"],
        "State": record["state"],
    }
    for key, field in (("FriendlyName", "friendly_name"), ("UniqueName", "unique_name")):
        if record.get(field) is not None:
            params[key] = record[field]
    return params


EVENT_PARAMS: Final[Mapping[str, Callable[[str, JSONDict], dict[str, str]]]] = {
    "onConversationAdded": conversation_params,
    "onConversationUpdated": conversation_params,
    "onConversationRemoved": conversation_params,
    "onParticipantAdded": participant_params,
    "onParticipantUpdated": participant_params,
    "onParticipantRemoved": participant_params,
}
"""How each post-action event's parameters are made from the record of the change."""


@attrs.frozen
class Target:
    """Where one delivery goes."""

    url: str
    method: str
    kind: str


class WebhookSender:
    """Delivers signed webhooks in the background; :meth:`drain` waits for those under way."""

    def __init__(self, auth_token: str, *, timeout: float = 5.0) -> None:
        self.url: str | None = None
        """Every post-action event (or those in :attr:`filters`) also goes here: a test's own
        endpoint, whatever the configuration says."""
        self.filters: frozenset[str] | None = None
        self.deliveries: list[WebhookDelivery] = []
        self._auth_token = auth_token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def send(self, params: Mapping[str, str]) -> None:
        """Schedule one delivery to :attr:`url` if it is set and the event passes the filters."""
        event_type = params["EventType"]
        if self.url is None or (self.filters is not None and event_type not in self.filters):
            return
        self._schedule(Target(self.url, "POST", "test"), params)

    def dispatch(
        self,
        store: Store,
        params: Mapping[str, str],
        *,
        service: str | None = None,
        entry: ConversationEntry | None = None,
    ) -> None:
        """Schedule a post-action event everywhere Twilio would send it (see the module docs).

        ``entry`` is the event's conversation, when it is already gone from the store (its
        removal is an event its webhooks still get)."""
        self.send(params)
        for target in self.post_targets(store, params, service=service, entry=entry):
            self._schedule(target, params)

    def post_targets(
        self,
        store: Store,
        params: Mapping[str, str],
        *,
        service: str | None = None,
        entry: ConversationEntry | None = None,
    ) -> Iterator[Target]:
        event_type = params["EventType"]
        if entry is None and "ConversationSid" in params:
            entry = conversations.of(store).entries.get(params["ConversationSid"])
        service_sid = entry.record["chat_service_sid"] if entry else store.service_sid(service)
        configuration = configured_webhooks.configured(store, service_sid)
        url = configuration.get("post_webhook_url")
        if (
            url
            and configuration.get("target", "webhook") == "webhook"
            and event_type in (configuration.get("filters") or ())
        ):
            yield Target(url, configuration.get("method") or "POST", "service")
        if entry is None:
            return
        for record in configured_webhooks.hooks_of(entry).records.values():
            hook = record["configuration"]
            # A studio target runs a Studio flow inside Twilio: nothing the emulator can call.
            fires = (record["target"] == "webhook" and event_type in hook["filters"]) or (
                record["target"] == "trigger"
                and configured_webhooks.triggered(hook["filters"], params)
            )
            if fires:
                yield Target(hook["url"], hook["method"].upper(), "conversation")

    def flush(self, store: Store) -> None:
        """Schedule what a change queued besides its event (see ``Outbox``)."""
        for url, method, params in store.parts.get(configured_webhooks.Outbox).take():
            self._schedule(Target(url, method, "conversation"), params)

    def pre_target(self, store: Store, service_sid: str, event_type: str) -> Target | None:
        """The pre-action webhook of a scope for ``event_type``, if configured to fire."""
        configuration = configured_webhooks.configured(store, service_sid)
        url = configuration.get("pre_webhook_url")
        if not url or configuration.get("target", "webhook") != "webhook":
            return None
        if event_type not in (configuration.get("filters") or ()):
            return None
        return Target(url, configuration.get("method") or "POST", "pre")

    async def pre_action(
        self, target: Target, params: Mapping[str, str]
    ) -> tuple[WebhookDelivery, JSONDict | None]:
        """Send a pre-action webhook and wait for its answer (at most the timeout, 5 s as
        Twilio's): the delivery, and the JSON object a 200 answered (its modifications)."""
        delivery, body = await self._deliver(target, dict(params), kind="pre")
        changes: JSONDict | None = None
        if delivery.status == 200 and body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            changes = parsed if isinstance(parsed, dict) else None
        return delivery, changes

    def _schedule(self, target: Target, params: Mapping[str, str]) -> None:
        task = asyncio.get_running_loop().create_task(self._background(target, dict(params)))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _background(self, target: Target, params: dict[str, str]) -> None:
        await self._deliver(target, params, kind="post")

    async def _deliver(
        self, target: Target, params: dict[str, str], *, kind: str
    ) -> tuple[WebhookDelivery, bytes]:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        url, method = target.url, target.method.upper()
        status: int | None = None
        error: str | None = None
        body = b""
        try:
            if method == "GET":
                # A GET webhook carries its parameters in the query; the signature covers them.
                full = str(URL(url).update_query(params))
                headers = {SIGNATURE_HEADER: compute_signature(full, {}, self._auth_token)}
                request = self._http.get(full, headers=headers)
            else:
                headers = {SIGNATURE_HEADER: compute_signature(url, params, self._auth_token)}
                request = self._http.post(url, data=params, headers=headers)
            async with request as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("webhook %s to %s failed: %s", params["EventType"], url, error)
        delivery = WebhookDelivery(
            event_type=params["EventType"],
            params=params,
            status=status,
            error=error,
            url=url,
            method=method,
            kind=kind,
            target=target.kind,
        )
        self.deliveries.append(delivery)
        return delivery, body

    async def drain(self) -> None:
        """Wait until every delivery under way has been answered (or failed)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        http, self._http = self._http, None
        if http is not None:
            await http.close()
