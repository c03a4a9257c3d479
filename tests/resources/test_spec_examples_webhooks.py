"""Every example response of Twilio's spec for the webhook resources (conversation-scoped
webhooks in both scopes, the account's and the services' configuration) structures into our
records without losing a key or a value (the approach of test_spec_examples.py)."""

from __future__ import annotations

import functools
from typing import Any

from _spec_walk import assert_kept

from conversations_async._convert import structure
from conversations_async._pagination import parse_page
from conversations_async.models import (
    ConversationWebhook,
    ServiceWebhookConfiguration,
    WebhookConfiguration,
)

OPERATIONS: list[tuple[str, type[Any]]] = [
    ("/v1/Conversations/{ConversationSid}/Webhooks", ConversationWebhook),
    ("/v1/Conversations/{ConversationSid}/Webhooks/{Sid}", ConversationWebhook),
    ("/v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Webhooks", ConversationWebhook),
    (
        "/v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Webhooks/{Sid}",
        ConversationWebhook,
    ),
    ("/v1/Configuration/Webhooks", WebhookConfiguration),
    ("/v1/Services/{ChatServiceSid}/Configuration/Webhooks", ServiceWebhookConfiguration),
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
    # 2 scopes x (webhook create, 3 read, fetch, update) + account fetch/update + service
    # fetch x2/update: the walk really found them.
    assert len(found) >= 15 and records >= 17


def test_the_declared_operations_name_the_spec_operations(spec: dict[str, Any]) -> None:
    from conversations_async.resources import (
        AccountWebhookConfig,
        ConversationWebhooks,
        ServiceWebhookConfig,
    )

    ids = {
        op["operationId"]
        for path in spec["paths"].values()
        for method, op in path.items()
        if method in {"get", "post", "delete"}
    }
    declared = [
        name
        for cls in (ConversationWebhooks, AccountWebhookConfig, ServiceWebhookConfig)
        for operation in cls.operations
        for name in operation.spec
        if name is not None
    ]
    assert len(declared) == 14
    assert set(declared) <= ids
    assert {i for i in ids if "Webhook" in i} == set(declared)
