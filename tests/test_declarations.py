"""Every declared operation and the typed method that serves it agree: names, types, defaults.

The method signatures are written out for users and type checkers; the declarations (params
records with wire names and rules) are what is sent. This test is what keeps the two one.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any, cast

import attrs
import pytest

from conversations_async import ServiceScope, Session
from conversations_async._sansio import Operation
from conversations_async._types import NOT_GIVEN, NotGiven
from conversations_async.resources import Resource, namespace
from conversations_async.resources.participants import UPDATE

PAGER_OPTIONS = {"limit": int | None, "page_size": int | None}


def resources() -> list[type[Resource]]:
    found: dict[str, type[Resource]] = {}
    for holder in (Session, ServiceScope):
        for value in vars(holder).values():
            if isinstance(value, namespace):
                found[value.resource.__name__] = value.resource
        for base in holder.__mro__:
            for value in vars(base).values():
                if isinstance(value, namespace):
                    found[value.resource.__name__] = value.resource
    return sorted(found.values(), key=lambda cls: cls.__name__)


def operations() -> list[tuple[type[Resource], Operation[Any]]]:
    return [(cls, op) for cls in resources() for op in cls.operations]


def test_every_namespace_declares_its_operations() -> None:
    assert {cls.__name__ for cls in resources()} >= {"Conversations", "Participants"}
    for cls in resources():
        assert cls.operations, f"{cls.__name__} declares no operations"
        names = [op.name for op in cls.operations]
        assert len(names) == len(set(names)), f"{cls.__name__} serves one name twice"


def disagreements(method: Any, operation: Operation[Any]) -> list[str]:
    """How ``method``'s signature differs from ``operation``'s declaration (empty: none)."""
    problems: list[str] = []
    signature = inspect.signature(method)
    hints = typing.get_type_hints(method)
    parameters = [p for p in signature.parameters.values() if p.name != "self"]

    # The path is filled from the leading positional parameters, in the template's order.
    path_names = list(operation.path_names)
    positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    if positional[: len(path_names)] != path_names:
        problems.append(f"path parameters {positional} do not start with {path_names}")
    for name in path_names:
        if name in signature.parameters and (
            hints.get(name) is not str
            or signature.parameters[name].default is not inspect.Parameter.empty
        ):
            problems.append(f"path parameter {name} must be a required str")

    declared: dict[str, tuple[object, object]] = {}
    if operation.params is not None:
        field_hints = typing.get_type_hints(operation.params)
        declared = {
            field.name: (field_hints[field.name], field.default)
            for field in attrs.fields(cast(Any, operation.params))
        }
    offered = {
        p.name: (hints.get(p.name), p.default) for p in parameters if p.name not in path_names
    }
    if operation.list_key is not None:
        for option, kind in PAGER_OPTIONS.items():
            if offered.pop(option, None) != (kind, None):
                problems.append(f"a list takes {option}: {kind} = None")
    for name in sorted(set(declared) | set(offered)):
        if name not in offered:
            problems.append(f"{name} is declared but not a parameter")
        elif name not in declared:
            problems.append(f"{name} is a parameter but not declared")
        elif offered[name][0] != declared[name][0]:
            problems.append(f"{name}: type {offered[name][0]} != declared {declared[name][0]}")
        elif offered[name][1] != declared[name][1]:
            problems.append(f"{name}: default {offered[name][1]!r} != {declared[name][1]!r}")
    for p in parameters:
        # Everything but the path (and a positional list with a default) is keyword-only.
        if p.name not in path_names and p.kind is not p.KEYWORD_ONLY and p.default is p.empty:
            problems.append(f"{p.name} must be keyword-only or have a default")
    return problems


@pytest.mark.parametrize(
    ("resource", "operation"),
    operations(),
    ids=[f"{cls.__name__}.{op.name}" for cls, op in operations()],
)
def test_the_method_signature_matches_the_declaration(
    resource: type[Resource], operation: Operation[Any]
) -> None:
    assert disagreements(getattr(resource, operation.name), operation) == []


def test_a_method_that_disagrees_with_its_declaration_is_caught() -> None:
    async def update(
        self: object,
        participant: str,
        conversation: str,
        *,
        identity: int | NotGiven = NOT_GIVEN,
        attributes: object = None,
        shoe_size: int = 0,
    ) -> None: ...

    problems = disagreements(update, UPDATE)
    assert any("do not start with" in p for p in problems)
    assert any(p.startswith("identity: type") for p in problems)
    assert any(p.startswith("attributes: type") for p in problems)
    assert "shoe_size is a parameter but not declared" in problems
    assert "role_sid is declared but not a parameter" in problems
