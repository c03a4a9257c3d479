"""Delivery receipts of a message: one per non-chat participant it went to (made with the
message, see :mod:`.messages`), and the status changes a test may play."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from . import messages
from ._common import JSONDict, format_date, invalid, not_found

if TYPE_CHECKING:
    from . import Store

STATUSES: Final = ("sent", "delivered", "read", "failed", "undelivered")


def _receipts(
    store: Store, service: str | None, conversation: str, message: str, *below: str
) -> tuple[JSONDict, dict[str, JSONDict]]:
    entry, record = messages.find(store, service, conversation, message, "Receipts", *below)
    return record, messages.of(entry).receipts.setdefault(record["sid"], {})


def fetch(
    store: Store,
    service: str | None,
    form: Mapping[str, str],
    *,
    conversation: str,
    message: str,
    receipt: str,
) -> JSONDict:
    _, receipts = _receipts(store, service, conversation, message, receipt)
    found = receipts.get(receipt)
    if found is None:
        path = ("Conversations", conversation, "Messages", message, "Receipts", receipt)
        raise not_found(store.resource_path(service, *path))
    return found


def list_(
    store: Store, service: str | None, query: Mapping[str, str], *, conversation: str, message: str
) -> list[JSONDict]:
    return list(_receipts(store, service, conversation, message)[1].values())


def set_status(
    store: Store,
    service: str | None,
    conversation: str,
    message: str,
    receipt: str,
    status: str,
    *,
    error_code: int = 0,
) -> JSONDict:
    """Move a receipt to ``status`` (as the channel reports delivery) and update the message's
    delivery summary; answers the receipt."""
    if status not in STATUSES:
        raise invalid("Status", f"must be one of {', '.join(STATUSES)}")
    found = fetch(store, service, {}, conversation=conversation, message=message, receipt=receipt)
    record, receipts = _receipts(store, service, conversation, message)
    found["status"] = status
    found["error_code"] = error_code
    found["date_updated"] = format_date(store.now())
    record["delivery"] = messages.delivery_summary(receipts)
    return found


def webhook_params(event_type: str, receipt: JSONDict) -> dict[str, str]:
    """The form parameters of ``onDeliveryUpdated`` for a receipt (the docs' table)."""
    params = {
        "EventType": event_type,
        "AccountSid": receipt["account_sid"],
        "ConversationSid": receipt["conversation_sid"],
        "MessageSid": receipt["message_sid"],
        "DeliveryReceiptSid": receipt["sid"],
        "ChannelMessageSid": receipt["channel_message_sid"],
        "ParticipantSid": receipt["participant_sid"],
        "Status": receipt["status"],
        "ErrorCode": str(receipt["error_code"]),
        "DateCreated": receipt["date_created"],
        "DateUpdated": receipt["date_updated"],
    }
    if receipt.get("chat_service_sid"):
        params["ChatServiceSid"] = receipt["chat_service_sid"]
    return params
