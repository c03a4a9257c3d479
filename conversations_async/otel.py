"""OpenTelemetry for a Session: a span per request, and the limiter's state as metrics.

Needs the ``otel`` extra (``pip install 'conversations-async[otel]'``, which brings
``opentelemetry-api``); the rest of the library never imports this module. ::

    from conversations_async.otel import instrument

    session = Session()
    instrument(session)  # the global tracer and meter providers, or pass your own

**Spans.** One ``CLIENT`` span per :meth:`Session.request <conversations_async.Session.request>`
(so per call of a resource method, per page of a list, per item a bulk job sends), around all
its attempts. It is named ``METHOD /v1/Collection/{id}/…`` and carries
``http.request.method``, ``url.scheme``, ``url.path`` (never the query string, which may hold
an identity or an address), ``server.address``, ``server.port``, and from the last attempt
``http.response.status_code``, ``twilio.request_id`` (``Twilio-Request-Id``), and
``http.request.resend_count`` when the request was retried. A request that fails for good gets
``error.type`` (the status, or the error's class), ``twilio.error_code`` when Twilio sent one,
the exception as an event and an ``ERROR`` status. Every retry is an event ``retry`` with its
``attempt``, ``reason`` (``429 (code 20429)``, ``503``, ``timeout``, ``disconnect``…) and
``wait`` in seconds. No header, body or credential is ever recorded.

**Metrics.** The limiter's :class:`~conversations_async.LimiterState`, read when the meter
collects: ``conversations_async.limiter.permits``, ``.in_flight`` and ``.waiting`` (gauges)
and ``.throttled`` (a counter of 429s), each with the attribute ``twilio.account_sid`` and
any ``metric_attributes`` given.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Final

try:
    from opentelemetry import metrics, trace
except ImportError as missing:  # pragma: no cover - the extra is installed in every test run
    raise ImportError(
        "conversations_async.otel needs opentelemetry-api: pip install 'conversations-async[otel]'"
    ) from missing

from yarl import URL

from ._limits import LimiterState
from ._observe import AttemptWatcher, retry_reason
from ._options import __version__
from ._sansio import Request
from ._session import Session
from ._types import JSON
from .errors import APIStatusError, ConversationsError, InvalidArgumentError

SCOPE: Final = "conversations_async"
"""The instrumentation scope of the tracer and meter."""

_COLLECTION: Final = re.compile(r"[A-Z][A-Za-z]*|v\d+")
"""A path segment that names a collection (``Participants``) or the version; any other segment
(a SID, an identity) is an identifier, shown as ``{id}`` in span names."""


def span_name(method: str, path: str) -> str:
    """``POST /v1/Conversations/{id}/Participants``: low-cardinality, as span names must be."""
    segments = (s if _COLLECTION.fullmatch(s) else "{id}" for s in path.split("/") if s)
    return f"{method} /{'/'.join(segments)}"


class Instrumentation:
    """What :func:`instrument` returns; :meth:`uninstrument` turns it off again."""

    def __init__(
        self,
        session: Session,
        tracer: trace.Tracer,
        metrics: _LimiterMetrics,
        attributes: Mapping[str, str],
    ) -> None:
        self.session = session
        """The Session instrumented."""
        self.metric_attributes: Mapping[str, str] = attributes
        """The attributes of its limiter metrics."""
        self._tracer = tracer
        self._metrics = metrics

    def __repr__(self) -> str:
        return f"<Instrumentation of {self.session!r}>"

    async def observe(
        self, request: Request, url: URL, run: Callable[[AttemptWatcher], Awaitable[JSON]]
    ) -> JSON:
        """Run one request inside its span (the Session calls this)."""
        attributes: dict[str, str | int] = {
            "http.request.method": request.method,
            "url.scheme": url.scheme,
            "url.path": url.path,
            "server.address": url.host or "",
        }
        if url.port is not None:
            attributes["server.port"] = url.port
        with self._tracer.start_as_current_span(
            span_name(request.method, url.path), kind=trace.SpanKind.CLIENT, attributes=attributes
        ) as span:
            return await run(_SpanWatcher(span))

    def uninstrument(self) -> None:
        """Stop tracing this Session's requests and reporting its limiter (idempotent)."""
        if self.session._observer is self:
            self.session._observer = None
        self._metrics.instrumented.discard(self)


