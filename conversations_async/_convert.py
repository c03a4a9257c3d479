"""The one cattrs converter: Twilio JSON -> frozen attrs records (and back, for tests and tools).

All conversion rules live here, not on the records, and they apply to every record by the
shape of its fields, through one hook factory (no per-record registration):

- ``attributes`` and ``*_attributes``: Twilio's JSON-in-a-string, parsed (text that is not
  JSON is kept as it came);
- ``*_sid`` fields: interned, since the same parent SIDs repeat in every record;
- ``_url`` (the record's own ``url``): kept as Twilio's text;
- a field typed as an :class:`~conversations_async.models.OpenEnum`: unknown values accepted;
- records with an ``extra`` field (``messaging_binding``, ``timers``): open-ended, every key they
  have no field for is kept in ``extra``;
- dates (``Z`` or ``+00:00``), strict strings (never ``None`` -> ``"None"``) and booleans
  (never ``"false"`` -> True), URLs.
"""

from __future__ import annotations

import functools
import json
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeVar, cast

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter
from yarl import URL

from ._codegen import (
    converted_value,
    define,
    fill_twin,
    missing_value,
    mutable_twin,
    slot_setters,
)
from ._sansio.rules import format_datetime
from ._text import excerpt
from .errors import ResponseValidationError
from .models import OpenEnum

R = TypeVar("R")


def parse_datetime(value: object) -> datetime:
    """An aware datetime from Twilio's ISO 8601 text; a naive one is taken as UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return _parse_datetime_text(value)
    raise TypeError(f"expected an ISO 8601 date-time string, got {type(value).__name__}")


@functools.lru_cache(maxsize=1024)
def _parse_datetime_text(value: str) -> datetime:
    # Cached: records made in the same second share one (immutable) datetime, which matters
    # when a bulk report holds 100,000 of them.
    parsed = datetime.fromisoformat(value)  # 3.11 reads both "…Z" and "…+00:00"
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_attributes(value: object, _: object = None) -> Any:
    """Twilio sends ``attributes`` as JSON text; give the parsed value (``None`` stays ``None``).

    Text that is not JSON is kept as it came, so a record never fails over its metadata. So is
    JSON nested too deeply for Python's parser (``[[[[…`` thousands deep): the caller gets the
    text, never a :class:`RecursionError`.
    """
    if isinstance(value, str):
        if value == "{}":  # what Twilio sends when unset: most records, no parser needed
            return {}
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _strict_str(value: object, _: object) -> str:
    # cattrs' default would turn None or 42 into "None" / "42" and hide a broken body.
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_str(value: object, _: object) -> str | None:
    # ``str | None`` in one call rather than two: it is most fields of every record.
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _interned(value: object, _: object) -> str | None:
    if value is None or type(value) is str:  # one call for the usual case
        return value if value is None else sys.intern(value)
    return sys.intern(_strict_str(value, str))


def _optional_int(value: object, _: object) -> int | None:
    if value is None or type(value) is int:  # the usual JSON integer, in one test
        return value
    return structure_int(value)


def _optional_datetime(value: object, _: object) -> datetime | None:
    if value is None:
        return None
    return _parse_datetime_text(value) if type(value) is str else parse_datetime(value)


def _optional(hook: Callable[[object, object], R]) -> Callable[[object, object], R | None]:
    # Registered for ``T | None`` itself: cattrs' generic union handling would otherwise look
    # up T's hook again for every field of every record (a measurable share of a create).
    def structure(value: object, type_: object) -> R | None:
        return None if value is None else hook(value, type_)

    return structure


def _structure_url(value: object, _: object) -> URL:
    # Twilio's URLs arrive encoded: re-quoting them would be wrong, and costs 200 bytes each.
    return value if isinstance(value, URL) else URL(str(value), encoded=True)


def structure_int(value: object, _: object = None) -> int:
    """An integer from JSON or form text (a bool is refused, though Python calls it an int)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return int(value)


