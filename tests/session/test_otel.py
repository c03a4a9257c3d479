"""The OpenTelemetry integration: a span per request, exported to an in-memory exporter and read
back; the limiter's state as metrics, read by an in-memory reader."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import FAST_RETRY
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from conversations_async import Session
from conversations_async.errors import InvalidArgumentError, NotFoundError
from conversations_async.otel import Instrumentation, instrument, span_name
from conversations_async.testing import Emulator, Faults


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def instrumented(
    session: Session, exporter: InMemorySpanExporter, reader: InMemoryMetricReader
) -> Iterator[Instrumentation]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[reader])
    instrumentation = instrument(
        session, tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    yield instrumentation
    instrumentation.uninstrument()
    meter_provider.shutdown()


def spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def metric_points(reader: InMemoryMetricReader) -> dict[str, list[tuple[dict[str, Any], Any]]]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: [
            (dict(p.attributes or {}), getattr(p, "value", None)) for p in metric.data.data_points
        ]
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


@pytest.mark.usefixtures("instrumented")
async def test_a_request_is_one_client_span_with_http_and_twilio_attributes(
    emulator: Emulator, session: Session, exporter: InMemorySpanExporter
) -> None:
    conversation = await session.conversations.create(friendly_name="traced")
    exporter.clear()
    emulator.fail_next("POST", "*/Participants", status=429, headers={"Retry-After": "0"})
    participant = await session.participants.create(conversation.sid, identity="alice")
    [span] = spans(exporter)
    attributes = dict(span.attributes or {})
    assert span.kind is SpanKind.CLIENT
    assert span.name == "POST /v1/Conversations/{id}/Participants"
    assert span.status.status_code is StatusCode.UNSET
    assert attributes == {
        "http.request.method": "POST",
        "url.scheme": "http",
        "url.path": f"/v1/Conversations/{conversation.sid}/Participants",
        "server.address": "127.0.0.1",
        "server.port": int(emulator.port),
        "http.response.status_code": 201,
        "http.request.resend_count": 1,
        "twilio.request_id": attributes["twilio.request_id"],
    }
    assert str(attributes["twilio.request_id"]).startswith("RQ")
    [retry] = span.events
    assert retry.name == "retry"
    assert dict(retry.attributes or {}) == {"attempt": 1, "reason": "429 (code 20429)", "wait": 0.0}
    assert participant.identity == "alice"


@pytest.mark.usefixtures("instrumented")
async def test_a_failed_request_carries_the_twilio_error_code(
    conversation: Any, session: Session, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    with pytest.raises(NotFoundError):
        await session.participants.fetch(conversation.sid, "nobody")
    [span] = spans(exporter)
    attributes = dict(span.attributes or {})
    assert span.name == "GET /v1/Conversations/{id}/Participants/{id}"
    assert attributes["http.response.status_code"] == 404
    assert attributes["error.type"] == "404"
    assert attributes["twilio.error_code"] == 20404
    assert "http.request.resend_count" not in attributes
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]


@pytest.mark.usefixtures("instrumented")
async def test_a_pages_query_string_is_never_recorded(
    conversation: Any, session: Session, exporter: InMemorySpanExporter
) -> None:
    await session.participants.create(conversation.sid, identity="bob")
    exporter.clear()
    assert [p.identity async for p in session.participants.list(conversation.sid, page_size=5)]
    [span] = spans(exporter)
    values = [str(v) for v in (span.attributes or {}).values()]
    assert all("?" not in v and "PageSize" not in v for v in values)
    assert (span.attributes or {})[
        "url.path"
    ] == f"/v1/Conversations/{conversation.sid}/Participants"


async def test_a_views_requests_are_traced_and_uninstrument_stops_it(
    session: Session, instrumented: Instrumentation, exporter: InMemorySpanExporter
) -> None:
    await session.with_options(timeout=5).conversations.create(friendly_name="via a view")
    assert len(spans(exporter)) == 1
    instrumented.uninstrument()
    instrumented.uninstrument()  # idempotent
    await session.conversations.create(friendly_name="not traced")
    assert len(spans(exporter)) == 1


async def test_the_limiters_state_is_reported_as_metrics(session: Session) -> None:
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    async with Emulator(faults=Faults(max_in_flight=2, latency=0.05)) as stormy:
        async with stormy.session(retry=FAST_RETRY) as stormed:
            conversation = await stormed.conversations.create(friendly_name="metrics")
            # Two Sessions on one meter: one set of instruments, a point per Session.
            first = instrument(stormed, meter_provider=meter_provider, metric_attributes={"w": "1"})
            second = instrument(
                session, meter_provider=meter_provider, metric_attributes={"w": "2"}
            )
            # Reads, which are not paced: 12 at once against a cap of 2.
            await asyncio.gather(
                *(stormed.conversations.fetch(conversation.sid) for _ in range(12))
            )
            state = stormed.limiter.state
            points = metric_points(reader)
            first.uninstrument()
            after = metric_points(reader)
            second.uninstrument()
    meter_provider.shutdown()
    assert state.throttled > 0  # the emulator's cap made the limiter halve
    stormed_attributes = {"twilio.account_sid": stormy.account_sid, "w": "1"}
    other = {"twilio.account_sid": session.account_sid, "w": "2"}
    fresh = session.limiter.state
    assert sorted(points["conversations_async.limiter.permits"], key=str) == sorted(
        [(stormed_attributes, state.permits), (other, fresh.permits)], key=str
    )
    assert (stormed_attributes, state.throttled) in points["conversations_async.limiter.throttled"]
    assert (stormed_attributes, 0) in points["conversations_async.limiter.in_flight"]
    assert (stormed_attributes, 0) in points["conversations_async.limiter.waiting"]
    assert state.permits < state.max_permits
    # Uninstrumented: only the other Session is still reported.
    assert [a for a, _ in after["conversations_async.limiter.permits"]] == [other]


def test_a_session_is_instrumented_once(instrumented: Instrumentation) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        instrument(instrumented.session)
    assert raised.value.field == "session"
    with pytest.raises(InvalidArgumentError):
        instrument(instrumented.session.with_options(timeout=3))  # a view is its Session
    with pytest.raises(InvalidArgumentError):
        instrument("not a session")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/Conversations", "GET /v1/Conversations"),
        (
            "/v1/Services/IS0123/Conversations/CH9/Messages",
            "GET /v1/Services/{id}/Conversations/{id}/Messages",
        ),
        (
            "/v1/Conversations/CH1/Participants/alice%40example.com",
            "GET /v1/Conversations/{id}/Participants/{id}",
        ),
        ("/v1/Configuration/Webhooks", "GET /v1/Configuration/Webhooks"),
    ],
)
def test_span_names_hide_identifiers(path: str, name: str) -> None:
    assert span_name("GET", path) == name


def test_the_core_never_imports_opentelemetry() -> None:
    code = (
        "import sys, conversations_async, conversations_async.testing, conversations_async.webhooks\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'imported'\n"
        "assert 'conversations_async.otel' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
