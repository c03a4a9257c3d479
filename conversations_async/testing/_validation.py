"""Every request an emulator receives, checked against Twilio's official OpenAPI spec.

Opt-in (it needs ``openapi-core``)::

    validator = RequestValidator("twilio_conversations_v1.json")
    async with Emulator(validate_requests=validator) as emulator:
        ...
    assert validator.refused == []

A request the spec would refuse (an unknown method for a path, a path parameter, query
parameter, form field or declared header that does not match its schema, a missing required
field, no credentials) is answered as usual and recorded in ``RequestValidator.refused``
(and the emulator's :attr:`~conversations_async.testing.Emulator.refused_requests`): a test then
fails on the list rather than on one request. A path the spec does not have (the Media Content
Service, a resource a test added, ``/_emulator/stats``) is beyond the spec and is not checked.

One reading is added to the spec's: a form cannot carry a JSON null, and Twilio writes it as
the text ``null`` ("'null' value will remove it"), so ``Field=null`` is accepted for a field
whose schema is ``nullable`` whatever its type (OpenAPI leaves null in a form undefined).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

import attrs

from ..errors import InvalidArgumentError

SERVER: Final = "https://conversations.twilio.com"
"""The spec's server: each request is checked as if it had been sent there."""
_CACHE_SIZE: Final = 4096


@attrs.frozen(kw_only=True)
class RefusedRequest:
    """A request the spec would refuse, and why (the Authorization header is never kept)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: str
    headers: Mapping[str, str]
    problems: tuple[str, ...]

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        target = f"{self.path}?{query}" if query else self.path
        shown_body = f" body={self.body[:300]!r}" if self.body else ""
        return f"{self.method} {target}{shown_body}: " + "; ".join(self.problems)


SpecSource = Mapping[str, Any] | str | os.PathLike[str]


class RequestValidator:
    """Checks requests against an OpenAPI spec with openapi-core, recording those it refuses.

    ``spec`` is the spec as a mapping or the path of its JSON file. One validator may be shared
    by many emulators (parsing the spec takes a moment); ``refused`` lists what every one of
    them was sent that the spec refuses, in order. Verdicts are cached by the whole request,
    so a test suite that sends the same request many times pays for it once.
    """

    def __init__(self, spec: SpecSource, *, server: str = SERVER) -> None:
        try:
            from openapi_core import OpenAPI
        except ImportError as exc:  # pragma: no cover - a test dependency
            raise RuntimeError(
                "validating requests needs openapi-core: pip install 'conversations-async[spec]'"
            ) from exc
        document = _load(spec)
        self._server = server
        # $refs inlined once: openapi-core resolves each one again on every request otherwise,
        # which makes a check three times slower.
        self._openapi = OpenAPI.from_dict(
            {**document, "paths": _inline(document["paths"], document)}
        )
        self._declared_headers = _declared_headers(document)
        self._nullable = _nullable_fields(document)
        self.refused: list[RefusedRequest] = []
        self._verdict = functools.lru_cache(maxsize=_CACHE_SIZE)(self._problems)

    def __repr__(self) -> str:
        return f"<RequestValidator refused={len(self.refused)}>"

    def check(
        self,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> RefusedRequest | None:
        """Check one request (``path`` as sent, percent-encoded); the refusal, also appended to
        ``refused``, or None when the spec accepts it or does not have its path."""
        headers = headers or {}
        declared = tuple(
            (name, headers[name]) for name in self._declared_headers if name in headers
        )
        # Only whether credentials were sent matters to the spec, never their value.
        authorized = "Authorization" in headers
        problems = self._verdict(
            method.upper(), path, tuple(query), body, content_type, declared, authorized
        )
        if not problems:
            return None
        refusal = RefusedRequest(
            method=method.upper(),
            path=path,
            query=tuple(query),
            body=body.decode("utf-8", "replace"),
            headers=dict(declared),
            problems=problems,
        )
        self.refused.append(refusal)
        return refusal

    def clear(self) -> None:
        """Forget the refusals recorded so far."""
        self.refused.clear()

    def _problems(
        self,
        method: str,
        path: str,
        query: tuple[tuple[str, str], ...],
        body: bytes,
        content_type: str,
        declared: tuple[tuple[str, str], ...],
        authorized: bool,
    ) -> tuple[str, ...]:
        from openapi_core.templating.paths.exceptions import PathNotFound

        headers = dict(declared)
        if authorized:
            headers["Authorization"] = "Basic (not shown)"
        if b"=null" in body and content_type.startswith("application/x-www-form-urlencoded"):
            body = self._without_nulls(method, path, body)
        request = _SpecRequest(self._server, method, path, query, body, content_type, headers)
        result = self._openapi.unmarshal_request(request)
        problems = []
        for error in result.errors:
            if isinstance(error, PathNotFound):
                return ()  # beyond the spec: not ours to judge
            problems.append(_describe(error))
        return tuple(problems)

    def _without_nulls(self, method: str, path: str, body: bytes) -> bytes:
        """The form without ``Field=null`` for the operation's nullable fields."""
        for verb, pattern, names in self._nullable:
            if verb == method and pattern.fullmatch(path):
                items = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
                kept = [(k, v) for k, v in items if not (v == "null" and k in names)]
                return urlencode(kept).encode()
        return body


