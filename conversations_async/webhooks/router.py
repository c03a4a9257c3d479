"""The aiohttp.web endpoint: checks the signature, parses the event, runs your coroutine.

It answers the way Twilio expects, within Twilio's 5 s deadline (:class:`Reject` → 4xx/5xx, a
mapping → modified fields, ``None`` → allow). :func:`signed_url` rebuilds the URL Twilio signed
from the aiohttp request, behind proxies too.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeAlias, TypeVar, overload
from urllib.parse import parse_qsl

import attrs
from aiohttp import web
from yarl import URL

from ._signature import SIGNATURE_HEADER, AuthTokens, _token_keys, validate_signature
from .events import WebhookEvent, WebhookParseError, parse_event

# The package's name, as before the split: logging configured for it keeps applying as it did.
logger = logging.getLogger("conversations_async.webhooks")

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


HandlerResult: TypeAlias = Reject | Mapping[str, Any] | None  # documented in __init__.py

# Private names, so the docs do not try to link these type variables.
_E = TypeVar("_E", bound=WebhookEvent)
_H = TypeVar("_H", bound=Callable[..., Awaitable[HandlerResult]])


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
        self, event: type[_E]
    ) -> Callable[
        [Callable[[_E], Awaitable[HandlerResult]]], Callable[[_E], Awaitable[HandlerResult]]
    ]: ...

    @overload
    def on(self, event: str) -> Callable[[_H], _H]: ...

    def on(self, event: type[WebhookEvent] | str) -> Callable[[_H], _H]:
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

        def register(func: _H) -> _H:
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
