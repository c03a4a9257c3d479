"""The converter: both response shapes of the seed page, dates, attributes, open sub-objects,
and every participant example of the official spec, structured without loss."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from yarl import URL

from conversations_async import ConversationState, Participant, ResponseValidationError
from conversations_async._convert import converter, parse_attributes, structure

# The two response bodies of ../shared/seed/add-participant.txt, verbatim.
SEED_RESPONSES: list[dict[str, Any]] = [
    {
        "account_sid": "string",
        "attributes": "string",
        "conversation_sid": "string",
        "date_created": "2023-05-04T09:42:00+00:00",
        "date_updated": "2023-05-04T09:42:00+00:00",
        "identity": "string",
        "last_read_message_index": 42,
        "last_read_timestamp": "string",
        "role_sid": "string",
        "sid": "string",
        "url": "https://example.com",
    },
    {
        "account_sid": "string",
        "attributes": None,
        "conversation_sid": "string",
        "date_created": "2025-05-04T09:42:00Z",
        "date_updated": "2025-05-04T09:42:00Z",
        "identity": "string",
        "last_read_message_index": 42,
        "last_read_timestamp": "string",
        "role_sid": "string",
        "sid": "string",
        "url": "https://example.com",
    },
]


@pytest.mark.parametrize("body", SEED_RESPONSES)
def test_both_seed_response_shapes_structure(body: dict[str, Any]) -> None:
    participant = structure(body, Participant)
    assert participant.date_created is not None and participant.date_created.tzinfo is not None
    assert participant.date_created.utcoffset() == UTC.utcoffset(None)
    assert participant.last_read_message_index == 42
    assert participant.url == URL("https://example.com")
    assert participant.messaging_binding is None


def test_both_date_forms_are_the_same_instant() -> None:
    plus = structure({"sid": "MB1", "date_created": "2025-05-04T09:42:00+00:00"}, Participant)
    zulu = structure({"sid": "MB1", "date_created": "2025-05-04T09:42:00Z"}, Participant)
    assert plus.date_created == zulu.date_created == datetime(2025, 5, 4, 9, 42, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (None, None),
        ("{}", {}),
        ('{ "role": "driver" }', {"role": "driver"}),
        ("[1]", [1]),
        ("string", "string"),
    ],
)
def test_attributes_give_the_parsed_json(raw: str | None, parsed: object) -> None:
    assert structure({"sid": "MB1", "attributes": raw}, Participant).attributes == parsed


def test_messaging_binding_keeps_unknown_keys() -> None:
    participant = structure(
        {
            "sid": "MB1",
            "messaging_binding": {
                "type": "rcs",
                "address": "rcs:+15558675310",
                "proxy_address": "rcs:+15017122661",
                "proxy_address_fallback": "+15017122661",
            },
        },
        Participant,
    )
    binding = participant.messaging_binding
    assert binding is not None
    assert (binding.type, binding.address, binding.proxy_address) == (
        "rcs",
        "rcs:+15558675310",
        "rcs:+15017122661",
    )
    assert binding.extra == {"proxy_address_fallback": "+15017122661"}
    assert converter.unstructure(binding)["proxy_address_fallback"] == "+15017122661"


def test_unknown_fields_are_ignored() -> None:
    participant = structure({"sid": "MB1", "brand_new_twilio_field": {"x": 1}}, Participant)
    assert participant.sid == "MB1"


def test_unknown_state_is_kept_not_rejected() -> None:
    state = ConversationState("archived")
    assert state.value == "archived" and isinstance(state, ConversationState)
    assert ConversationState("active") is ConversationState.ACTIVE


@pytest.mark.parametrize(
    "body",
    [
        {"identity": "no sid"},
        {"sid": None},
        {"sid": "MB1", "date_created": "yesterday"},
        ["not", "an", "object"],
    ],
)
def test_a_broken_body_raises_validation_error_with_the_body(body: Any) -> None:
    with pytest.raises(ResponseValidationError) as raised:
        structure(body, Participant)
    assert raised.value.errors
    assert str(body[0] if isinstance(body, list) else next(iter(body))) in str(raised.value.body)


def test_parse_attributes_passes_non_strings_through() -> None:
    assert parse_attributes({"a": 1}) == {"a": 1}


def _participant_examples(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for path, item in spec["paths"].items():
        if (
            not path.rstrip("}").split("/")[-1].startswith("Participants")
            and "/Participants" not in path
        ):
            continue
        if "ParticipantConversations" in path:
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json", {})
                for name, example in content.get("examples", {}).items():
                    value = example["value"]
                    records = value.get("participants", [value]) if isinstance(value, dict) else []
                    found += [(f"{method.upper()} {path} {status} {name}", r) for r in records]
    return found


def assert_lossless(record: Participant, example: dict[str, Any]) -> None:
    """Every key of the example is in the record with an equal value."""
    for key, value in example.items():
        got = getattr(record, key)
        if value is None:
            assert got is None, key
        elif key in {"date_created", "date_updated"}:
            assert got == datetime.fromisoformat(value), key
        elif key == "url":
            assert str(got) == value, key
        elif key == "attributes":
            assert got == parse_attributes(value), key
        elif key == "messaging_binding":
            assert converter.unstructure(got) == value, key
        else:
            assert got == value, key


def test_every_participant_example_of_the_spec_structures_without_loss(
    spec: dict[str, Any],
) -> None:
    examples = _participant_examples(spec)
    assert len(examples) >= 10, "the spec should hold many participant examples"
    for name, example in examples:
        try:
            assert_lossless(structure(example, Participant), example)
        except AssertionError as failure:
            raise AssertionError(f"{name}: {failure}") from None


def test_participant_url_is_a_yarl_url_kept_as_twilio_wrote_it() -> None:
    text = "https://conversations.twilio.com/v1/Conversations/CH1/Participants/a%2Fb"
    participant = structure({"sid": "MB1", "url": text}, Participant)
    assert isinstance(participant.url, URL)
    assert str(participant.url) == text  # already encoded: never re-quoted
    assert participant.url.raw_parts[-1] == "a%2Fb"
    assert Participant(sid="MB1", url=URL(text)) == participant
    assert converter.unstructure(participant)["url"] == text
    assert structure({"sid": "MB1"}, Participant).url is None


def test_records_share_their_repeated_sids() -> None:
    first = structure({"sid": "MB1", "account_sid": "AC" + "1" * 32}, Participant)
    second = structure({"sid": "MB2", "account_sid": "".join(["AC", "1" * 32])}, Participant)
    assert first.account_sid is second.account_sid
