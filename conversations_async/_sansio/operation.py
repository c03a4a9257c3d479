"""An operation of the API, declared once: method, path template, parameters, record, pacing.

::

    FETCH = Operation("fetch", "GET", "Conversations/{conversation}/Participants/{participant}",
                      Participant, spec=("FetchConversationParticipant",
                                         "FetchServiceConversationParticipant"))

``name`` is the resource method that serves it (its signature is checked against ``params`` by
a test, and the resource lists its operations in ``operations``). The path is relative to the
scope (``/v1`` or ``/v1/Services/{IS}``); each ``{name}`` is filled from the call's argument of
that name, percent-encoded as exactly one segment; ``{name:IM}`` also requires a SID with that
prefix, where the spec gives the path parameter a pattern (checked before sending). ``spec``
names the operation in Twilio's official OpenAPI spec at account and at service scope (``None``
where it does not exist), which the spec-walk test checks.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, TypeVar

import attrs

from .._codegen import define, slot_setters
from .._limits import conversation_write_key, service_write_key
from .params import Declaration, Encoded, Params, declaration
from .request import Request
from .rules import SID_PATTERNS, Text, check_path_value

R = TypeVar("R")

_PLACEHOLDER: Final = re.compile(r"^\{([a-z_]+)(?::([A-Z]{2}))?\}$")
_SERVICE_SID: Final = Text(pattern=SID_PATTERNS["IS"])


class Pacing(enum.Enum):
    """Which per-second write budget an operation spends (API-FACTS 4.2)."""

    CONVERSATION = "conversation"
    """The conversation's (its ``conversation`` argument): participant and message writes,
    conversation update."""
    SERVICE = "service"
    """The service's: conversation create/delete, user and role writes."""


@functools.lru_cache(maxsize=256)
def scope_path(service: str | None) -> tuple[str, ...]:
    """``/v1`` or ``/v1/Services/{ChatServiceSid}`` (cached: checked once per service)."""
    if service is None:
        return ("v1",)
    return ("v1", "Services", _SERVICE_SID.encode("chat_service_sid", service))


_NO_PARAMS: Final = Encoded()


@attrs.frozen
class Operation(Generic[R]):
    """One operation of the API (see the module docs)."""

    name: str
    """The resource method that serves it (``create``, ``list``, ...)."""
    method: str
    path: str
    record: type[R] | None = None
    """What a 2xx answer structures into (each item, for a list); None for a 204."""
    params: type[Params] | None = None
    pacing: Pacing | None = None
    list_key: str | None = None
    """For a list: the key of the items array (``meta.key`` names it on each page)."""
    spec: tuple[str | None, str | None] = (None, None)
    """Twilio's ``operationId`` at account scope and at service scope."""
    segments: tuple[tuple[bool, str], ...] = attrs.field(init=False)
    """``(is_placeholder, literal or argument name)`` for each path segment."""
    path_rules: Mapping[str, Text] = attrs.field(init=False)
    """The SID rule of each path argument declared as ``{name:PREFIX}``."""

    def __attrs_post_init__(self) -> None:
        parsed = []
        rules: dict[str, Text] = {}
        for segment in self.path.strip("/").split("/"):
            match = _PLACEHOLDER.fullmatch(segment)
            parsed.append((True, match.group(1)) if match else (False, segment))
            if match and match.group(2):
                rules[match.group(1)] = Text(pattern=SID_PATTERNS[match.group(2)])
        object.__setattr__(self, "segments", tuple(parsed))
        object.__setattr__(self, "path_rules", rules)

    @property
    def path_names(self) -> tuple[str, ...]:
        """The arguments that fill the path, in order (e.g. ``("conversation",)``)."""
        return tuple(name for is_placeholder, name in self.segments if is_placeholder)

    @property
    def declaration(self) -> Declaration | None:
        return None if self.params is None else declaration(self.params)

    def request(
        self,
        service: str | None,
        arguments: Mapping[str, Any],
        *,
        encoded: Encoded | None = None,
    ) -> Request:
        """The request for one call. ``arguments`` maps each Python parameter name to its value
        (a method passes its ``locals()``); ``encoded`` skips encoding when the caller did it.

        Each path value is checked (a non-empty sendable string, and the SID rule of a
        ``{name:PREFIX}``) before the parameters are."""
        return self._build(service, arguments, encoded)

    @functools.cached_property
    def _build(self) -> _Builder:
        return _builder(self)


_Builder = Callable[[str | None, Mapping[str, Any], Encoded | None], Request]


def _builder(operation: Operation[Any]) -> _Builder:
    """:meth:`Operation.request` written out for one operation, as a plain function: a
    generic walk of the path template and the ``Request`` record's keyword ``__init__`` were
    half of the cost of building a request. The record is made as its ``__init__`` makes it
    (a frozen slotted class: every slot set through its descriptor, bypassing the frozen
    ``__setattr__``)."""
    params = operation.declaration
    namespace: dict[str, Any] = {
        "_scope_path": scope_path,
        "_check_path_value": check_path_value,
        "_encode": None if params is None else params.encoder,
        "_NO_PARAMS": _NO_PARAMS,
        "_new": object.__new__,
        "_Request": Request,
        "_conversation_write_key": conversation_write_key,
        "_service_write_key": service_write_key,
    }
    lines = ["def build(service, arguments, encoded):"]
    path = ["*_scope_path(service)"]
    for index, (is_placeholder, name) in enumerate(operation.segments):
        if not is_placeholder:
            path.append(repr(name))
            continue
        lines.append(f"  p{index} = _check_path_value({name!r}, arguments[{name!r}])")
        path.append(f"p{index}")
    for index, (name, rule) in enumerate(operation.path_rules.items()):
        namespace[f"_rule{index}"] = rule.encode
        lines.append(f"  _rule{index}({name!r}, arguments[{name!r}])")
    encode = "_NO_PARAMS" if params is None else '_encode(arguments, "")'
    lines.append(f"  if encoded is None: encoded = {encode}")
    if operation.pacing is Pacing.CONVERSATION:
        write_key = '_conversation_write_key(arguments["conversation"], service)'
    elif operation.pacing is Pacing.SERVICE:
        write_key = "_service_write_key(service)"
    else:
        write_key = "None"
    fields = {
        "method": repr(operation.method),
        "path": f"({', '.join(path)},)",
        "url": "None",
        "query": "encoded.query",
        "form": "encoded.form",
        "headers": "encoded.headers",
        "body": "None",
        "write_key": write_key,
        "credentials": "None",
    }
    names = [field.name for field in attrs.fields(Request)]
    setters = slot_setters(Request)
    if list(fields) != names or setters is None:
        raise TypeError("Request changed (its fields, or not plain slots): update _builder")
    lines.append("  request = _new(_Request)")
    for (name, value), setter in zip(fields.items(), setters, strict=True):
        namespace[f"_set_{name}"] = setter
        lines.append(f"  _set_{name}(request, {value})")
    lines.append("  return request")
    made: _Builder = define(
        "\n".join(lines), f"build {operation.method} {operation.path}", namespace, "build"
    )
    return made
