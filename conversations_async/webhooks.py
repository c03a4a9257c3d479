"""Twilio Conversations webhooks: signature validation, typed events and an aiohttp router.

Three layers, each usable on its own:

* :func:`validate_signature` / :func:`compute_signature` implement ``X-Twilio-Signature``
  (HMAC-SHA1 over the URL and the sorted POST parameters), including the ``bodySHA256`` variant
  for JSON bodies, the default-port quirk and auth-token rotation. They are pure functions.
* :func:`parse_event` turns the form parameters of a Conversations webhook into a frozen attrs
  record (:class:`ParticipantAdded`, :class:`MessageAdded`, …). An ``EventType`` this module does
  not know becomes a plain :class:`WebhookEvent` that keeps every raw parameter.
* :class:`WebhookRouter` is an aiohttp.web handler: it checks the signature, parses the event,
  calls the coroutine registered for it within Twilio's 5 s deadline, and answers the way Twilio
  expects (``Reject`` → 4xx/5xx, a mapping → modified fields, ``None`` → allow).

The auth token is never put in a ``repr``, an exception message or a log record.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import inspect
import json
import logging
import re
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Final, TypeAlias, TypeVar, overload
from urllib.parse import parse_qs, parse_qsl, urlsplit

import attrs
import cattrs
from aiohttp import web
from cattrs.gen import make_dict_structure_fn, override
from yarl import URL

from ._convert import converter as _converter
from ._convert import parse_attributes, parse_datetime, structure_int
from ._types import JSON  # typing.get_type_hints resolves it at runtime

__all__ = [
    "EVENT_CLASSES",
    "PRE_ACTION_EVENTS",
    "SIGNATURE_HEADER",
    "ConversationAdd",
    "ConversationAdded",
    "ConversationEvent",
    "ConversationRemove",
    "ConversationRemoved",
    "ConversationStateUpdated",
    "ConversationUpdate",
    "ConversationUpdated",
    "HandlerResult",
    "Media",
    "MessageAdd",
    "MessageAdded",
    "MessageEvent",
    "ParticipantAdd",
    "ParticipantAdded",
    "ParticipantEvent",
    "ParticipantRemove",
    "ParticipantRemoved",
    "ParticipantUpdate",
    "ParticipantUpdated",
    "Reject",
    "WebhookEvent",
    "WebhookMessagingBinding",
    "WebhookParseError",
    "WebhookRouter",
    "body_sha256",
    "compute_signature",
    "configure_webhook_events",
    "parse_event",
    "signed_url",
    "validate_signature",
]

logger = logging.getLogger(__name__)

SIGNATURE_HEADER: Final = "X-Twilio-Signature"
"""The request header that carries Twilio's signature."""

Params: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
"""POST parameters: a mapping (a ``MultiDict`` keeps repeated keys) or ``(key, value)`` pairs."""

AuthTokens: TypeAlias = str | Sequence[str]
"""One auth token, or several during a rotation (a request is valid if any of them signed it)."""


# --------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------


def _token_keys(auth_token: AuthTokens) -> list[bytes]:
    tokens = [auth_token] if isinstance(auth_token, str) else list(auth_token)
    if not tokens:
        raise ValueError("at least one auth token is required")
    keys = []
    for token in tokens:
        if not isinstance(token, str) or not token:
            raise ValueError("every auth token must be a non-empty string")
        try:
            keys.append(token.encode("utf-8"))
        except UnicodeEncodeError:
            # The exception object would carry the whole token: never chain it.
            raise ValueError("an auth token is not encodable as UTF-8") from None
    return keys


def _pairs(params: Params | None) -> Iterable[tuple[str, str]]:
    if params is None:
        return ()
    if isinstance(params, Mapping):
        # MultiDict/MultiDictProxy.items() yields every value of a repeated key.
        return params.items()
    return params


