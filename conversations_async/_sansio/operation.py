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
from collections.abc import Mapping
from typing import Any, Final, Generic, TypeVar

import attrs

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
        (a method passes its ``locals()``); ``encoded`` skips encoding when the caller did it."""
        path = [*scope_path(service)]
        for is_placeholder, name in self.segments:
            path.append(check_path_value(name, arguments[name]) if is_placeholder else name)
        for name, rule in self.path_rules.items():
            rule.encode(name, arguments[name])
        if encoded is None:
            params = self.declaration
            encoded = _NO_PARAMS if params is None else params.encode(arguments)
        return Request(
            method=self.method,
            path=tuple(path),
            query=encoded.query,
            form=encoded.form,
            headers=encoded.headers,
            write_key=self._write_key(service, arguments),
        )

    def _write_key(self, service: str | None, arguments: Mapping[str, Any]) -> str | None:
        if self.pacing is Pacing.CONVERSATION:
            return conversation_write_key(arguments["conversation"], service)
        if self.pacing is Pacing.SERVICE:
            return service_write_key(service)
        return None
