"""Functions written out once at run time, for the hot path: a record's structurer
(``_convert``), a declaration's encoder (``_sansio.params``) and an operation's request builder
(``_sansio.operation``). Each is compiled from the declaration it serves, the first time it is
needed. The structurer and the builder fill a record's slots through the setters that
:func:`slot_setters` finds."""

from __future__ import annotations

import itertools
import linecache
import types
from collections.abc import Callable
from typing import Any, cast

import attrs

_numbers = itertools.count(1)


def define(source: str, label: str, namespace: dict[str, Any], name: str) -> Any:
    """The function ``name`` that ``source`` defines, its globals ``namespace``. Its lines are
    kept in :mod:`linecache` (as attrs does for its own), so a traceback through it shows them;
    ``label`` names it there (``<encode NewParticipant #3>``)."""
    filename = f"<{label} #{next(_numbers)}>"
    exec(compile(source, filename, "exec"), namespace)
    # A None mtime: linecache.checkcache() never drops an entry that has no file behind it.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return namespace[name]


def slot_setters(cls: type) -> list[Callable[[object, Any], None]] | None:
    """The slots' own setters of an attrs record whose ``__init__`` only stores its fields (no
    validator, no hook, plain converters), in field order: a generated function sets them
    directly, past a frozen ``__setattr__``. None for any other record."""
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return None
    setters = []
    for attribute in attrs.fields(cast(Any, cls)):
        converter_ = attribute.converter
        if attribute.validator is not None or isinstance(converter_, attrs.Converter):
            return None
        owner = next((k for k in cls.__mro__ if attribute.name in vars(k)), None)
        slot = None if owner is None else vars(owner)[attribute.name]
        if type(slot) is not types.MemberDescriptorType:
            return None
        setters.append(slot.__set__)
    return setters