def _params_text(params: Params | None) -> str:
    # Sort names case-sensitively; a repeated name contributes each *distinct* value once, in
    # sorted order, exactly as twilio-python's RequestValidator does.
    grouped: dict[str, set[str]] = {}
    for key, value in _pairs(params):
        grouped.setdefault(key, set()).add(value)
    return "".join(key + value for key in sorted(grouped) for value in sorted(grouped[key]))


def _sign(key: bytes, payload: bytes) -> bytes:
    return base64.b64encode(hmac.new(key, payload, hashlib.sha1).digest())


def compute_signature(url: str, params: Params | None, auth_token: str) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a POST of *params* to exactly *url*.

    *url* is used as given (no port is added or removed). For a JSON body, sign the URL that
    carries ``bodySHA256`` (see :func:`body_sha256`) with ``params=None``.
    """
    (key,) = _token_keys(auth_token)
    return _sign(key, (url + _params_text(params)).encode("utf-8")).decode("ascii")


def body_sha256(body: bytes | str) -> str:
    """Hex SHA-256 of a raw request body, the value Twilio puts in the ``bodySHA256`` query."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return hashlib.sha256(raw).hexdigest()


_NETLOC_END = re.compile(r"[/?#]")


def _url_variants(url: str) -> list[str]:
    """*url* without a port and with one (the scheme's default when none is given).

    Twilio signs some callbacks with the port and some without, so both are tried, as
    twilio-python does. URL credentials (``user:pass@``) are tried both kept and dropped.
    Only the authority is rewritten: path, query and fragment stay byte for byte as given.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return [url]
    match = _NETLOC_END.search(rest)
    netloc, tail = (rest[: match.start()], rest[match.start() :]) if match else (rest, "")
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]") + 1
        host, port = hostport[:end], hostport[end:].removeprefix(":")
    else:
        host, _, port = hostport.partition(":")
    default = "443" if scheme.lower() == "https" else "80"
    prefixes = [f"{userinfo}{at}", ""] if at else [""]
    return [
        f"{scheme}://{prefix}{authority}{tail}"
        for prefix in prefixes
        for authority in (host, f"{host}:{port or default}")
    ]


def _compare(expected: bytes, signature: str) -> bool:
    # compare_digest refuses non-ASCII str, so compare bytes; "?" never occurs in base64.
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def validate_signature(
    url: str,
    params_or_body: Params | bytes | str | None,
    signature: str | None,
    auth_token: AuthTokens,
) -> bool:
    """Whether *signature* (the ``X-Twilio-Signature`` header) is Twilio's for this request.

    *url* is the full URL Twilio requested (scheme to end of query string; see
    :func:`signed_url`). *params_or_body* is either the form parameters (a mapping, a
    ``MultiDict`` or ``(key, value)`` pairs) or, for a JSON webhook, the raw body as ``bytes`` or
    ``str``: then *url* must carry ``bodySHA256`` and both the body hash and the signature over
    the URL alone must match (a body without ``bodySHA256`` in the URL is never valid).

    The URL is tried with and without its port. With several tokens (rotation), any one that
    matches is enough. Comparisons are constant-time. A missing signature is simply invalid;
    an empty or missing auth token raises :class:`ValueError` (a configuration error).
    """
    keys = _token_keys(auth_token)
    if not signature:
        return False
    params: Params | None
    if isinstance(params_or_body, str | bytes):
        claimed = parse_qs(urlsplit(url).query).get("bodySHA256")
        if not claimed:
            return False
        if not _compare(body_sha256(params_or_body).encode("ascii"), claimed[0]):
            return False
        params = None
    else:
        params = params_or_body
    suffix = _params_text(params)
    payloads = [(variant + suffix).encode("utf-8") for variant in _url_variants(url)]
    # Evaluate every candidate: which token or URL form matched is not revealed by timing.
    results = [_compare(_sign(key, payload), signature) for key in keys for payload in payloads]
    return any(results)


# --------------------------------------------------------------------------------------------
# Reconstructing the signed URL behind proxies
# --------------------------------------------------------------------------------------------

_HOST_RE = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]{1,5})?$")


def _first_forwarded(value: str | None) -> str | None:
    if not value:
        return None
    first = value.split(",", 1)[0].strip()
    return first or None


def signed_url(request: web.BaseRequest, *, trust_forwarded: bool = False) -> str:
    """The URL Twilio requested (and signed) to reach *request*.

    By default it is built from what this server saw: the connection's scheme, the ``Host``
    header and the raw path and query (never re-encoded). Behind a TLS-terminating proxy or a
    tunnel, pass ``trust_forwarded=True`` to use the first value of ``X-Forwarded-Proto`` and
    ``X-Forwarded-Host`` instead. Only do that when a proxy you control sets or overwrites those
    headers: otherwise a client can choose the URL your signature check uses.
    """
    scheme = request.scheme
    host = request.host
    if trust_forwarded:
        proto = _first_forwarded(request.headers.get("X-Forwarded-Proto"))
        if proto is not None and proto.lower() in ("http", "https"):
            scheme = proto.lower()
        forwarded_host = _first_forwarded(request.headers.get("X-Forwarded-Host"))
        if forwarded_host is not None and _HOST_RE.match(forwarded_host):
            host = forwarded_host
    target = request.raw_path
    if not target.startswith("/"):  # absolute-form request target
        target = URL(target, encoded=True).raw_path_qs
    return f"{scheme}://{host}{target}"


# --------------------------------------------------------------------------------------------
# Typed events
# --------------------------------------------------------------------------------------------

PRE_ACTION_EVENTS: Final = frozenset(
    {
        "onConversationAdd",
        "onConversationRemove",
        "onConversationUpdate",
        "onMessageAdd",
        "onMessageRemove",
        "onMessageUpdate",
        "onParticipantAdd",
        "onParticipantRemove",
        "onParticipantUpdate",
        "onUserUpdate",
    }
)
"""Events Twilio sends *before* an action; the answer can reject or modify the action."""

_EVENT_CLASSES: dict[str, type[WebhookEvent]] = {}
E = TypeVar("E", bound="WebhookEvent")


def _event(event_type: str) -> Callable[[type[E]], type[E]]:
    def register(cls: type[E]) -> type[E]:
        cls.EVENT_TYPE = event_type
        _EVENT_CLASSES[event_type] = cls
        return cls

    return register


class WebhookParseError(ValueError):
    """A webhook's body or parameters could not be read as the event they claim to be."""

    def __init__(self, event_type: str | None, errors: Sequence[str]) -> None:
        self.event_type = event_type
        self.errors = list(errors)
        detail = "; ".join(self.errors) or "invalid parameters"
        super().__init__(f"cannot parse {event_type or 'webhook'}: {detail}")


