"""Every namespace of both scopes, and every operation they declare."""

from __future__ import annotations

from typing import Any

from conversations_async import ServiceScope, Session
from conversations_async._sansio import Operation
from conversations_async.resources import Resource, namespace


def resources() -> list[type[Resource]]:
    found: dict[str, type[Resource]] = {}
    for holder in (Session, ServiceScope):
        for base in holder.__mro__:  # the holder itself first, then the shared namespaces
            for value in vars(base).values():
                if isinstance(value, namespace):
                    found[value.resource.__name__] = value.resource
    return sorted(found.values(), key=lambda cls: cls.__name__)


def operations() -> list[tuple[type[Resource], Operation[Any]]]:
    return [(cls, op) for cls in resources() for op in cls.operations]
