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


@attrs.frozen
class Declaration:
    """A params record compiled for sending: its fields, in order, with their wire form."""

    cls: type[Params]
    fields: tuple[_Field, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, *_ in self.fields)

    def wires(self) -> dict[str, Wire]:
        """Python name -> :class:`Wire`, in declaration order."""
        return {a.name: a.metadata[_WIRE] for a in _fields(self.cls) if _WIRE in a.metadata}

    def encode(self, arguments: Mapping[str, Any], *, prefix: str = "") -> Encoded:
        """Check and encode the given ``arguments`` (Python name -> value; ``NOT_GIVEN`` and
        absent names are left out). ``prefix`` goes before a field name in errors."""
        form: list[tuple[str, str]] = []
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        given: dict[str, Any] = {}
        for name, wire, where, encode, nullable in self.fields:
            value = arguments.get(name, NOT_GIVEN)
            if value is NOT_GIVEN:
                continue
            given[name] = value
            if value is None and nullable:
                text: str | tuple[str, ...] = NULL
            else:
                try:
                    text = encode(prefix + name, value)
                except InvalidArgumentError:
                    raise
                except Exception as exc:  # a value whose own methods raise is still bad input
                    raise _raised(prefix + name, exc) from exc
            if where == "header":
                assert isinstance(text, str)
                headers[wire] = text
            else:
                target = form if where == "form" else query
                if isinstance(text, str):
                    target.append((wire, text))
                else:
                    target.extend((wire, item) for item in text)
        try:
            self.cls.check(given)
        except InvalidArgumentError as error:
            if prefix:
                raise InvalidArgumentError(prefix + error.field, error.message) from None
            raise
        except Exception as exc:  # values that raise only together (e.g. when compared)
            raise _raised(prefix.rstrip(".") or "arguments", exc) from exc
        # The shared empty mapping when no header was given (most calls): one dict fewer.
        return Encoded(tuple(form), tuple(query), headers or _NO_HEADERS)

    def encode_record(self, record: Params, *, prefix: str = "") -> Encoded:
        """Encode a params record (e.g. a bulk spec)."""
        return self.encode({name: getattr(record, name) for name in self.names}, prefix=prefix)


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
