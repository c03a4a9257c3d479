"""From a 2xx answer's bytes to a record: :class:`RecordReader`, which the resources hand the
Session with each request.

With the fast-json extra, a record's answer need not become a dict first: msgspec decodes it
into a Struct generated from the record's fields (each under its JSON key, typed by the hook
that field has, and UNSET when absent), and a generated function copies that into the record
by the same rules as ``_convert``'s fast path, through the record's mutable twin. About 25,000
instructions per Participant, against 36,600 for decoding into a dict and structuring that
(callgrind). msgspec checks the types in C; a body it refuses, or one the
copy finds unusual, is read again the general way (``decode_success``, then
:func:`~conversations_async._convert.structure`), which decides and words any error: tests hold
the two to the same results on every body.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

import attrs

from ._codegen import define, fill_twin, missing_value, mutable_twin
from ._convert import (
    _interned,
    _optional_datetime,
    _optional_int,
    _optional_str,
    _parse_datetime_text,
    _strict_str,
    _Unusual,
    fast_structurer,
    parse_attributes,
    record_fields,
    structure,
)
from ._sansio.responses import decode_success

try:  # the fast-json extra
    import msgspec
except ImportError:  # the default install: every answer is read the general way
    msgspec = None  # type: ignore[assignment]

R = TypeVar("R")

# Fields whose hook only checks a JSON type: msgspec checks it. Every other field is ``Any``
# (msgspec decodes it as it would into a dict) and goes through its hook, as from a dict.
_WIRE_TYPES: Final[dict[Any, Any]] = {
    _strict_str: str,
    _optional_str: str | None,
    _interned: str | None,
    _optional_int: int | None,
    _optional_datetime: str | None,
}
_WIRE_INLINE: Final[dict[Any, str]] = {
    _strict_str: "",
    _optional_str: "",
    _optional_int: "",
    _interned: "if {v} is not None: {v} = _intern({v})",
    _optional_datetime: "if {v} is not None: {v} = _parse_datetime_text({v})",
    parse_attributes: "{v} = {{}} if {v} == '{{}}' else parse_attributes({v})",
}


def _body_reader(cls: type[R]) -> Callable[[bytes], R] | None:
    """A function from a 2xx answer's bytes to ``cls`` through msgspec, or None (no msgspec, or
    a record only the dict path reads). It raises on anything it does not expect."""
    twin = mutable_twin(cls) if msgspec is not None and fast_structurer(cls) else None
    if twin is None:
        return None
    unset = msgspec.UNSET
    namespace: dict[str, Any] = {
        "_Unusual": _Unusual,
        "_UNSET": unset,
        "_intern": sys.intern,
        "_parse_datetime_text": _parse_datetime_text,
        "parse_attributes": parse_attributes,
    }
    wire_fields = []
    lines = ["def read(body):", "  w = _decode(body)"]
    for index, (attribute, key, hook, type_) in enumerate(record_fields(cls)):
        v = f"v{index}"
        wire_type = _WIRE_TYPES.get(hook, Any) | msgspec.UnsetType
        wire_fields.append((f"f{index}", wire_type, msgspec.field(default=unset, name=key)))
        missing = missing_value(attribute, index, namespace)  # not None: a fast structurer
        namespace[f"_hook{index}"], namespace[f"_type{index}"] = hook, type_
        convert = _WIRE_INLINE.get(hook, f"{{v}} = _hook{index}({{v}}, _type{index})")
        lines += [f"  {v} = w.f{index}", f"  if {v} is _UNSET: {missing}"]
        if convert:
            lines += ["  else:", *("    " + line for line in convert.format(v=v).splitlines())]
    lines += fill_twin(cls, namespace, twin)
    # gc=False: the Struct holds only what was just decoded, which cannot refer back to it, so
    # it can be in no cycle (and it dies at once).
    wire = msgspec.defstruct(f"{cls.__name__}Wire", wire_fields, gc=False)
    namespace["_decode"] = _checked(msgspec.json.Decoder(wire).decode)
    read: Callable[[bytes], R] = define("\n".join(lines), f"read {cls.__name__}", namespace, "read")
    return read


def _checked(decode: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """``decode``, refusing the bodies where msgspec, skipping the keys a record has no field
    for, would take what the general path refuses: bytes that are not UTF-8 inside a skipped
    string, and an integer of more digits than Python's ``int`` reads (``json`` refuses both).
    A body shorter than that limit cannot hold such an integer; an ASCII one is UTF-8.

    Being a frame of its own also puts msgspec's decode as deep in the stack as
    ``decode_body`` puts it, so that JSON nested to the edge of the recursion limit is refused
    by both or by neither."""

    def decoded(body: bytes) -> Any:
        digits = _max_str_digits()
        if (digits and len(body) >= digits) or not (body.isascii() or _is_utf8(body)):
            raise _Unusual
        return decode(body)

    return decoded


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_max_str_digits: Final = sys.get_int_max_str_digits
_BODY_READERS: dict[type, Callable[[bytes], Any] | None] = {}


class RecordReader(Generic[R]):
    """How a 2xx answer becomes a ``cls``: called with decoded JSON, or :meth:`read` with the
    answer's bytes (which the Session prefers, for a request that has one). A service scope's
    reader fills in ``chat_service_sid`` where Twilio's JSON leaves it out."""

    __slots__ = ("_from_body", "cls", "service")

    def __init__(self, cls: type[R], service: str | None = None) -> None:
        self.cls = cls
        self.service = service
        try:
            from_body = _BODY_READERS[cls]
        except KeyError:
            try:
                from_body = _body_reader(cls)
            except Exception:  # a record it cannot read (unresolvable hints): the dict path
                from_body = None
            _BODY_READERS[cls] = from_body
        self._from_body = from_body

    def __call__(self, data: Any) -> R:
        return self._scoped(structure(data, self.cls))

    def read(self, status: int, body: bytes) -> R:
        """The record of a 2xx answer's bytes, or :class:`ResponseValidationError`."""
        from_body = self._from_body
        if from_body is not None:
            try:
                record = from_body(body)
            except Exception:  # unusual, invalid or not JSON: the general path decides
                pass
            else:
                return record if self.service is None else self._scoped(record)
        return self(decode_success(status, body))

    def _scoped(self, record: R) -> R:
        service = self.service
        if service is not None and getattr(record, "chat_service_sid", self) is None:
            # Twilio's default-scope JSON may leave chat_service_sid out; the scope knows it.
            # (A record without that field at all gives ``self`` here and is left alone.)
            record = attrs.evolve(record, chat_service_sid=service)  # type: ignore[misc]
        return record
