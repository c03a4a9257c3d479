"""The least of a conversation's messages that simulated inbound messages need: store one,
and its webhook parameters.

A stand-in with the interface of the messages resource's state (``create(store, service, form,
*, conversation)`` and ``webhook_params(event_type, record)``), which replaces it once both are
in one tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from . import conversations
from ._common import JSONDict, check_attributes, format_date
from .conversations import ConversationEntry

if TYPE_CHECKING:
    from . import Store


@attrs.define
class Messages:
    """One conversation's messages, by SID in index order."""

    records: dict[str, JSONDict] = attrs.field(factory=dict)
    next_index: int = 0


def of(entry: ConversationEntry) -> Messages:
    return entry.parts.get(Messages)


def author_participant(entry: ConversationEntry, author: str) -> JSONDict | None:
    """The participant who writes as ``author``: by identity, or by a binding's address."""
    sid = entry.by_identity.get(author)
    if sid is None:
        sid = next((s for (address, _), s in entry.by_binding.items() if address == author), None)
    return None if sid is None else entry.participants.get(sid)


def create(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str
) -> JSONDict:
    entry = conversations.find(store, service, conversation, "Messages")
    attributes = check_attributes(form.get("Attributes"), 4 * 1024)
    messages = of(entry)
    author = form.get("Author") or "system"
    participant = author_participant(entry, author)
    sid = store.new_sid("IM")
    conversation_sid = entry.record["sid"]
    now = format_date(store.now())
    record: JSONDict = {
        "sid": sid,
        "account_sid": store.account_sid,
        "conversation_sid": conversation_sid,
        "body": form.get("Body"),
        "media": None,
        "author": author,
        "participant_sid": None if participant is None else participant["sid"],
        "attributes": attributes if attributes is not None else "{}",
        "date_created": now,
        "date_updated": now,
        "index": messages.next_index,
        "delivery": None,
        "url": store.url(service, "Conversations", conversation_sid, "Messages", sid),
    }
    if service is not None:
        record["chat_service_sid"] = service
    messages.next_index += 1
    messages.records[sid] = record
    return record


def webhook_params(event_type: str, record: JSONDict) -> dict[str, str]:
    """The form parameters of a message webhook, from the message's JSON record."""
    params = {
        "EventType": event_type,
        "Source": "API",
        "AccountSid": record["account_sid"],
        "ConversationSid": record["conversation_sid"],
        "MessageSid": record["sid"],
        "Index": str(record["index"]),
        "Author": record["author"],
        "Attributes": record["attributes"],
        "DateCreated": record["date_created"],
    }
    for key, field in (
        ("Body", "body"),
        ("ParticipantSid", "participant_sid"),
        ("ChatServiceSid", "chat_service_sid"),
    ):
        if record.get(field) is not None:
            params[key] = record[field]
    return params