@attrs.frozen(kw_only=True)
class WebhookMessagingBinding:
    """The ``MessagingBinding.*`` form fields: how a non-chat participant is reached."""

    type: str | None = None
    """``sms``, ``whatsapp``, ``chat``, … (as Twilio sends it)."""
    address: str | None = None
    proxy_address: str | None = None
    projected_address: str | None = None
    author_address: str | None = None


@attrs.frozen(kw_only=True)
class Media:
    """One attached media object of a message (``Media`` is a JSON array in the form)."""

    sid: str | None = None
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    category: str | None = None


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """Any Conversations webhook; an unknown ``EventType`` is parsed as exactly this class."""

    EVENT_TYPE: ClassVar[str | None] = None

    event_type: str
    account_sid: str | None = None
    source: str | None = None
    """``SDK`` or ``API`` (the origin of the action)."""
    client_identity: str | None = None
    """The identity of the SDK user who acted (SDK events only)."""
    chat_service_sid: str | None = None
    params: Mapping[str, str] = attrs.field(factory=dict, repr=False, eq=False)
    """Every form parameter as received (first value of a repeated key)."""

    @property
    def is_pre_action(self) -> bool:
        """Whether Twilio waits for the answer before it publishes the action."""
        return self.event_type in PRE_ACTION_EVENTS


