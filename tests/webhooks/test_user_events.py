"""The user events parse into typed records (booleans and dates as Twilio writes them in a
form), route by EventType, and bad values are parse errors, never crashes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conversations_async.webhooks import (
    EVENT_CLASSES,
    PRE_ACTION_EVENTS,
    UserAdded,
    UserUpdate,
    UserUpdated,
    WebhookParseError,
    parse_event,
)

USER = {
    "AccountSid": "AC" + "1" * 32,
    "ChatServiceSid": "IS" + "1" * 32,
    "UserSid": "US" + "1" * 32,
    "Identity": "alice",
    "FriendlyName": "Alice",
    "RoleSid": "RL" + "1" * 32,
    "Attributes": '{"tier": "gold"}',
    "DateCreated": "2024-05-01T10:00:00Z",
    "Source": "API",
}


def test_user_added() -> None:
    event = parse_event({"EventType": "onUserAdded", **USER})
    assert isinstance(event, UserAdded)
    assert event.user_sid == USER["UserSid"]
    assert (event.identity, event.friendly_name, event.role_sid) == (
        "alice",
        "Alice",
        USER["RoleSid"],
    )
    assert event.attributes == {"tier": "gold"}
    assert event.raw_attributes == USER["Attributes"]
    assert event.date_created == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert event.chat_service_sid == USER["ChatServiceSid"]
    assert not event.is_pre_action


@pytest.mark.parametrize(
    ("event_type", "cls"), [("onUserUpdate", UserUpdate), ("onUserUpdated", UserUpdated)]
)
def test_user_update_and_updated(event_type: str, cls: type[UserUpdated]) -> None:
    event = parse_event(
        {
            "EventType": event_type,
            **USER,
            "DateUpdated": "2024-05-02T10:00:00Z",
            "IsOnline": "true",
            "IsNotifiable": "False",
        }
    )
    assert type(event) is cls
    assert event.is_online is True and event.is_notifiable is False
    assert event.date_updated == datetime(2024, 5, 2, 10, tzinfo=UTC)
    assert event.is_pre_action == (event_type == "onUserUpdate")


def test_missing_flags_are_none() -> None:
    event = parse_event({"EventType": "onUserUpdated", "UserSid": "US1", "IsOnline": ""})
    assert isinstance(event, UserUpdated)
    assert event.is_online is None and event.is_notifiable is None


@pytest.mark.parametrize(
    "params",
    [
        {"EventType": "onUserUpdated", "UserSid": "US1", "IsOnline": "yes"},
        {"EventType": "onUserAdded"},  # no UserSid
        {"EventType": "onUserAdded", "UserSid": "US1", "DateCreated": "yesterday"},
    ],
)
def test_bad_user_events_are_parse_errors(params: dict[str, str]) -> None:
    with pytest.raises(WebhookParseError) as error:
        parse_event(params)
    assert error.value.event_type == params["EventType"]


def test_every_documented_event_type_has_a_class_or_is_left_to_others() -> None:
    assert {"onUserAdded", "onUserUpdate", "onUserUpdated"} <= set(EVENT_CLASSES)
    assert "onUserUpdate" in PRE_ACTION_EVENTS
