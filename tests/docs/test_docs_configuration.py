"""The configuration guide's example, with bindings to remove: the ones it means (alice's FCM
devices) go, every other stays; and what it configured is what the emulator holds."""

from __future__ import annotations

from _examples import load_example

from conversations_async import Session
from conversations_async.models import AutoCreationType
from conversations_async.testing import Emulator
from conversations_async.testing._state import addresses


async def test_the_example_removes_only_alices_fcm_bindings(
    session: Session, emulator: Emulator
) -> None:
    fcm = await session.credentials.create(type="fcm", secret="existing-key")
    apn = await session.credentials.create(type="apn", certificate="c", private_key="k")
    pixel = emulator.register_binding(None, "alice", "fcm", fcm.sid, endpoint="pixel")
    tablet = emulator.register_binding(None, "alice", "fcm", fcm.sid, endpoint="tablet")
    iphone = emulator.register_binding(None, "alice", "apn", apn.sid)
    bobs = emulator.register_binding(None, "bob", "fcm", fcm.sid)

    await load_example("configuration").main(session)

    service = session.service(emulator.store.default_service)
    left = {binding.sid async for binding in service.bindings.list()}
    assert left == {iphone["sid"], bobs["sid"]}
    assert not {pixel["sid"], tablet["sid"]} & left
    notifications = await service.notification_configuration.fetch()
    assert notifications.new_message is not None and notifications.new_message.enabled
    assert (await service.configuration.fetch()).reachability_enabled is True
    account = await session.configuration.fetch()
    assert (account.default_inactive_timer, account.default_closed_timer) == ("PT1H", "P7D")
    # It undid what it created: the address configuration and its own credential.
    assert not addresses.of(emulator.store).records
    assert [c.sid async for c in session.credentials.list()] == [fcm.sid, apn.sid]
    created = [r for r in emulator.requests if r.path == "/v1/Configuration/Addresses"]
    assert created[0].form_dict["AutoCreation.Type"] == AutoCreationType.WEBHOOK