@attrs.frozen(kw_only=True)
class ParticipantEvent(WebhookEvent):
    """Fields common to every participant event."""

    conversation_sid: str
    identity: str | None = None
    """Chat participants have an identity; SMS/WhatsApp ones have a messaging binding."""
    role_sid: str | None = None
    attributes: JSON = None
    """The participant's attributes, parsed from the JSON text Twilio sends."""
    raw_attributes: str | None = None
    """``Attributes`` exactly as received."""
    messaging_binding: WebhookMessagingBinding | None = None


@_event("onParticipantAdd")
@attrs.frozen(kw_only=True)
class ParticipantAdd(ParticipantEvent):
    """Pre-action: a participant is about to be added (it has no SID yet)."""


@attrs.frozen(kw_only=True)
class _ExistingParticipant(ParticipantEvent):
    participant_sid: str
    date_created: datetime | None = None
    date_updated: datetime | None = None


@_event("onParticipantAdded")
@attrs.frozen(kw_only=True)
class ParticipantAdded(_ExistingParticipant):
    """Post-action: a participant was added."""


@_event("onParticipantUpdate")
@attrs.frozen(kw_only=True)
class ParticipantUpdate(_ExistingParticipant):
    """Pre-action: a participant is about to be updated (not fired for reachability)."""


@_event("onParticipantUpdated")
@attrs.frozen(kw_only=True)
class ParticipantUpdated(_ExistingParticipant):
    """Post-action: a participant was updated."""

    last_read_message_index: int | None = None


@_event("onParticipantRemove")
@attrs.frozen(kw_only=True)
class ParticipantRemove(_ExistingParticipant):
    """Pre-action: a participant is about to be removed."""


@_event("onParticipantRemoved")
@attrs.frozen(kw_only=True)
class ParticipantRemoved(_ExistingParticipant):
    """Post-action: a participant was removed."""

    date_removed: datetime | None = None


@attrs.frozen(kw_only=True)
class ConversationEvent(WebhookEvent):
    """Fields common to the conversation add/update/remove events."""

    friendly_name: str | None = None
    unique_name: str | None = None
    attributes: JSON = None
    raw_attributes: str | None = None
    messaging_service_sid: str | None = None
    state: str | None = None
    """``active``, ``inactive`` or ``closed`` (kept as text: Twilio may add states)."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
    messaging_binding: WebhookMessagingBinding | None = None
    """For a conversation started by an inbound SMS/WhatsApp message."""
    message_body: str | None = None
    """The inbound message that started the conversation, if any."""


@_event("onConversationAdd")
@attrs.frozen(kw_only=True)
class ConversationAdd(ConversationEvent):
    """Pre-action: a conversation is about to be created (it has no SID yet)."""


@attrs.frozen(kw_only=True)
class _ExistingConversation(ConversationEvent):
    conversation_sid: str


@_event("onConversationAdded")
@attrs.frozen(kw_only=True)
class ConversationAdded(_ExistingConversation):
    """Post-action: a conversation was created."""


@_event("onConversationUpdate")
@attrs.frozen(kw_only=True)
class ConversationUpdate(_ExistingConversation):
    """Pre-action: a conversation is about to be updated."""


@_event("onConversationUpdated")
@attrs.frozen(kw_only=True)
class ConversationUpdated(_ExistingConversation):
    """Post-action: a conversation was updated."""


@_event("onConversationRemove")
@attrs.frozen(kw_only=True)
class ConversationRemove(_ExistingConversation):
    """Pre-action: a conversation is about to be deleted."""


@_event("onConversationRemoved")
@attrs.frozen(kw_only=True)
class ConversationRemoved(_ExistingConversation):
    """Post-action: a conversation was deleted."""

    date_removed: datetime | None = None


@_event("onConversationStateUpdated")
@attrs.frozen(kw_only=True)
class ConversationStateUpdated(WebhookEvent):
    """Post-action: a conversation changed state (by API, timer or event)."""

    conversation_sid: str
    state_from: str | None = None
    state_to: str | None = None
    state_updated: datetime | None = None
    reason: str | None = None
    """``API``, ``TIMER`` or ``EVENT``."""
    messaging_service_sid: str | None = None


@attrs.frozen(kw_only=True)
class MessageEvent(WebhookEvent):
    """Fields common to the message events."""

    conversation_sid: str
    body: str | None = None
    author: str | None = None
    participant_sid: str | None = None
    """The author's participant SID (``None`` for messages sent by ``system``)."""
    attributes: JSON = None
    raw_attributes: str | None = None
    media: tuple[Media, ...] = ()
    messaging_service_sid: str | None = None
    date_created: datetime | None = None


