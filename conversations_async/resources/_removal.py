"""What removing many participants needs: one delete each, where any 404 means "absent".

How one item is removed (:meth:`Removal.remove`):

1. The item names the participant: an identity or ``MB…`` SID (a string), a
   :class:`~conversations_async.NewParticipant` (its identity; for an SMS/WhatsApp one, its
   messaging binding, found in the participant list), or a
   :class:`~conversations_async.models.Participant` record (its SID). Anything else, or a
   value the delete request refuses, is ``failed`` with
   :class:`~conversations_async.errors.InvalidArgumentError`, nothing sent.
2. Delete. The Session already retries a delete after a 429, a 5xx, a timeout or a cut
   connection (a delete is safe to repeat).
3. 204: ``removed``. Any 404, whatever its code (20404, 50432, none; API-FACTS.md 3.3):
   ``absent``, the goal reached. A retried delete whose first try had been applied also
   answers 404, so ``absent`` may hide this run's own removal: both mean "gone now".
4. A 5xx, timeout or cut connection after every retry: ``unknown`` (it may have been applied;
   running the same input again settles it). Anything else (401, 403, a 429 after every
   retry, a connection never made): ``failed``, which means "still there as far as Twilio
   said".

A binding is looked up in one listing of the conversation, made the first time a spec needs
it and kept for the run: a binding not in that listing is ``absent`` without a request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .._bulk import BulkResult, BulkStatus
from .._sansio import Operation
from .._types import NOT_GIVEN
from ..errors import (
    APIConnectionError,
    APIStatusError,
    ConversationsError,
    InvalidArgumentError,
    NotFoundError,
    SessionClosedError,
)
from ..models import Participant
from ._onboarding import Onboarding, ParticipantJob, ParticipantReads, Sought
from ._participant_spec import CREATE, NewParticipant


def _ambiguous(error: ConversationsError) -> bool:
    """Whether a delete that failed like this may have been applied."""
    if isinstance(error, APIConnectionError):
        return error.sent
    return not isinstance(error, APIStatusError) or error.status >= 500


def member_key(participant: Participant) -> tuple[str, ...]:
    """Who ``participant`` is in its conversation, as :attr:`Sought.key` says it for a spec."""
    if participant.identity:
        return ("identity", participant.identity)
    binding = participant.messaging_binding
    if binding is None:
        # Neither an identity nor a binding: no spec can name it; its SID keeps it apart.
        return ("sid", participant.sid)
    return ("binding", binding.address or "", binding.proxy_address or "")


class Removal(ParticipantJob):
    """One ``delete_many`` call: items removed from ``conversation`` through ``operation``.

    ``field`` is the name of the input in error messages (``specs_or_identities[3]``).
    """

    def __init__(
        self,
        participants: ParticipantReads,
        conversation: str,
        operation: Operation[None],
        *,
        field: str = "specs_or_identities",
    ) -> None:
        super().__init__(participants, conversation)
        self._operation = operation
        self._field = field
        # Specs are checked (and their bindings read) as create_many would send them.
        self._specs = Onboarding(participants, self._conversation, CREATE)
        # The conversation's members by binding: listed once, when a spec first needs it.
        self._by_binding: dict[tuple[str, ...], Participant] | None = None
        self._listing = asyncio.Lock()

    async def remove(self, index: int, item: object) -> BulkResult:
        started = time.monotonic()
        attempts = 0

        def result(status: BulkStatus, **fields: Any) -> BulkResult:
            return BulkResult(
                index=index,
                spec=item,
                status=status,
                attempts=attempts,
                elapsed=time.monotonic() - started,
                **fields,
            )

        target = await self._target(index, item)
        if isinstance(target, ConversationsError):
            unsettled = isinstance(target, InvalidArgumentError) or not _ambiguous(target)
            return result(BulkStatus.FAILED if unsettled else BulkStatus.UNKNOWN, error=target)
        participant, member = target
        if participant is None:
            return result(BulkStatus.ABSENT)
        webhook = item.webhook_enabled if isinstance(item, NewParticipant) else NOT_GIVEN
        arguments = {
            "conversation": self._conversation,
            "participant": participant,
            "webhook_enabled": webhook,
        }
        try:
            request = self._operation.request(self._service, arguments)
        except Exception as exc:  # a value whose own methods raise is still bad input
            field, message = "participant", f"raised {type(exc).__name__} while being checked"
            if isinstance(exc, InvalidArgumentError):
                field, message = exc.field, exc.message
            if field == "participant":
                # The path value is the item itself (a string) or what named it.
                field = "identity" if isinstance(item, NewParticipant) else ""
            return result(BulkStatus.FAILED, error=self._named(index, field, message))
        attempts = 1
        try:
            await self._requester.request(request)
        except SessionClosedError:
            raise
        except NotFoundError as error:
            return result(BulkStatus.ABSENT, participant=member, error=error)
        except ConversationsError as error:
            status = BulkStatus.UNKNOWN if _ambiguous(error) else BulkStatus.FAILED
            return result(status, participant=member, error=error)
        return result(BulkStatus.REMOVED, participant=member)

    one = remove

    def _named(self, index: int, field: str, message: str) -> InvalidArgumentError:
        """The error for ``field`` of the item at ``index``, named as the caller passed it."""
        # The spec check names a spec "specs[i]" (create_many's argument); this input differs.
        own = f"specs[{index}]"
        if field.startswith(own):
            field = field[len(own) :].lstrip(".")
        name = f"{self._field}[{index}]"
        return InvalidArgumentError(f"{name}.{field}" if field else name, message)

    async def _target(
        self, index: int, item: object
    ) -> tuple[str | None, Participant | None] | ConversationsError:
        """The path value to delete (``None``: known absent) and the member when listed, or
        why the item names nobody (or, for a binding, why the listing failed)."""
        if isinstance(item, Participant):
            return item.sid, item
        if isinstance(item, str):
            return item, None
        if not isinstance(item, NewParticipant):
            return InvalidArgumentError(
                f"{self._field}[{index}]",
                "must be an identity or participant SID (a string), a NewParticipant or a"
                f" Participant, not {type(item).__name__}",
            )
        checked = self._specs.check(index, _identifying(item))
        if isinstance(checked, InvalidArgumentError):
            return self._named(index, checked.field, checked.message)
        sought = checked[1]
        if sought.identity:
            return sought.identity, None
        try:
            members = await self._members_by_binding()
        except NotFoundError:
            return None, None  # no such conversation: nobody is in it
        except SessionClosedError:
            raise
        except ConversationsError as error:
            return error
        member = members.get(sought.key)
        return (None, None) if member is None else (member.sid, member)

    async def _members_by_binding(self) -> dict[tuple[str, ...], Participant]:
        async with self._listing:
            if self._by_binding is None:
                listed = {}
                async for participant in self._participants.list(self._conversation, page_size=100):
                    if participant.messaging_binding is not None:
                        listed[member_key(participant)] = participant
                self._by_binding = listed
            return self._by_binding


def _identifying(spec: NewParticipant) -> NewParticipant:
    """Only what names the participant: a removal has no use for attributes, roles or dates,
    so a bad value there does not stop it."""
    return NewParticipant(
        identity=spec.identity,
        messaging_binding_address=spec.messaging_binding_address,
        messaging_binding_proxy_address=spec.messaging_binding_proxy_address,
    )


__all__ = ["Removal", "Sought", "member_key"]
