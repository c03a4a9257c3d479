"""Every example response of Twilio's spec for Conversation, Participant, Message, DeliveryReceipt
and ParticipantConversation (both scopes, every operation) structures into our records without
losing a key or a value."""

from __future__ import annotations

import functools
from typing import Any

import attrs
import pytest
from _spec_walk import assert_kept

from conversations_async import (
    Conversation,
    DeliveryReceipt,
    Message,
    Participant,
    ParticipantConversation,
)
from conversations_async import _convert as convert
from conversations_async._convert import structure
from conversations_async._pagination import parse_page

OPERATIONS = [
    ("/v1/Conversations", Conversation),
    ("/v1/Conversations/{Sid}", Conversation),
    ("/v1/ConversationWithParticipants", Conversation),
    ("/v1/Conversations/{ConversationSid}/Participants", Participant),
    ("/v1/Conversations/{ConversationSid}/Participants/{Sid}", Participant),
    ("/v1/Conversations/{ConversationSid}/Messages", Message),
    ("/v1/Conversations/{ConversationSid}/Messages/{Sid}", Message),
    ("/v1/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts", DeliveryReceipt),
    ("/v1/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts/{Sid}", DeliveryReceipt),
    ("/v1/ParticipantConversations", ParticipantConversation),
]
SCOPES = ["", "/v1/Services/{ChatServiceSid}"]


def examples(spec: dict[str, Any]) -> list[tuple[str, type[Any], Any]]:
    found = []
    for path, cls in OPERATIONS:
        for scope in SCOPES:
            full = scope + path.removeprefix("/v1") if scope else path
            for method, operation in spec["paths"][full].items():
                if method not in {"get", "post", "delete"}:
                    continue
                for status, response in operation["responses"].items():
                    content = response.get("content", {}).get("application/json", {})
                    for name, example in content.get("examples", {}).items():
                        found.append(
                            (f"{method.upper()} {full} {status} {name}", cls, example["value"])
                        )
    return found


def test_every_example_structures_without_loss(spec: dict[str, Any]) -> None:
    found = examples(spec)
    records = 0
    for where, cls, value in found:
        if "meta" in value:
            page = parse_page(value, "", functools.partial(structure, cls=cls))
            raw_items = value[value["meta"]["key"]]
            assert len(page.items) == len(raw_items), where
            assert str(page.url) == value["meta"]["url"]
            pairs = list(zip(raw_items, page.items, strict=True))
        else:
            pairs = [(value, structure(value, cls))]
        for raw, record in pairs:
            assert isinstance(record, cls), where
            try:
                assert_kept(raw, record)
            except AssertionError as error:
                raise AssertionError(f"{where}: {error}") from None
            records += 1
    # 2 scopes x (conversation create/list/update/fetch + with-participants, participant
    # create/list/update/fetch, message create x5/list x4/update/fetch, receipt fetch/list,
    # participant conversation list x3): make sure the walk really found them.
    assert len(found) >= 40 + 2 * 17 and records >= len(found)
    kinds = {cls for _, cls, _ in found}
    assert kinds == {cls for _, cls in OPERATIONS}


def test_the_fast_path_and_cattrs_structure_every_example_alike(spec: dict[str, Any]) -> None:
    compared = 0
    for where, cls, value in examples(spec):
        fast = convert._fast_structurer(cls)
        assert fast is not None, where  # every record here (open records keep their own hook)
        items = value[value["meta"]["key"]] if "meta" in value else [value]
        for raw in items:
            record, expected = fast(raw), convert.converter.structure(raw, cls)
            assert record == expected, where
            assert [type(getattr(record, a.name)) for a in attrs.fields(cls)] == [
                type(getattr(expected, a.name)) for a in attrs.fields(cls)
            ], where
            compared += 1
    assert compared >= 74


@pytest.mark.parametrize("scope", SCOPES)
def test_every_operation_has_examples(spec: dict[str, Any], scope: str) -> None:
    for path, _ in OPERATIONS:
        full = scope + path.removeprefix("/v1") if scope else path
        operations = spec["paths"][full]
        for method in ("get", "post"):
            if method in operations:
                responses = operations[method]["responses"]
                assert any(
                    r.get("content", {}).get("application/json", {}).get("examples")
                    for r in responses.values()
                ), f"{method} {full}"
