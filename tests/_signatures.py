"""How a resource method's signature differs from its operation's declaration."""

from __future__ import annotations

import inspect
import typing
from typing import Any, cast

import attrs

from conversations_async._sansio import Operation

PAGER_OPTIONS = {"limit": int | None, "page_size": int | None}


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
            # A required parameter (no default in the record) has none in the signature.
            field.name: (
                field_hints[field.name],
                inspect.Parameter.empty if field.default is attrs.NOTHING else field.default,
            )
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
