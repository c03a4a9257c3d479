"""The account's webhook configuration (on the Session) and a service's (on its scope): fetch
and update, every wire name, and each only where it exists."""

from __future__ import annotations

import pytest

from conversations_async import Session
from conversations_async.errors import BadRequestError, InvalidArgumentError
from conversations_async.models import (
    ServiceWebhookConfiguration,
    WebhookConfiguration,
    WebhookConfigurationTarget,
    WebhookMethod,
)
from conversations_async.resources import AccountWebhookConfig, ServiceWebhookConfig
from conversations_async.testing import Emulator

SERVICE_SID = "IS" + "3" * 32


async def test_account_fetch_and_update(session: Session, emulator: Emulator) -> None:
    assert isinstance(session.webhook_configuration, AccountWebhookConfig)
    first = await session.webhook_configuration.fetch()
    assert isinstance(first, WebhookConfiguration)
    assert first.account_sid == emulator.account_sid
    assert first.pre_webhook_url is None and first.post_webhook_url is None
    assert str(first.url) == f"{emulator.base_url}/v1/Configuration/Webhooks"

    updated = await session.webhook_configuration.update(
        method="GET",
        filters=["onMessageAdd", "onMessageAdded"],
        pre_webhook_url="https://example.com/pre",
        post_webhook_url="https://example.com/post",
        target=WebhookConfigurationTarget.WEBHOOK,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/Configuration/Webhooks")
    assert request.form == (
        ("Method", "GET"),
        ("Filters", "onMessageAdd"),
        ("Filters", "onMessageAdded"),
        ("PreWebhookUrl", "https://example.com/pre"),
        ("PostWebhookUrl", "https://example.com/post"),
        ("Target", "webhook"),
    )
    assert updated.method is WebhookMethod.GET
    assert updated.filters == ("onMessageAdd", "onMessageAdded")
    assert updated.target is WebhookConfigurationTarget.WEBHOOK
    assert await session.webhook_configuration.fetch() == updated
    # An update with no fields is allowed and changes nothing.
    assert await session.webhook_configuration.update() == updated


async def test_service_fetch_and_update(session: Session, emulator: Emulator) -> None:
    scoped = session.service(SERVICE_SID)
    assert isinstance(scoped.webhook_configuration, ServiceWebhookConfig)
    empty = await scoped.webhook_configuration.fetch()
    assert isinstance(empty, ServiceWebhookConfiguration)
    assert empty.chat_service_sid == SERVICE_SID
    assert (empty.pre_webhook_url, empty.post_webhook_url, empty.filters, empty.method) == (
        None,
        None,
        None,
        None,
    )
    updated = await scoped.webhook_configuration.update(
        pre_webhook_url="https://example.com/pre",
        post_webhook_url="https://example.com/post",
        filters=["onParticipantAdded"],
        method=WebhookMethod.POST,
    )
    request = emulator.requests[-1]
    assert request.path == f"/v1/Services/{SERVICE_SID}/Configuration/Webhooks"
    assert request.form == (
        ("PreWebhookUrl", "https://example.com/pre"),
        ("PostWebhookUrl", "https://example.com/post"),
        ("Filters", "onParticipantAdded"),
        ("Method", "POST"),
    )
    assert updated.filters == ("onParticipantAdded",)
    assert updated.method is WebhookMethod.POST
    # The account's configuration is another one.
    assert (await session.webhook_configuration.fetch()).post_webhook_url is None


def test_each_scope_has_its_own_kind() -> None:
    # The service's has no target: the parameter does not exist there.
    assert "target" in AccountWebhookConfig.update.__code__.co_varnames
    assert "target" not in ServiceWebhookConfig.update.__code__.co_varnames


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"method": "PUT"}, "method"),
        ({"filters": "onMessageAdded"}, "filters"),
        ({"filters": [""]}, "filters[0]"),
        ({"filters": [1]}, "filters[0]"),
        ({"target": "sms"}, "target"),
        ({"post_webhook_url": 42}, "post_webhook_url"),
    ],
)
async def test_bad_values_are_refused_before_sending(
    session: Session, emulator: Emulator, arguments: dict[str, object], field: str
) -> None:
    before = len(emulator.requests)
    with pytest.raises(InvalidArgumentError) as error:
        await session.webhook_configuration.update(**arguments)  # type: ignore[arg-type]
    assert error.value.field == field
    assert len(emulator.requests) == before


async def test_emulator_refuses_a_url_that_is_not_absolute(session: Session) -> None:
    with pytest.raises(BadRequestError):
        await session.webhook_configuration.update(post_webhook_url="/relative")
    assert (await session.webhook_configuration.fetch()).post_webhook_url is None
