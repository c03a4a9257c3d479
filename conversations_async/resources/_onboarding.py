"""What adding one participant in a bulk job needs: create, classify the answer, read back.

How one spec is added (:meth:`Onboarding.add`):

1. The spec is checked with the same declaration as ``participants.create``; an invalid one is
   ``failed`` with :class:`~conversations_async.errors.InvalidArgumentError`, nothing sent.
   Whatever its values raise while being checked or encoded counts as invalid too.
2. Create. The Session already retries a 429 (waiting ``Retry-After`` or backing off) and a
   connection that was never made, because neither can have reached Twilio.
3. Twilio answers 50433/50437 (already in the conversation): ``existed``, with the participant
   read back (by identity, or by its messaging binding in the participant list); without it
   when the read-back fails, since Twilio has said it is there.
4. An ambiguous failure (5xx, timeout, connection cut after sending, unreadable 2xx, and a 404
   while the conversation exists: API-FACTS.md 3.3) may or may not have created the
   participant. It is read back first; found: ``created`` with ``reconciled=True``; absent
   (any 404, whatever its code): created again after a backoff; the read-back failed: read back
   again after a backoff. Twilio refuses a second participant with the same identity or
   binding, so even a read-back that races a slow commit cannot double anyone: the next create
   is answered 50433/50437 and becomes ``existed``.
5. Anything else (bad address, participant limit, 401, a 404 for a missing conversation, …)
   is ``failed`` with Twilio's code.
6. Out of rounds: ``failed`` if the last read-back answered "absent", ``unknown`` if no
   read-back answered at all. ``failed`` thus always means "not in the conversation, as far as
   Twilio told us".

It reads back only through the public ``fetch`` and ``list`` of the participants namespace, and
sends through the :class:`~conversations_async._requester.Requester`; the generic part (workers,
order, streaming, cancellation) is :func:`conversations_async._bulk.run_bulk`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterable, Iterable
from typing import Final, Protocol

import attrs

from .._bulk import BulkReport, BulkResult, BulkStatus, ResultCallback, run_bulk, stream_bulk
from .._pagination import AsyncPager
from .._reading import RecordReader
from .._requester import Requester
from .._sansio import Operation, Request
from .._sansio.rules import check_path_value
from .._types import JSON
from ..errors import (
    APIConnectionError,
    APIStatusError,
    ConversationsError,
    InvalidArgumentError,
    NotFoundError,
    ResponseValidationError,
    SessionClosedError,
)
from ..models import Participant
from . import conversations
from ._participant_spec import matches

# An ambiguous failure is reconciled and retried at most this many times per spec (on top of
# the Session's own retries), unless the RetryPolicy allows fewer attempts.
_MAX_ROUNDS: Final = 8


class ParticipantReads(Protocol):
    """The public part of ``session.participants`` that a bulk job reads back through."""

    @property
    def requester(self) -> Requester: ...

    @property
    def chat_service_sid(self) -> str | None: ...

    async def fetch(self, conversation: str, participant: str) -> Participant: ...

    def list(
        self, conversation: str, *, limit: int | None = None, page_size: int | None = None
    ) -> AsyncPager[Participant]: ...

    def structure(self, data: JSON, cls: type[Participant]) -> Participant: ...


def _ambiguous(error: ConversationsError) -> bool:
    """Whether the create may have been applied although it failed."""
    if isinstance(error, APIConnectionError):
        return error.sent
    if isinstance(error, NotFoundError):
        # Twilio has answered a create 404 although it added the participant (API-FACTS 3.3).
        return True
    if isinstance(error, APIStatusError):
        return error.status >= 500
    return isinstance(error, ResponseValidationError)


def _already_in_conversation(error: ConversationsError) -> bool:
    return isinstance(error, APIStatusError) and error.already_in_conversation


@attrs.frozen
class Sought:
    """What a read-back looks for, as plain strings taken from the request that was sent (so
    no code of the input, a misbehaving str subclass say, runs again)."""

    identity: str | None
    messaging_binding_address: str | None
    messaging_binding_proxy_address: str | None

    @property
    def key(self) -> tuple[str, ...]:
        """Who this is in a conversation: the identity of a chat participant, the address
        with the proxy address of an SMS/WhatsApp one (what Twilio keeps unique)."""
        if self.identity:
            return ("identity", self.identity)
        return (
            "binding",
            self.messaging_binding_address or "",
            self.messaging_binding_proxy_address or "",
        )


class ParticipantJob:
    """What the bulk jobs on one conversation's participants share: the scope, and one call
    of :meth:`one` per item through the generic runner (``create_many``, ``delete_many``)."""

    def __init__(self, participants: ParticipantReads, conversation: str) -> None:
        self._participants = participants
        self._requester = participants.requester
        self._service = participants.chat_service_sid
        self._conversation = check_path_value("conversation", conversation)

    async def one(self, index: int, item: object, /) -> BulkResult:
        """The result of the item at ``index`` of the input."""
        raise NotImplementedError

    async def run(
        self,
        items: Iterable[object] | AsyncIterable[object],
        *,
        concurrency: int | None,
        on_result: ResultCallback | None,
        keep_results: bool = True,
    ) -> BulkReport:
        return await run_bulk(
            items,
            self.one,
            concurrency=self._workers(concurrency),
            on_result=on_result,
            keep_results=keep_results,
        )

    def stream(
        self, items: Iterable[object] | AsyncIterable[object], *, concurrency: int | None
    ) -> AsyncGenerator[BulkResult, None]:
        """Each item's result as soon as it is known (see :func:`~.._bulk.stream_bulk`)."""
        return stream_bulk(items, self.one, concurrency=self._workers(concurrency))

    def _workers(self, concurrency: int | None) -> int:
        return self._requester.max_concurrency if concurrency is None else concurrency


