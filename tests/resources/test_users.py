"""User create/fetch/update/delete/list in both scopes, over HTTP against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from _ops_scopes import Scope
from _people import People, default_role, people_for

import conversations_async as ca
from conversations_async._limits import service_write_key
from conversations_async.resources import users as user_ops
from conversations_async.testing import Emulator

MISSING = "US" + "0" * 32


@pytest.fixture
def ps(session: ca.Session, scope: Scope) -> People:
    return people_for(session, scope)


async def service_role(ps: People, name: str = "agent") -> ca.models.Role:
    return await ps.roles.create(
        friendly_name=name, type="service", permission=["createConversation", "joinConversation"]
    )


async def test_create_sends_every_field(emulator: Emulator, ps: People) -> None:
    role = await service_role(ps)
    user = await ps.users.create(
        identity="alice@example.com",
        friendly_name="Alice",
        attributes={"team": "support", "tier": 2},
        role_sid=role.sid,
        webhook_enabled=True,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", f"{ps.prefix}/Users")
    assert request.form == (
        ("Identity", "alice@example.com"),
        ("FriendlyName", "Alice"),
        ("Attributes", '{"team":"support","tier":2}'),
        ("RoleSid", role.sid),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "true"
    assert isinstance(user, ca.models.User)
    assert user.sid.startswith("US") and len(user.sid) == 34
    assert (user.identity, user.friendly_name, user.role_sid) == (
        "alice@example.com",
        "Alice",
        role.sid,
    )
    assert user.attributes == {"team": "support", "tier": 2}
    assert user.account_sid == emulator.account_sid
    assert user.is_online is None and user.is_notifiable is None  # reachability is off
    assert user.date_created is not None and user.date_updated == user.date_created
    assert str(user.url).endswith(f"{ps.prefix}/Users/{user.sid}")
    assert {k: str(v) for k, v in user.links.items()} == {
        "user_conversations": f"{user.url}/Conversations"
    }
    if ps.service is not None:
        assert user.chat_service_sid == ps.service
    else:
        assert user.chat_service_sid == emulator.store.default_service


async def test_what_is_left_out_is_not_sent(emulator: Emulator, ps: People) -> None:
    user = await ps.users.create(identity="bob")
    request = emulator.requests[-1]
    assert request.form == (("Identity", "bob"),)
    assert "X-Twilio-Webhook-Enabled" not in request.headers
    # Twilio's defaults: the service's default user role, no name, attributes {}.
    assert user.role_sid == await default_role(ps.roles, "service user")
    assert user.friendly_name is None
    assert user.attributes == {}


async def test_fetch_by_sid_and_by_identity(emulator: Emulator, ps: People) -> None:
    made = await ps.users.create(identity="carol")
    assert await ps.users.fetch(made.sid) == made
    assert await ps.users.fetch("carol") == made
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("GET", f"{ps.prefix}/Users/carol")


async def test_update_sends_every_field(emulator: Emulator, ps: People) -> None:
    made = await ps.users.create(identity="dave", friendly_name="Dave", attributes={"v": 1})
    role = await service_role(ps, "lead")
    updated = await ps.users.update(
        "dave",
        friendly_name="David",
        attributes={"v": 2},
        role_sid=role.sid,
        webhook_enabled=False,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", f"{ps.prefix}/Users/dave")
    assert request.form == (
        ("FriendlyName", "David"),
        ("Attributes", '{"v":2}'),
        ("RoleSid", role.sid),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "false"
    assert (updated.sid, updated.identity) == (made.sid, "dave")
    assert (updated.friendly_name, updated.attributes, updated.role_sid) == (
        "David",
        {"v": 2},
        role.sid,
    )
    assert await ps.users.fetch(made.sid) == updated


async def test_an_update_with_nothing_sends_nothing(emulator: Emulator, ps: People) -> None:
    made = await ps.users.create(identity="erin", friendly_name="Erin")
    same = await ps.users.update(made.sid)
    assert emulator.requests[-1].form == ()
    assert (same.sid, same.friendly_name, same.role_sid) == (made.sid, "Erin", made.role_sid)


@pytest.mark.parametrize("webhook_enabled", [True, False])
async def test_delete(emulator: Emulator, ps: People, webhook_enabled: bool) -> None:
    made = await ps.users.create(identity="frank")
    await ps.users.delete("frank", webhook_enabled=webhook_enabled)
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("DELETE", f"{ps.prefix}/Users/frank")
    assert request.headers["X-Twilio-Webhook-Enabled"] == str(webhook_enabled).lower()
    for key in (made.sid, "frank"):
        with pytest.raises(ca.NotFoundError) as gone:
            await ps.users.fetch(key)
        assert gone.value.code == 20404
    with pytest.raises(ca.NotFoundError):
        await ps.users.delete(made.sid)


async def test_list_follows_every_page(emulator: Emulator, ps: People) -> None:
    made = [await ps.users.create(identity=f"user-{n}") for n in range(5)]
    emulator.reset_counters()
    listed = [user async for user in ps.users.list(page_size=2)]
    assert [user.sid for user in listed] == [user.sid for user in made]
    assert len(emulator.requests) == 3
    first = emulator.requests[0]
    assert (first.method, first.path) == ("GET", f"{ps.prefix}/Users")
    assert ("PageSize", "2") in first.query
    assert [u.identity async for u in ps.users.list(limit=1)] == ["user-0"]


async def test_a_page_of_more_than_50_is_refused_before_sending(
    emulator: Emulator, ps: People
) -> None:
    before = len(emulator.requests)
    with pytest.raises(ca.InvalidArgumentError) as refused:
        await ps.users.list(page_size=51)
    assert refused.value.field == "page_size"
    assert len(emulator.requests) == before


async def test_an_identity_is_unique_in_its_service(ps: People) -> None:
    await ps.users.create(identity="gina")
    with pytest.raises(ca.ConflictError) as taken:
        await ps.users.create(identity="gina")
    assert taken.value.status == 409 and taken.value.code == 50201


async def test_the_role_must_be_a_service_role_of_the_service(ps: People) -> None:
    conversation_role = await ps.roles.create(
        friendly_name="member", type="conversation", permission=["sendMessage"]
    )
    for role_sid in (conversation_role.sid, "RL" + "9" * 32):
        with pytest.raises(ca.BadRequestError) as refused:
            await ps.users.create(identity="hank", role_sid=role_sid)
        assert refused.value.code == 50100
        with pytest.raises(ca.NotFoundError):
            await ps.users.fetch("hank")  # nothing was made


async def test_a_missing_user_is_20404(ps: People) -> None:
    for call in (
        ps.users.fetch(MISSING),
        ps.users.update("nobody", friendly_name="x"),
        ps.users.delete("nobody"),
    ):
        with pytest.raises(ca.NotFoundError) as missing:
            await call
        assert missing.value.code == 20404


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"identity": ""}, "identity"),
        ({"identity": None}, "identity"),
        ({"identity": "x" * 257}, "identity"),
        ({"identity": "a", "friendly_name": 7}, "friendly_name"),
        ({"identity": "a", "attributes": "{not json"}, "attributes"),
        ({"identity": "a", "attributes": {1j: 2}}, "attributes"),
        ({"identity": "a", "role_sid": "RL123"}, "role_sid"),
        ({"identity": "a", "role_sid": "US" + "a" * 32}, "role_sid"),
        ({"identity": "a", "webhook_enabled": "yes"}, "webhook_enabled"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    emulator: Emulator, ps: People, arguments: dict[str, Any], field: str
) -> None:
    before = len(emulator.requests)
    with pytest.raises(ca.InvalidArgumentError) as refused:
        await ps.users.create(**arguments)
    assert refused.value.field == field
    if field != "identity":  # the identity cannot be updated
        with pytest.raises(ca.InvalidArgumentError) as refused_update:
            await ps.users.update("a", **{k: v for k, v in arguments.items() if k != "identity"})
        assert refused_update.value.field == field
    assert len(emulator.requests) == before


def test_user_writes_are_paced_per_service() -> None:
    arguments = {"user": "alice", "identity": "alice"}
    service = "IS" + "2" * 32
    for operation in (user_ops.CREATE, user_ops.UPDATE, user_ops.DELETE):
        assert operation.pacing is ca._sansio.Pacing.SERVICE
        assert operation.request(None, arguments).write_key == service_write_key(None)
        assert operation.request(service, arguments).write_key == service_write_key(service)
    for read in (user_ops.FETCH, user_ops.LIST):
        assert read.request(None, arguments).write_key is None


async def test_user_writes_spend_the_services_budget(
    emulator: Emulator, ps: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which budget each request spends, recorded rather than timed (no clock in the test).
    spent: list[str] = []
    monkeypatch.setattr(
        emulator._fault_state, "spend_write", lambda faults, key, now: spent.append(key)
    )
    await ps.users.create(identity="ivy")
    await ps.users.fetch("ivy")
    [_ async for _ in ps.users.list()]
    await ps.users.update("ivy", friendly_name="Ivy")
    await ps.users.delete("ivy")
    assert spent == [f"service:{ps.service or 'default'}"] * 3