class _SpanWatcher:
    __slots__ = ("_span",)

    def __init__(self, span: trace.Span) -> None:
        self._span = span

    def attempt(
        self,
        attempt: int,
        status: int | None,
        headers: Mapping[str, str] | None,
        error: ConversationsError | None,
        wait: float | None,
    ) -> None:
        span = self._span
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        request_id = headers.get("Twilio-Request-Id") if headers is not None else None
        if request_id:
            span.set_attribute("twilio.request_id", request_id)
        if attempt > 1:
            span.set_attribute("http.request.resend_count", attempt - 1)
        if error is None:
            return
        if wait is not None:
            span.add_event(
                "retry", {"attempt": attempt, "reason": retry_reason(error), "wait": wait}
            )
            return
        # The last attempt failed: the request raises this error.
        span.set_attribute(
            "error.type", str(status) if status is not None else type(error).__name__
        )
        if isinstance(error, APIStatusError) and error.code is not None:
            span.set_attribute("twilio.error_code", error.code)


class _LimiterMetrics:
    """The limiter instruments of one meter, reporting every Session instrumented with it."""

    def __init__(self, meter: metrics.Meter) -> None:
        # Weak: a Session dropped without uninstrument() (it and its Instrumentation hold each
        # other) is collected, and leaves the metrics then.
        self.instrumented: weakref.WeakSet[Instrumentation] = weakref.WeakSet()
        for name, unit, description in (
            ("permits", "{permit}", "Requests the limiter lets in flight at once now"),
            ("in_flight", "{request}", "Requests holding a permit"),
            ("waiting", "{request}", "Requests queued for a permit or a write turn"),
        ):
            meter.create_observable_gauge(
                f"{SCOPE}.limiter.{name}",
                callbacks=[self._reader(name)],
                unit=unit,
                description=description,
            )
        meter.create_observable_counter(
            f"{SCOPE}.limiter.throttled",
            callbacks=[self._reader("throttled")],
            unit="{response}",
            description="429 answers the limiter was told about",
        )

    def _reader(
        self, field: str
    ) -> Callable[[metrics.CallbackOptions], Iterable[metrics.Observation]]:
        def read(options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
            for instrumentation in list(self.instrumented):
                if instrumentation.session.closed:
                    continue
                state: LimiterState = instrumentation.session.limiter.state
                value: int = getattr(state, field)
                yield metrics.Observation(value, dict(instrumentation.metric_attributes))

        return read


# One set of instruments per meter: an SDK ignores a second instrument of the same name.
_METRICS: weakref.WeakKeyDictionary[metrics.Meter, _LimiterMetrics] = weakref.WeakKeyDictionary()


def instrument(
    session: Session,
    *,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
    metric_attributes: Mapping[str, str] | None = None,
) -> Instrumentation:
    """Trace every request of ``session`` (and of its
    :meth:`~conversations_async.Session.with_options` views) and report its limiter's state.

    The providers default to OpenTelemetry's global ones. ``metric_attributes`` are added to
    ``twilio.account_sid`` on the limiter metrics, to tell apart Sessions of one account.
    A Session is instrumented once: :meth:`Instrumentation.uninstrument` first to change it.
    """
    if not isinstance(session, Session):
        raise InvalidArgumentError("session", f"must be a Session, not {type(session).__name__}")
    session = getattr(session, "_session", session)  # a view shares its Session's observer
    if session._observer is not None:
        raise InvalidArgumentError("session", "is already instrumented; uninstrument() it first")
    tracer = trace.get_tracer(SCOPE, __version__, tracer_provider=tracer_provider)
    meter = metrics.get_meter(SCOPE, __version__, meter_provider=meter_provider)
    found = _METRICS.get(meter)
    if found is None:
        found = _METRICS[meter] = _LimiterMetrics(meter)
    attributes = {"twilio.account_sid": session.account_sid or "", **(metric_attributes or {})}
    instrumentation = Instrumentation(session, tracer, found, attributes)
    found.instrumented.add(instrumentation)
    session._observer = instrumentation
    return instrumentation


__all__ = ["SCOPE", "Instrumentation", "instrument", "span_name"]