def structure_bool(value: object, _: object = None) -> bool:
    """A boolean from JSON (or Twilio's ``"true"`` / ``"false"`` text); cattrs' default,
    ``bool(value)``, would read ``"false"`` as True."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TypeError(f"expected a boolean, got {type(value).__name__}")


def _structure_open_enum(value: object, type_: Any) -> Any:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return type_(value)


def configure_scalars(converter: cattrs.Converter) -> None:
    """Strict strings, dates, URLs, open enums, and their optional forms."""
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(datetime, lambda v, _: parse_datetime(v))
    converter.register_unstructure_hook(datetime, format_datetime)
    converter.register_structure_hook(URL, _structure_url)
    converter.register_unstructure_hook(URL, str)
    converter.register_structure_hook(str | None, _optional_str)
    converter.register_structure_hook(int | None, _optional_int)
    converter.register_structure_hook(bool, structure_bool)
    converter.register_structure_hook(bool | None, _optional(structure_bool))
    converter.register_structure_hook(datetime | None, _optional_datetime)
    converter.register_structure_hook(URL | None, _optional(_structure_url))
    # Class hooks dispatch on the most specific base: every OpenEnum (a str subclass) gets this
    # one rather than the strict str hook, which would leave a plain string.
    converter.register_structure_hook(OpenEnum, _structure_open_enum)


def _is_open_record(cls: Any) -> bool:
    return attrs.has(cls) and any(a.name == "extra" for a in attrs.fields(cls))


def _open_record_hook(cls: type[R], converter: cattrs.Converter) -> Callable[[object, Any], R]:
    """An object whose known keys become fields (structured by type) and the rest ``extra``."""
    hints = typing.get_type_hints(cls)  # the records' annotations are strings
    fields = {a.name: hints[a.name] for a in attrs.fields(cast(Any, cls)) if a.name != "extra"}

    def structure(value: object, _: object) -> R:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        known = {
            name: converter.structure(value[name], fields[name]) for name in fields if name in value
        }
        extra = {key: item for key, item in value.items() if key not in fields}
        made: R = cast(Any, cls)(**known, extra=extra)
        return made

    return structure


def _unstructure_open_record(value: Any) -> dict[str, Any]:
    data = {a.name: getattr(value, a.name) for a in attrs.fields(type(value)) if a.name != "extra"}
    data = {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in data.items()}
    return {**{k: v for k, v in data.items() if v is not None}, **value.extra}


def _overrides(cls: type) -> dict[str, Any]:
    """The per-field rules every record gets, by field name."""
    rules: dict[str, Any] = {}
    for attribute in attrs.fields(cls):
        name = attribute.name
        if name == "attributes" or name.endswith("_attributes"):  # conversation_attributes
            rules[name] = override(struct_hook=parse_attributes)
        elif name == "_url":
            rules[name] = override(rename="url")
        elif name.endswith("_sid"):
            rules[name] = override(struct_hook=_interned)
    return rules


def _optional_record(type_: Any) -> bool:
    # ``Record | None`` (or ``OpenEnum | None``): structured through the record's own hook.
    args = typing.get_args(type_)
    if len(args) != 2 or type(None) not in args or typing.get_origin(type_) not in _UNIONS:
        return False
    inner = next(arg for arg in args if arg is not type(None))
    return attrs.has(inner) or (isinstance(inner, type) and issubclass(inner, OpenEnum))


_UNIONS: Final = (typing.Union, types.UnionType)


def configure_records(converter: cattrs.Converter) -> None:
    """One hook factory for every record (see the module docs).

    cattrs tries the factories registered last first: the specific ones go after the general.
    """
    converter.register_structure_hook_factory(
        attrs.has, lambda cls: make_dict_structure_fn(cls, converter, **_overrides(cls))
    )
    converter.register_unstructure_hook_factory(
        attrs.has,
        lambda cls: make_dict_unstructure_fn(
            cls, converter, **{k: v for k, v in _overrides(cls).items() if k == "_url"}
        ),
    )
    converter.register_structure_hook_factory(
        _is_open_record, lambda cls: _open_record_hook(cls, converter)
    )
    converter.register_unstructure_hook_func(_is_open_record, _unstructure_open_record)
    converter.register_structure_hook_factory(_optional_record, _optional_record_hook(converter))


def _optional_record_hook(converter: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(type_: Any) -> Callable[[object, object], Any]:
        inner = next(arg for arg in typing.get_args(type_) if arg is not type(None))
        hook = converter.get_structure_hook(inner)

        def structure(value: object, _: object) -> Any:
            return None if value is None else hook(value, inner)

        return structure

    return factory


def make_twilio_converter() -> cattrs.Converter:
    """A converter configured with every rule above."""
    converter = make_converter()
    configure_scalars(converter)
    configure_records(converter)
    return converter


converter: Final = make_twilio_converter()


# -- the fast path -------------------------------------------------------------------------------
#
# cattrs' generated function for a record collects every field's error (a try block, a result
# dict, a ``cls(**res)``) and is reached through its dispatch: about 40,000 instructions for a
# Participant, the largest share of a create that is ours. Every valid body takes the same
# record through a plainer function, generated here from the very hooks cattrs would call (the
# commonest inlined); anything it does not expect makes it give up, and cattrs does the whole
# record again, with its errors. A test holds the two to the same results. A Participant then
# costs about 21,000 instructions, filled through its mutable twin (26,000 through the slots'
# own setters). With msgspec, ``_reading`` reads an answer's bytes straight into the record.


class _Unusual(Exception):
    """The fast path gives up: cattrs structures this body (and words its errors)."""


_MISSING: Final = object()
_INLINE: Final[dict[Any, str]] = {
    _optional_str: "if {v} is not None and type({v}) is not str: raise _Unusual",
    _interned: (
        "if {v} is not None:\n  if type({v}) is not str: raise _Unusual\n  {v} = _intern({v})"
    ),
    _optional_int: "if {v} is not None and type({v}) is not int: raise _Unusual",
    _optional_datetime: (
        "if {v} is not None:\n  if type({v}) is not str: raise _Unusual\n"
        "  {v} = _parse_datetime_text({v})"
    ),
    parse_attributes: "{v} = parse_attributes({v})",
}


def record_fields(cls: type) -> list[tuple[attrs.Attribute[Any], str, Any, Any]]:
    """Per field of a record, as cattrs' generated function reads it: the attribute, its JSON
    key, the hook that structures it and the type that hook is given."""
    hints = typing.get_type_hints(cls)
    rules = _overrides(cls)
    fields = []
    for attribute in attrs.fields(cast(Any, cls)):
        rule = rules.get(attribute.name)
        key = rule.rename if rule is not None and rule.rename else attribute.name
        type_ = hints[attribute.name]
        hook = rule.struct_hook if rule is not None and rule.struct_hook else None
        fields.append((attribute, key, hook or converter.get_structure_hook(type_), type_))
    return fields


def _fast_structurer(cls: type[R]) -> Callable[[Any], R] | None:
    """A plain function from a body to ``cls``, or None where cattrs' own is the only one."""
    if not attrs.has(cls) or _is_open_record(cls):
        return None
    namespace: dict[str, Any] = {
        "_Unusual": _Unusual,
        "_MISSING": _MISSING,
        "_intern": sys.intern,
        "_parse_datetime_text": _parse_datetime_text,
        "parse_attributes": parse_attributes,
        "_cls": cls,
    }
    lines = ["def structure(o):", "  if type(o) is not dict: raise _Unusual", "  get = o.get"]
    arguments = []
    for index, (attribute, key, hook, type_) in enumerate(record_fields(cls)):
        v = f"v{index}"
        missing = missing_value(attribute, index, namespace)
        if missing is None:
            return None
        namespace[f"_hook{index}"], namespace[f"_type{index}"] = hook, type_
        convert = _INLINE.get(hook, f"{{v}} = _hook{index}({{v}}, _type{index})")
        lines += [
            f"  {v} = get({key!r}, _MISSING)",
            f"  if {v} is _MISSING: {missing}",
            "  else:",
            *("    " + line for line in convert.format(v=v).splitlines()),
        ]
        arguments.append(f"{attribute.alias}={v}")
    setters = slot_setters(cls)
    twin = None if setters is None else mutable_twin(cls)
    if setters is None:
        lines.append(f"  return _cls({', '.join(arguments)})")
    elif twin is not None:
        lines += fill_twin(cls, namespace, twin)
    else:
        # What __init__ does, without its generic setattr per field (which costs 40% more).
        lines.append("  r = _new(_cls)")
        for index, (attribute, setter) in enumerate(zip(attrs.fields(cls), setters, strict=True)):
            namespace[f"_set{index}"] = setter
            lines.append(f"  _set{index}(r, {converted_value(attribute, index, namespace)})")
        lines.append("  return r")
        namespace["_new"] = object.__new__
    made: Callable[[Any], R] = define(
        "\n".join(lines), f"fast structure {cls.__name__}", namespace, "structure"
    )
    return made


