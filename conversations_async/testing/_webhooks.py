"""The emulator's outgoing webhooks: signed POSTs to a URL you choose, as Twilio sends them.

Twilio fires post-action webhooks for REST actions only when the request carried
``X-Twilio-Webhook-Enabled: true`` (API-FACTS.md 6.2); the emulator does the same, after the
change is committed and without delaying the REST answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Final

import aiohttp
import attrs

from ..webhooks import SIGNATURE_HEADER, compute_signature
from ._state import JSONDict

logger = logging.getLogger("conversations_async.testing")


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One webhook the emulator sent, and how it was answered (``status`` None: no answer)."""

    event_type: str
    params: Mapping[str, str]
    status: int | None
    error: str | None = None


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


class WebhookSender:
    """Delivers signed webhooks in the background; :meth:`drain` waits for those under way."""

    def __init__(self, auth_token: str, *, timeout: float = 5.0) -> None:
        self.url: str | None = None
        self.filters: frozenset[str] | None = None
        self.deliveries: list[WebhookDelivery] = []
        self._auth_token = auth_token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def send(self, params: Mapping[str, str]) -> None:
        """Schedule one delivery if a URL is set and the event passes the filters."""
        event_type = params["EventType"]
        if self.url is None or (self.filters is not None and event_type not in self.filters):
            return
        task = asyncio.get_running_loop().create_task(self._deliver(self.url, dict(params)))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, url: str, params: dict[str, str]) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        headers = {SIGNATURE_HEADER: compute_signature(url, params, self._auth_token)}
        status: int | None = None
        error: str | None = None
        try:
            async with self._http.post(url, data=params, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("webhook %s to %s failed: %s", params["EventType"], url, error)
        self.deliveries.append(
            WebhookDelivery(
                event_type=params["EventType"], params=params, status=status, error=error
            )
        )

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