@_event("onMessageAdd")
@attrs.frozen(kw_only=True)
class MessageAdd(MessageEvent):
    """Pre-action: a message is about to be added (``body``, ``author``, ``attributes`` can
    be modified by the answer)."""


@_event("onMessageAdded")
@attrs.frozen(kw_only=True)
class MessageAdded(MessageEvent):
    """Post-action: a message was added."""

    message_sid: str
    index: int


# --- structuring ---------------------------------------------------------------------------

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _first_values(params: Params) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in _pairs(params):
        flat.setdefault(key, value)
    return flat


def _form_to_data(params: Mapping[str, str]) -> dict[str, Any]:
    """``{"MessagingBinding.ProxyAddress": v, "DateCreated": d}`` →
    ``{"messaging_binding": {"proxy_address": v}, "date_created": d, "params": {...}}``."""
    data: dict[str, Any] = {}
    for key, value in params.items():
        head, _, rest = key.partition(".")
        name = _snake(head)
        if rest:
            nested = data.setdefault(name, {})
            if isinstance(nested, dict):
                nested[_snake(rest.replace(".", ""))] = value
        elif name not in data:
            data[name] = value
    if "attributes" in data:
        data["raw_attributes"] = data["attributes"]
    data["params"] = dict(params)
    return data


def _parse_datetime(value: object, _: object = None) -> datetime | None:
    """An aware datetime; an empty form field means "not set"."""
    return None if value is None or value == "" else parse_datetime(value)


def _parse_int(value: object, _: object = None) -> int | None:
    """An integer as in the REST records; an empty form field means "not set"."""
    return None if value is None or value == "" else structure_int(value)


def _parse_required_int(value: object, type_: object = None) -> int:
    parsed = _parse_int(value, type_)
    if parsed is None:
        raise ValueError("expected an integer, got an empty value")
    return parsed


def _parse_attributes(value: object, _: object = None) -> JSON:
    """Parsed JSON as in the REST records; an empty form field means "not set"."""
    return None if value == "" else parse_attributes(value)


def _media_item(item: object) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise TypeError(f"expected a media object, got {type(item).__name__}")
    fields = {_snake(str(key)): value for key, value in item.items()}
    if "media_sid" in fields:
        fields.setdefault("sid", fields["media_sid"])
    return fields


def _media_hook(converter: cattrs.Converter) -> Callable[[object, object], tuple[Media, ...]]:
    def structure(value: object, _: object) -> tuple[Media, ...]:
        if value is None or value == "":
            return ()
        items = json.loads(value) if isinstance(value, str) else value
        if items is None:
            return ()
        if not isinstance(items, list):
            raise TypeError(f"expected a JSON array of media, got {type(items).__name__}")
        return tuple(converter.structure(_media_item(item), Media) for item in items)

    return structure


def _field_hook(
    name: str, hint: object, converter: cattrs.Converter
) -> Callable[[object, object], object] | None:
    if name == "attributes":
        return _parse_attributes
    if hint == datetime | None:
        return _parse_datetime
    if hint == int | None:
        return _parse_int
    if hint is int:
        return _parse_required_int
    if hint == tuple[Media, ...]:
        return _media_hook(converter)
    return None


def _is_event_class(type_: object) -> bool:
    return isinstance(type_, type) and issubclass(type_, WebhookEvent)