class _SpecRequest:
    """A request as openapi-core reads one (its ``Request`` protocol)."""

    def __init__(
        self,
        server: str,
        method: str,
        path: str,
        query: tuple[tuple[str, str], ...],
        body: bytes,
        content_type: str,
        headers: dict[str, str],
    ) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = server
        self.path = path
        self.full_url_pattern = server + path
        self.method = method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(query)), header=Headers(headers)
        )
        self.body = body or None
        self.content_type = content_type


def _describe(error: BaseException) -> str:
    """One line: the error and the schema messages that caused it."""
    details: list[str] = []
    cause: BaseException | None = error
    while cause is not None:
        details.extend(str(e.message) for e in getattr(cause, "schema_errors", ()))
        cause = cause.__cause__
    text = str(error) or type(error).__name__
    if details:
        text = f"{type(error).__name__}: " + ", ".join(dict.fromkeys(details))
        name = getattr(error, "name", None)
        if name:
            text = f"{type(error).__name__} {name}: " + ", ".join(dict.fromkeys(details))
    return text


def _load(spec: SpecSource) -> dict[str, Any]:
    if isinstance(spec, Mapping):
        return dict(spec)
    loaded: dict[str, Any] = json.loads(Path(spec).read_text(encoding="utf-8"))
    return loaded


def _inline(node: Any, root: Mapping[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``node`` with every local ``$ref`` replaced by what it names (a cycle is left as is)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/") and len(node) == 1 and ref not in seen:
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _inline(target, root, (*seen, ref))
        return {key: _inline(value, root, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, root, seen) for value in node]
    return node


def _declared_headers(document: Mapping[str, Any]) -> tuple[str, ...]:
    """Every header parameter the spec declares (``X-Twilio-Webhook-Enabled``)."""
    names: dict[str, None] = {}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", ()):
                parameter = _inline(parameter, document)
                if parameter.get("in") == "header":
                    names[parameter["name"]] = None
    return tuple(names)


def _nullable_fields(
    document: Mapping[str, Any],
) -> tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]:
    """Per operation with a form body: its method, path pattern and nullable fields."""
    found = []
    for template, item in document.get("paths", {}).items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))
        for verb, operation in item.items():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            schema = _inline(content.get("application/x-www-form-urlencoded", {}), document)
            properties = schema.get("schema", {}).get("properties", {})
            names = frozenset(n for n, p in properties.items() if p.get("nullable"))
            if names:
                found.append((verb.upper(), pattern, names))
    return tuple(found)


_default: RequestValidator | None = None


def default_validator() -> RequestValidator | None:
    """The validator every :class:`~conversations_async.testing.Emulator` uses when given
    none (set by the pytest plugin's ``conversations_async_spec`` option)."""
    return _default


def set_default_validator(validator: RequestValidator | None) -> None:
    """Make ``validator`` check every emulator built from now on without a
    ``validate_requests`` argument (None: none by default)."""
    global _default
    _default = validator


def validator_for(option: RequestValidator | SpecSource | bool | None) -> RequestValidator | None:
    """The validator an emulator's ``validate_requests`` option names."""
    if option is None:
        return default_validator()
    if option is False:
        return None
    if option is True:
        raise InvalidArgumentError(
            "validate_requests", "True needs a spec: pass its path or a RequestValidator"
        )
    return option if isinstance(option, RequestValidator) else RequestValidator(option)
