"""The requests of the resources' operations, built without a Session (pure, for unit tests).

Each is the operation's declaration applied to keyword arguments, as the resource method does
with its ``locals()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conversations_async._sansio import Request
from conversations_async.resources import conversations, participants
from conversations_async.resources._participant_spec import CREATE as PARTICIPANT_CREATE


def participant_create_request(
    conversation: str, *, service: str | None = None, **fields: Any
) -> Request:
    return PARTICIPANT_CREATE.request(service, {"conversation": conversation, **fields})


def participant_update_request(
    conversation: str, participant: str, *, service: str | None = None, **fields: Any
) -> Request:
    arguments = {"conversation": conversation, "participant": participant, **fields}
    return participants.UPDATE.request(service, arguments)


def conversation_create_request(*, service: str | None = None, **fields: Any) -> Request:
    return conversations.CREATE.request(service, fields)


def conversation_update_request(
    conversation: str, *, service: str | None = None, **fields: Any
) -> Request:
    return conversations.UPDATE.request(service, {"conversation": conversation, **fields})


def conversation_list_request(*, service: str | None = None, **filters: Any) -> Request:
    return conversations.LIST.request(service, filters)


def conversation_with_participants_request(
    participants: Iterable[object], *, service: str | None = None, **fields: Any
) -> Request:
    arguments = {"participants": participants, **fields}
    return conversations.CREATE_WITH_PARTICIPANTS.request(service, arguments)
