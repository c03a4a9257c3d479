"""The emulator's messages, receipts and participant conversations, asked directly (raw
requests through ``Session.request``): Twilio's rules hold even for what the library would
refuse before sending, and every record has exactly the spec's keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _messaging import ADDRESS, PROXY

import conversations_async as ca
from conversations_async import Request
from conversations_async.testing import Emulator


def _get(*path: str, query: tuple[tuple[str, str], ...] = ()) -> Request:
    return Request(method="GET", path=("v1", *path), query=query)


def _post(*path: str, form: tuple[tuple[str, str], ...] = ()) -> Request:
    return Request(method="POST", path=("v1", *path), form=form)


async def _conversation_with_sms(session: ca.Session) -> tuple[str, str]:
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")
    sms = await session.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    return conversation.sid, sms.sid


def _spec_keys(spec: dict[str, Any], schema: str) -> set[str]:
    return set(spec["components"]["schemas"][schema]["properties"])


async def test_records_have_the_specs_keys(session: ca.Session, spec: dict[str, Any]) -> None:
    conversation, _ = await _conversation_with_sms(session)
    message = await session.request(
        _post("Conversations", conversation, "Messages", form=(("Body", "hi"),))
    )
    receipts = await session.request(
        _get("Conversations", conversation, "Messages", message["sid"], "Receipts")
    )
    mine = await session.request(_get("ParticipantConversations", query=(("Identity", "alice"),)))
    assert set(message) == _spec_keys(spec, "conversations.v1.conversation.conversation_message")
    receipt_schema = (
        "conversations.v1.conversation.conversation_message.conversation_message_receipt"
    )
    assert set(receipts["delivery_receipts"][0]) == _spec_keys(spec, receipt_schema)
    assert set(mine["conversations"][0]) == _spec_keys(
        spec, "conversations.v1.participant_conversation"
    )
    assert receipts["meta"]["key"] == "delivery_receipts"
    assert mine["meta"]["key"] == "conversations"


async def test_service_records_have_the_specs_keys(
    session: ca.Session, spec: dict[str, Any]
) -> None:
    service = "IS" + "5" * 32
    scoped = session.service(service)
    conversation = await scoped.conversations.create()
    await scoped.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    path = ("Services", service, "Conversations", conversation.sid, "Messages")
    message = await session.request(_post(*path, form=(("Body", "hi"),)))
    receipts = await session.request(_get(*path, message["sid"], "Receipts"))
    prefix = "conversations.v1.service.service_conversation."
    assert set(message) == _spec_keys(spec, prefix + "service_conversation_message")
    receipt_schema = prefix + "service_conversation_message.service_conversation_message_receipt"
    assert set(receipts["delivery_receipts"][0]) == _spec_keys(spec, receipt_schema)


@pytest.mark.spec_invalid_requests("the spec's enum is lower case; its examples send any case")
@pytest.mark.parametrize(("order", "first"), [("DeSc", 2), ("AsC", 0), ("desc", 2)])
async def test_order_is_read_in_any_case(session: ca.Session, order: str, first: int) -> None:
    # The spec's examples send the order in mixed case (readLastMessage_ienumOrderMixedCase*).
    conversation = await session.conversations.create()
    for n in range(3):
        await session.messages.create(conversation.sid, body=str(n))
    page = await session.request(
        _get("Conversations", conversation.sid, "Messages", query=(("Order", order),))
    )
    assert page["messages"][0]["index"] == first


@pytest.mark.spec_invalid_requests("sends what Twilio refuses, to see the emulator refuse it")
async def test_the_emulator_refuses_what_twilio_refuses(session: ca.Session) -> None:
    conversation, _ = await _conversation_with_sms(session)
    path = ("Conversations", conversation, "Messages")
    bad_forms = [
        (),  # neither body, nor media, nor template
        (("Author", "bot"),),
        (("Body", "x" * (32 * 1024 + 1)),),
        (("Body", "x"), ("Attributes", "{not json")),
        (("Body", "x"), ("Attributes", json.dumps({"x": "y" * 4100}))),
        (("MediaSid", "ME1"),),
        (("ContentSid", "HX1"),),
        (("ContentSid", "HX" + "1" * 32), ("ContentVariables", "{not json")),
        (("Body", "x"), ("Subject", "s" * 257)),
        (("Body", "x"), ("DateCreated", "yesterday")),
    ]
    for form in bad_forms:
        with pytest.raises(ca.BadRequestError) as caught:
            await session.request(_post(*path, form=form))
        assert caught.value.status == 400, form
    with pytest.raises(ca.BadRequestError):
        await session.request(_get(*path, query=(("Order", "sideways"),)))


@pytest.mark.spec_invalid_requests("page sizes over the spec's maximum, on purpose")
async def test_page_sizes_over_the_lists_maximum_are_refused(session: ca.Session) -> None:
    conversation, _ = await _conversation_with_sms(session)
    message = await session.messages.create(conversation, body="hi")
    receipts = ("Conversations", conversation, "Messages", message.sid, "Receipts")
    for path, query in [
        (receipts, (("PageSize", "51"),)),
        (("ParticipantConversations",), (("Identity", "alice"), ("PageSize", "51"))),
        (("Conversations", conversation, "Messages"), (("PageSize", "101"),)),
    ]:
        with pytest.raises(ca.BadRequestError) as caught:
            await session.request(_get(*path, query=query))
        assert caught.value.code == 20007
    assert (await session.request(_get(*receipts, query=(("PageSize", "50"),))))["meta"][
        "page_size"
    ] == 50


@pytest.mark.parametrize(
    "query", [(), (("Identity", "alice"), ("Address", ADDRESS))], ids=["neither", "both"]
)
async def test_participant_conversations_need_exactly_one_filter(
    session: ca.Session, query: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(ca.BadRequestError):
        await session.request(_get("ParticipantConversations", query=query))


async def test_a_template_replaces_body_and_media(session: ca.Session) -> None:
    conversation = await session.conversations.create()
    form = (
        ("Body", "ignored"),
        ("MediaSid", "ME" + "1" * 32),
        ("ContentSid", "HX" + "1" * 32),
    )
    message = await session.request(_post("Conversations", conversation.sid, "Messages", form=form))
    assert (message["body"], message["media"]) == (None, None)
    assert message["content_sid"] == "HX" + "1" * 32


async def test_the_store_keeps_messages_in_the_conversation(
    emulator: Emulator, session: ca.Session
) -> None:
    from conversations_async.testing._state import messages

    conversation = await session.conversations.create()
    made = await session.messages.create(conversation.sid, body="kept")
    entry = emulator.store.conversations[conversation.sid]
    assert list(messages.of(entry).records) == [made.sid]
