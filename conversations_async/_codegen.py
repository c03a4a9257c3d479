"""Functions written out once at run time, for the hot path: a record's structurer
(``_convert``), a declaration's encoder (``_sansio.params``) and an operation's request builder
(``_sansio.operation``). Each is compiled from the declaration it serves, the first time it is
needed. The structurer and the builder fill a record's slots through the setters that
:func:`slot_setters` finds, or through the record's :func:`mutable_twin`; the pieces of source
they share are written here."""

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


def missing_value(
    attribute: attrs.Attribute[Any], index: int, namespace: dict[str, Any]
) -> str | None:
    """The line that gives ``v{index}`` when the body has no key for ``attribute``: its default,
    a fresh one from its factory, or ``_Unusual`` for a required field; None for a factory that
    takes ``self`` (which only ``__init__`` can call)."""
    default: Any = attribute.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            return None
        namespace[f"_factory{index}"] = default.factory
        return f"v{index} = _factory{index}()"
    if default is attrs.NOTHING:
        return "raise _Unusual"
    namespace[f"_default{index}"] = default
    return f"v{index} = _default{index}"


def mutable_twin(cls: type) -> type | None:
    """A plain class with the very slots of the frozen record ``cls``, or None where CPython
    would not let one become the other.

    A generated structurer fills a twin with plain attribute stores (specialised by the
    interpreter, where a slot's descriptor called per field costs three times as much), then
    makes it the record by ``__class__`` assignment: an object of ``cls`` like any other, its
    fields set once, before anyone holds it. Possible because the weak-reference slot lives
    in the records' shared base (``models._record.Record``)."""
    own_slots = vars(cls).get("__slots__")
    if len(cls.__bases__) != 1 or own_slots is None:
        return None
    twin = type(f"{cls.__name__}Twin", cls.__bases__, {"__slots__": tuple(own_slots)})
    try:
        cast(Any, object.__new__(twin)).__class__ = cls
    except TypeError:  # another layout (a ``__weakref__`` or ``__dict__`` of its own)
        return None
    return twin


def converted_value(attribute: attrs.Attribute[Any], index: int, namespace: dict[str, Any]) -> str:
    """The expression of field ``index``'s value, through its attrs converter if it has one."""
    if attribute.converter is None:
        return f"v{index}"
    namespace[f"_convert{index}"] = attribute.converter
    return f"_convert{index}(v{index})"


def fill_twin(cls: type, namespace: dict[str, Any], twin: type) -> list[str]:
    """The lines that make the record from ``v0``, ``v1``, … through its mutable twin."""
    namespace["_new"], namespace["_twin"], namespace["_cls"] = object.__new__, twin, cls
    lines = ["  r = _new(_twin)"]
    for index, attribute in enumerate(attrs.fields(cast(Any, cls))):
        lines.append(f"  r.{attribute.name} = {converted_value(attribute, index, namespace)}")
    return [*lines, "  r.__class__ = _cls", "  return r"]
