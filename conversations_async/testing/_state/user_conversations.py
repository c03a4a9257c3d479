"""A user's conversations, read from the participants of its identity: one per conversation
of the user's service it is a participant of. The read state is the participant's (updating
one updates the other); the notification level is kept beside the participant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import attrs

from . import conversations, messages, participants, users
from ._common import JSONDict, invalid, not_found
from .conversations import ConversationEntry

if TYPE_CHECKING:
    from . import Store

LEVELS: Final = ("default", "muted")
MAX_UNREAD: Final = 1000
"""The User Conversation page: "UnreadMessageCount returns a maximum value of 1000"."""


@attrs.define
class NotificationLevels:
    """Participant SID -> notification level, in the conversation's parts (gone with it)."""

    levels: dict[str, str] = attrs.field(factory=dict)


def unread(entry: ConversationEntry, participant: JSONDict) -> int:
    """Messages after the participant's last read one (every message, before it has read any:
    Twilio's answer then is not documented)."""
    last_read = participant["last_read_message_index"]
    records = messages.of(entry).records.values()
    count = sum(1 for m in records if last_read is None or m["index"] > last_read)
    return min(count, MAX_UNREAD)


def record(
    store: Store, service: str | None, user: JSONDict, entry: ConversationEntry, sid: str
) -> JSONDict:
    """The user conversation of ``user`` in ``entry``, whose participant is ``sid``."""
    conversation = entry.record
    participant = entry.participants[sid]
    conversation_sid = conversation["sid"]
    return {
        "account_sid": store.account_sid,
        "chat_service_sid": conversation["chat_service_sid"],
        "conversation_sid": conversation_sid,
        "unread_messages_count": unread(entry, participant),
        "last_read_message_index": participant["last_read_message_index"],
        "participant_sid": sid,
        "user_sid": user["sid"],
        "friendly_name": conversation["friendly_name"],
        "conversation_state": conversation["state"],
        "timers": conversation["timers"],
        "attributes": conversation["attributes"],
        "date_created": conversation["date_created"],
        "date_updated": conversation["date_updated"],
        "created_by": None,  # REST-made conversations: no creator identity is kept
        "notification_level": entry.parts.get(NotificationLevels).levels.get(sid, "default"),
        "unique_name": conversation["unique_name"],
        "url": store.url(service, "Users", user["sid"], "Conversations", conversation_sid),
        "links": {
            "participant": store.url(
                service, "Conversations", conversation_sid, "Participants", sid
            ),
            "conversation": store.url(service, "Conversations", conversation_sid),
        },
    }


def _find(
    store: Store, service: str | None, user: str, conversation: str
) -> tuple[JSONDict, ConversationEntry, str]:
    """The user, the conversation and the user's participant in it; 404 / 20404 otherwise."""
    found = users.find(store, service, user, "Conversations", conversation)
    entry = conversations.lookup(store, service, conversation)
    sid = None if entry is None else entry.by_identity.get(found["identity"])
    if entry is None or sid is None:
        path = ("Users", user, "Conversations", conversation)
        raise not_found(store.resource_path(service, *path))
    return found, entry, sid


def list_(
    store: Store, service: str | None, query: Mapping[str, str], *, user: str
) -> list[JSONDict]:
    found = users.find(store, service, user, "Conversations")
    service_sid = store.service_sid(service)
    return [
        record(store, service, found, entry, entry.by_identity[found["identity"]])
        for entry in conversations.of(store).entries.values()
        if entry.record["chat_service_sid"] == service_sid
        and found["identity"] in entry.by_identity
    ]


def fetch(
    store: Store, service: str | None, form: Mapping[str, str], *, user: str, conversation: str
) -> JSONDict:
    return record(store, service, *_find(store, service, user, conversation))


def update(
    store: Store, service: str | None, form: Mapping[str, str], *, user: str, conversation: str
) -> JSONDict:
    """The read horizon goes to the participant (its own update's rules); the notification
    level is the user's for this conversation."""
    found, entry, sid = _find(store, service, user, conversation)
    level = form.get("NotificationLevel")
    if level is not None and level not in LEVELS:
        raise invalid("NotificationLevel", "must be default or muted")
    read_state = {
        key: form[key] for key in ("LastReadMessageIndex", "LastReadTimestamp") if key in form
    }
    if read_state:
        participants.update(
            store, service, read_state, conversation=entry.record["sid"], participant=sid
        )
    if level is not None:
        entry.parts.get(NotificationLevels).levels[sid] = level
    return record(store, service, found, entry, sid)


def delete(
    store: Store, service: str | None, form: Mapping[str, str], *, user: str, conversation: str
) -> JSONDict:
    """The user leaves the conversation: its participant is removed (answered, for a webhook)."""
    _, entry, sid = _find(store, service, user, conversation)
    return participants.delete(
        store, service, {}, conversation=entry.record["sid"], participant=sid
    )
