"""Messages of a conversation, kept in the conversation's entry (gone with it): an index that
only grows, ``system`` as the default author, and a delivery receipt for every non-chat
participant a message goes to."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import attrs

from . import conversations
from ._common import (
    JSONDict,
    check_attributes,
    check_length,
    check_pattern,
    form_date,
    format_date,
    invalid,
    not_found,
    parse_date,
)
from .conversations import ConversationEntry
from .participants import binding_type

if TYPE_CHECKING:
    from . import Store

MEDIA_SID: Final = re.compile(r"^ME[0-9a-fA-F]{32}$")
CONTENT_SID: Final = re.compile(r"^HX[0-9a-fA-F]{32}$")
MAX_BODY_BYTES: Final = 32 * 1024
"""What Twilio takes in a body ("Inbound: 32KB", the Conversations limits page)."""
MAX_ATTRIBUTES: Final = 4 * 1024
ORDERS: Final = ("asc", "desc")
CHANNEL_PREFIX: Final = {"whatsapp": "WA", "rcs": "RC"}
"""The channel message SID's prefix by binding type (SMS and anything else: ``SM``)."""


@attrs.define
class Messages:
    """The messages of one conversation, in index order, and their receipts."""

    records: dict[str, JSONDict] = attrs.field(factory=dict)
    next_index: int = 0
    """Indexes only grow: a deleted message's index is never given again."""
    receipts: dict[str, dict[str, JSONDict]] = attrs.field(factory=dict)
    """Message SID -> receipt SID -> receipt."""


def of(entry: ConversationEntry) -> Messages:
    return entry.parts.get(Messages)


def find(
    store: Store, service: str | None, conversation: str, message: str, *below: str
) -> tuple[ConversationEntry, JSONDict]:
    """The conversation and the message (by SID); 404 / 20404 when either is absent."""
    entry = conversations.find(store, service, conversation, "Messages", message, *below)
    record = of(entry).records.get(message)
    if record is None:
        path = ("Conversations", conversation, "Messages", message, *below)
        raise not_found(store.resource_path(service, *path))
    return entry, record


def _check_fields(form: Mapping[str, str]) -> str | None:
    """The checks create and update share; the attributes to set (None: not given)."""
    body = form.get("Body")
    if body is not None and len(body.encode()) > MAX_BODY_BYTES:
        raise invalid("Body", f"longer than {MAX_BODY_BYTES} bytes")
    check_length("Subject", form.get("Subject"))
    for field in ("DateCreated", "DateUpdated"):
        if field in form:
            parse_date(field, form[field])
    return check_attributes(form.get("Attributes"), MAX_ATTRIBUTES)


def author_participant(entry: ConversationEntry, author: str) -> JSONDict | None:
    """The participant who writes as ``author`` (its record), or None."""
    sid = _author_participant(entry, author)
    return None if sid is None else entry.participants.get(sid)


def _author_participant(entry: ConversationEntry, author: str) -> str | None:
    """The participant who wrote as ``author``: by identity, or by a binding's address."""
    if author in entry.by_identity:
        return entry.by_identity[author]
    for (address, _), sid in entry.by_binding.items():
        if address == author:
            return sid
    return None


def _receipts(
    store: Store, service: str | None, entry: ConversationEntry, record: JSONDict
) -> dict[str, JSONDict]:
    """One receipt, ``sent``, for each non-chat participant but the author."""
    made: dict[str, JSONDict] = {}
    for participant in entry.participants.values():
        binding = participant["messaging_binding"] or {}
        if participant["identity"] is not None or not binding.get("address"):
            continue
        if participant["sid"] == record["participant_sid"]:
            continue
        prefix = CHANNEL_PREFIX.get(binding_type(binding["address"]), "SM")
        sid = store.new_sid("DY")
        receipt: JSONDict = {
            "sid": sid,
            "account_sid": store.account_sid,
            "conversation_sid": record["conversation_sid"],
            "message_sid": record["sid"],
            "channel_message_sid": store.new_sid(prefix),
            "participant_sid": participant["sid"],
            "status": "sent",
            "error_code": 0,
            "date_created": record["date_created"],
            "date_updated": record["date_created"],
            "url": f"{record['url']}/Receipts/{sid}",
        }
        if service is not None:
            receipt["chat_service_sid"] = service
        made[sid] = receipt
    return made


def delivery_summary(receipts: Mapping[str, JSONDict]) -> JSONDict | None:
    """The message's ``delivery``: how many receipts, and whether all, some or none of them
    are in each status (None without receipts: a chat-only conversation)."""
    if not receipts:
        return None
    statuses = [receipt["status"] for receipt in receipts.values()]
    summary: JSONDict = {"total": len(statuses)}
    for status in ("sent", "delivered", "read", "failed", "undelivered"):
        count = statuses.count(status)
        summary[status] = "all" if count == len(statuses) else "some" if count else "none"
    return summary


