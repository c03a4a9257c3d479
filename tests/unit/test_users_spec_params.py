"""The declarations of users, user conversations, roles and services against the official spec:
every operationId at each scope, every form field and header by its wire name, the required
ones required, each enum's values known."""

from __future__ import annotations

import enum
from typing import Any, cast

import attrs
import pytest

from conversations_async._sansio import Operation
from conversations_async._sansio.rules import Choice
from conversations_async.errors import InvalidArgumentError
from conversations_async.resources import Roles, Services, UserConversations, Users
from conversations_async.resources.roles import Permissions

RESOURCES = (Users, UserConversations, Roles, Services)
PAGING = {"PageSize", "Page", "PageToken"}


def by_operation_id(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (path, method, operation)
    return found


def operations() -> list[tuple[str, Operation[Any], str]]:
    return [
        (cls.__name__, op, operation_id)
        for cls in RESOURCES
        for op in cls.operations
        for operation_id in op.spec
        if operation_id is not None
    ]


@pytest.mark.parametrize(
    ("resource", "operation", "operation_id"),
    operations(),
    ids=[f"{name}.{op.name}-{oid}" for name, op, oid in operations()],
)
def test_the_declaration_is_the_specs(
    spec: dict[str, Any], resource: str, operation: Operation[Any], operation_id: str
) -> None:
    path, method, described = by_operation_id(spec)[operation_id]
    assert method.upper() == operation.method
    scope = "/v1/Services/{ChatServiceSid}/" if "ChatServiceSid" in path else "/v1/"
    assert path.startswith(scope)
    # The same path, with our names for the placeholders.
    template = path.removeprefix(scope).split("/")
    ours = operation.path.split("/")
    assert [s.startswith("{") for s in template] == [s.startswith("{") for s in ours]
    assert [s for s in template if not s.startswith("{")] == [
        s for s in ours if not s.startswith("{")
    ]

    body = described.get("requestBody", {}).get("content", {})
    schema = body.get("application/x-www-form-urlencoded", {}).get("schema", {})
    headers = {p["name"] for p in described.get("parameters", []) if p["in"] == "header"}
    queries = {p["name"] for p in described.get("parameters", []) if p["in"] == "query"}
    declaration = operation.declaration
    wires = declaration.wires() if declaration is not None else {}
    assert {w.name for w in wires.values() if w.where == "form"} == set(
        schema.get("properties", {})
    )
    assert {w.name for w in wires.values() if w.where == "header"} == headers
    assert {w.name for w in wires.values() if w.where == "query"} == queries - PAGING
    if operation.name == "list":
        assert queries >= PAGING
        assert (
            operation.list_key
            in described["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
        )

    required = set(schema.get("required", []))
    if operation.params is not None:
        fields = {a.name: a for a in attrs.fields(cast(Any, operation.params))}
        made_required = {wires[n].name for n, a in fields.items() if a.default is attrs.NOTHING}
        assert made_required == required
    for name, wire in wires.items():
        prop = schema.get("properties", {}).get(wire.name, {})
        if "$ref" in prop:
            values = spec["components"]["schemas"][prop["$ref"].split("/")[-1]]["enum"]
            assert isinstance(wire.rule, Choice), name
            known: type[enum.StrEnum] = wire.rule.enum
            assert set(values) <= {m.value for m in known}, name
        if prop.get("pattern"):  # RoleSid, the only one
            assert prop["pattern"] == "^RL[0-9a-fA-F]{32}$"
            assert wire.rule.encode(name, "RL" + "a" * 32) == "RL" + "a" * 32
            with pytest.raises(InvalidArgumentError):
                wire.rule.encode(name, "RL" + "a" * 31)
        if prop.get("type") == "array":
            assert isinstance(wire.rule, Permissions), name
        if prop.get("nullable"):
            assert wire.nullable, name


def test_every_operation_of_these_paths_is_declared(spec: dict[str, Any]) -> None:
    scoped = "/v1/Services/{ChatServiceSid}"
    prefixes = ("/v1/Users", "/v1/Roles", f"{scoped}/Users", f"{scoped}/Roles")
    wanted = {
        operation["operationId"]
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "delete"}
        and (path.startswith(prefixes) or path in {"/v1/Services", "/v1/Services/{Sid}"})
    }
    declared = {oid for _, _, oid in operations()}
    assert declared == wanted
    assert len(declared) == 32  # 14 at each scope (users 5, theirs 4, roles 5), services 4