_FAST: dict[type, Callable[[Any], Any] | None] = {}


def fast_structurer(cls: type[R]) -> Callable[[Any], R] | None:
    """``cls``'s fast structurer, made the first time it is asked for; None where cattrs alone
    reads ``cls``."""
    try:
        return _FAST[cls]
    except KeyError:
        try:
            fast = _fast_structurer(cls)
        except Exception:  # a class this cannot read (unresolvable hints): cattrs alone
            fast = None
        _FAST[cls] = fast
        return fast


def structure(data: Any, cls: type[R]) -> R:
    """Structure ``data`` into ``cls``, raising :class:`ResponseValidationError` with the body."""
    try:
        fast = _FAST[cls]  # looked up here, not through fast_structurer: one call fewer
    except KeyError:
        fast = fast_structurer(cls)
    if fast is not None:
        try:
            made: R = fast(data)
            return made
        except Exception:  # unusual or invalid: cattrs decides, and says why
            pass
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs raises several kinds; all mean "this body is not a cls"
        errors = (
            cattrs.transform_error(exc)
            if isinstance(exc, cattrs.BaseValidationError)
            else [str(exc)]
        )
        # Serialised only here, so the hot path never pays for it.
        try:
            body = json.dumps(data, default=str)
        except (RecursionError, ValueError):  # nested too deeply to serialise again
            body = excerpt(data)
        raise ResponseValidationError(
            f"the response could not be read as a {cls.__name__}", body=body, errors=errors
        ) from exc