class Onboarding(ParticipantJob):
    """One ``create_many`` call: ``specs`` added to ``conversation`` through ``operation``."""

    def __init__(
        self, participants: ParticipantReads, conversation: str, operation: Operation[Participant]
    ) -> None:
        super().__init__(participants, conversation)
        self._operation = operation
        declared = operation.declaration
        self._spec_fields = () if declared is None else declared.names
        # Whether the conversation exists, once one check has answered (_conversation_missing).
        self._conversation_found: bool | None = None
        self._conversation_check = asyncio.Lock()
        self._structure = RecordReader(Participant, self._service)

    def check(self, index: int, spec: object) -> tuple[Request, Sought] | InvalidArgumentError:
        """The create request for ``spec`` and what to look for when reading back, or why it
        is invalid. A value that raises while being checked is named with the spec's index."""
        params = self._operation.params
        assert params is not None
        if not isinstance(spec, params):
            return InvalidArgumentError(
                f"specs[{index}]", f"must be a {params.__name__}, not {type(spec).__name__}"
            )
        # The declared fields only (all that a request reads): attrs.asdict costs twice as much.
        arguments = {name: getattr(spec, name) for name in self._spec_fields}
        arguments["conversation"] = self._conversation
        try:
            request = self._operation.request(self._service, arguments)
        except InvalidArgumentError as error:
            if error.__cause__ is None:
                return error
            # The value raised something of its own: say which spec, as well as which field.
            field = f"specs[{index}]" + ("" if error.field == "arguments" else f".{error.field}")
            return InvalidArgumentError(field, error.message)
        sent = dict(request.form)
        sought = Sought(
            sent.get("Identity"),
            sent.get("MessagingBinding.Address"),
            sent.get("MessagingBinding.ProxyAddress"),
        )
        return request, sought

    async def add(self, index: int, spec: object) -> BulkResult:
        checked = self.check(index, spec)
        if isinstance(checked, InvalidArgumentError):
            return BulkResult(index=index, spec=spec, status=BulkStatus.FAILED, error=checked)
        request, sought = checked
        started = time.monotonic()
        # The common case first: the first create answers with the participant. Without
        # _settle's bookkeeping (its closure alone is seven objects), each spec in flight holds
        # fewer objects for the collector to walk, and most of a job is specs in flight.
        created = await self._create(request)
        if isinstance(created, Participant):
            return BulkResult(
                index=index,
                spec=spec,
                status=BulkStatus.CREATED,
                participant=created,
                attempts=1,
                elapsed=time.monotonic() - started,
            )
        return await self._settle(index, spec, request, sought, started, created)

    async def _settle(
        self,
        index: int,
        spec: object,
        request: Request,
        sought: Sought,
        started: float,
        first: ConversationsError,
    ) -> BulkResult:
        """The rounds after a first create that failed with ``first``: classify, read back,
        create again (steps 3-6 of the module docs)."""
        retry = self._requester.retry
        rounds = max(1, min(_MAX_ROUNDS, retry.attempts))
        attempts = 0
        reconciled = False
        pending: ConversationsError | None = first  # the first round's answer, already in
        create_error: ConversationsError | None = None  # how the last create failed
        last_error: ConversationsError | None = None  # the last failure, create or read-back
        already = False
        create = True  # False after a read-back that did not answer: look again first

        def result(status: BulkStatus, **fields: object) -> BulkResult:
            return BulkResult(
                index=index,
                spec=spec,
                status=status,
                attempts=attempts,
                reconciled=reconciled,
                elapsed=time.monotonic() - started,
                **fields,  # type: ignore[arg-type]
            )

        for round_number in range(1, rounds + 1):
            if create:
                attempts += 1
                if pending is None:
                    created = await self._create(request)
                else:
                    created, pending = pending, None
                if isinstance(created, Participant):
                    return result(BulkStatus.CREATED, participant=created)
                create_error = last_error = created
                already = _already_in_conversation(created)
                if not already and not _ambiguous(created):
                    return result(BulkStatus.FAILED, error=created)
                if isinstance(created, NotFoundError) and await self._conversation_missing():
                    return result(BulkStatus.FAILED, error=created)
                reconciled = reconciled or not already
            # Already there, or perhaps created: look before creating again.
            try:
                found = await self._read_back(sought)
            except SessionClosedError:
                raise
            except ConversationsError as error:
                if already:
                    # Twilio said it is there; only its record could not be read.
                    return result(BulkStatus.EXISTED, error=create_error)
                # Still cannot tell: look again next round rather than create blindly.
                last_error = error
                create = False
            else:
                if found is not None and already:
                    return result(BulkStatus.EXISTED, participant=found, error=create_error)
                if found is not None:
                    return result(BulkStatus.CREATED, participant=found)
                # Absent (not applied, or an "already there" one removed since): add it again.
                create = True
            if round_number < rounds:
                assert last_error is not None
                await self._requester.sleep(retry.wait_for(last_error, round_number))
        # Out of rounds. The last read-back either answered "absent" or did not answer at all.
        return result(BulkStatus.FAILED if create else BulkStatus.UNKNOWN, error=create_error)

    one = add

    async def _create(self, request: Request) -> Participant | ConversationsError:
        """The new participant, or how the create failed."""
        try:
            return await self._requester.request_structured(request, self._structure)
        except SessionClosedError:
            raise
        except ConversationsError as error:
            return error

    async def _read_back(self, sought: Sought) -> Participant | None:
        """The participant ``sought`` describes, if it is in the conversation now.

        Any 404 means absent, whatever its code (20404, 50432 or none: API-FACTS.md 3.3).
        """
        try:
            if sought.identity:
                return await self._participants.fetch(self._conversation, sought.identity)
            async for participant in self._participants.list(self._conversation, page_size=100):
                if matches(sought, participant):
                    return participant
        except NotFoundError:
            return None
        return None

    async def _conversation_missing(self) -> bool:
        """Whether the conversation itself is missing, which makes a create's 404 a real failure.

        One fetch answers for the whole run; while none has (it failed), a 404 counts as
        ambiguous, so the participant is read back rather than reported failed.
        """
        async with self._conversation_check:
            if self._conversation_found is None:
                fetch = conversations.FETCH.request(
                    self._service, {"conversation": self._conversation}
                )
                try:
                    await self._requester.request(fetch)
                except NotFoundError:
                    self._conversation_found = False
                except SessionClosedError:
                    raise
                except ConversationsError:
                    return False
                else:
                    self._conversation_found = True
            return not self._conversation_found
