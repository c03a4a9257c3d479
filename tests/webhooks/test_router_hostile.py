"""WebhookRouter fed bodies Twilio never sends: bad charsets, bytes that are not UTF-8, other
content types, malformed forms. Each gets a 4xx, never a 500 with a traceback in the log, and
the user's handler never runs.

The order is part of the contract: the signature is computed over the *decoded* parameters, so
a body that cannot be decoded is refused as unreadable (400) before any signature check, even
when the request carries a signature that would match its parameters; a decodable body with a
wrong signature is 403; signed parameters that are not an event are 400.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations_async.webhooks import (
    SIGNATURE_HEADER,
    HandlerResult,
    ParticipantAdded,
    WebhookEvent,
    WebhookParseError,
    WebhookRouter,
    compute_signature,
    parse_event,
)
from conversations_async.webhooks.router import _decode_form

TOKEN = "hostile-webhook-token-0123456789abcdef"
PATH = "/twilio/conversations"
FORM = "application/x-www-form-urlencoded"

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]

PARTICIPANT_ADDED = [
    ("EventType", "onParticipantAdded"),
    ("AccountSid", "AC" + "0" * 32),
    ("Source", "API"),
    ("ConversationSid", "CH" + "1" * 32),
    ("ParticipantSid", "MB" + "3" * 32),
    ("Identity", "bob"),
    ("DateCreated", "2024-05-01T10:20:30Z"),
]


class Handled:
    """The router, its app's client, and every event the user's handler was given."""

    def __init__(self, client: Client, calls: list[WebhookEvent]) -> None:
        self.client = client
        self.calls = calls

    def url(self) -> str:
        return str(self.client.make_url(PATH))

    async def post(
        self,
        body: bytes,
        *,
        content_type: str | None = FORM,
        signed_params: Sequence[tuple[str, str]] | None = None,
    ) -> int:
        """POST raw ``body``; signed as Twilio would sign ``signed_params`` when given."""
        headers = {} if content_type is None else {"Content-Type": content_type}
        if signed_params is not None:
            headers[SIGNATURE_HEADER] = compute_signature(self.url(), signed_params, TOKEN)
        # A stream: aiohttp warns about large raw bytes bodies, and warnings are errors here.
        async with self.client.post(PATH, data=io.BytesIO(body), headers=headers) as response:
            await response.read()
            return response.status


@pytest.fixture
async def hooked(aiohttp_client: ClientFactory) -> Handled:
    router = WebhookRouter(TOKEN, timeout=1.0)
    calls: list[WebhookEvent] = []

    @router.on(ParticipantAdded)
    async def added(event: ParticipantAdded) -> HandlerResult:
        calls.append(event)
        return None

    @router.on("onSomethingNew")
    async def other(event: WebhookEvent) -> HandlerResult:
        calls.append(event)
        return None

    app = web.Application()
    router.add_to(app, PATH)
    return Handled(await aiohttp_client(app), calls)


def assert_no_traceback_logged(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert record.name != "aiohttp.server", record.getMessage()
        assert "Traceback" not in record.getMessage()


GOOD_BODY = urlencode(PARTICIPANT_ADDED).encode()


async def test_the_control_a_signed_utf8_form_is_dispatched(
    hooked: Handled, caplog: pytest.LogCaptureFixture
) -> None:
    for content_type in (
        FORM,
        f"{FORM}; charset=UTF-8",
        f"{FORM}; charset=utf8",
        f'{FORM};charset="utf-8"',
    ):
        assert (
            await hooked.post(GOOD_BODY, content_type=content_type, signed_params=PARTICIPANT_ADDED)
            == 200
        )
    assert len(hooked.calls) == 4
    accented = [*PARTICIPANT_ADDED[:-2], ("Identity", "zoë"), PARTICIPANT_ADDED[-1]]
    assert await hooked.post(urlencode(accented).encode(), signed_params=accented) == 200
    assert hooked.calls[-1].params["Identity"] == "zoë"
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize(
    "charset",
    ["x-unknown", "latin-1", "utf-16", "utf-32", "rot13", "zlib", "idna", "utf-7", "a" * 500],
)
async def test_a_charset_other_than_utf8_is_400_even_with_a_matching_signature(
    hooked: Handled, caplog: pytest.LogCaptureFixture, charset: str
) -> None:
    caplog.set_level(logging.DEBUG)
    status = await hooked.post(
        GOOD_BODY, content_type=f"{FORM}; charset={charset}", signed_params=PARTICIPANT_ADDED
    )
    assert status == 400
    assert hooked.calls == []
    assert_no_traceback_logged(caplog)
    assert any("charset" in r.getMessage() for r in caplog.records)


NOT_UTF8 = {
    "a raw 0xff byte": GOOD_BODY + b"&Extra=\xff",
    "latin-1 text": GOOD_BODY.replace(b"bob", "zoë".encode("latin-1")),
    "a percent-encoded 0xff": GOOD_BODY + b"&Extra=%FF",
    "a percent-encoded lone surrogate": GOOD_BODY + b"&Extra=%ED%A0%80",
    "a truncated sequence": GOOD_BODY + b"&Extra=%E2%82",
    "an overlong encoding": GOOD_BODY + b"&%C0%AF=1",
    "UTF-16": GOOD_BODY.decode().encode("utf-16"),
}


@pytest.mark.parametrize("kind", list(NOT_UTF8))
@pytest.mark.parametrize("signed", [True, False])
async def test_a_body_that_is_not_utf8_is_400_whatever_its_signature(
    hooked: Handled, caplog: pytest.LogCaptureFixture, kind: str, signed: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    status = await hooked.post(NOT_UTF8[kind], signed_params=PARTICIPANT_ADDED if signed else None)
    assert status == 400
    assert hooked.calls == []
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xx", b"--xx\r\ngarbage"),
        ("multipart/form-data", b"no boundary at all"),
        (
            "multipart/form-data; boundary=xx",
            b'--xx\r\nContent-Disposition: form-data; name="EventType"\r\n\r\nonParticipantAdded\r\n--xx--\r\n',
        ),
        ("text/plain", GOOD_BODY),
        (None, GOOD_BODY),
        (";;;", GOOD_BODY),
        ("application/xml", b"<EventType>onParticipantAdded</EventType>"),
    ],
)
async def test_another_content_type_is_415(
    hooked: Handled, caplog: pytest.LogCaptureFixture, content_type: str | None, body: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    status = await hooked.post(body, content_type=content_type, signed_params=PARTICIPANT_ADDED)
    assert status == 415
    assert hooked.calls == []
    assert_no_traceback_logged(caplog)


MALFORMED = [
    b"&&&===&",
    b"%%%zz=%G0&%",
    b"EventType",
    b"=onParticipantAdded",
    b"EventType=onParticipantAdded&EventType=onParticipantAdded&DateCreated=yesterday",
    b"EventType=onParticipantAdded",  # no ConversationSid
    b"\x00=\x00&\x01\x02",
    b"EventType=onParticipantAdded&Identity=" + b"x" * 100_000,  # no ConversationSid
]


@pytest.mark.parametrize("body", MALFORMED, ids=lambda b: repr(b[:40]))
async def test_a_malformed_but_decodable_form_is_403_unsigned_and_400_signed(
    hooked: Handled, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    params = _decode_form(body)  # what the router decodes, and what Twilio would have signed
    assert await hooked.post(body) == 403
    assert await hooked.post(body, signed_params=[("EventType", "onSomethingNew")]) == 403
    assert await hooked.post(body, signed_params=params) == 400
    assert hooked.calls == []
    assert_no_traceback_logged(caplog)


async def test_a_body_over_the_size_limit_is_413_without_a_traceback(
    hooked: Handled, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await hooked.post(GOOD_BODY + b"&Extra=" + b"x" * (2 * 1024 * 1024)) == 413
    assert hooked.calls == []
    assert_no_traceback_logged(caplog)


# --- the pure parts ------------------------------------------------------------------------


def test_decode_form_keeps_what_aiohttp_kept() -> None:
    """Blank values kept, ``+`` as space, trailing whitespace ignored: the same parameters, so
    the same signatures, as the ``request.post()`` it replaces."""
    assert _decode_form(b"a=1&b=&c=x+y%21&a=2\r\n") == [
        ("a", "1"),
        ("b", ""),
        ("c", "x y!"),
        ("a", "2"),
    ]
    assert _decode_form(b"") == []
    assert _decode_form("k=zoë".encode(), "UTF-8") == [("k", "zoë")]


@pytest.mark.parametrize("charset", [None, "", "utf-8", "UTF-8", "utf8", "US-ASCII", "ascii"])
def test_decode_form_accepts_utf8_and_its_ascii_subset(charset: str | None) -> None:
    assert _decode_form(b"a=1", charset) == [("a", "1")]


@given(st.binary(max_size=200), st.none() | st.text(max_size=20))
@settings(deadline=None)
def test_decode_form_gives_text_pairs_or_a_parse_error(body: bytes, charset: str | None) -> None:
    try:
        pairs = _decode_form(body, charset)
    except WebhookParseError as error:
        event_type, problems = error.event_type, error.errors
        assert event_type is None and problems
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)


EVENT_NAMES = st.sampled_from(
    ["onParticipantAdded", "onMessageAdded", "onConversationAdd", "onMessageAdd", "onX", ""]
)
FIELD_NAMES = st.sampled_from(
    [
        *("ConversationSid", "ParticipantSid", "MessageSid", "Index", "DateCreated"),
        *("Attributes", "Media", "MessagingBinding.Address", "MessagingBinding", "Body"),
    ]
)
FIELD_VALUES = st.text(max_size=20) | st.sampled_from(["[" * 5000, '[{"Sid": 1}]', "1e400"])


@given(EVENT_NAMES, st.lists(st.tuples(FIELD_NAMES | st.text(max_size=10), FIELD_VALUES)))
@settings(deadline=None)
def test_parse_event_gives_an_event_or_a_parse_error(
    event_type: str, fields: list[tuple[str, str]]
) -> None:
    try:
        event = parse_event([("EventType", event_type), *fields])
    except WebhookParseError:
        return
    assert event.event_type == event_type
