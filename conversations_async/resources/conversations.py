"""``session.conversations``: conversations of a service."""

from __future__ import annotations

import json
import re
from collections.abc import Coroutine, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Pacing, Params, declaration
from .._sansio.params import form, query, webhook_header
from .._sansio.rules import (
    DATETIME,
    Choice,
    Duration,
    Each,
    Json,
    ListDate,
    Rule,
    Text,
    sid,
)
from .._types import JSON, NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError
from ..models import Conversation, ConversationState
from ._base import Resource
from ._participant_spec import NewParticipant

ParticipantSpec = NewParticipant | Mapping[str, Any] | object
"""A participant to add: a :class:`NewParticipant`, a mapping of its field names
(``{"identity": "alice"}``), or any attrs record with those fields."""

MAX_ATTRIBUTES: Final = 16 * 1024
"""A conversation's attributes: at most 16 KB of JSON (API-FACTS 4.2)."""
MAX_PARTICIPANTS_PER_REQUEST: Final = 10
"""``/v1/ConversationWithParticipants`` takes at most 10 participants (Twilio 50426)."""
_CONVERSATION_SID: Final = re.compile(r"^CH[0-9a-fA-F]{32}$")


@attrs.frozen
class UniqueName(Text):
    """A unique name, never shaped like a ``CH…`` SID (Twilio 50390: addressing would be
    ambiguous, since either can name the conversation in a path)."""

    def encode(self, field: str, value: Any) -> str:
        text = super().encode(field, value)
        if _CONVERSATION_SID.fullmatch(text):
            raise InvalidArgumentError(field, "must not look like a conversation SID (CH…)")
        return text


@attrs.frozen(kw_only=True)
class ConversationFields(Params):
    """The fields conversation create, update and ConversationWithParticipants share."""

    friendly_name: str | NotGiven = form("FriendlyName", Text(max_length=256))
    unique_name: str | NotGiven = form("UniqueName", UniqueName())
    date_created: datetime | NotGiven = form("DateCreated", DATETIME)
    date_updated: datetime | NotGiven = form("DateUpdated", DATETIME)
    messaging_service_sid: str | NotGiven = form("MessagingServiceSid", sid("MG"))
    attributes: JSON | NotGiven = form("Attributes", Json(max_bytes=MAX_ATTRIBUTES))
    state: ConversationState | str | NotGiven = form("State", Choice(ConversationState))
    timers_inactive: timedelta | str | NotGiven = form(
        "Timers.Inactive", Duration(timedelta(minutes=1))
    )
    timers_closed: timedelta | str | NotGiven = form(
        "Timers.Closed", Duration(timedelta(minutes=10))
    )
    bindings_email_address: str | NotGiven = form("Bindings.Email.Address")
    bindings_email_name: str | NotGiven = form("Bindings.Email.Name")
    webhook_enabled: bool | NotGiven = webhook_header()


def _json_key(wire: str) -> str:
    # "MessagingBinding.Address" -> "messaging_binding.address": the Participant resource's
    # snake_case keys, which ConversationWithParticipants takes in its JSON objects.
    return ".".join(re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower() for part in wire.split("."))


@attrs.frozen
class ParticipantJson(Rule):
    """A participant of ConversationWithParticipants: a :class:`NewParticipant` (or a mapping
    of its field names, or any attrs record with those fields), checked like
    ``participants.create`` and sent as one JSON object."""

    def encode(self, field: str, value: Any) -> str:
        fields = declaration(NewParticipant)
        names = fields.names
        if isinstance(value, Mapping):
            # Sorted by repr: keys of mixed types (1, "x") do not compare with each other.
            unknown = sorted(map(repr, set(value) - set(names)))
            if unknown:
                raise InvalidArgumentError(
                    field, f"unknown field(s) {', '.join(unknown)}; use {', '.join(names)}"
                )
            given = dict(value)
        elif attrs.has(type(value)):
            given = {name: getattr(value, name, NOT_GIVEN) for name in names}
        else:
            raise InvalidArgumentError(
                field, f"must be a mapping or a NewParticipant, not {type(value).__name__}"
            )
        # Unset in a record is None as often as NOT_GIVEN: neither is sent.
        given = {k: v for k, v in given.items() if v is not None}
        encoded = fields.encode(given, prefix=f"{field}.")
        body: dict[str, Any] = {}
        for wire, text in encoded.form:
            *parents, leaf = _json_key(wire).split(".")
            target = body
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = text
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@attrs.frozen(kw_only=True)
class CreateWithParticipants(ConversationFields):
    participants: Iterable[ParticipantSpec] = form(
        "Participant", Each(ParticipantJson(), max_items=MAX_PARTICIPANTS_PER_REQUEST), default=()
    )


