"""Every declared operation and the typed method that serves it agree: names, types, defaults.

The method signatures are written out for users and type checkers; the declarations (params
records with wire names and rules) are what is sent. This test is what keeps the two one.
"""

from __future__ import annotations

from typing import Any

import pytest
from _operations import operations, resources
from _signatures import disagreements

from conversations_async._sansio import Operation
from conversations_async._types import NOT_GIVEN, NotGiven
from conversations_async.resources import Resource
from conversations_async.resources.participants import UPDATE

PAGER_OPTIONS = {"limit": int | None, "page_size": int | None}


def test_every_namespace_declares_its_operations() -> None:
    assert {cls.__name__ for cls in resources()} >= {"Conversations", "Participants"}
    for cls in resources():
        assert cls.operations, f"{cls.__name__} declares no operations"
        names = [op.name for op in cls.operations]
        assert len(names) == len(set(names)), f"{cls.__name__} serves one name twice"


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
