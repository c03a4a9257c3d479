"""``session.participants``: the members of a conversation."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from datetime import datetime

from .._bulk import BulkReport, NewParticipant, ResultCallback, create_many
from .._pagination import AsyncPager
from .._sansio import (
    participant_create_request,
    participant_delete_request,
    participant_fetch_request,
    participant_list_request,
    participant_update_request,
)
from .._types import JSON, NOT_GIVEN, NotGiven
from ..models import Participant
from ._base import Resource


class Participants(Resource):
    """Participants of conversations: ``/v1/[Services/{IS}/]Conversations/{CH}/Participants``."""

    async def create(
        self,
        conversation: str,
        *,
        identity: str | NotGiven = NOT_GIVEN,
        messaging_binding_address: str | NotGiven = NOT_GIVEN,
        messaging_binding_proxy_address: str | NotGiven = NOT_GIVEN,
        messaging_binding_projected_address: str | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        role_sid: str | NotGiven = NOT_GIVEN,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Participant:
        """Add a participant to ``conversation`` (a ``CH…`` SID or the conversation's unique name).

        A chat participant needs ``identity``; an SMS/WhatsApp one ``messaging_binding_address``
        with ``messaging_binding_proxy_address`` (your Twilio number). ``attributes`` may be any
        JSON value (serialised for you) or a string that is already JSON; at most 4 KB.
        Datetimes must be timezone-aware and are sent as ISO 8601 UTC. ``webhook_enabled`` sends
        ``X-Twilio-Webhook-Enabled``. Parameters left out are not sent.

        Returns the new :class:`~conversations_async.models.Participant`.

        Raises :class:`~conversations_async.errors.InvalidArgumentError` before sending when an
        argument is invalid; :class:`~conversations_async.errors.ConflictError` with
        ``already_in_conversation`` true (codes 50433/50437) when the participant is already
        there; other :class:`~conversations_async.errors.APIStatusError` subclasses as Twilio
        answers.

        Retried on 429 and when the connection was never made. Not resent after a 5xx, timeout or
        disconnect, because the participant may already exist: a bulk job should use
        ``create_many``, which reads back before creating again.
        """
        request = participant_create_request(
            conversation,
            service=self._service,
            identity=identity,
            messaging_binding_address=messaging_binding_address,
            messaging_binding_proxy_address=messaging_binding_proxy_address,
            messaging_binding_projected_address=messaging_binding_projected_address,
            attributes=attributes,
            role_sid=role_sid,
            date_created=date_created,
            date_updated=date_updated,
            webhook_enabled=webhook_enabled,
        )
        return await self._fetch_record(request, Participant)

    async def fetch(self, conversation: str, participant: str) -> Participant:
        """Fetch one participant by its ``MB…`` SID or by its identity.

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects (a read is safe to repeat).
        """
        request = participant_fetch_request(conversation, participant, service=self._service)
        return await self._fetch_record(request, Participant)

    async def update(
        self,
        conversation: str,
        participant: str,
        *,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        role_sid: str | NotGiven = NOT_GIVEN,
        messaging_binding_proxy_address: str | NotGiven | None = NOT_GIVEN,
        messaging_binding_projected_address: str | NotGiven | None = NOT_GIVEN,
        identity: str | NotGiven = NOT_GIVEN,
        last_read_message_index: int | NotGiven | None = NOT_GIVEN,
        last_read_timestamp: datetime | str | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Participant:
        """Change a participant (addressed by ``MB…`` SID or identity); returns the new record.

        Only the parameters you pass are sent. ``None`` clears a field that Twilio lets you
        clear: ``messaging_binding_proxy_address``, ``messaging_binding_projected_address`` and
        ``last_read_message_index`` (sent as Twilio's ``null``). The participant's own
        ``messaging_binding_address`` cannot be changed (remove and add it again).

        Not resent after a 5xx, timeout or disconnect (it may have been applied); retried on
        429 and when the connection was never made.
        """
        request = participant_update_request(
            conversation,
            participant,
            service=self._service,
            date_created=date_created,
            date_updated=date_updated,
            attributes=attributes,
            role_sid=role_sid,
            messaging_binding_proxy_address=messaging_binding_proxy_address,
            messaging_binding_projected_address=messaging_binding_projected_address,
            identity=identity,
            last_read_message_index=last_read_message_index,
            last_read_timestamp=last_read_timestamp,
            webhook_enabled=webhook_enabled,
        )
        return await self._fetch_record(request, Participant)

    async def delete(
        self,
        conversation: str,
        participant: str,
        *,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> None:
        """Remove a participant (by ``MB…`` SID or identity) from the conversation.

        ``webhook_enabled`` sends ``X-Twilio-Webhook-Enabled``. Raises
        :class:`~conversations_async.errors.NotFoundError` when it is not there. A delete is
        retried after a 5xx or timeout, so a retried delete that had already been applied
        answers NotFoundError.
        """
        await self._send(
            participant_delete_request(
                conversation, participant, service=self._service, webhook_enabled=webhook_enabled
            )
        )

    def list(
        self, conversation: str, *, limit: int | None = None, page_size: int | None = None
    ) -> AsyncPager[Participant]:
        """Every participant of ``conversation``, page by page: ``async for p in ….list(CH)``.

        No request is made until you iterate (or ``await`` it for the first page).
        ``limit`` stops after that many participants; ``page_size`` is 1 to 100.
        """
        return self._pager(
            participant_list_request(conversation, service=self._service),
            Participant,
            key="participants",
            limit=limit,
            page_size=page_size,
        )

    async def create_many(
        self,
        conversation: str,
        specs: Iterable[NewParticipant] | AsyncIterable[NewParticipant],
        *,
        concurrency: int | None = None,
        on_result: ResultCallback | None = None,
    ) -> BulkReport:
        """Add many participants to ``conversation``; none lost, none doubled.

        ``specs`` is any iterable or async iterable of :class:`~conversations_async.NewParticipant`
        (read lazily: a generator over a huge file is never read ahead of the work). An async
        generator is closed (``aclose()``) when the call ends, however it ends.
        ``concurrency`` specs are in progress at a time (default: the Session's
        ``max_concurrency``); the Session's limiter still paces the requests themselves.

        Returns a :class:`~conversations_async.BulkReport` with one result per spec, in input
        order: ``created``, ``existed`` (Twilio 50433/50437, with the participant read back),
        ``failed`` (not in the conversation, as far as Twilio told us; with the error) or
        ``unknown`` (a create failed ambiguously and no read-back answered: run the same input
        again to settle it). One spec's failure never raises, whatever its values raise. A
        create that failed ambiguously (5xx, timeout, cut connection, or a 404 while the
        conversation exists) is read back before it is sent again; a read-back answered by any
        404 means "absent".

        ``on_result`` (a function or coroutine function) is called with each result as soon as
        it is known, in completion order: use it to stream results to a file or a progress bar.

        If the call is cancelled, it stops promptly, leaving no task or limiter permit behind,
        and re-raises :class:`asyncio.CancelledError`. The results finished until then are the
        ones ``on_result`` received; a caller in the same task also finds them as a partial
        report in the error's ``bulk_report`` attribute. Specs in flight at that moment may or
        may not have been added: running the same input again is safe (they come back
        ``existed``).

        Raises :class:`~conversations_async.errors.InvalidArgumentError` for a bad
        ``conversation`` or ``concurrency``; re-raises an exception of the input iterator or of
        ``on_result``, and :class:`~conversations_async.errors.SessionClosedError`.
        """
        return await create_many(
            self, conversation, specs, concurrency=concurrency, on_result=on_result
        )