@attrs.frozen(kw_only=True)
class DeleteConversation(Params):
    webhook_enabled: bool | NotGiven = webhook_header()


@attrs.frozen(kw_only=True)
class ListConversations(Params):
    start_date: date | datetime | NotGiven = query("StartDate", ListDate())
    end_date: date | datetime | NotGiven = query("EndDate", ListDate(end=True))
    state: ConversationState | str | NotGiven = query("State", Choice(ConversationState))

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        start, end = given.get("start_date"), given.get("end_date")
        if start is not None and end is not None:
            first = ListDate().encode("start_date", start)
            last = ListDate(end=True).encode("end_date", end)
            if first > last:
                raise InvalidArgumentError("end_date", f"{last} is before start_date {first}")


_ONE = "Conversations/{conversation}"

CREATE = Operation(
    "create",
    "POST",
    "Conversations",
    Conversation,
    ConversationFields,
    Pacing.SERVICE,
    spec=("CreateConversation", "CreateServiceConversation"),
)
CREATE_WITH_PARTICIPANTS = Operation(
    "create_with_participants",
    "POST",
    "ConversationWithParticipants",
    Conversation,
    CreateWithParticipants,
    Pacing.SERVICE,
    spec=("CreateConversationWithParticipants", "CreateServiceConversationWithParticipants"),
)
FETCH = Operation(
    "fetch", "GET", _ONE, Conversation, spec=("FetchConversation", "FetchServiceConversation")
)
UPDATE = Operation(
    "update",
    "POST",
    _ONE,
    Conversation,
    ConversationFields,
    Pacing.CONVERSATION,
    spec=("UpdateConversation", "UpdateServiceConversation"),
)
DELETE = Operation[None](
    "delete",
    "DELETE",
    _ONE,
    None,
    DeleteConversation,
    Pacing.SERVICE,
    spec=("DeleteConversation", "DeleteServiceConversation"),
)
LIST = Operation(
    "list",
    "GET",
    "Conversations",
    Conversation,
    ListConversations,
    list_key="conversations",
    spec=("ListConversation", "ListServiceConversation"),
)


