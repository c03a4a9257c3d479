"""``session.conversations``: conversations of a service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._sansio import (
    conversation_create_request,
    conversation_delete_request,
    conversation_fetch_request,
    conversation_list_request,
    conversation_update_request,
    conversation_with_participants_request,
)
from .._types import JSON, NOT_GIVEN, NotGiven
from ..models import Conversation, ConversationState
from ._base import Resource

if TYPE_CHECKING:
    from .._pagination import AsyncPager

ParticipantSpec = Mapping[str, Any] | object
"""A participant to add: a mapping of :meth:`Participants.create` field names
(``{"identity": "alice"}``), or a record with those fields."""


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

    async def create(
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
    ) -> Conversation:
        """Create a conversation. Returns the new :class:`~conversations_async.models.Conversation`.

        Raises :class:`~conversations_async.errors.ConflictError` (code 50353) when
        ``unique_name`` is taken. Retried on 429 and never-connected errors only.
        """
        request = conversation_create_request(
            service=self._service,
            webhook_enabled=webhook_enabled,
            friendly_name=friendly_name,
            unique_name=unique_name,
            date_created=date_created,
            date_updated=date_updated,
            messaging_service_sid=messaging_service_sid,
            attributes=attributes,
            state=state,
            timers_inactive=timers_inactive,
            timers_closed=timers_closed,
            bindings_email_address=bindings_email_address,
            bindings_email_name=bindings_email_name,
        )
        return await self._fetch_record(request, Conversation)

    async def create_with_participants(
        self,
        participants: Iterable[ParticipantSpec],
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
    ) -> Conversation:
        """Create a conversation with up to 10 participants in one request
        (``POST /v1/ConversationWithParticipants``).

        Each participant is a mapping of :meth:`Participants.create` field names, e.g.
        ``{"identity": "alice"}`` or ``{"messaging_binding_address": "+15558675310",
        "messaging_binding_proxy_address": "+15017122661"}``, checked like ``create``'s
        arguments before anything is sent. Twilio answers 201, or 202 while it adds the
        participants; either way the new conversation is returned. If one participant cannot be
        added, Twilio fails the whole request (codes 50424-50427) and releases what it made.
        """
        request = conversation_with_participants_request(
            participants,
            service=self._service,
            webhook_enabled=webhook_enabled,
            friendly_name=friendly_name,
            unique_name=unique_name,
            date_created=date_created,
            date_updated=date_updated,
            messaging_service_sid=messaging_service_sid,
            attributes=attributes,
            state=state,
            timers_inactive=timers_inactive,
            timers_closed=timers_closed,
            bindings_email_address=bindings_email_address,
            bindings_email_name=bindings_email_name,
        )
        return await self._fetch_record(request, Conversation)

    async def fetch(self, conversation: str) -> Conversation:
        """Fetch a conversation by its ``CH…`` SID or its unique name."""
        request = conversation_fetch_request(conversation, service=self._service)
        return await self._fetch_record(request, Conversation)

    async def update(
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
    ) -> Conversation:
        """Change a conversation (by SID or unique name); returns the updated record.

        Closing it (``state="closed"``) is final and frees its participants' SMS/WhatsApp
        bindings for use in other conversations. Not resent after a 5xx or timeout.
        """
        request = conversation_update_request(
            conversation,
            service=self._service,
            webhook_enabled=webhook_enabled,
            friendly_name=friendly_name,
            unique_name=unique_name,
            date_created=date_created,
            date_updated=date_updated,
            messaging_service_sid=messaging_service_sid,
            attributes=attributes,
            state=state,
            timers_inactive=timers_inactive,
            timers_closed=timers_closed,
            bindings_email_address=bindings_email_address,
            bindings_email_name=bindings_email_name,
        )
        return await self._fetch_record(request, Conversation)

    async def delete(
        self, conversation: str, *, webhook_enabled: bool | NotGiven = NOT_GIVEN
    ) -> None:
        """Delete a conversation (by SID or unique name) with its participants and messages.

        ``webhook_enabled`` sends ``X-Twilio-Webhook-Enabled``. Raises
        :class:`~conversations_async.errors.NotFoundError` when it does not exist.
        """
        await self._send(
            conversation_delete_request(
                conversation, service=self._service, webhook_enabled=webhook_enabled
            )
        )

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
        request = conversation_list_request(
            service=self._service, start_date=start_date, end_date=end_date, state=state
        )
        return self._pager(
            request, Conversation, key="conversations", limit=limit, page_size=page_size
        )
