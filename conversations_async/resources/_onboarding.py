"""What adding one participant in a bulk job needs: create, classify the answer, read back.

How one spec is added (:meth:`Onboarding.add`):

1. The spec is checked with the same declaration as ``participants.create``; an invalid one is
   ``failed`` with :class:`~conversations_async.errors.InvalidArgumentError`, nothing sent.
2. Create. The Session already retries a 429 (waiting ``Retry-After`` or backing off) and a
   connection that was never made, because neither can have reached Twilio.
3. Twilio answers 50433/50437 (already in the conversation): ``existed``, with the participant
   read back (by identity, or by its messaging binding in the participant list).
4. An ambiguous failure (5xx, timeout, connection cut after sending, unreadable 2xx) may or may
   not have created the participant. It is read back first; found: ``created`` with
   ``reconciled=True``; absent: created again after a backoff. Twilio refuses a second
   participant with the same identity or binding, so even a read-back that races a slow commit
   cannot double anyone: the next create is answered 50433/50437 and becomes ``existed``.
5. Anything else (bad address, participant limit, 401, …) is ``failed`` with Twilio's code.

It reads back only through the public ``fetch`` and ``list`` of the participants namespace, and
sends through the :class:`~conversations_async._requester.Requester`; the generic part (workers,
order, streaming, cancellation) is :func:`conversations_async._bulk.run_bulk`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Iterable
from typing import Any, Final, Protocol, cast

import attrs

from .._bulk import BulkReport, BulkResult, BulkStatus, ResultCallback, run_bulk
from .._pagination import AsyncPager
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
    if isinstance(error, APIStatusError):
        return error.status >= 500
    return isinstance(error, ResponseValidationError)


def matches(spec: Any, participant: Participant) -> bool:
    """Whether ``participant`` is the one ``spec`` describes: the same identity, or the same
    messaging binding address and proxy address."""
    if spec.identity:
        return bool(participant.identity == spec.identity)
    binding = participant.messaging_binding
    if binding is None or not spec.messaging_binding_address:
        return False
    proxy = spec.messaging_binding_proxy_address or None
    return binding.address == spec.messaging_binding_address and binding.proxy_address == proxy


class Onboarding:
    """One ``create_many`` call: ``specs`` added to ``conversation`` through ``operation``."""

    def __init__(
        self, participants: ParticipantReads, conversation: str, operation: Operation[Participant]
    ) -> None:
        self._participants = participants
        self._requester = participants.requester
        self._service = participants.chat_service_sid
        self._conversation = check_path_value("conversation", conversation)
        self._operation = operation

    async def run(
        self,
        specs: Iterable[object] | AsyncIterable[object],
        *,
        concurrency: int | None,
        on_result: ResultCallback | None,
    ) -> BulkReport:
        if concurrency is None:
            concurrency = self._requester.max_concurrency
        return await run_bulk(specs, self.add, concurrency=concurrency, on_result=on_result)

    def _create_request(self, index: int, spec: object) -> Request:
        params = self._operation.params
        assert params is not None
        if not isinstance(spec, params):
            raise InvalidArgumentError(
                f"specs[{index}]", f"must be a {params.__name__}, not {type(spec).__name__}"
            )
        arguments = {
            **attrs.asdict(cast(Any, spec), recurse=False),
            "conversation": self._conversation,
        }
        return self._operation.request(self._service, arguments)

    async def add(self, index: int, spec: object) -> BulkResult:
        try:
            request = self._create_request(index, spec)
        except InvalidArgumentError as error:
            return BulkResult(index=index, spec=spec, status=BulkStatus.FAILED, error=error)

        started = time.monotonic()
        retry = self._requester.retry
        rounds = max(1, min(_MAX_ROUNDS, retry.attempts))
        reconciled = False
        last_error: ConversationsError | None = None

        def result(status: BulkStatus, **fields: object) -> BulkResult:
            return BulkResult(
                index=index,
                spec=spec,
                status=status,
                attempts=attempt,
                reconciled=reconciled,
                elapsed=time.monotonic() - started,
                **fields,  # type: ignore[arg-type]
            )

        for attempt in range(1, rounds + 1):
            try:
                data = await self._requester.request(request)
                participant = self._participants.structure(data, Participant)
                return result(BulkStatus.CREATED, participant=participant)
            except SessionClosedError:
                raise
            except ConversationsError as error:
                last_error = error
            already = isinstance(last_error, APIStatusError) and last_error.already_in_conversation
            if not already and not _ambiguous(last_error):
                return result(BulkStatus.FAILED, error=last_error)
            # Already there, or perhaps created: look before creating again.
            reconciled = reconciled or not already
            try:
                found = await self._read_back(spec)
            except ConversationsError:
                # Could not tell; the error that left it unknown is the one to report.
                return result(BulkStatus.FAILED, error=last_error)
            if found is not None and already:
                return result(BulkStatus.EXISTED, participant=found, error=last_error)
            if found is not None:
                return result(BulkStatus.CREATED, participant=found)
            # Absent (an "already there" one was removed meanwhile): add it again.
            if attempt < rounds:
                await self._requester.sleep(retry.wait_for(last_error, attempt))
        assert last_error is not None
        return result(BulkStatus.FAILED, error=last_error)

    async def _read_back(self, spec: Any) -> Participant | None:
        """The participant ``spec`` describes, if it is in the conversation now."""
        if spec.identity:
            try:
                return await self._participants.fetch(self._conversation, spec.identity)
            except NotFoundError as error:
                if error.code == 50432 or error.code is None:
                    return None
                raise
        async for participant in self._participants.list(self._conversation, page_size=100):
            if matches(spec, participant):
                return participant
        return None
