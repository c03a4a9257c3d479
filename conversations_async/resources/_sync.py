"""Making a conversation's membership equal a list of specs: a plan, then its removals and
additions.

How :func:`sync` goes:

1. Every spec is read and checked with the same declaration as ``participants.create``; a bad
   spec or two specs naming the same participant raise
   :class:`~conversations_async.errors.InvalidArgumentError` before any request. (Acting on
   part of a membership list could remove someone meant to stay.)
2. The conversation's participants are listed, every page.
3. The plan: who is named by a spec and not there (``add``), who is there and named by no spec
   (``remove``), who is both (``keep``). A participant is named by its identity (chat), or by
   its messaging binding address with the proxy address (SMS/WhatsApp). Membership only: a
   kept participant is not updated.
4. Unless ``dry_run`` (or ``confirm`` declines): the removals first, so that the additions
   find room under the participant limit, then the additions, with ``create_many``'s safety
   (read back after an ambiguous failure, never a double).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import cast

import attrs

from .._bulk import BulkReport, BulkResult, ResultCallback, check_concurrency, run_bulk
from .._sansio import Operation
from .._sansio.rules import check_path_value
from ..errors import InvalidArgumentError
from ..models import Participant
from ._onboarding import Onboarding, ParticipantReads
from ._participant_spec import CREATE, NewParticipant
from ._removal import Removal, member_key


@attrs.frozen
class SyncPlan:
    """What :meth:`~conversations_async.resources.Participants.sync` changes, or would."""

    add: tuple[NewParticipant, ...]
    """The specs of participants not in the conversation, in input order."""
    add_indices: tuple[int, ...]
    """The position in the input of each spec of ``add``."""
    remove: tuple[Participant, ...]
    """The members no spec names, in listing order."""
    keep: tuple[Participant, ...]
    """The members some spec names (left as they are)."""

    @property
    def changes(self) -> bool:
        """Whether there is anything to add or remove."""
        return bool(self.add or self.remove)

    def __repr__(self) -> str:
        return f"<SyncPlan add={len(self.add)} remove={len(self.remove)} keep={len(self.keep)}>"


@attrs.frozen
class SyncReport:
    """The plan and, when it was carried out, one report per phase."""

    plan: SyncPlan
    removed: BulkReport | None = None
    """One result per member of ``plan.remove`` (``index``: its position there); ``removed``,
    ``absent``, ``failed`` or ``unknown``. ``None`` for a dry run or a declined plan."""
    added: BulkReport | None = None
    """One result per spec of ``plan.add`` (``index``: the spec's position in the input);
    ``created``, ``existed``, ``failed`` or ``unknown``. ``None`` for a dry run or a declined
    plan."""

    @property
    def applied(self) -> bool:
        """The plan was carried out (not a dry run, not declined)."""
        return self.removed is not None

    @property
    def ok(self) -> bool:
        """The membership equals the specs now: nothing was to change, or every change
        reached its goal."""
        if not self.plan.changes:
            return True
        if self.removed is None or self.added is None:
            return False
        return self.removed.ok and self.added.ok

    def __repr__(self) -> str:
        if not self.applied:
            return f"<SyncReport {self.plan!r}, not applied>"
        return f"<SyncReport {self.plan!r}, removed: {self.removed!r}, added: {self.added!r}>"


Confirm = Callable[[SyncPlan], bool | Awaitable[bool]]
"""Called with the plan before anything is sent; a false answer sends nothing."""


async def _read_all(specs: Iterable[object] | AsyncIterable[object]) -> list[object]:
    if isinstance(specs, AsyncIterable):
        return [spec async for spec in specs]
    if isinstance(specs, str | bytes | Mapping) or not isinstance(specs, Iterable):
        raise InvalidArgumentError("specs", "must be an iterable or an async iterable")
    return list(specs)


def _described(key: tuple[str, ...]) -> str:
    if key[0] == "identity":
        return f"identity {key[1]!r}"
    return f"address {key[1]!r} with proxy address {key[2]!r}"


async def sync(
    participants: ParticipantReads,
    conversation: str,
    specs: Iterable[object] | AsyncIterable[object],
    *,
    delete: Operation[None],
    dry_run: bool,
    concurrency: int | None,
    on_result: ResultCallback | None,
    confirm: Confirm | None,
) -> SyncReport:
    """Plan, then (unless ``dry_run`` or ``confirm`` declines) remove and add; see the module."""
    conversation = check_path_value("conversation", conversation)
    if concurrency is None:
        concurrency = participants.requester.max_concurrency
    concurrency = check_concurrency(concurrency)
    onboarding = Onboarding(participants, conversation, CREATE)
    wanted = await _read_all(specs)
    named: dict[tuple[str, ...], int] = {}
    for index, spec in enumerate(wanted):
        checked = onboarding.check(index, spec)
        if isinstance(checked, InvalidArgumentError):
            own = f"specs[{index}]"
            field = checked.field
            raise InvalidArgumentError(
                field if field.startswith(own) else f"{own}.{field}", checked.message
            )
        key = checked[1].key
        first = named.setdefault(key, index)
        if first != index:
            raise InvalidArgumentError(
                f"specs[{index}]",
                f"names the same participant as specs[{first}] ({_described(key)})",
            )
    members = [member async for member in participants.list(conversation, page_size=100)]
    present = {member_key(member) for member in members}
    missing = [index for key, index in named.items() if key not in present]
    plan = SyncPlan(
        add=tuple(cast(NewParticipant, wanted[index]) for index in missing),
        add_indices=tuple(missing),
        remove=tuple(member for member in members if member_key(member) not in named),
        keep=tuple(member for member in members if member_key(member) in named),
    )
    if dry_run:
        return SyncReport(plan)
    if not plan.changes:
        return SyncReport(plan, removed=BulkReport(()), added=BulkReport(()))
    if confirm is not None:
        answer = confirm(plan)
        if inspect.isawaitable(answer):
            answer = await answer
        if not answer:
            return SyncReport(plan)
    removal = Removal(participants, conversation, delete, field="remove")
    removed = await run_bulk(
        plan.remove, removal.remove, concurrency=concurrency, on_result=on_result
    )
    positions = plan.add_indices

    async def add(index: int, spec: object) -> BulkResult:
        return await onboarding.add(positions[index], spec)

    added = await run_bulk(plan.add, add, concurrency=concurrency, on_result=on_result)
    return SyncReport(plan, removed=removed, added=added)


__all__ = ["Confirm", "SyncPlan", "SyncReport", "sync"]
