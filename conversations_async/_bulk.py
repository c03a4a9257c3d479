"""Bulk onboarding: add many participants to one conversation, none lost and none doubled.

How one spec is added (``_Onboarding.add``):

1. The spec is validated with the same checks as ``participants.create``; an invalid one is
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

Memory stays bounded by ``concurrency``: that many workers pull from the input one spec at a
time (an async generator reading a huge CSV is never read ahead), and only the small result
records are kept, in a list indexed by input position.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from collections.abc import Mapping as MappingABC
from datetime import datetime
from typing import TYPE_CHECKING, Final

import attrs

from ._sansio import (
    Request,
    conversation_fetch_request,
    participant_create_request,
    participants_path,
)
from ._types import JSON, NOT_GIVEN, NotGiven
from .errors import (
    APIConnectionError,
    APIStatusError,
    ConversationsError,
    InvalidArgumentError,
    NotFoundError,
    ResponseValidationError,
    SessionClosedError,
)
from .models import Participant

if TYPE_CHECKING:
    from .resources.participants import Participants


class BulkStatus(enum.StrEnum):
    """What became of one spec."""

    CREATED = "created"
    """This run added the participant (a 201, or found by read-back after an ambiguous failure)."""
    EXISTED = "existed"
    """Twilio answered 50433/50437: the participant was already in the conversation."""
    FAILED = "failed"
    """Not in the conversation, as far as Twilio told us; ``error`` says why."""
    UNKNOWN = "unknown"
    """A create failed ambiguously (it may or may not have been applied) and no read-back
    answered; running the same input again settles it."""


@attrs.frozen(kw_only=True)
class NewParticipant:
    """One participant to add: the parameters of :meth:`~conversations_async.resources.Participants.create`, as a record.

    Nothing is checked when it is made; ``create_many`` checks each spec before sending it, and
    an invalid one becomes a ``failed`` result (see :meth:`validate` to check earlier).
    """

    identity: str | NotGiven = NOT_GIVEN
    messaging_binding_address: str | NotGiven = NOT_GIVEN
    messaging_binding_proxy_address: str | NotGiven = NOT_GIVEN
    messaging_binding_projected_address: str | NotGiven = NOT_GIVEN
    attributes: JSON | NotGiven = NOT_GIVEN
    role_sid: str | NotGiven = NOT_GIVEN
    date_created: datetime | NotGiven = NOT_GIVEN
    date_updated: datetime | NotGiven = NOT_GIVEN
    webhook_enabled: bool | NotGiven = NOT_GIVEN

    def create_request(self, conversation: str, *, service: str | None = None) -> Request:
        """The create request for this spec; raises InvalidArgumentError naming a bad field."""
        return participant_create_request(
            conversation,
            service=service,
            identity=self.identity,
            messaging_binding_address=self.messaging_binding_address,
            messaging_binding_proxy_address=self.messaging_binding_proxy_address,
            messaging_binding_projected_address=self.messaging_binding_projected_address,
            attributes=self.attributes,
            role_sid=self.role_sid,
            date_created=self.date_created,
            date_updated=self.date_updated,
            webhook_enabled=self.webhook_enabled,
        )

    def validate(self) -> None:
        """Raise :class:`~conversations_async.errors.InvalidArgumentError` if Twilio would
        refuse this spec for a reason known before sending."""
        self.create_request("CH" + "0" * 32)

    def matches(self, participant: Participant) -> bool:
        """Whether ``participant`` is the one this spec describes (same identity, or same
        messaging binding address and proxy address)."""
        if self.identity:
            return participant.identity == self.identity
        binding = participant.messaging_binding
        if binding is None or not self.messaging_binding_address:
            return False
        proxy = self.messaging_binding_proxy_address or None
        return binding.address == self.messaging_binding_address and binding.proxy_address == proxy


@attrs.frozen(kw_only=True)
class BulkResult:
    """The outcome for the spec at position ``index`` of the input."""

    index: int
    spec: NewParticipant | object
    """The input item (normally a :class:`NewParticipant`)."""
    status: BulkStatus
    participant: Participant | None = None
    """The participant as Twilio has it (``created``; ``existed`` unless reading it back
    failed)."""
    error: ConversationsError | None = None
    """Why it failed, or the ambiguous error that left it ``unknown``; for ``existed``, the
    50433/50437 error Twilio answered."""
    attempts: int = 0
    """How many create requests this spec sent (0 when invalid)."""
    reconciled: bool = False
    """A create failed ambiguously and the outcome was settled by reading back."""
    elapsed: float = 0.0
    """Seconds from the first send to the outcome."""

    @property
    def ok(self) -> bool:
        """The participant is in the conversation (``created`` or ``existed``)."""
        return self.status is BulkStatus.CREATED or self.status is BulkStatus.EXISTED

    @property
    def error_code(self) -> int | None:
        """Twilio's error code of ``error``, when it has one."""
        return self.error.code if isinstance(self.error, APIStatusError) else None


