"""Operation parameters, declared once: a frozen attrs record per operation whose fields carry
their Twilio wire name and rule. Form encoding, headers, query strings, validation, the bulk spec
type, the CLI's columns and the docs' tables all derive from these declarations.

::

    @attrs.frozen(kw_only=True)
    class UpdateRole(Params):
        permission: Sequence[str] | NotGiven = form("Permission", Each(TEXT))

A field defaults to ``NOT_GIVEN`` (not sent). ``nullable=True`` lets ``None`` through as
Twilio's ``null``, which clears the field. Cross-field rules live on the record, beside the
fields they relate, as :meth:`Params.check`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple, cast

import attrs

from .._codegen import define
from .._types import NOT_GIVEN
from ..errors import InvalidArgumentError
from .request import FormItems
from .rules import FLAG, NULL, TEXT, Rule

Where = Literal["form", "query", "header"]

_WIRE: Final = "conversations_async.wire"
WEBHOOK_HEADER: Final = "X-Twilio-Webhook-Enabled"


@attrs.frozen
class Wire:
    """Where and under which name a parameter is sent, and the rule its value follows."""

    name: str
    """Twilio's name: a form key (``MessagingBinding.Address``), query key or header."""
    where: Where
    rule: Rule
    nullable: bool = False
    """``None`` is allowed and sends ``null`` (Twilio: "'null' value will remove it")."""


def _param(name: str, where: Where, rule: Rule, nullable: bool, default: object) -> Any:
    return attrs.field(default=default, metadata={_WIRE: Wire(name, where, rule, nullable)})


def form(
    name: str, rule: Rule = TEXT, *, nullable: bool = False, default: object = NOT_GIVEN
) -> Any:
    """A form field of the request body (``default``: when not given; NOT_GIVEN is not sent)."""
    return _param(name, "form", rule, nullable, default)


def query(name: str, rule: Rule = TEXT) -> Any:
    """A query parameter (list filters)."""
    return _param(name, "query", rule, False, NOT_GIVEN)


def header(name: str, rule: Rule = FLAG) -> Any:
    """A request header."""
    return _param(name, "header", rule, False, NOT_GIVEN)


def webhook_header() -> Any:
    """``X-Twilio-Webhook-Enabled``: whether this REST action triggers webhooks."""
    return header(WEBHOOK_HEADER)


class Params:
    """Base of every operation's parameter record."""

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        """Cross-field rules, given every parameter that was passed (by Python name)."""


_NO_HEADERS: Final[Mapping[str, str]] = MappingProxyType({})


class Encoded(NamedTuple):
    """A call's parameters as they go on the wire (a named tuple: made on every request)."""

    form: FormItems = ()
    query: FormItems = ()
    headers: Mapping[str, str] = _NO_HEADERS


_Field = tuple[str, str, Where, Callable[[str, Any], "str | tuple[str, ...]"], bool]
_Encoder = Callable[[Mapping[str, Any], str], Encoded]