def configure_webhook_events(converter: cattrs.Converter) -> None:
    """Register the hooks that structure webhook form parameters into :class:`WebhookEvent` s.

    ``converter.structure(params, ParticipantAdded)`` then accepts the flat form mapping
    (``{"ConversationSid": …, "MessagingBinding.Address": …}``). Dates, integers, attributes and
    media are handled by per-field overrides, so this adds no global hook for ``datetime`` or
    ``int`` and can be applied to a converter shared with other records.
    """

    def factory(cls: type[WebhookEvent]) -> Callable[[object, object], WebhookEvent]:
        overrides: dict[str, Any] = {}
        for name, hint in typing.get_type_hints(cls).items():
            hook = _field_hook(name, hint, converter)
            if hook is not None:
                overrides[name] = override(struct_hook=hook)
        inner = make_dict_structure_fn(cls, converter, **overrides)

        def structure(value: object, _: object) -> WebhookEvent:
            if not isinstance(value, Mapping):
                raise TypeError(f"expected webhook parameters, got {type(value).__name__}")
            return inner(_form_to_data(value), cls)

        return structure

    converter.register_structure_hook_factory(_is_event_class, factory)


# The one converter of the library; these hooks apply only to the event classes.
configure_webhook_events(_converter)


def parse_event(params: Params) -> WebhookEvent:
    """The typed event for the form parameters of a Conversations webhook.

    The class is chosen by ``EventType`` (``onParticipantAdded`` → :class:`ParticipantAdded`, …);
    an event type this module does not model gives a plain :class:`WebhookEvent` (never an
    error). Raises :class:`WebhookParseError` when ``EventType`` is missing or a known event's
    fields cannot be read (e.g. no ``ConversationSid``, or a malformed date).
    """
    flat = _first_values(params)
    event_type = flat.get("EventType")
    if not event_type:
        raise WebhookParseError(None, ["EventType is missing"])
    cls = _EVENT_CLASSES.get(event_type, WebhookEvent)
    try:
        return _converter.structure(flat, cls)
    except cattrs.BaseValidationError as exc:
        raise WebhookParseError(event_type, cattrs.transform_error(exc)) from exc
    except (TypeError, ValueError) as exc:
        raise WebhookParseError(event_type, [str(exc)]) from exc


# --------------------------------------------------------------------------------------------
# aiohttp router
# --------------------------------------------------------------------------------------------

_FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"  # every Conversations webhook

_UTF8_CHARSETS: Final = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})  # ASCII is UTF-8