@attrs.frozen
class BulkReport:
    """Every result, in input order, with counts. Iterable and indexable like a sequence."""

    results: tuple[BulkResult, ...]
    complete: bool = True
    """False for the partial report of a cancelled run: in-flight and unread specs are missing."""

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[BulkResult]:
        return iter(self.results)

    def __getitem__(self, index: int) -> BulkResult:
        return self.results[index]

    def _with(self, status: BulkStatus) -> list[BulkResult]:
        return [result for result in self.results if result.status is status]

    @property
    def created(self) -> list[BulkResult]:
        return self._with(BulkStatus.CREATED)

    @property
    def existed(self) -> list[BulkResult]:
        return self._with(BulkStatus.EXISTED)

    @property
    def failed(self) -> list[BulkResult]:
        return self._with(BulkStatus.FAILED)

    @property
    def unknown(self) -> list[BulkResult]:
        return self._with(BulkStatus.UNKNOWN)

    @property
    def counts(self) -> MappingABC[BulkStatus, int]:
        """How many results have each status (every status present, zeros included)."""
        counts = dict.fromkeys(BulkStatus, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        """Complete, and every participant is in the conversation (none failed or unknown)."""
        return self.complete and all(result.ok for result in self.results)

    @property
    def participants(self) -> list[Participant]:
        """The participants now in the conversation, in input order."""
        return [r.participant for r in self.results if r.participant is not None]

    def __repr__(self) -> str:
        counts = ", ".join(f"{status.value}={n}" for status, n in self.counts.items())
        partial = "" if self.complete else ", partial"
        return f"<BulkReport {len(self.results)} results: {counts}{partial}>"


ResultCallback = Callable[[BulkResult], Awaitable[None] | None]
"""Called with each result as soon as it is known (completion order); may be a coroutine."""

# An ambiguous failure is reconciled and retried at most this many times per spec (on top of
# the Session's own retries), unless the RetryPolicy allows fewer attempts.
_MAX_ROUNDS: Final = 8


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


def _check(
    index: int, spec: object, conversation: str, service: str | None
) -> tuple[Request, NewParticipant] | InvalidArgumentError:
    """The create request for ``spec`` and the participant to look for when reading back, or
    why ``spec`` is invalid.

    Whatever the spec's values raise while being checked or encoded (a ``__str__`` that raises,
    a misbehaving str subclass, attributes that cannot be iterated) makes it invalid: one item
    never raises out of ``create_many``. The request and the read-back then hold only plain
    strings, so no code of the input runs again.
    """
    try:
        if not isinstance(spec, NewParticipant):
            return InvalidArgumentError(
                f"specs[{index}]", f"must be a NewParticipant, not {type(spec).__name__}"
            )
        request = spec.create_request(conversation, service=service)
    except InvalidArgumentError as error:
        return error
    except Exception as error:  # whatever the input raises is this item's fault, not the run's
        field = _culprit(spec)
        return InvalidArgumentError(
            f"specs[{index}]" + (f".{field}" if field else ""),
            f"raised {type(error).__name__} while being checked",
        )
    # ``str()`` of a str subclass may return that subclass; ``str.__str__`` copies it plainly.
    form = tuple((key, str.__str__(value)) for key, value in request.form)
    sent = dict(form)
    sought = NewParticipant(
        identity=sent.get("Identity", NOT_GIVEN),
        messaging_binding_address=sent.get("MessagingBinding.Address", NOT_GIVEN),
        messaging_binding_proxy_address=sent.get("MessagingBinding.ProxyAddress", NOT_GIVEN),
    )
    return attrs.evolve(request, form=form), sought


def _culprit(spec: object) -> str | None:
    """The first field of ``spec`` whose value raises unexpectedly on its own (beside a plain
    identity, so that the other checks pass); None when none does alone."""
    for field in attrs.fields(NewParticipant):
        try:
            attrs.evolve(_PROBE, **{field.name: getattr(spec, field.name)}).validate()
        except InvalidArgumentError:
            continue
        except Exception:  # this value raises by itself
            return field.name
    return None


_PROBE: Final = NewParticipant(identity="probe")


class _Onboarding:
    """One ``create_many`` call."""

    def __init__(self, participants: Participants, conversation: str) -> None:
        self._participants = participants
        self._session = participants._session
        self._service = participants.chat_service_sid
        self._conversation = conversation
        # Whether the conversation exists, once one fetch has answered (see _conversation_missing).
        self._conversation_found: bool | None = None
        self._conversation_check = asyncio.Lock()

    async def add(self, index: int, spec: object) -> BulkResult:
        checked = _check(index, spec, self._conversation, self._service)
        if isinstance(checked, InvalidArgumentError):
            return BulkResult(index=index, spec=spec, status=BulkStatus.FAILED, error=checked)
        request, sought = checked

        started = time.monotonic()
        retry = self._session.retry
        rounds = max(1, min(_MAX_ROUNDS, retry.attempts))
        attempts = 0
        reconciled = False
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
                created = await self._create(request)
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
                await self._session._sleep(retry.wait_for(last_error, round_number))
        # Out of rounds. The last read-back either answered "absent" or did not answer at all.
        return result(BulkStatus.FAILED if create else BulkStatus.UNKNOWN, error=create_error)

    async def _create(self, request: Request) -> Participant | ConversationsError:
        """The new participant, or how the create failed."""
        try:
            data = await self._session.request(request)
            return self._participants._structure(data, Participant)
        except SessionClosedError:
            raise
        except ConversationsError as error:
            return error

    async def _read_back(self, sought: NewParticipant) -> Participant | None:
        """The participant ``sought`` describes, if it is in the conversation now.

        Any 404 means absent, whatever its code (20404, 50432 or none: API-FACTS.md 3.3).
        """
        try:
            if sought.identity:
                return await self._participants.fetch(self._conversation, sought.identity)
            async for participant in self._participants.list(self._conversation, page_size=100):
                if sought.matches(participant):
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
                fetch = conversation_fetch_request(self._conversation, service=self._service)
                try:
                    await self._session.request(fetch)
                except NotFoundError:
                    self._conversation_found = False
                except SessionClosedError:
                    raise
                except ConversationsError:
                    return False
                else:
                    self._conversation_found = True
            return not self._conversation_found


_END: Final = object()


class _Specs:
    """Hands out ``(index, spec)`` pairs from a sync or async iterable, one pull at a time."""

    def __init__(self, specs: Iterable[object] | AsyncIterable[object]) -> None:
        self._sync: Iterator[object] | None = None
        self._async: AsyncIterator[object] | None = None
        if isinstance(specs, AsyncIterable):
            self._async = aiter(specs)
        elif isinstance(specs, Iterable):
            self._sync = iter(specs)
        else:
            raise InvalidArgumentError("specs", "must be an iterable or an async iterable")
        # An async generator must not be advanced by two workers at once.
        self._lock = asyncio.Lock()
        self._next_index = 0
        self._exhausted = False

    async def next(self) -> tuple[int, object] | None:
        if self._sync is not None:
            # A plain iterator is advanced without awaiting, so no other worker can interleave.
            return self._numbered(next(self._sync, _END))
        async with self._lock:
            if self._exhausted:
                return None
            assert self._async is not None
            return self._numbered(await anext(self._async, _END))

    async def close(self) -> None:
        """Close an async generator input now, so that its ``finally`` (closing a file or a
        cursor) runs when ``create_many`` stops rather than whenever it is collected."""
        aclose = getattr(self._async, "aclose", None)
        if aclose is not None:
            await aclose()

    def _numbered(self, spec: object) -> tuple[int, object] | None:
        if spec is _END or self._exhausted:
            self._exhausted = True
            return None
        index = self._next_index
        self._next_index += 1
        return index, spec


async def create_many(
    participants: Participants,
    conversation: str,
    specs: Iterable[NewParticipant] | AsyncIterable[NewParticipant],
    *,
    concurrency: int | None = None,
    on_result: ResultCallback | None = None,
) -> BulkReport:
    """See :meth:`conversations_async.resources.participants.Participants.create_many`."""
    participants_path(participants.chat_service_sid, conversation)  # checks ``conversation``
    session = participants._session
    if concurrency is None:
        concurrency = session.max_concurrency
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError("concurrency", "must be a positive integer")
    source = _Specs(specs)
    onboarding = _Onboarding(participants, conversation)
    # Grows by one small slot per spec read; results land at their input index.
    results: list[BulkResult | None] = []

    async def worker() -> None:
        while (item := await source.next()) is not None:
            index, spec = item
            results.extend([None] * (index + 1 - len(results)))
            result = await onboarding.add(index, spec)
            results[index] = result
            if on_result is not None:
                outcome = on_result(result)
                if inspect.isawaitable(outcome):
                    await outcome

    def report(*, complete: bool) -> BulkReport:
        return BulkReport(tuple(r for r in results if r is not None), complete=complete)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        try:
            done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        except asyncio.CancelledError as cancelled:
            await _stop(workers)
            # Callers in the same task can still read what was finished; on_result saw it too.
            cancelled.bulk_report = report(complete=False)  # type: ignore[attr-defined]
            raise
        for task in done:
            error = task.exception()
            if error is not None:
                # The input, on_result or the Session failed as a whole: stop everything.
                await _stop(workers)
                raise error
        return report(complete=True)
    finally:
        # Every worker has stopped by now, so none is inside the generator.
        await source.close()


async def _stop(workers: list[asyncio.Task[None]]) -> None:
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


__all__ = [
    "BulkReport",
    "BulkResult",
    "BulkStatus",
    "NewParticipant",
    "ResultCallback",
    "create_many",
]
