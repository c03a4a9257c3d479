"""``session.participants``: the members of a conversation."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Coroutine, Iterable
from datetime import datetime
from typing import Any

import attrs

from .._bulk import BulkReport, BulkResult, ResultCallback
from .._pagination import AsyncPager
from .._sansio import Operation, Pacing, Params
from .._sansio.params import form, webhook_header
from .._sansio.rules import DATETIME, Integer, Timestamp, sid
from .._types import JSON, NOT_GIVEN, NotGiven
from ..models import Participant
from ._base import Resource
from ._onboarding import Onboarding
from ._participant_spec import ADDRESS, ATTRIBUTES, CREATE, IDENTITY, NewParticipant
from ._removal import Removal
from ._sync import Confirm, SyncReport
from ._sync import sync as sync_membership


@attrs.frozen(kw_only=True)
class UpdateParticipant(Params):
    """The parameters of :meth:`Participants.update` (``None`` clears the nullable ones)."""

    date_created: datetime | NotGiven = form("DateCreated", DATETIME)
    date_updated: datetime | NotGiven = form("DateUpdated", DATETIME)
    attributes: JSON | NotGiven = form("Attributes", ATTRIBUTES)
    role_sid: str | NotGiven = form("RoleSid", sid("RL"))
    messaging_binding_proxy_address: str | NotGiven | None = form(
        "MessagingBinding.ProxyAddress", ADDRESS, nullable=True
    )
    messaging_binding_projected_address: str | NotGiven | None = form(
        "MessagingBinding.ProjectedAddress", ADDRESS, nullable=True
    )
    identity: str | NotGiven = form("Identity", IDENTITY)
    last_read_message_index: int | NotGiven | None = form(
        "LastReadMessageIndex", Integer(minimum=0), nullable=True
    )
    last_read_timestamp: datetime | str | NotGiven = form("LastReadTimestamp", Timestamp())
    webhook_enabled: bool | NotGiven = webhook_header()


@attrs.frozen(kw_only=True)
class DeleteParticipant(Params):
    webhook_enabled: bool | NotGiven = webhook_header()


_PATH = "Conversations/{conversation}/Participants"
_ONE = _PATH + "/{participant}"

FETCH = Operation(
    "fetch",
    "GET",
    _ONE,
    Participant,
    spec=("FetchConversationParticipant", "FetchServiceConversationParticipant"),
)
UPDATE = Operation(
    "update",
    "POST",
    _ONE,
    Participant,
    UpdateParticipant,
    Pacing.CONVERSATION,
    spec=("UpdateConversationParticipant", "UpdateServiceConversationParticipant"),
)
DELETE = Operation[None](
    "delete",
    "DELETE",
    _ONE,
    None,
    DeleteParticipant,
    Pacing.CONVERSATION,
    spec=("DeleteConversationParticipant", "DeleteServiceConversationParticipant"),
)
LIST = Operation(
    "list",
    "GET",
    _PATH,
    Participant,
    list_key="participants",
    spec=("ListConversationParticipant", "ListServiceConversationParticipant"),
)


class Participants(Resource):
    """Participants of conversations: ``/v1/[Services/{IS}/]Conversations/{CH}/Participants``.

    A conversation is addressed by its ``CH…`` SID or its unique name; a participant by its
    ``MB…`` SID or its identity.
    """

    operations = (CREATE, FETCH, UPDATE, DELETE, LIST)

    def create(
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
    ) -> Coroutine[Any, Any, Participant]:
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
        return self._call(CREATE, locals())

    def fetch(self, conversation: str, participant: str) -> Coroutine[Any, Any, Participant]:
        """Fetch one participant by its ``MB…`` SID or by its identity.

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects (a read is safe to repeat).
        """
        return self._call(FETCH, locals())

    def update(
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
    ) -> Coroutine[Any, Any, Participant]:
        """Change a participant (addressed by ``MB…`` SID or identity); returns the new record.

        Only the parameters you pass are sent. ``None`` clears a field that Twilio lets you
        clear: ``messaging_binding_proxy_address``, ``messaging_binding_projected_address`` and
        ``last_read_message_index`` (sent as Twilio's ``null``). The participant's own
        ``messaging_binding_address`` cannot be changed (remove and add it again).

        Not resent after a 5xx, timeout or disconnect (it may have been applied); retried on
        429 and when the connection was never made.
        """
        return self._call(UPDATE, locals())

    def delete(
        self,
        conversation: str,
        participant: str,
        *,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, None]:
        """Remove a participant (by ``MB…`` SID or identity) from the conversation.

        ``webhook_enabled`` sends ``X-Twilio-Webhook-Enabled`` (twilio-python builds that header
        for deletes and then drops it; this library sends it). Raises
        :class:`~conversations_async.errors.NotFoundError` when it is not there. A delete is
        retried after a 5xx or timeout, so a retried delete that had already been applied
        answers NotFoundError.
        """
        return self._send(DELETE, locals())

    def list(
        self, conversation: str, *, limit: int | None = None, page_size: int | None = None
    ) -> AsyncPager[Participant]:
        """Every participant of ``conversation``, page by page: ``async for p in ….list(CH)``.

        No request is made until you iterate (or ``await`` it for the first page).
        ``limit`` stops after that many participants; ``page_size`` is 1 to 100.
        """
        return self._list(LIST, locals(), limit=limit, page_size=page_size)

    async def create_many(
        self,
        conversation: str,
        specs: Iterable[NewParticipant] | AsyncIterable[NewParticipant],
        *,
        concurrency: int | None = None,
        on_result: ResultCallback | None = None,
        keep_results: bool = True,
    ) -> BulkReport:
        """Add many participants to ``conversation``; none lost, none doubled.

        ``specs`` is any iterable or async iterable of
        :class:`~conversations_async.NewParticipant` (read lazily: a
        generator over a huge file is never read ahead of the work). ``concurrency`` specs are
        in progress at a time (default: the Session's ``max_concurrency``); the Session's
        limiter still paces the requests themselves.

        Returns a :class:`~conversations_async.BulkReport` with one result per spec, in input
        order: ``created``, ``existed`` (Twilio 50433/50437, with the participant read back) or
        ``failed`` (with the error). One spec's failure never raises. A create that failed
        ambiguously (5xx, timeout, cut connection) is read back before it is sent again.

        ``on_result`` (a function or coroutine function) is called with each result as soon as
        it is known, in completion order: use it to stream results to a file or a progress bar.
        With ``keep_results=False`` the report keeps no results, only the counts
        (``report.counts``, ``total``, ``ok``; ``results`` and the lists are empty), so memory
        stays bounded by the concurrency however many specs there are: pair it with
        ``on_result``, or use :meth:`stream_many`.

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
        onboarding = Onboarding(self, conversation, CREATE)
        return await onboarding.run(
            specs, concurrency=concurrency, on_result=on_result, keep_results=keep_results
        )

    def stream_many(
        self,
        conversation: str,
        specs: Iterable[NewParticipant] | AsyncIterable[NewParticipant],
        *,
        concurrency: int | None = None,
    ) -> AsyncGenerator[BulkResult, None]:
        """Add many participants like :meth:`create_many`, yielding each result as it is known::

            async with contextlib.aclosing(participants.stream_many(CH, specs)) as results:
                async for result in results:
                    ...

        An async generator of :class:`~conversations_async.BulkResult` in completion order
        (``result.index`` is the spec's position in the input); nothing is kept, so a million
        specs from a generator run in memory bounded by ``concurrency``. Every spec is handled
        as ``create_many`` handles it: one spec's failure is a result, never an exception.

        A slow consumer holds the work back (at most about ``2 * concurrency`` results wait).
        Stopping early (closing the generator: ``aclose()``, leaving the ``aclosing`` block, or
        letting it be collected after a ``break``) or cancelling the consumer cancels every
        spec in progress and closes an async generator input; those specs may or may not have
        been added (running the same input again is safe).

        Raises :class:`~conversations_async.errors.InvalidArgumentError` for a bad
        ``conversation`` or ``concurrency`` at once; an exception of the input iterator, or
        :class:`~conversations_async.errors.SessionClosedError`, from the iteration, after the
        results finished before it.
        """
        return Onboarding(self, conversation, CREATE).stream(specs, concurrency=concurrency)

    async def delete_many(
        self,
        conversation: str,
        specs_or_identities: Iterable[str | NewParticipant | Participant]
        | AsyncIterable[str | NewParticipant | Participant],
        *,
        concurrency: int | None = None,
        on_result: ResultCallback | None = None,
        keep_results: bool = True,
    ) -> BulkReport:
        """Remove many participants from ``conversation``; absent ones count as done.

        Each item names one participant: an identity or ``MB…`` SID, a
        :class:`~conversations_async.NewParticipant` (by identity, or by messaging binding
        address and proxy address, looked up in one listing of the conversation), or a
        :class:`~conversations_async.models.Participant` record. Read lazily, like
        ``create_many``'s specs; ``concurrency``, ``on_result`` and ``keep_results`` work the
        same way.

        Returns a :class:`~conversations_async.BulkReport` with one result per item, in input
        order: ``removed`` (answered 204), ``absent`` (any 404, whatever its code: not there,
        the goal reached), ``failed`` (still there as far as Twilio said: 401, 403, an invalid
        item, ...) or ``unknown`` (5xx, timeout or cut connection after the Session's retries:
        it may have been applied). One item's failure never raises. Running the same input
        again is safe: the removed come back ``absent``.

        Raises :class:`~conversations_async.errors.InvalidArgumentError` for a bad
        ``conversation`` or ``concurrency``; re-raises an exception of the input iterator or of
        ``on_result``, and :class:`~conversations_async.errors.SessionClosedError`. Cancelling
        behaves as for ``create_many``.
        """
        removal = Removal(self, conversation, DELETE)
        return await removal.run(
            specs_or_identities,
            concurrency=concurrency,
            on_result=on_result,
            keep_results=keep_results,
        )

    async def sync(
        self,
        conversation: str,
        specs: Iterable[NewParticipant] | AsyncIterable[NewParticipant],
        *,
        dry_run: bool = False,
        concurrency: int | None = None,
        on_result: ResultCallback | None = None,
        confirm: Confirm | None = None,
    ) -> SyncReport:
        """Make the membership of ``conversation`` equal ``specs``: add the missing, remove
        the extra.

        A participant is named by its identity (chat) or by its messaging binding address with
        the proxy address (SMS/WhatsApp). Every spec is read and checked first: a bad spec, or
        two naming the same participant, raises
        :class:`~conversations_async.errors.InvalidArgumentError` before any request. Then the
        conversation is listed and the plan made (:class:`~conversations_async.SyncPlan`:
        ``add``, ``remove``, ``keep``). Membership only: a kept participant is not updated.

        Unless ``dry_run``, or ``confirm`` (a function or coroutine function given the plan)
        answers false, the plan is carried out: the removals first (as ``delete_many``, so the
        additions find room under the participant limit), then the additions (as
        ``create_many``: read back after an ambiguous failure, nobody doubled). ``on_result``
        gets every result of both; a removal's ``spec`` is the member's
        :class:`~conversations_async.models.Participant` record.

        Returns a :class:`~conversations_async.SyncReport`: the plan, and the ``removed`` and
        ``added`` reports (``None`` when nothing was sent). Running it again is safe; once
        everything succeeded, it plans nothing.
        """
        return await sync_membership(
            self,
            conversation,
            specs,
            delete=DELETE,
            dry_run=dry_run,
            concurrency=concurrency,
            on_result=on_result,
            confirm=confirm,
        )