def create(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str
) -> JSONDict:
    entry = conversations.find(store, service, conversation, "Messages")
    attributes = _check_fields(form)
    check_pattern("MediaSid", form.get("MediaSid"), MEDIA_SID)
    content_sid = form.get("ContentSid")
    check_pattern("ContentSid", content_sid, CONTENT_SID)
    if "ContentVariables" in form:
        try:
            json.loads(form["ContentVariables"])
        except ValueError:
            raise invalid("ContentVariables", "must be structurally valid JSON") from None
    if not (form.get("Body") or form.get("MediaSid") or content_sid):
        raise invalid("Body", "a message needs a Body, a MediaSid or a ContentSid")
    messages = of(entry)
    conversation_sid = entry.record["sid"]
    author = form.get("Author") or "system"
    created = form_date(form, "DateCreated", store.now())
    updated = form_date(form, "DateUpdated", created)
    sid = store.new_sid("IM")
    url = store.url(service, "Conversations", conversation_sid, "Messages", sid)
    media = None
    if form.get("MediaSid") and not content_sid:
        # What the Media Content Service knows of the file is not kept here.
        media = [
            {
                "sid": form["MediaSid"],
                "category": "media",
                "content_type": None,
                "filename": None,
                "size": None,
            }
        ]
    record: JSONDict = {
        "sid": sid,
        "account_sid": store.account_sid,
        "conversation_sid": conversation_sid,
        # A template's own text replaces the body and media (the spec: they are ignored).
        "body": None if content_sid else form.get("Body"),
        "media": media,
        "author": author,
        "participant_sid": _author_participant(entry, author),
        "attributes": attributes if attributes is not None else "{}",
        "date_created": format_date(created),
        "date_updated": format_date(updated),
        "index": messages.next_index,
        "delivery": None,
        "content_sid": content_sid,
        "url": url,
        "links": {
            "delivery_receipts": f"{url}/Receipts",
            "channel_metadata": f"{url}/ChannelMetadata",
        },
    }
    if service is not None:
        record["chat_service_sid"] = service
    receipts = _receipts(store, service, entry, record)
    record["delivery"] = delivery_summary(receipts)
    messages.next_index += 1
    messages.records[sid] = record
    messages.receipts[sid] = receipts
    return record


def fetch(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str, message: str
) -> JSONDict:
    return find(store, service, conversation, message)[1]


def update(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str, message: str
) -> JSONDict:
    entry, record = find(store, service, conversation, message)
    if not form:
        return record  # nothing to change: answered as it is
    attributes = _check_fields(form)
    updated = form_date(form, "DateUpdated", store.now())
    # Every check passed: apply.
    if "Author" in form:
        record["author"] = form["Author"] or "system"
        record["participant_sid"] = _author_participant(entry, record["author"])
    if "Body" in form:
        record["body"] = form["Body"]
    if attributes is not None:
        record["attributes"] = attributes
    if "DateCreated" in form:
        record["date_created"] = format_date(parse_date("DateCreated", form["DateCreated"]))
    record["date_updated"] = format_date(updated)
    return record


def delete(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str, message: str
) -> JSONDict:
    """Removes the message with its receipts and answers its last record (for the webhook)."""
    entry, record = find(store, service, conversation, message)
    messages = of(entry)
    del messages.records[record["sid"]]
    messages.receipts.pop(record["sid"], None)
    return record


def list_(
    store: Store, service: str | None, query: Mapping[str, str], *, conversation: str
) -> list[JSONDict]:
    entry = conversations.find(store, service, conversation, "Messages")
    # The spec's examples send "DeSc" and "AsC": Twilio reads the order in any case.
    order = query.get("Order", "asc").lower()
    if order not in ORDERS:
        raise invalid("Order", "must be asc or desc")
    records = list(of(entry).records.values())  # in index order: made in that order
    return records[::-1] if order == "desc" else records


def webhook_params(event_type: str, record: JSONDict) -> dict[str, str]:
    """The form parameters of a message webhook (the docs' tables, "Webhook Bodies by Event
    Type"), from the message's JSON record."""
    params = {
        "EventType": event_type,
        "Source": "API",
        "AccountSid": record["account_sid"],
        "ConversationSid": record["conversation_sid"],
        "MessageSid": record["sid"],
        "Index": str(record["index"]),
        "DateCreated": record["date_created"],
        "Author": record["author"],
        "Attributes": record["attributes"],
    }
    if event_type != "onMessageAdded":
        params["DateUpdated"] = record["date_updated"]
    if event_type == "onMessageRemoved":
        params["DateRemoved"] = format_date(datetime.now(UTC))
    for key, field in (
        ("Body", "body"),
        ("ParticipantSid", "participant_sid"),
        ("ChatServiceSid", "chat_service_sid"),
    ):
        if record.get(field) is not None:
            params[key] = record[field]
    if record["media"]:
        params["Media"] = json.dumps(record["media"])
    return params
