"""Conversation Services (account scope only): create, fetch, delete, list, and a new service
usable with ``session.service(IS)`` at once; what an unknown service SID is in the emulator."""

from __future__ import annotations

from typing import Any

import pytest

import conversations_async as ca
from conversations_async.models import Service
from conversations_async.resources import services as service_ops
from conversations_async.testing import Emulator

UNKNOWN = "IS" + "5" * 32


async def test_create_sends_the_name(emulator: Emulator, session: ca.Session) -> None:
    service = await session.services.create(friendly_name="Acme support")
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/Services")
    assert request.form == (("FriendlyName", "Acme support"),)
    assert isinstance(service, Service)
    assert service.sid.startswith("IS") and len(service.sid) == 34
    assert (service.friendly_name, service.account_sid) == ("Acme support", emulator.account_sid)
    assert service.date_created is not None
    url = f"{emulator.base_url}/v1/Services/{service.sid}"
    assert str(service.url) == url
    assert {k: str(v) for k, v in service.links.items()} == {
        "conversations": f"{url}/Conversations",
        "users": f"{url}/Users",
        "roles": f"{url}/Roles",
        "bindings": f"{url}/Bindings",
        "configuration": f"{url}/Configuration",
        "participant_conversations": f"{url}/ParticipantConversations",
        "conversation_with_participants": f"{url}/ConversationWithParticipants",
    }


async def test_a_new_service_is_usable_at_once(session: ca.Session) -> None:
    service = await session.services.create(friendly_name="new")
    scoped = session.service(service.sid)
    conversation = await scoped.conversations.create(friendly_name="in the new service")
    assert conversation.chat_service_sid == service.sid
    await scoped.participants.create(conversation.sid, identity="alice")
    assert (await scoped.users.fetch("alice")).chat_service_sid == service.sid
    # The default service does not see it.
    assert [c async for c in session.conversations.list()] == []


async def test_fetch_and_list(emulator: Emulator, session: ca.Session) -> None:
    made = [await session.services.create(friendly_name=f"s{n}") for n in range(3)]
    assert await session.services.fetch(made[1].sid) == made[1]
    assert emulator.requests[-1].path == f"/v1/Services/{made[1].sid}"
    emulator.reset_counters()
    listed = [s async for s in session.services.list(page_size=2)]
    # The account's default service comes first.
    assert [s.sid for s in listed] == [emulator.store.default_service, *(s.sid for s in made)]
    assert listed[0].friendly_name is not None
    assert len(emulator.requests) == 2
    assert ("PageSize", "2") in emulator.requests[0].query
    assert [s async for s in session.services.list(page_size=100)] == listed
    with pytest.raises(ca.InvalidArgumentError):
        await session.services.list(page_size=101)


async def test_delete_removes_the_service(emulator: Emulator, session: ca.Session) -> None:
    service = await session.services.create(friendly_name="short-lived")
    scoped = session.service(service.sid)
    await scoped.conversations.create(friendly_name="gone with it")
    await session.services.delete(service.sid)
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("DELETE", f"/v1/Services/{service.sid}")
    for call in (
        session.services.fetch(service.sid),
        session.services.delete(service.sid),
        scoped.conversations.create(friendly_name="too late"),
        scoped.users.create(identity="late"),
    ):
        with pytest.raises(ca.NotFoundError) as gone:
            await call
        assert gone.value.code == 20404
    with pytest.raises(ca.NotFoundError):
        [_ async for _ in scoped.roles.list()]
    assert service.sid not in [s.sid async for s in session.services.list()]


async def test_the_default_service_is_not_deleted(emulator: Emulator, session: ca.Session) -> None:
    with pytest.raises(ca.BadRequestError):
        await session.services.delete(emulator.store.default_service)
    await session.services.fetch(emulator.store.default_service)


async def test_a_missing_service_is_20404(session: ca.Session) -> None:
    for call in (session.services.fetch(UNKNOWN), session.services.delete(UNKNOWN)):
        with pytest.raises(ca.NotFoundError) as missing:
            await call
        assert missing.value.code == 20404
    # What is not a service SID at all (the spec gives the path a pattern) is never sent.
    for sid in ("IS123", "CH" + "1" * 32):
        with pytest.raises(ca.InvalidArgumentError) as refused:
            await session.services.fetch(sid)
        assert refused.value.field == "service"


async def test_an_unknown_service_sid_is_adopted_when_used_as_a_scope(
    emulator: Emulator, session: ca.Session
) -> None:
    # The emulator takes a well-formed IS a test uses as one made before the test...
    await session.service(UNKNOWN).conversations.create(friendly_name="x")
    adopted = await session.services.fetch(UNKNOWN)
    assert (adopted.sid, adopted.friendly_name) == (UNKNOWN, None)
    assert UNKNOWN in [s.sid async for s in session.services.list()]
    # ...with Twilio's default roles.
    assert len([r async for r in session.service(UNKNOWN).roles.list()]) == 4
    # Deleted, it is gone for good.
    await session.services.delete(UNKNOWN)
    with pytest.raises(ca.NotFoundError):
        await session.service(UNKNOWN).conversations.create(friendly_name="again")


async def test_without_implicit_services_an_unknown_sid_is_20404_as_at_twilio(
    emulator: Emulator, session: ca.Session
) -> None:
    emulator.implicit_services = False
    with pytest.raises(ca.NotFoundError) as unknown:
        await session.service(UNKNOWN).conversations.create(friendly_name="x")
    assert unknown.value.code == 20404
    made = await session.services.create(friendly_name="made")
    await session.service(made.sid).conversations.create(friendly_name="fine")
    await session.service(emulator.store.default_service).conversations.create()
    assert Emulator(implicit_services=False).implicit_services is False


def test_services_exist_at_account_scope_only(session: ca.Session) -> None:
    assert session.services.chat_service_sid is None
    scoped: Any = session.service(UNKNOWN)
    with pytest.raises(AttributeError):
        _ = scoped.services
    for name in ("users", "user_conversations", "roles"):
        assert getattr(session, name).chat_service_sid is None
        assert getattr(scoped, name).chat_service_sid == UNKNOWN
    assert [op.spec for op in service_ops.Services.operations] == [
        ("CreateService", None),
        ("FetchService", None),
        ("DeleteService", None),
        ("ListService", None),
    ]


@pytest.mark.parametrize(
    ("friendly_name", "field"),
    [("x" * 257, "friendly_name"), (None, "friendly_name"), (5, "friendly_name")],
)
async def test_bad_input_is_refused_before_sending(
    emulator: Emulator, session: ca.Session, friendly_name: Any, field: str
) -> None:
    before = len(emulator.requests)
    with pytest.raises(ca.InvalidArgumentError) as refused:
        await session.services.create(friendly_name=friendly_name)
    assert refused.value.field == field
    assert len(emulator.requests) == before
