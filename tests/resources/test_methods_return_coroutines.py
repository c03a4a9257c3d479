"""A single-request method returns a coroutine (most are plain functions that return the request
loop's own): it works wherever a coroutine does (``await``, ``gather``, ``create_task``), and
invalid arguments raise when it is awaited, as from an ``async def``, before anything is sent."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from _operations import operations

from conversations_async import Conversation, InvalidArgumentError, Session
from conversations_async._sansio import Operation
from conversations_async.resources import Resource
from conversations_async.testing import Emulator

SERVICE = "IS" + "0" * 32
SINGLE_CALLS = [(cls, op) for cls, op in operations() if op.list_key is None and op.path_names]


@pytest.mark.parametrize(
    ("resource", "operation"),
    SINGLE_CALLS,
    ids=[f"{cls.__name__}.{op.name}" for cls, op in SINGLE_CALLS],
)
async def test_an_invalid_path_value_raises_when_awaited_and_sends_nothing(
    emulator: Emulator, session: Session, resource: type[Resource], operation: Operation[Any]
) -> None:
    method = getattr(resource(session, SERVICE), operation.name)
    arguments: dict[str, Any] = dict.fromkeys(operation.path_names, "")
    for parameter in inspect.signature(method).parameters.values():
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty:
            arguments[parameter.name] = "x"  # required, but the path is checked first
    before = len(emulator.requests)

    call = method(**arguments)  # nothing is raised yet

    assert inspect.iscoroutine(call)
    with pytest.raises(InvalidArgumentError) as raised:
        await call
    assert raised.value.field == operation.path_names[0]
    assert len(emulator.requests) == before


async def test_an_invalid_keyword_raises_when_awaited_and_sends_nothing(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    before = len(emulator.requests)
    call = session.participants.create(conversation.sid, identity=42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError) as raised:
        await call
    assert raised.value.field == "identity"
    assert len(emulator.requests) == before


async def test_a_call_is_a_coroutine_for_create_task_and_gather(
    session: Session, conversation: Conversation
) -> None:
    task = asyncio.create_task(session.participants.create(conversation.sid, identity="ann"))
    together = await asyncio.gather(
        session.participants.create(conversation.sid, identity="bob"),
        session.participants.create(conversation.sid, identity="cy"),
    )
    created = [await task, *together]
    assert [p.identity for p in created] == ["ann", "bob", "cy"]
    listed = [p async for p in session.participants.list(conversation.sid)]
    assert sorted(str(p.identity) for p in listed) == ["ann", "bob", "cy"]
