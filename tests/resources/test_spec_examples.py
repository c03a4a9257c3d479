"""Every example response of Twilio's spec for Conversation, Participant, Message, DeliveryReceipt
and ParticipantConversation (both scopes, every operation) structures into our records without
losing a key or a value."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

import attrs
import pytest

from conversations_async import (
    Conversation,
    DeliveryReceipt,
    Message,
    Participant,
    ParticipantConversation,
)
from conversations_async._convert import parse_datetime, structure
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
DATES = {
    *("date_created", "date_updated", "date_inactive", "date_closed"),
    *("conversation_date_created", "conversation_date_updated"),
}


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


def assert_same(key: str, expected: Any, got: Any) -> None:
    if key in DATES and expected is not None:
        assert isinstance(got, datetime) and got == parse_datetime(expected), key
    elif key.endswith("attributes") and isinstance(expected, str):
        assert got == json.loads(expected), key
    elif key in {"url"} and expected is not None:
        assert str(got) == expected, key
    elif key == "links" and expected is not None:
        assert {k: str(v) for k, v in got.items()} == expected, key
    elif isinstance(expected, dict) and attrs.has(type(got)):
        # An open record (messaging_binding, timers, delivery, a media item): every key is a
        # field or kept in ``extra``.
        for inner, value in expected.items():
            names = {a.name for a in attrs.fields(type(got))}
            kept = getattr(got, inner) if inner in names else got.extra[inner]
            assert_same(inner, value, kept)
    elif isinstance(expected, list) and isinstance(got, tuple):  # a message's media
        assert len(got) == len(expected), key
        for value, kept in zip(expected, got, strict=True):
            assert_same(key, value, kept)
    else:
        assert got == expected, key


def assert_kept(example: dict[str, Any], record: Any) -> None:
    # Twilio's key is the field's alias (``url`` for the text kept in ``_url``).
    names = {a.alias for a in attrs.fields(type(record))}
    for key, value in example.items():
        assert key in names, f"{type(record).__name__} has no field {key!r}"
        assert_same(key, value, getattr(record, key))


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
