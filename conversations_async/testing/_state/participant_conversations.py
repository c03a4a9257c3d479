"""A participant's conversations (``/ParticipantConversations``), read from the participants
of every conversation of the service: by identity, or by messaging binding address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import conversations, users
from ._common import JSONDict, invalid

if TYPE_CHECKING:
    from . import Store


def _matches(participant: JSONDict, identity: str | None, address: str | None) -> bool:
    if identity is not None:
        return bool(participant["identity"] == identity)
    binding = participant["messaging_binding"] or {}
    return bool(binding.get("address") == address)


def list_(store: Store, service: str | None, query: Mapping[str, str]) -> list[JSONDict]:
    identity, address = query.get("Identity"), query.get("Address")
    if (identity is None) == (address is None):
        raise invalid("Identity", "give exactly one of Identity and Address")
    service_sid = store.service_sid(service)
    found: list[JSONDict] = []
    for entry in conversations.of(store).entries.values():
        conversation = entry.record
        if conversation["chat_service_sid"] != service_sid:
            continue
        for participant in entry.participants.values():
            if _matches(participant, identity, address):
                found.append(_record(store, service, conversation, participant))
    return found


def _record(
    store: Store, service: str | None, conversation: JSONDict, participant: JSONDict
) -> JSONDict:
    sid = conversation["sid"]
    binding = participant["messaging_binding"]
    return {
        "account_sid": store.account_sid,
        "chat_service_sid": conversation["chat_service_sid"],
        "participant_sid": participant["sid"],
        "participant_user_sid": _user_sid(store, service, participant["identity"]),
        "participant_identity": participant["identity"],
        "participant_messaging_binding": None if binding is None else dict(binding),
        "conversation_sid": sid,
        "conversation_unique_name": conversation["unique_name"],
        "conversation_friendly_name": conversation["friendly_name"],
        "conversation_attributes": conversation["attributes"],
        "conversation_date_created": conversation["date_created"],
        "conversation_date_updated": conversation["date_updated"],
        "conversation_created_by": None,
        "conversation_state": conversation["state"],
        "conversation_timers": conversation["timers"],
        "links": {
            "participant": store.url(
                service, "Conversations", sid, "Participants", participant["sid"]
            ),
            "conversation": store.url(service, "Conversations", sid),
        },
    }


def _user_sid(store: Store, service: str | None, identity: str | None) -> str | None:
    """The user backing a chat participant (an SMS or WhatsApp one has none)."""
    user = None if identity is None else users.lookup(store, service, identity)
    return None if user is None else str(user["sid"])
