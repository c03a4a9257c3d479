"""Role create/fetch/update/delete/list in both scopes, Twilio's default roles, and the
permission names, over HTTP against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from _ops_scopes import Scope
from _people import People, people_for

import conversations_async as ca
from conversations_async._limits import service_write_key
from conversations_async._sansio import Pacing
from conversations_async.models import Role, RolePermission, RoleType
from conversations_async.resources import roles as role_ops
from conversations_async.testing import Emulator

MISSING = "RL" + "0" * 32
DEFAULTS = {
    ("service admin", RoleType.SERVICE),
    ("service user", RoleType.SERVICE),
    ("channel admin", RoleType.CONVERSATION),
    ("channel user", RoleType.CONVERSATION),
}


@pytest.fixture
def ps(session: ca.Session, scope: Scope) -> People:
    return people_for(session, scope)


async def test_create_sends_every_field(emulator: Emulator, ps: People) -> None:
    role = await ps.roles.create(
        friendly_name="Support agent",
        type=RoleType.CONVERSATION,
        permission=["sendMessage", RolePermission.SEND_MEDIA_MESSAGE, "leaveConversation"],
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", f"{ps.prefix}/Roles")
    # The array keeps Twilio's singular name: the key repeated, in the order given.
    assert request.form == (
        ("FriendlyName", "Support agent"),
        ("Type", "conversation"),
        ("Permission", "sendMessage"),
        ("Permission", "sendMediaMessage"),
        ("Permission", "leaveConversation"),
    )
    assert isinstance(role, Role)
    assert role.sid.startswith("RL") and len(role.sid) == 34
    assert (role.friendly_name, role.type) == ("Support agent", RoleType.CONVERSATION)
    assert role.permissions == ("sendMessage", "sendMediaMessage", "leaveConversation")
    assert all(isinstance(p, RolePermission) for p in role.permissions)
    assert role.account_sid == emulator.account_sid
    assert role.chat_service_sid == (ps.service or emulator.store.default_service)
    assert role.date_created is not None
    assert str(role.url).endswith(f"{ps.prefix}/Roles/{role.sid}")


async def test_a_service_role(ps: People) -> None:
    role = await ps.roles.create(
        friendly_name="creator", type="service", permission=["createConversation"]
    )
    assert role.type == RoleType.SERVICE
    assert role.permissions == (RolePermission.CREATE_CONVERSATION,)


async def test_fetch_update_delete(emulator: Emulator, ps: People) -> None:
    made = await ps.roles.create(
        friendly_name="editor", type="conversation", permission=["sendMessage", "editOwnMessage"]
    )
    assert await ps.roles.fetch(made.sid) == made
    assert emulator.requests[-1].path == f"{ps.prefix}/Roles/{made.sid}"

    updated = await ps.roles.update(made.sid, permission=["sendMessage", "deleteOwnMessage"])
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", f"{ps.prefix}/Roles/{made.sid}")
    assert request.form == (("Permission", "sendMessage"), ("Permission", "deleteOwnMessage"))
    # The update replaces every permission; the name and type stay.
    assert updated.permissions == ("sendMessage", "deleteOwnMessage")
    assert (updated.sid, updated.friendly_name, updated.type) == (made.sid, "editor", made.type)
    assert await ps.roles.fetch(made.sid) == updated

    await ps.roles.delete(made.sid)
    assert emulator.requests[-1].method == "DELETE"
    for call in (ps.roles.fetch(made.sid), ps.roles.delete(made.sid)):
        with pytest.raises(ca.NotFoundError) as gone:
            await call
        assert gone.value.code == 20404


async def test_every_service_starts_with_twilios_default_roles(
    emulator: Emulator, session: ca.Session, ps: People
) -> None:
    listed = [role async for role in ps.roles.list()]
    assert {(role.friendly_name, role.type) for role in listed} == DEFAULTS
    assert all(role.permissions for role in listed)
    # A service made through the API has its own.
    made = await session.services.create(friendly_name="fresh")
    fresh = [role async for role in session.service(made.sid).roles.list()]
    assert {(role.friendly_name, role.type) for role in fresh} == DEFAULTS
    assert not {role.sid for role in fresh} & {role.sid for role in listed}
    assert {role.chat_service_sid for role in fresh} == {made.sid}


async def test_list_pages_and_counts_the_defaults(emulator: Emulator, ps: People) -> None:
    made = [
        await ps.roles.create(
            friendly_name=f"r{n}", type="service", permission=["joinConversation"]
        )
        for n in range(3)
    ]
    emulator.reset_counters()
    listed = [role async for role in ps.roles.list(page_size=2)]
    assert len(listed) == 4 + 3
    assert [role.sid for role in listed[-3:]] == [role.sid for role in made]
    assert len(emulator.requests) == 4
    with pytest.raises(ca.InvalidArgumentError):
        await ps.roles.list(page_size=51)


async def test_a_future_permission_is_sent_and_the_emulator_refuses_it(
    emulator: Emulator, ps: People
) -> None:
    # The library lets a name Twilio adds later through; the emulator knows today's names only.
    future = RolePermission("pinMessage")
    with pytest.raises(ca.BadRequestError) as refused:
        await ps.roles.create(friendly_name="f", type="conversation", permission=[future])
    assert refused.value.status == 400
    assert emulator.requests[-1].form[-1] == ("Permission", "pinMessage")
    made = await ps.roles.create(friendly_name="g", type="conversation", permission=["sendMessage"])
    with pytest.raises(ca.BadRequestError):
        await ps.roles.update(made.sid, permission=["sendMessage", future])
    assert (await ps.roles.fetch(made.sid)).permissions == ("sendMessage",)


async def test_a_missing_role_is_20404(ps: People) -> None:
    for call in (
        ps.roles.fetch(MISSING),
        ps.roles.update(MISSING, permission=["sendMessage"]),
        ps.roles.delete(MISSING),
    ):
        with pytest.raises(ca.NotFoundError) as missing:
            await call
        assert missing.value.code == 20404


GOOD: dict[str, Any] = {
    "friendly_name": "ok",
    "type": "service",
    "permission": ["joinConversation"],
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"friendly_name": ""}, "friendly_name"),
        ({"friendly_name": "x" * 65}, "friendly_name"),
        ({"friendly_name": None}, "friendly_name"),
        ({"type": "admin"}, "type"),
        ({"type": None}, "type"),
        ({"permission": []}, "permission"),
        ({"permission": "sendMessage"}, "permission"),  # one string is not a list
        ({"permission": ["sendMessage", "notAPermission"]}, "permission[1]"),
        ({"permission": [1]}, "permission[0]"),
        ({"permission": None}, "permission"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    emulator: Emulator, ps: People, changes: dict[str, Any], field: str
) -> None:
    before = len(emulator.requests)
    with pytest.raises(ca.InvalidArgumentError) as refused:
        await ps.roles.create(**{**GOOD, **changes})
    assert refused.value.field == field
    if "permission" in changes:
        with pytest.raises(ca.InvalidArgumentError) as refused_update:
            await ps.roles.update(MISSING, permission=changes["permission"])
        assert refused_update.value.field == field
    assert len(emulator.requests) == before


def test_role_writes_are_paced_per_service() -> None:
    arguments = {"role": MISSING, **GOOD}
    service = "IS" + "2" * 32
    for operation in (role_ops.CREATE, role_ops.UPDATE, role_ops.DELETE):
        assert operation.pacing is Pacing.SERVICE
        assert operation.request(None, arguments).write_key == service_write_key(None)
        assert operation.request(service, arguments).write_key == service_write_key(service)
    for read in (role_ops.FETCH, role_ops.LIST):
        assert read.request(None, arguments).write_key is None


async def test_role_writes_spend_the_services_budget(
    emulator: Emulator, ps: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    [_ async for _ in ps.roles.list()]  # the defaults exist before counting
    spent: list[str] = []
    monkeypatch.setattr(
        emulator._fault_state, "spend_write", lambda faults, key, now: spent.append(key)
    )
    made = await ps.roles.create(**GOOD)
    await ps.roles.fetch(made.sid)
    await ps.roles.update(made.sid, permission=["createConversation"])
    await ps.roles.delete(made.sid)
    assert spent == [f"service:{ps.service or 'default'}"] * 3
