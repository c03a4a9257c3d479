"""Every example response of Twilio's spec for users, user conversations, roles (both scopes)
and services structures into our records without losing a key or a value (the approach of
test_spec_examples.py)."""

from __future__ import annotations

import functools
from typing import Any

import attrs
from _spec_walk import assert_kept

from conversations_async._convert import structure
from conversations_async._pagination import parse_page
from conversations_async.models import Role, Service, User, UserConversation

BOTH_SCOPES: list[tuple[str, type[Any]]] = [
    ("/Users", User),
    ("/Users/{Sid}", User),
    ("/Users/{UserSid}/Conversations", UserConversation),
    ("/Users/{UserSid}/Conversations/{ConversationSid}", UserConversation),
    ("/Roles", Role),
    ("/Roles/{Sid}", Role),
]
OPERATIONS: list[tuple[str, type[Any]]] = [
    *((f"/v1{path}", cls) for path, cls in BOTH_SCOPES),
    *((f"/v1/Services/{{ChatServiceSid}}{path}", cls) for path, cls in BOTH_SCOPES),
    ("/v1/Services", Service),
    ("/v1/Services/{Sid}", Service),
]


def examples(spec: dict[str, Any]) -> list[tuple[str, type[Any], Any]]:
    found = []
    for path, cls in OPERATIONS:
        for method, operation in spec["paths"][path].items():
            if method not in {"get", "post", "delete"}:
                continue
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json", {})
                for name, example in content.get("examples", {}).items():
                    found.append(
                        (f"{method.upper()} {path} {status} {name}", cls, example["value"])
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
    # Per scope: users create/list/update/fetch, user conversations list x2/update/fetch,
    # roles create/list x2/update/fetch; then services create/list/fetch.
    assert len(found) >= 2 * 13 + 3, len(found)
    assert records >= len(found) - 4  # the empty lists hold no record
    assert {cls for _, cls, _ in found} == {User, UserConversation, Role, Service}


def test_every_record_has_every_field_of_its_schema(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name, cls in (
        ("conversations.v1.user", User),
        ("conversations.v1.service.service_user", User),
        ("conversations.v1.user.user_conversation", UserConversation),
        ("conversations.v1.service.service_user.service_user_conversation", UserConversation),
        ("conversations.v1.role", Role),
        ("conversations.v1.service.service_role", Role),
        ("conversations.v1.service", Service),
    ):
        fields = {a.alias for a in attrs.fields(cls)}
        assert set(schemas[name]["properties"]) == fields, name


def test_every_enum_of_the_schemas_is_a_member(spec: dict[str, Any]) -> None:
    from conversations_async.models import ConversationState, NotificationLevel, RoleType

    schemas = spec["components"]["schemas"]
    for name, enum in (
        ("role_enum_role_type", RoleType),
        ("service_role_enum_role_type", RoleType),
        ("user_conversation_enum_notification_level", NotificationLevel),
        ("service_user_conversation_enum_notification_level", NotificationLevel),
        ("user_conversation_enum_state", ConversationState),
        ("service_user_conversation_enum_state", ConversationState),
    ):
        assert set(schemas[name]["enum"]) <= {member.value for member in enum}, name