def _decode_form(body: bytes, charset: str | None = None) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a form-encoded webhook body, in order.

    *charset* is the ``Content-Type`` charset; Twilio sends UTF-8, and any other one is refused
    rather than handed to a codec chosen by the sender. Raises :class:`WebhookParseError` for
    another charset, or for bytes (raw or percent-encoded) that are not UTF-8: unlike
    ``request.post()``, nothing is silently replaced by U+FFFD. Blank values are kept and
    trailing whitespace is ignored, as aiohttp does, so the signed parameters are the same.
    """
    name = charset.strip().lower() if isinstance(charset, str) and charset.strip() else "utf-8"
    if name not in _UTF8_CHARSETS:
        raise WebhookParseError(None, [f"unsupported charset {name[:40]!r}; expected UTF-8"])
    try:
        text = body.rstrip().decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except ValueError:  # UnicodeDecodeError: raw bytes, or %-escapes, that are not UTF-8
        raise WebhookParseError(None, ["the body is not UTF-8"]) from None


@attrs.frozen
class Reject:
    """Answer a pre-action webhook with an error status, so Twilio rejects the action."""

    status: int = attrs.field(default=403)
    message: str = "rejected"

    @status.validator
    def _check_status(self, _: attrs.Attribute[int], value: int) -> None:
        if not 400 <= value <= 599:
            raise ValueError(f"a rejection needs a 4xx or 5xx status, not {value}")


HandlerResult: TypeAlias = Reject | Mapping[str, Any] | None
"""What an event handler returns: reject, modify (fields to change), or ``None`` to allow."""

H = TypeVar("H", bound=Callable[..., Awaitable[HandlerResult]])


class WebhookRouter:
    """An aiohttp.web endpoint for Conversations webhooks that dispatches to coroutines.

    ::

        router = WebhookRouter(auth_token)

        @router.on(ParticipantAdd)
        async def vet(event: ParticipantAdd) -> HandlerResult:
            if event.identity == "mallory":
                return Reject(403, "not welcome")
            return None

        router.add_to(app, "/twilio/conversations")

    Each request, in this order: a body that is not UTF-8 form data → 415 (another content
    type; a JSON one is first checked against its ``bodySHA256`` signature) or 400 (a charset
    other than UTF-8, or bytes that do not decode); a missing or wrong ``X-Twilio-Signature`` →
    403; unreadable parameters → 400; otherwise the handler registered for the ``EventType`` runs
    (none registered → 200 ``{}``). The signature is computed over the *decoded* parameters, so
    a body that cannot be decoded has nothing to check it against: it is refused as unreadable
    (400) whatever its signature, and only a decodable body can be refused as forged (403).
    For a pre-action event its result decides the answer: ``None`` → 200 ``{}`` (allow), a
    mapping → 200 with those fields as JSON (Twilio publishes the modified action),
    :class:`Reject` → its status (Twilio rejects the action). Post-action events always get 200.

    Twilio waits at most 5 s. A handler still running after *timeout* seconds gets a 200 ``{}``
    answer and a logged warning: a pre-action handler is cancelled (the action goes ahead
    unmodified), a post-action handler keeps running in the background (see :meth:`aclose`).
    An exception in a handler is logged and answered with 500 (which rejects a pre-action).
    """

    def __init__(
        self,
        auth_token: AuthTokens,
        *,
        trust_forwarded: bool = False,
        timeout: float = 4.5,
    ) -> None:
        if not 0 < timeout < 5:
            raise ValueError("timeout must be above 0 and below Twilio's 5 s limit")
        _token_keys(auth_token)  # fail early, without echoing the token
        self._auth_token: AuthTokens = (
            auth_token if isinstance(auth_token, str) else tuple(auth_token)
        )
        self.trust_forwarded = trust_forwarded
        self.timeout = timeout
        self._handlers: dict[str, Callable[[Any], Awaitable[HandlerResult]]] = {}
        self._background: set[asyncio.Task[HandlerResult]] = set()

    def __repr__(self) -> str:
        return (
            f"WebhookRouter(events={sorted(self._handlers)!r}, "
            f"trust_forwarded={self.trust_forwarded!r}, timeout={self.timeout!r})"
        )

    @overload
    def on(
        self, event: type[E]
    ) -> Callable[
        [Callable[[E], Awaitable[HandlerResult]]], Callable[[E], Awaitable[HandlerResult]]
    ]: ...

    @overload
    def on(self, event: str) -> Callable[[H], H]: ...

    def on(self, event: type[WebhookEvent] | str) -> Callable[[H], H]:
        """Decorator: register a coroutine function for one event type.

        *event* is an event class (``ParticipantAdded``) or an ``EventType`` name
        (``"onParticipantAdded"``; names this module does not model give a :class:`WebhookEvent`).
        One handler per event type; registering a second raises :class:`ValueError`.
        """
        if isinstance(event, str):
            name = event
        else:
            if event.EVENT_TYPE is None:
                raise TypeError(f"{event.__name__} is not one webhook event type")
            name = event.EVENT_TYPE
        if not name:
            raise ValueError("the event type must not be empty")

        def register(func: H) -> H:
            is_coroutine_function: bool = inspect.iscoroutinefunction(func)
            if not is_coroutine_function:
                raise TypeError("webhook handlers must be coroutine functions (async def)")
            if name in self._handlers:
                raise ValueError(f"{name} already has a handler")
            self._handlers[name] = func
            return func

        return register

    def add_to(self, app: web.Application, path: str) -> web.AbstractRoute:
        """Route ``POST path`` to :attr:`handler`; background handlers are awaited on cleanup."""
        route = app.router.add_post(path, self.handler)

        async def cleanup(_: web.Application) -> None:
            await self.aclose()

        app.on_cleanup.append(cleanup)
        return route

    async def aclose(self) -> None:
        """Cancel post-action handlers still running after their answer was sent."""
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def handler(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler (``app.router.add_post(path, router.handler)``)."""
        signature = request.headers.get(SIGNATURE_HEADER)
        url = signed_url(request, trust_forwarded=self.trust_forwarded)
        if request.content_type == "application/json":
            body = await request.read()
            if not validate_signature(url, body, signature, self._auth_token):
                return self._forbidden(request)
            return _json_error(415, "Conversations webhooks are form-encoded")
        if request.content_type != _FORM_CONTENT_TYPE:
            logger.warning("refused a webhook on %s: not form-encoded", request.path)
            return _json_error(415, "Conversations webhooks are form-encoded")
        try:
            params = _decode_form(await request.read(), request.charset)
        except WebhookParseError as exc:
            # No parameters, so no signature to check: a 400, and the handler never runs.
            logger.warning("unreadable webhook body on %s: %s", request.path, exc)
            return _json_error(400, "unreadable webhook body")
        if not validate_signature(url, params, signature, self._auth_token):
            return self._forbidden(request)
        try:
            event = parse_event(params)
        except WebhookParseError as exc:
            logger.error("unreadable Twilio webhook on %s: %s", request.path, exc)
            return _json_error(400, "unreadable webhook parameters")
        func = self._handlers.get(event.event_type)
        if func is None:
            return web.json_response({})
        return await self._run(func, event)

    def _forbidden(self, request: web.Request) -> web.Response:
        logger.warning(
            "rejected a webhook on %s: %s",
            request.path,
            "invalid signature" if SIGNATURE_HEADER in request.headers else "no signature",
        )
        return _json_error(403, "invalid signature")

    async def _run(
        self, func: Callable[[Any], Awaitable[HandlerResult]], event: WebhookEvent
    ) -> web.Response:
        async def call() -> HandlerResult:
            return await func(event)

        task = asyncio.create_task(call())
        try:
            done, _ = await asyncio.wait({task}, timeout=self.timeout)
        except asyncio.CancelledError:  # the request itself was cancelled (client went away)
            self._give_up(task, event)
            raise
        if not done:
            logger.warning(
                "%s handler %s did not finish within %.2f s: answered 200 (allow)%s",
                event.event_type,
                getattr(func, "__qualname__", func),
                self.timeout,
                ", cancelled" if event.is_pre_action else ", still running",
            )
            self._give_up(task, event)
            return web.json_response({})
        try:
            result = task.result()
        except Exception:
            logger.exception("%s handler failed", event.event_type)
            return _json_error(500, "webhook handler failed")
        return _answer(event, result)

    def _give_up(self, task: asyncio.Task[HandlerResult], event: WebhookEvent) -> None:
        """No answer will use *task*: cancel a pre-action handler, let a post-action one finish."""
        if event.is_pre_action:
            task.cancel()
        else:
            self._background.add(task)
            task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[HandlerResult]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("late webhook handler failed", exc_info=exc)


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _answer(event: WebhookEvent, result: object) -> web.Response:
    if result is None:
        return web.json_response({})
    if not isinstance(result, Reject | Mapping):
        logger.error(
            "%s handler returned %s; expected None, a Reject or a mapping",
            event.event_type,
            type(result).__name__,
        )
        return _json_error(500, "webhook handler failed")
    if not event.is_pre_action:
        logger.warning(
            "%s is a post-action event: the handler's answer is ignored", event.event_type
        )
        return web.json_response({})
    if isinstance(result, Reject):
        return _json_error(result.status, result.message)
    try:
        body = json.dumps(dict(result))
    except (TypeError, ValueError):
        logger.exception("%s handler returned fields that are not JSON", event.event_type)
        return _json_error(500, "webhook handler failed")
    return web.Response(text=body, content_type="application/json")


# Read-only view kept for introspection and docs: EventType name → event class.
EVENT_CLASSES: Final[Mapping[str, type[WebhookEvent]]] = MappingProxyType(_EVENT_CLASSES)
