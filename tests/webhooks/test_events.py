"""parse_event: Conversations webhook form parameters → typed, frozen event records."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import attrs
import cattrs.preconf.json
import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict

from conversations_async import ConversationsError
from conversations_async._convert import converter as shared_converter
from conversations_async.webhooks import (
    EVENT_CLASSES,
    PRE_ACTION_EVENTS,
    ConversationAdd,
    ConversationAdded,
    ConversationRemoved,
    ConversationStateUpdated,
    ConversationUpdated,
    Media,
    MessageAdd,
    MessageAdded,
    ParticipantAdd,
    ParticipantAdded,
    ParticipantRemove,
    ParticipantRemoved,
    ParticipantUpdate,
    ParticipantUpdated,
    WebhookEvent,
    WebhookMessagingBinding,
    WebhookParseError,
    configure_webhook_events,
    parse_event,
)

ACCOUNT = "AC" + "a" * 32
CONVERSATION = "CH" + "b" * 32
PARTICIPANT = "MB" + "c" * 32
MESSAGE = "IM" + "d" * 32
WHEN = datetime(2024, 5, 1, 10, 20, 30, tzinfo=UTC)

COMMON = {"AccountSid": ACCOUNT, "Source": "API"}
SMS_BINDING = {
    "MessagingBinding.Type": "sms",
    "MessagingBinding.Address": "+15551230000",
    "MessagingBinding.ProxyAddress": "+15559870000",
}


def test_participant_add_pre_action() -> None:
    event = parse_event(
        {
            **COMMON,
            "EventType": "onParticipantAdd",
            "Source": "SDK",
            "ClientIdentity": "agent-7",
            "ConversationSid": CONVERSATION,
            "RoleSid": "RL" + "e" * 32,
            "Attributes": '{"tier": "gold", "n": [1, 2]}',
            **SMS_BINDING,
            "MessagingBinding.ProjectedAddress": "",
        }
    )
    assert isinstance(event, ParticipantAdd)
    assert event.is_pre_action
    assert event.account_sid == ACCOUNT
    assert event.source == "SDK"
    assert event.client_identity == "agent-7"
    assert event.identity is None
    assert event.attributes == {"tier": "gold", "n": [1, 2]}
    assert event.raw_attributes == '{"tier": "gold", "n": [1, 2]}'
    assert event.messaging_binding == WebhookMessagingBinding(
        type="sms", address="+15551230000", proxy_address="+15559870000", projected_address=""
    )
    assert not hasattr(event, "participant_sid")


@pytest.mark.parametrize("stamp", ["2024-05-01T10:20:30Z", "2024-05-01T10:20:30+00:00"])
def test_participant_added_dates(stamp: str) -> None:
    event = parse_event(
        {
            **COMMON,
            "EventType": "onParticipantAdded",
            "ConversationSid": CONVERSATION,
            "ParticipantSid": PARTICIPANT,
            "Identity": "bob",
            "DateCreated": stamp,
            "Attributes": "{}",
        }
    )
    assert isinstance(event, ParticipantAdded)
    assert not event.is_pre_action
    assert event.date_created == WHEN
    assert event.date_created is not None
    assert event.date_created.utcoffset() is not None
    assert event.messaging_binding is None
    assert event.attributes == {}


def test_milliseconds_and_naive_dates_are_aware() -> None:
    event = parse_event(
        {
            "EventType": "onParticipantUpdate",
            "ConversationSid": CONVERSATION,
            "ParticipantSid": PARTICIPANT,
            "DateCreated": "2024-05-01T10:20:30.123Z",
            "DateUpdated": "2024-05-01T10:20:30",
        }
    )
    assert isinstance(event, ParticipantUpdate)
    assert event.date_created == WHEN.replace(microsecond=123000)
    assert event.date_updated == WHEN


def test_participant_updated_and_removed() -> None:
    base = {
        **COMMON,
        "ConversationSid": CONVERSATION,
        "ParticipantSid": PARTICIPANT,
        "DateCreated": "2024-05-01T10:20:30Z",
        "DateUpdated": "2024-05-01T10:20:30Z",
    }
    updated = parse_event(
        {**base, "EventType": "onParticipantUpdated", "LastReadMessageIndex": "7"}
    )
    assert isinstance(updated, ParticipantUpdated)
    assert updated.last_read_message_index == 7
    no_index = parse_event(
        {**base, "EventType": "onParticipantUpdated", "LastReadMessageIndex": ""}
    )
    assert isinstance(no_index, ParticipantUpdated)
    assert no_index.last_read_message_index is None
    remove = parse_event({**base, "EventType": "onParticipantRemove"})
    assert isinstance(remove, ParticipantRemove)
    assert remove.is_pre_action
    removed = parse_event(
        {**base, "EventType": "onParticipantRemoved", "DateRemoved": "2024-05-01T10:20:30Z"}
    )
    assert isinstance(removed, ParticipantRemoved)
    assert removed.date_removed == WHEN


def test_conversation_events() -> None:
    add = parse_event(
        {
            **COMMON,
            "EventType": "onConversationAdd",
            "FriendlyName": "Support",
            "MessagingServiceSid": "MG" + "f" * 32,
            "MessagingBinding.Address": "+15551230000",
            "MessagingBinding.ProxyAddress": "+15559870000",
            "MessagingBinding.AuthorAddress": "+15551230000",
            "MessageBody": "I need help",
        }
    )
    assert isinstance(add, ConversationAdd)
    assert add.is_pre_action
    assert add.friendly_name == "Support"
    assert add.message_body == "I need help"
    assert add.messaging_binding is not None
    assert add.messaging_binding.author_address == "+15551230000"

    added = parse_event(
        {
            **COMMON,
            "EventType": "onConversationAdded",
            "ConversationSid": CONVERSATION,
            "UniqueName": "ticket-42",
            "State": "active",
            "DateCreated": "2024-05-01T10:20:30Z",
            "Attributes": '{"ticket": 42}',
        }
    )
    assert isinstance(added, ConversationAdded)
    assert (added.conversation_sid, added.unique_name, added.state) == (
        CONVERSATION,
        "ticket-42",
        "active",
    )
    assert added.attributes == {"ticket": 42}

    updated = parse_event({"EventType": "onConversationUpdated", "ConversationSid": CONVERSATION})
    assert isinstance(updated, ConversationUpdated)
    removed = parse_event(
        {
            "EventType": "onConversationRemoved",
            "ConversationSid": CONVERSATION,
            "DateRemoved": "2024-05-01T10:20:30Z",
        }
    )
    assert isinstance(removed, ConversationRemoved)
    assert removed.date_removed == WHEN


def test_conversation_state_updated() -> None:
    event = parse_event(
        {
            **COMMON,
            "EventType": "onConversationStateUpdated",
            "ConversationSid": CONVERSATION,
            "StateFrom": "active",
            "StateTo": "inactive",
            "StateUpdated": "2024-05-01T10:20:30Z",
            "Reason": "TIMER",
        }
    )
    assert isinstance(event, ConversationStateUpdated)
    assert (event.state_from, event.state_to, event.reason) == ("active", "inactive", "TIMER")
    assert event.state_updated == WHEN


def test_message_added_with_media() -> None:
    media = [
        {"Sid": "ME1", "Filename": "a.png", "ContentType": "image/png", "Size": 1234},
        {"sid": "ME2", "content_type": "audio/ogg", "size": "99", "category": "media"},
    ]
    event = parse_event(
        {
            **COMMON,
            "EventType": "onMessageAdded",
            "ConversationSid": CONVERSATION,
            "MessageSid": MESSAGE,
            "Index": "12",
            "Author": "+15551230000",
            "ParticipantSid": PARTICIPANT,
            "Body": "",
            "Attributes": "{}",
            "Media": json.dumps(media),
            "DateCreated": "2024-05-01T10:20:30Z",
        }
    )
    assert isinstance(event, MessageAdded)
    assert (event.message_sid, event.index, event.body) == (MESSAGE, 12, "")
    assert event.media == (
        Media(sid="ME1", filename="a.png", content_type="image/png", size=1234),
        Media(sid="ME2", content_type="audio/ogg", size=99, category="media"),
    )


def test_message_add_without_media() -> None:
    event = parse_event({"EventType": "onMessageAdd", "ConversationSid": CONVERSATION})
    assert isinstance(event, MessageAdd)
    assert event.media == ()
    assert event.attributes is None


def test_attributes_that_are_not_json_stay_text() -> None:
    event = parse_event(
        {"EventType": "onMessageAdd", "ConversationSid": CONVERSATION, "Attributes": "not json"}
    )
    assert isinstance(event, MessageAdd)
    assert event.attributes == "not json"


def test_unknown_event_type_is_generic() -> None:
    params = {**COMMON, "EventType": "onUserDeleted", "Identity": "x", "MessagingBinding.Foo": "y"}
    event = parse_event(params)
    assert type(event) is WebhookEvent
    assert event.event_type == "onUserDeleted"
    assert event.account_sid == ACCOUNT
    assert event.params == params
    assert not event.is_pre_action
    assert "onUserUpdate" in PRE_ACTION_EVENTS


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=20)))
def test_unknown_events_never_fail(extra: dict[str, str]) -> None:
    params = {**extra, "EventType": "onSomethingNew"}
    event = parse_event(params)
    assert type(event) is WebhookEvent
    assert event.params == params


def test_multidict_and_pairs_take_the_first_value() -> None:
    pairs = [("EventType", "onMessageAdd"), ("ConversationSid", CONVERSATION), ("Body", "one")]
    pairs.append(("Body", "two"))
    for params in (pairs, MultiDict(pairs)):
        event = parse_event(params)
        assert isinstance(event, MessageAdd)
        assert event.body == "one"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Identity": "x"}, "EventType is missing"),
        ({"EventType": ""}, "EventType is missing"),
        ({"EventType": "onParticipantAdded", "ParticipantSid": PARTICIPANT}, "conversation_sid"),
        (
            {"EventType": "onMessageAdded", "ConversationSid": CONVERSATION, "MessageSid": "IM1"},
            "index",
        ),
        (
            {
                "EventType": "onMessageAdded",
                "ConversationSid": CONVERSATION,
                "MessageSid": "IM1",
                "Index": "x",
            },
            "index",
        ),
        (
            {
                "EventType": "onParticipantAdded",
                "ConversationSid": CONVERSATION,
                "ParticipantSid": PARTICIPANT,
                "DateCreated": "1 May",
            },
            "date_created",
        ),
        ({"EventType": "onMessageAdd", "ConversationSid": "CH", "Media": "{}"}, "media"),
    ],
)
def test_parse_errors(params: dict[str, str], message: str) -> None:
    with pytest.raises(WebhookParseError, match=message) as info:
        parse_event(params)
    assert info.value.event_type == (params.get("EventType") or None)


def test_parse_errors_are_conversations_errors() -> None:
    with pytest.raises(ConversationsError) as info:
        parse_event({"EventType": "onParticipantAdded", "ParticipantSid": PARTICIPANT})
    assert isinstance(info.value, WebhookParseError)
    assert isinstance(info.value, ValueError)  # ``except ValueError`` still catches it


def test_events_are_frozen_records() -> None:
    event = parse_event({"EventType": "onMessageAdd", "ConversationSid": CONVERSATION})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.event_type = "x"  # type: ignore[misc]
    assert attrs.evolve(event, event_type="x").event_type == "x"


def test_every_registered_class_knows_its_event_type() -> None:
    assert set(EVENT_CLASSES) >= {
        "onParticipantAdd",
        "onParticipantAdded",
        "onParticipantUpdate",
        "onParticipantUpdated",
        "onParticipantRemove",
        "onParticipantRemoved",
        "onConversationAdd",
        "onConversationAdded",
        "onConversationRemoved",
        "onConversationStateUpdated",
        "onMessageAdded",
    }
    for name, cls in EVENT_CLASSES.items():
        assert name == cls.EVENT_TYPE


def test_configure_on_another_converter() -> None:
    # The hooks are scoped to event classes, so they can join the core's shared converter.
    converter = cattrs.preconf.json.make_converter()
    converter.register_structure_hook(datetime, lambda v, _: "global hook untouched")
    configure_webhook_events(converter)
    event = converter.structure(
        {
            "EventType": "onParticipantRemoved",
            "ConversationSid": CONVERSATION,
            "ParticipantSid": PARTICIPANT,
            "DateRemoved": "2024-05-01T10:20:30Z",
        },
        ParticipantRemoved,
    )
    assert event.date_removed == WHEN
    assert converter.structure("x", datetime) == "global hook untouched"


REMOVED_FORM = {
    "EventType": "onParticipantRemoved",
    "ConversationSid": CONVERSATION,
    "ParticipantSid": PARTICIPANT,
    "DateRemoved": "2024-05-01T10:20:30Z",
}


def test_the_shared_rest_converter_does_not_read_webhook_forms() -> None:
    # The events have their own converter: the REST one treats an event class as any record.
    event = parse_event(REMOVED_FORM)
    assert isinstance(event, ParticipantRemoved)
    assert event.date_removed == WHEN
    with pytest.raises(cattrs.BaseValidationError):
        shared_converter.structure(REMOVED_FORM, ParticipantRemoved)


def test_importing_webhooks_leaves_the_shared_converter_as_it_was() -> None:
    # A fresh interpreter, so "before" really is before conversations_async.webhooks is imported.
    script = textwrap.dedent(
        f"""
        import cattrs
        from conversations_async import Participant
        from conversations_async._convert import converter

        body = {{
            "sid": "{PARTICIPANT}", "conversation_sid": "{CONVERSATION}",
            "account_sid": "{ACCOUNT}", "identity": "alice", "attributes": '{{"vip": true}}',
            "date_created": "2024-05-01T10:20:30Z", "date_updated": "2024-05-01T10:20:30Z",
            "messaging_binding": None, "role_sid": None, "url": "https://example.com/x",
            "last_read_message_index": None, "last_read_timestamp": None,
        }}
        before = converter.structure(body, Participant)

        from conversations_async import webhooks

        form = {REMOVED_FORM!r}
        assert webhooks.parse_event(form).participant_sid == "{PARTICIPANT}"
        assert converter.structure(body, Participant) == before
        try:
            converter.structure(form, webhooks.ParticipantRemoved)
        except cattrs.BaseValidationError:
            print("untouched")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=50, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "untouched"