class Conversations(Resource):
    """Conversations: ``/v1/[Services/{IS}/]Conversations``.

    A conversation is addressed by its ``CH…`` SID or by its unique name. The fields of
    :meth:`create` and :meth:`update`:

    - ``friendly_name`` (at most 256 characters) and ``unique_name`` (unique in the service,
      never shaped like a ``CH…`` SID);
    - ``attributes``: any JSON value, or a string that is already JSON; at most 16 KB;
    - ``messaging_service_sid`` (``MG…``); ``state`` (:class:`~conversations_async.models.ConversationState`
      or its value; ``closed`` is final);
    - ``timers_inactive`` (at least 1 minute) and ``timers_closed`` (at least 10 minutes), as
      :class:`datetime.timedelta` or ISO 8601 durations such as ``"PT10M"``;
    - ``bindings_email_address`` / ``bindings_email_name``: the default outbound email binding;
    - ``date_created`` / ``date_updated``: timezone-aware datetimes;
    - ``webhook_enabled``: sends ``X-Twilio-Webhook-Enabled``.

    Parameters left out are not sent.
    """

    operations = (CREATE, CREATE_WITH_PARTICIPANTS, FETCH, UPDATE, DELETE, LIST)

    def create(
        self,
        *,
        friendly_name: str | NotGiven = NOT_GIVEN,
        unique_name: str | NotGiven = NOT_GIVEN,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        messaging_service_sid: str | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        state: ConversationState | str | NotGiven = NOT_GIVEN,
        timers_inactive: timedelta | str | NotGiven = NOT_GIVEN,
        timers_closed: timedelta | str | NotGiven = NOT_GIVEN,
        bindings_email_address: str | NotGiven = NOT_GIVEN,
        bindings_email_name: str | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, Conversation]:
        """Create a conversation. Returns the new :class:`~conversations_async.models.Conversation`.

        Raises :class:`~conversations_async.errors.ConflictError` (code 50353) when
        ``unique_name`` is taken. Retried on 429 and never-connected errors only.
        """
        return self._call(CREATE, locals())

    def create_with_participants(
        self,
        participants: Iterable[ParticipantSpec] = (),
        *,
        friendly_name: str | NotGiven = NOT_GIVEN,
        unique_name: str | NotGiven = NOT_GIVEN,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        messaging_service_sid: str | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        state: ConversationState | str | NotGiven = NOT_GIVEN,
        timers_inactive: timedelta | str | NotGiven = NOT_GIVEN,
        timers_closed: timedelta | str | NotGiven = NOT_GIVEN,
        bindings_email_address: str | NotGiven = NOT_GIVEN,
        bindings_email_name: str | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, Conversation]:
        """Create a conversation with up to 10 participants in one request
        (``POST /v1/ConversationWithParticipants``).

        Each participant is a :class:`~conversations_async.NewParticipant` (the spec type of
        ``create_many``) or a mapping of its field names, e.g. ``{"identity": "alice"}`` or
        ``{"messaging_binding_address": "+15558675310", "messaging_binding_proxy_address":
        "+15017122661"}``, checked like ``participants.create`` before anything is sent. Twilio
        answers 201, or 202 while it adds the participants; either way the new conversation is
        returned. If one participant cannot be added, Twilio fails the whole request (codes
        50424-50427) and releases what it made.
        """
        return self._call(CREATE_WITH_PARTICIPANTS, locals())

    def fetch(self, conversation: str) -> Coroutine[Any, Any, Conversation]:
        """Fetch a conversation by its ``CH…`` SID or its unique name."""
        return self._call(FETCH, locals())

    def update(
        self,
        conversation: str,
        *,
        friendly_name: str | NotGiven = NOT_GIVEN,
        unique_name: str | NotGiven = NOT_GIVEN,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        messaging_service_sid: str | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        state: ConversationState | str | NotGiven = NOT_GIVEN,
        timers_inactive: timedelta | str | NotGiven = NOT_GIVEN,
        timers_closed: timedelta | str | NotGiven = NOT_GIVEN,
        bindings_email_address: str | NotGiven = NOT_GIVEN,
        bindings_email_name: str | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, Conversation]:
        """Change a conversation (by SID or unique name); returns the updated record.

        Closing it (``state="closed"``) is final and frees its participants' SMS/WhatsApp
        bindings for use in other conversations. Not resent after a 5xx or timeout.
        """
        return self._call(UPDATE, locals())

    def delete(
        self, conversation: str, *, webhook_enabled: bool | NotGiven = NOT_GIVEN
    ) -> Coroutine[Any, Any, None]:
        """Delete a conversation (by SID or unique name) with its participants and messages.

        ``webhook_enabled`` sends ``X-Twilio-Webhook-Enabled``. Raises
        :class:`~conversations_async.errors.NotFoundError` when it does not exist.
        """
        return self._send(DELETE, locals())

    def list(
        self,
        *,
        start_date: date | datetime | NotGiven = NOT_GIVEN,
        end_date: date | datetime | NotGiven = NOT_GIVEN,
        state: ConversationState | str | NotGiven = NOT_GIVEN,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[Conversation]:
        """Conversations of the service, page by page: ``async for c in ….list()``.

        ``start_date`` / ``end_date`` filter on the creation date: a :class:`datetime.date`
        covers the whole day (sent as ``YYYY-MM-DDT00:00:00Z`` / ``…T23:59:59Z``), an aware
        datetime is sent as it is. With a date filter Twilio lists the newest first.
        ``state`` filters on the state. No request is made until you iterate.
        """
        return self._list(LIST, locals(), limit=limit, page_size=page_size)
