"""Address configurations (account scope only): create, fetch and update by SID or by the
address itself, delete, list by type; the auto-creation type rules checked before sending and
held by the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from conversations_async import Request, Session
from conversations_async.errors import (
    BadRequestError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
)
from conversations_async.models import (
    AddressAutoCreation,
    AddressConfiguration,
    AddressType,
    AutoCreationType,
    WebhookMethod,
)
from conversations_async.resources import AddressConfigurations
from conversations_async.testing import Emulator

NUMBER = "+15017122661"
WHATSAPP = "whatsapp:+15017122662"
SERVICE_SID = "IS" + "8" * 32
FLOW_SID = "FW" + "9" * 32


async def test_create_fetch_update_list_delete(session: Session, emulator: Emulator) -> None:
    assert isinstance(session.address_configurations, AddressConfigurations)
    created = await session.address_configurations.create(
        type=AddressType.SMS,
        address=NUMBER,
        friendly_name="Support line",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_conversation_service_sid=SERVICE_SID,
        auto_creation_webhook_url="https://example.com/new",
        auto_creation_webhook_method="POST",  # sent as Twilio's enum has it: post
        auto_creation_webhook_filters=["onParticipantAdded", "onMessageAdded"],
        address_country="US",
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/Configuration/Addresses")
    assert sorted(request.form) == sorted(
        [
            ("Type", "sms"),
            ("Address", NUMBER),
            ("FriendlyName", "Support line"),
            ("AutoCreation.Enabled", "true"),
            ("AutoCreation.Type", "webhook"),
            ("AutoCreation.ConversationServiceSid", SERVICE_SID),
            ("AutoCreation.WebhookUrl", "https://example.com/new"),
            ("AutoCreation.WebhookMethod", "post"),
            ("AutoCreation.WebhookFilters", "onParticipantAdded"),
            ("AutoCreation.WebhookFilters", "onMessageAdded"),
            ("AddressCountry", "US"),
        ]
    )
    assert isinstance(created, AddressConfiguration)
    assert created.sid.startswith("IG")
    assert (created.type, created.address, created.address_country) == (
        AddressType.SMS,
        NUMBER,
        "US",
    )
    assert created.auto_creation == AddressAutoCreation(
        enabled=True,
        type=AutoCreationType.WEBHOOK,
        conversation_service_sid=SERVICE_SID,
        webhook_url="https://example.com/new",
        webhook_method=WebhookMethod.POST,
        webhook_filters=("onParticipantAdded", "onMessageAdded"),
    )
    # By SID or by the address itself (one path segment, "+" and ":" included).
    assert await session.address_configurations.fetch(created.sid) == created
    assert await session.address_configurations.fetch(NUMBER) == created
    assert emulator.requests[-1].path == "/v1/Configuration/Addresses/%2B15017122661"

    studio = await session.address_configurations.update(
        NUMBER,
        friendly_name="Studio line",
        auto_creation_type=AutoCreationType.STUDIO,
        auto_creation_studio_flow_sid=FLOW_SID,
        auto_creation_studio_retry_count=3,
    )
    assert studio.friendly_name == "Studio line"
    assert studio.auto_creation == AddressAutoCreation(
        enabled=True,
        type=AutoCreationType.STUDIO,
        conversation_service_sid=SERVICE_SID,
        studio_flow_sid=FLOW_SID,
        studio_retry_count=3,
    )  # a new type keeps none of the old one's fields

    whatsapp = await session.address_configurations.create(type="WhatsApp", address=WHATSAPP)
    assert emulator.requests[-1].form_dict["Type"] == "whatsapp"
    assert whatsapp.auto_creation == AddressAutoCreation(
        enabled=False, type=AutoCreationType.DEFAULT
    )
    assert [a.sid async for a in session.address_configurations.list()] == [
        created.sid,
        whatsapp.sid,
    ]
    assert [a.sid async for a in session.address_configurations.list(type="whatsapp")] == [
        whatsapp.sid
    ]
    assert emulator.requests[-1].query == (("Type", "whatsapp"),)
    await session.address_configurations.delete(WHATSAPP)
    with pytest.raises(NotFoundError) as caught:
        await session.address_configurations.fetch(whatsapp.sid)
    assert caught.value.code == 20404
    assert [a.sid async for a in session.address_configurations.list(page_size=50)] == [created.sid]


async def test_an_address_has_one_configuration(session: Session) -> None:
    await session.address_configurations.create(type="sms", address=NUMBER)
    with pytest.raises(ConflictError):
        await session.address_configurations.create(type="sms", address=NUMBER)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"type": "sms", "address": ""}, "address"),
        ({"type": "pager", "address": NUMBER}, "type"),
        ({"type": "sms", "address": NUMBER, "friendly_name": "x" * 257}, "friendly_name"),
        (
            {"type": "sms", "address": NUMBER, "auto_creation_type": "studio"},
            "auto_creation_studio_flow_sid",
        ),
        (
            {"type": "sms", "address": NUMBER, "auto_creation_type": "webhook"},
            "auto_creation_webhook_url",
        ),
        (
            {
                "type": "sms",
                "address": NUMBER,
                "auto_creation_type": "studio",
                "auto_creation_studio_flow_sid": FLOW_SID,
                "auto_creation_webhook_url": "https://example.com",
            },
            "auto_creation_webhook_url",
        ),
        (
            {
                "type": "sms",
                "address": NUMBER,
                "auto_creation_type": "default",
                "auto_creation_studio_retry_count": 2,
            },
            "auto_creation_studio_retry_count",
        ),
        (
            {"type": "sms", "address": NUMBER, "auto_creation_studio_flow_sid": "FW123"},
            "auto_creation_studio_flow_sid",
        ),
        (
            {"type": "sms", "address": NUMBER, "auto_creation_conversation_service_sid": "IS1"},
            "auto_creation_conversation_service_sid",
        ),
        (
            {"type": "sms", "address": NUMBER, "auto_creation_studio_retry_count": -1},
            "auto_creation_studio_retry_count",
        ),
        (
            {"type": "sms", "address": NUMBER, "auto_creation_webhook_method": "PUT"},
            "auto_creation_webhook_method",
        ),
        (
            {"type": "sms", "address": NUMBER, "auto_creation_webhook_filters": ["onMessageAdd"]},
            "auto_creation_webhook_filters[0]",
        ),
        (
            {"type": "sms", "address": NUMBER, "auto_creation_webhook_filters": "onMessageAdded"},
            "auto_creation_webhook_filters",
        ),
    ],
)
async def test_bad_configurations_are_refused_before_sending(
    session: Session, emulator: Emulator, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await session.address_configurations.create(**arguments)
    assert caught.value.field == field
    assert not emulator.requests


async def test_an_update_with_a_type_refuses_another_types_fields(
    session: Session, emulator: Emulator
) -> None:
    created = await session.address_configurations.create(type="sms", address=NUMBER)
    with pytest.raises(InvalidArgumentError) as caught:
        await session.address_configurations.update(
            created.sid, auto_creation_type="webhook", auto_creation_studio_flow_sid=FLOW_SID
        )
    assert caught.value.field == "auto_creation_studio_flow_sid"
    # A type without what it needs is refused by the emulator (as by Twilio), changing nothing.
    with pytest.raises(BadRequestError) as refused:
        await session.address_configurations.update(created.sid, auto_creation_type="studio")
    assert refused.value.code == 20001
    assert await session.address_configurations.fetch(created.sid) == created


@pytest.mark.spec_invalid_requests("fields the spec refuses, on purpose, to see the 400s")
@pytest.mark.parametrize(
    "form",
    [
        {"Address": NUMBER},
        {"Type": "sms"},
        {"Type": "fax", "Address": NUMBER},
        {"Type": "sms", "Address": NUMBER, "AutoCreation.Type": "webhook"},
        {"Type": "sms", "Address": NUMBER, "AutoCreation.WebhookFilters": "onMessageAdd",
         "AutoCreation.Type": "webhook", "AutoCreation.WebhookUrl": "https://example.com"},
        {"Type": "sms", "Address": NUMBER, "AutoCreation.Type": "studio",
         "AutoCreation.StudioFlowSid": "FW1"},
        {"Type": "sms", "Address": NUMBER, "AutoCreation.Enabled": "yes"},
    ],
)  # fmt: skip
async def test_the_emulator_refuses_what_twilio_refuses(
    session: Session, form: dict[str, str]
) -> None:
    with pytest.raises(BadRequestError) as caught:
        await session.request(
            Request(
                method="POST", path=("v1", "Configuration", "Addresses"), form=tuple(form.items())
            )
        )
    assert caught.value.code == 20001
    assert [a async for a in session.address_configurations.list()] == []
