"""Inbound messages, as a user's client SDK (or phone) sends them: the pre-action webhook
decides, then the message is stored and the post-action webhooks go out.

So a bot can be tested end to end on one machine: ``simulate_message`` → signed
``onMessageAdd`` / ``onMessageAdded`` → the bot's :class:`~conversations_async.webhooks.WebhookRouter`
→ the bot's REST calls back to the emulator.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from ._state import Form, JSONDict, conversations, messages
from ._webhooks import WebhookDelivery, WebhookSender

if TYPE_CHECKING:
    from ._state import Store

MODIFIABLE = {"body": "Body", "author": "Author", "attributes": "Attributes"}
"""What a pre-action answer may change in a message (Twilio's docs), and the form field."""


def _attributes_text(value: Any) -> str:
    # An answer may carry attributes as JSON text (as Twilio sends them) or as an object.
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


async def simulate_message(
    store: Store,
    sender: WebhookSender,
    conversation: str,
    *,
    author: str,
    body: str,
    attributes: Any = None,
    service: str | None = None,
    source: str = "SDK",
) -> tuple[JSONDict | None, WebhookDelivery | None]:
    """The message stored (None: the pre-action webhook rejected it) and the pre-action
    delivery (None: no pre-webhook configured for ``onMessageAdd``)."""
    entry = conversations.find(store, service, conversation, "Messages")
    participant = messages.author_participant(entry, author)
    if participant is None:
        raise InvalidArgumentError(
            "author", f"{author!r} is not a participant (identity or address) of {conversation}"
        )
    fields = {"Author": author, "Body": body}
    if attributes is not None:
        fields["Attributes"] = _attributes_text(attributes)
    record = entry.record
    common = {"AccountSid": store.account_sid, "Source": source}
    common["ChatServiceSid"] = record["chat_service_sid"]
    common["ConversationSid"] = record["sid"]
    common["MessagingServiceSid"] = record["messaging_service_sid"]
    if source == "SDK":
        common["ClientIdentity"] = author
    binding = participant.get("messaging_binding") or {}
    for key, field in (("Address", "address"), ("ProxyAddress", "proxy_address")):
        if binding.get(field):
            common[f"MessagingBinding.{key}"] = binding[field]

    pre: WebhookDelivery | None = None
    target = sender.pre_target(store, record["chat_service_sid"], "onMessageAdd")
    if target is not None:
        params = {
            "EventType": "onMessageAdd",
            **common,
            **fields,
            "ParticipantSid": participant["sid"],
            "Attributes": fields.get("Attributes", "{}"),
        }
        pre, changes = await sender.pre_action(target, params)
        if pre.refused:
            return None, pre  # 4xx/5xx: Twilio rejects the action; nothing is added
        for key, field in MODIFIABLE.items():
            if changes is not None and changes.get(key) is not None:
                value = changes[key]
                fields[field] = _attributes_text(value) if key == "attributes" else str(value)
        # A timeout or an unreachable URL publishes the message unmodified, as Twilio does
        # after its 5 s (what Twilio does when the connection fails is UNCONFIRMED).

    added = messages.create(store, service, Form(fields.items()), conversation=conversation)
    post = messages.webhook_params("onMessageAdded", added)
    post.update({k: v for k, v in common.items() if k not in post or k == "Source"})
    sender.dispatch(store, post, service=service, entry=entry)
    return added, pre
