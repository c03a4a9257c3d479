"""A service's push bindings (service scope only): registered through the emulator's test
helper (Twilio has no REST create), then fetched, listed by type and identity, and deleted."""

from __future__ import annotations

import pytest

from conversations_async import Request, Session
from conversations_async.errors import BadRequestError, InvalidArgumentError, NotFoundError
from conversations_async.models import Binding, BindingType
from conversations_async.resources import Bindings
from conversations_async.testing import Emulator, TwilioError

SERVICE_SID = "IS" + "a" * 32
OTHER_SERVICE = "IS" + "b" * 32


async def credentials(session: Session) -> tuple[str, str]:
    apn = await session.credentials.create(type="apn", certificate="cert", private_key="key")
    fcm = await session.credentials.create(type="fcm", secret="server-key")
    return apn.sid, fcm.sid


async def test_fetch_list_and_delete(session: Session, emulator: Emulator) -> None:
    apn, fcm = await credentials(session)
    scoped = session.service(SERVICE_SID)
    assert isinstance(scoped.bindings, Bindings)
    alice_ios = emulator.register_binding(SERVICE_SID, "alice", "apn", apn)
    alice_android = emulator.register_binding(
        SERVICE_SID, "alice", "fcm", fcm, endpoint="alice-pixel", message_types=["new_message"]
    )
    bob = emulator.register_binding(SERVICE_SID, "bob", "twilsock")
    elsewhere = emulator.register_binding(OTHER_SERVICE, "alice", "fcm", fcm)

    fetched = await scoped.bindings.fetch(alice_android["sid"])
    assert emulator.requests[-1].path == f"/v1/Services/{SERVICE_SID}/Bindings/{fetched.sid}"
    assert isinstance(fetched, Binding)
    assert fetched.sid.startswith("BS")
    assert (fetched.identity, fetched.binding_type, fetched.credential_sid) == (
        "alice",
        BindingType.FCM,
        fcm,
    )
    assert (fetched.endpoint, fetched.message_types) == ("alice-pixel", ("new_message",))
    assert fetched.chat_service_sid == SERVICE_SID

    every = [b.sid async for b in scoped.bindings.list()]
    assert every == [alice_ios["sid"], alice_android["sid"], bob["sid"]]
    alice = [b.sid async for b in scoped.bindings.list(identity=["alice"])]
    assert alice == [alice_ios["sid"], alice_android["sid"]]
    pushes = [b.sid async for b in scoped.bindings.list(binding_type=[BindingType.APN, "twilsock"])]
    assert pushes == [alice_ios["sid"], bob["sid"]]
    assert emulator.requests[-1].query == (("BindingType", "apn"), ("BindingType", "twilsock"))
    both = [
        b.sid async for b in scoped.bindings.list(binding_type=["fcm"], identity=["alice", "bob"])
    ]
    assert both == [alice_android["sid"]]

    await scoped.bindings.delete(alice_ios["sid"])
    with pytest.raises(NotFoundError) as caught:
        await scoped.bindings.fetch(alice_ios["sid"])
    assert caught.value.code == 20404
    # A binding belongs to its service: not found through another one.
    with pytest.raises(NotFoundError):
        await scoped.bindings.fetch(elsewhere["sid"])
    assert [b.sid async for b in session.service(OTHER_SERVICE).bindings.list()] == [
        elsewhere["sid"]
    ]


async def test_the_same_endpoint_registered_again_replaces_its_binding(
    session: Session, emulator: Emulator
) -> None:
    _, fcm = await credentials(session)
    first = emulator.register_binding(None, "alice", "fcm", fcm, endpoint="pixel")
    second = emulator.register_binding(None, "alice", "fcm", fcm, endpoint="pixel")
    default = session.service(emulator.store.default_service)
    assert [b.sid async for b in default.bindings.list()] == [second["sid"]]
    assert first["sid"] != second["sid"]


async def test_a_binding_needs_a_credential_of_its_type(
    session: Session, emulator: Emulator
) -> None:
    apn, _ = await credentials(session)
    with pytest.raises(TwilioError) as mismatch:
        emulator.register_binding(SERVICE_SID, "alice", "fcm", apn)
    assert mismatch.value.code == 52003
    with pytest.raises(TwilioError) as missing:
        emulator.register_binding(SERVICE_SID, "alice", "apn", "CR" + "0" * 32)
    assert missing.value.status == 404
    with pytest.raises(TwilioError):
        emulator.register_binding(SERVICE_SID, "alice", "apn")
    with pytest.raises(TwilioError):
        emulator.register_binding(SERVICE_SID, "alice", "sms")


async def test_bad_filters_are_refused_before_sending(session: Session, emulator: Emulator) -> None:
    scoped = session.service(SERVICE_SID)
    for arguments, field in (
        ({"binding_type": "apn"}, "binding_type"),  # a list, not one value
        ({"binding_type": ["sms"]}, "binding_type[0]"),
        ({"identity": "alice"}, "identity"),
        ({"page_size": 101}, "page_size"),
    ):
        with pytest.raises(InvalidArgumentError) as caught:
            scoped.bindings.list(**arguments)
        assert caught.value.field == field
    assert not emulator.requests


@pytest.mark.spec_invalid_requests("a BindingType the spec refuses, on purpose")
async def test_the_emulator_refuses_an_unknown_binding_type(session: Session) -> None:
    with pytest.raises(BadRequestError) as caught:
        await session.request(
            Request(
                method="GET",
                path=("v1", "Services", SERVICE_SID, "Bindings"),
                query=(("BindingType", "sms"),),
            )
        )
    assert caught.value.code == 20001