@attrs.frozen
class Declaration:
    """A params record compiled for sending: its fields, in order, with their wire form."""

    cls: type[Params]
    fields: tuple[_Field, ...]
    encoder: _Encoder = attrs.field(init=False, eq=False, repr=False)
    """:meth:`encode`'s body, written out for these fields (see ``_encoder``)."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "encoder", _encoder(self.cls, self.fields))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, *_ in self.fields)

    def wires(self) -> dict[str, Wire]:
        """Python name -> :class:`Wire`, in declaration order."""
        return {a.name: a.metadata[_WIRE] for a in _fields(self.cls) if _WIRE in a.metadata}

    def encode(self, arguments: Mapping[str, Any], *, prefix: str = "") -> Encoded:
        """Check and encode the given ``arguments`` (Python name -> value; ``NOT_GIVEN`` and
        absent names are left out). ``prefix`` goes before a field name in errors."""
        return self.encoder(arguments, prefix)

    def encode_record(self, record: Params, *, prefix: str = "") -> Encoded:
        """Encode a params record (e.g. a bulk spec)."""
        return self.encoder({name: getattr(record, name) for name in self.names}, prefix)


def _encoder(cls: type[Params], fields: tuple[_Field, ...]) -> _Encoder:
    """A plain function that encodes ``fields`` one after the other, written out once per
    record: a loop over the declaration cost a third more per request (each field's tuple
    unpacked and its place compared on every call, given or not).

    Per field, in order: left out when absent or ``NOT_GIVEN``; ``None`` sends ``null`` where
    nullable; else its rule gives the text (an exception of the value's own becomes an
    :class:`InvalidArgumentError` naming the field). Then the record's :meth:`Params.check`."""
    namespace: dict[str, Any] = {
        "_NOT_GIVEN": NOT_GIVEN,
        "_NULL": NULL,
        "_NO_HEADERS": _NO_HEADERS,
        "_Encoded": Encoded,
        "_tuple_new": tuple.__new__,
        "_InvalidArgumentError": InvalidArgumentError,
        "_raised": _raised,
        "_check": cls.check,
    }
    used = {where for _, _, where, _, _ in fields}
    lines = [
        "def encode(arguments, prefix):",
        "  get = arguments.get",
        "  given = {}",
        *(f"  {where} = []" for where in ("form", "query") if where in used),
        *(["  header = {}"] if "header" in used else []),
    ]
    for index, (name, wire, where, encode, nullable) in enumerate(fields):
        namespace[f"_encode{index}"] = encode
        lines += [
            f"  value = get({name!r}, _NOT_GIVEN)",
            "  if value is not _NOT_GIVEN:",
            f"    given[{name!r}] = value",
        ]
        indent = "    "
        if nullable:
            lines += ["    if value is None: text = _NULL", "    else:"]
            indent = "      "
        lines += [
            f"{indent}try: text = _encode{index}(prefix + {name!r}, value)",
            f"{indent}except _InvalidArgumentError: raise",
            # A value whose own methods raise is still bad input.
            f"{indent}except Exception as exc: raise _raised(prefix + {name!r}, exc) from exc",
        ]
        if where == "header":
            lines.append(f"    header[{wire!r}] = text")
        else:
            lines += [
                f"    if isinstance(text, str): {where}.append(({wire!r}, text))",
                f"    else: {where}.extend([({wire!r}, item) for item in text])",
            ]
    lines += [
        # The record's cross-field rules, their errors named with ``prefix``.
        "  try: _check(given)",
        "  except _InvalidArgumentError as error:",
        "    if prefix: raise _InvalidArgumentError(prefix + error.field, error.message) from None",
        "    raise",
        # Values that raise only together (e.g. when compared).
        "  except Exception as exc:",
        "    raise _raised(prefix.rstrip('.') or 'arguments', exc) from exc",
        # Made as Encoded() makes it, without its keyword-parsing __new__ (a named tuple).
        "  return _tuple_new(_Encoded, ({}, {}, {}))".format(
            "tuple(form)" if "form" in used else "()",
            "tuple(query)" if "query" in used else "()",
            # The shared empty mapping when no header was given (most calls): one dict fewer.
            "header or _NO_HEADERS" if "header" in used else "_NO_HEADERS",
        ),
    ]
    made: _Encoder = define("\n".join(lines), f"encode {cls.__name__}", namespace, "encode")
    return made


def _fields(cls: type[Params]) -> tuple[attrs.Attribute[Any], ...]:
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cast(Any, cls))  # always attrs
    return fields


def _raised(field: str, exc: Exception) -> InvalidArgumentError:
    """The error for a value that raised something of its own while being checked; its cause
    is the original exception (the bulk runner reads it to name the spec)."""
    return InvalidArgumentError(field, f"raised {type(exc).__name__} while being checked")


_DECLARATIONS: dict[type[Params], Declaration] = {}


def declaration(cls: type[Params]) -> Declaration:
    """The compiled declaration of a params record (made once per class)."""
    made = _DECLARATIONS.get(cls)
    if made is None:
        made = _DECLARATIONS[cls] = _compile(cls)
    return made


def _compile(cls: type[Params]) -> Declaration:
    fields: list[_Field] = []
    for attribute in _fields(cls):
        wire: Wire | None = attribute.metadata.get(_WIRE)
        if wire is None:
            raise TypeError(f"{cls.__name__}.{attribute.name} has no wire declaration")
        fields.append((attribute.name, wire.name, wire.where, wire.rule.encode, wire.nullable))
    return Declaration(cls, tuple(fields))
