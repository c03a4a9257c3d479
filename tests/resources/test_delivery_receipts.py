"""Delivery receipts (fetch, list) in both scopes: one per non-chat participant a message went
to, and the message's delivery summary, over HTTP against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from _messaging import ADDRESS, PROXY, WHATSAPP, WHATSAPP_PROXY, Messaging, messaging_for
from _ops_scopes import Scope

import conversations_async as ca
from conversations_async.testing import Emulator

MISSING_MESSAGE = "IM" + "0" * 32
MISSING_RECEIPT = "DY" + "0" * 32


@pytest.fixture
def ms(session: ca.Session, scope: Scope) -> Messaging:
    return messaging_for(session, scope)


async def _mixed_conversation(ms: Messaging) -> tuple[ca.Conversation, dict[str, str]]:
    """A conversation with a chat, an SMS and a WhatsApp participant (name -> SID)."""
    conversation = await ms.conversations.create(friendly_name="mixed")
    chat = await ms.participants.create(conversation.sid, identity="agent")
    sms = await ms.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    whatsapp = await ms.participants.create(
        conversation.sid,
        messaging_binding_address=WHATSAPP,
        messaging_binding_proxy_address=WHATSAPP_PROXY,
    )
    return conversation, {"chat": chat.sid, "sms": sms.sid, "whatsapp": whatsapp.sid}


async def test_one_receipt_per_non_chat_participant(emulator: Emulator, ms: Messaging) -> None:
    conversation, sids = await _mixed_conversation(ms)
    message = await ms.messages.create(conversation.sid, author="agent", body="hello")
    assert message.delivery is not None
    assert message.delivery.total == 2
    assert (message.delivery.sent, message.delivery.delivered) == ("all", "none")
    assert (message.delivery.read, message.delivery.failed) == ("none", "none")
    assert message.delivery.undelivered == "none"

    receipts = [r async for r in ms.delivery_receipts.list(conversation.sid, message.sid)]
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "GET",
        f"{ms.prefix}/Conversations/{conversation.sid}/Messages/{message.sid}/Receipts",
    )
    assert request.query == ()
    by_participant = {r.participant_sid: r for r in receipts}
    assert set(by_participant) == {sids["sms"], sids["whatsapp"]}  # chat gets none
    for receipt in receipts:
        assert isinstance(receipt, ca.DeliveryReceipt) and receipt.sid.startswith("DY")
        assert receipt.status is ca.DeliveryStatus.SENT
        assert (receipt.conversation_sid, receipt.message_sid) == (conversation.sid, message.sid)
        assert receipt.error_code == 0
        assert receipt.date_created == message.date_created
        assert str(receipt.url).endswith(
            f"{ms.prefix}/Conversations/{conversation.sid}/Messages/{message.sid}"
            f"/Receipts/{receipt.sid}"
        )
        if ms.service is not None:
            assert receipt.chat_service_sid == ms.service
    sms_channel = by_participant[sids["sms"]].channel_message_sid
    whatsapp_channel = by_participant[sids["whatsapp"]].channel_message_sid
    assert sms_channel is not None and sms_channel.startswith("SM")
    assert whatsapp_channel is not None and whatsapp_channel.startswith("WA")


async def test_fetch_each_receipt(emulator: Emulator, ms: Messaging) -> None:
    conversation, _ = await _mixed_conversation(ms)
    message = await ms.messages.create(conversation.sid, body="hello")
    receipts = [r async for r in ms.delivery_receipts.list(conversation.sid, message.sid)]
    for receipt in receipts:
        fetched = await ms.delivery_receipts.fetch(conversation.sid, message.sid, receipt.sid)
        assert fetched == receipt
        request = emulator.requests[-1]
        assert (request.method, request.path) == (
            "GET",
            f"{ms.prefix}/Conversations/{conversation.sid}/Messages/{message.sid}"
            f"/Receipts/{receipt.sid}",
        )


async def test_the_authors_own_channel_gets_no_receipt(ms: Messaging) -> None:
    conversation, sids = await _mixed_conversation(ms)
    inbound = await ms.messages.create(conversation.sid, author=ADDRESS, body="from the phone")
    assert inbound.participant_sid == sids["sms"]
    receipts = [r async for r in ms.delivery_receipts.list(conversation.sid, inbound.sid)]
    assert [r.participant_sid for r in receipts] == [sids["whatsapp"]]


async def test_a_chat_only_conversation_has_no_delivery(ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    await ms.participants.create(conversation.sid, identity="alice")
    message = await ms.messages.create(conversation.sid, body="hi")
    assert message.delivery is None
    assert [r async for r in ms.delivery_receipts.list(conversation.sid, message.sid)] == []


async def test_paging_receipts_up_to_50_a_page(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    for n in range(3):
        await ms.participants.create(
            conversation.sid,
            messaging_binding_address=f"+1555867530{n}",
            messaging_binding_proxy_address=PROXY,
        )
    message = await ms.messages.create(conversation.sid, body="to all")
    emulator.reset_counters()
    one_by_one = [
        r async for r in ms.delivery_receipts.list(conversation.sid, message.sid, page_size=1)
    ]
    assert len(one_by_one) == 3 and len({r.sid for r in one_by_one}) == 3
    assert len(emulator.requests) == 3
    assert emulator.requests[0].query == (("PageSize", "1"),)
    largest = ms.delivery_receipts.list(conversation.sid, message.sid, page_size=50)
    assert [r.sid async for r in largest] == [r.sid for r in one_by_one]
    # With only a limit, the first page asks for no more than the list allows.
    limited = ms.delivery_receipts.list(conversation.sid, message.sid, limit=500)
    assert len([r async for r in limited]) == 3
    assert emulator.requests[-1].query == (("PageSize", "50"),)


@pytest.mark.parametrize("page_size", [0, 51, 100])
async def test_a_page_size_over_50_is_refused(
    emulator: Emulator, ms: Messaging, page_size: int
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        ms.delivery_receipts.list("CH" + "0" * 32, MISSING_MESSAGE, page_size=page_size)
    assert caught.value.field == "page_size"
    assert emulator.counters.requests == 0


async def test_anything_missing_is_20404(ms: Messaging) -> None:
    conversation, _ = await _mixed_conversation(ms)
    message = await ms.messages.create(conversation.sid, body="hello")
    calls: list[Any] = [
        ms.delivery_receipts.fetch(conversation.sid, message.sid, MISSING_RECEIPT),
        ms.delivery_receipts.fetch(conversation.sid, MISSING_MESSAGE, MISSING_RECEIPT),
        ms.delivery_receipts.fetch("CH" + "0" * 32, message.sid, MISSING_RECEIPT),
    ]
    for call in calls:
        with pytest.raises(ca.NotFoundError) as caught:
            await call
        assert caught.value.code == 20404
    with pytest.raises(ca.NotFoundError):
        await ms.delivery_receipts.list(conversation.sid, MISSING_MESSAGE)


async def test_a_deleted_message_takes_its_receipts(ms: Messaging) -> None:
    conversation, _ = await _mixed_conversation(ms)
    message = await ms.messages.create(conversation.sid, body="hello")
    [receipt, *_] = [r async for r in ms.delivery_receipts.list(conversation.sid, message.sid)]
    await ms.messages.delete(conversation.sid, message.sid)
    with pytest.raises(ca.NotFoundError):
        await ms.delivery_receipts.fetch(conversation.sid, message.sid, receipt.sid)


async def test_a_delivery_report_updates_receipt_and_summary(
    emulator: Emulator, ms: Messaging
) -> None:
    conversation, sids = await _mixed_conversation(ms)
    message = await ms.messages.create(conversation.sid, body="hello")
    receipts = {
        r.participant_sid: r async for r in ms.delivery_receipts.list(conversation.sid, message.sid)
    }
    sms = receipts[sids["sms"]]
    emulator.update_delivery(
        conversation.sid, message.sid, sms.sid, "delivered", service=ms.service
    )
    fetched = await ms.delivery_receipts.fetch(conversation.sid, message.sid, sms.sid)
    assert fetched.status is ca.DeliveryStatus.DELIVERED
    delivery = (await ms.messages.fetch(conversation.sid, message.sid)).delivery
    assert delivery is not None
    assert (delivery.total, delivery.sent, delivery.delivered) == (2, "some", "some")

    whatsapp = receipts[sids["whatsapp"]]
    emulator.update_delivery(
        conversation.sid, message.sid, whatsapp.sid, "failed", service=ms.service, error_code=63016
    )
    failed = await ms.delivery_receipts.fetch(conversation.sid, message.sid, whatsapp.sid)
    assert (failed.status, failed.error_code) == (ca.DeliveryStatus.FAILED, 63016)
    delivery = (await ms.messages.fetch(conversation.sid, message.sid)).delivery
    assert delivery is not None
    assert (delivery.sent, delivery.delivered, delivery.failed) == ("none", "some", "some")


def test_an_unknown_status_is_kept() -> None:
    from conversations_async._convert import structure

    receipt = structure({"sid": MISSING_RECEIPT, "status": "queued"}, ca.DeliveryReceipt)
    assert receipt.status == "queued" and isinstance(receipt.status, ca.DeliveryStatus)
