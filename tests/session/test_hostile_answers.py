"""Answers we did not write: hostile pages for the pager, and garbage bodies for every decoder.

The pager runs against small aiohttp servers of our own on loopback that answer foreign,
cyclic, scheme-relative and credential-carrying ``next_page_url`` s; a second "foreign" server
counts every request that reaches it (there must be none). The body decoders are pure, so
hypothesis feeds them arbitrary bytes; the same garbage also goes through a real Session.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from yarl import URL

import conversations_async as ca
from conversations_async._convert import parse_attributes, structure
from conversations_async._pagination import next_page_request, parse_page
from conversations_async._sansio import decode_success, status_error
from conversations_async.errors import error_class_for

ACCOUNT = "AC" + "0" * 32
TOKEN = "hostile-test-auth-token-0123456789"
CONVERSATION = "CH" + "1" * 32
PARTICIPANTS = f"/v1/Conversations/{CONVERSATION}/Participants"
DEEP = 100_000

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class Scripted:
    """An aiohttp app that answers each path-and-query with a scripted body, and counts."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, bytes, str]] = {}
        self.requests: list[str] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    def page(self, path_qs: str, payload: Any, *, status: int = 200) -> None:
        self.answers[path_qs] = (status, json.dumps(payload).encode(), "application/json")

    def raw(self, path_qs: str, body: bytes, *, status: int, content_type: str) -> None:
        self.answers[path_qs] = (status, body, content_type)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        status, body, content_type = self.answers.get(
            request.path_qs,
            (404, b'{"code": 20404, "message": "no such page"}', "application/json"),
        )
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})


@pytest.fixture
async def origin(aiohttp_server: ServerFactory) -> tuple[Scripted, TestServer]:
    scripted = Scripted()
    return scripted, await aiohttp_server(scripted.app)


@pytest.fixture
async def foreign(aiohttp_server: ServerFactory) -> tuple[Scripted, TestServer]:
    """Another loopback server: a different origin (port), which must never be asked."""
    scripted = Scripted()
    return scripted, await aiohttp_server(scripted.app)


@pytest.fixture
async def api(origin: tuple[Scripted, TestServer]) -> AsyncIterator[ca.Session]:
    _, server = origin
    async with ca.Session(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        base_url=str(server.make_url("/")),
        retry=ca.RetryPolicy(attempts=1),
    ) as session:
        yield session


def participant(n: int) -> dict[str, Any]:
    return {"sid": f"MB{n:032x}", "conversation_sid": CONVERSATION, "attributes": "{}"}


def list_page(first: int, next_page_url: str | None, *, count: int = 2) -> dict[str, Any]:
    return {
        "participants": [participant(first + i) for i in range(count)],
        "meta": {"key": "participants", "page_size": count, "next_page_url": next_page_url},
    }


async def read_all(pager: ca.AsyncPager[ca.Participant], got: list[str]) -> None:
    async for item in pager:
        got.append(item.sid)


# --- the pager: where next_page_url may lead -----------------------------------------------


async def test_same_origin_and_relative_next_pages_are_followed(
    api: ca.Session, origin: tuple[Scripted, TestServer]
) -> None:
    """The control: a well-behaved server's absolute and relative links are both followed."""
    scripted, server = origin
    scripted.page(PARTICIPANTS, list_page(0, str(server.make_url(PARTICIPANTS + "?PageToken=B"))))
    scripted.page(PARTICIPANTS + "?PageToken=B", list_page(2, PARTICIPANTS + "?PageToken=C"))
    scripted.page(PARTICIPANTS + "?PageToken=C", list_page(4, None))
    got: list[str] = []
    await read_all(api.participants.list(CONVERSATION), got)
    assert got == [participant(i)["sid"] for i in range(6)]
    assert len(scripted.requests) == 3


# {origin} and {foreign} are the two servers' ports; {path} the list path.
HOSTILE_LINKS = {
    "foreign host": "http://127.0.0.1:{foreign}{path}?PageToken=B",
    "foreign host by name": "http://localhost:{foreign}{path}?PageToken=B",
    "scheme-relative foreign": "//127.0.0.1:{foreign}{path}?PageToken=B",
    "scheme-relative own host": "//127.0.0.1:{origin}{path}?PageToken=B",
    "userinfo": "http://user:pass@127.0.0.1:{origin}{path}?PageToken=B",
    "user only": "http://mallory@127.0.0.1:{origin}{path}?PageToken=B",
    "https on own port": "https://127.0.0.1:{origin}{path}?PageToken=B",
    "ftp": "ftp://127.0.0.1:{origin}{path}",
    "file": "file:///etc/passwd",
    "javascript": "javascript:alert(1)",
    "scheme without host": "http:{path}?PageToken=B",
}


@pytest.mark.parametrize("kind", list(HOSTILE_LINKS))
async def test_a_hostile_next_page_url_is_refused_before_sending(
    api: ca.Session,
    origin: tuple[Scripted, TestServer],
    foreign: tuple[Scripted, TestServer],
    kind: str,
) -> None:
    scripted, server = origin
    foreign_scripted, foreign_server = foreign
    link = HOSTILE_LINKS[kind].format(
        origin=server.port, foreign=foreign_server.port, path=PARTICIPANTS
    )
    scripted.page(PARTICIPANTS, list_page(0, link))
    # Both servers would answer the next page: only the refusal keeps the pager off them.
    scripted.page(PARTICIPANTS + "?PageToken=B", list_page(2, None))
    foreign_scripted.page(PARTICIPANTS + "?PageToken=B", list_page(2, None))

    got: list[str] = []
    with pytest.raises(ca.ResponseValidationError) as caught:
        await read_all(api.participants.list(CONVERSATION), got)

    assert got == [participant(0)["sid"], participant(1)["sid"]]  # the first page was good
    assert scripted.requests == [PARTICIPANTS]
    assert foreign_scripted.requests == []
    assert "next_page_url" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), str(caught.value.body)):
        assert "user:pass@" not in text and "mallory" not in text and TOKEN not in text


def test_next_page_request_refuses_every_hostile_kind_without_io() -> None:
    base = URL("http://127.0.0.1:8080/")
    for link in (
        "//evil.example/v1/Conversations",
        "https://user:pass@conversations.twilio.com/v1/Conversations",
        "gopher://127.0.0.1:8080/",
        "http://127.0.0.1:8081/v1/Conversations",
    ):
        with pytest.raises(ca.ResponseValidationError):
            next_page_request(URL(link), base)
    twilio = URL("https://conversations.twilio.com")
    for link in (
        "https://conversations.twilio.com:8443/v1/Conversations",  # a Twilio host, not its port
        "http://conversations.us1.twilio.com/v1/Conversations",  # a downgrade to plain http
        "https://conversations.twilio.com.evil.example/v1/Conversations",
        "https://user:pass@conversations.twilio.com/v1/Conversations",
    ):
        with pytest.raises(ca.ResponseValidationError):
            next_page_request(URL(link), twilio)
    edge = URL("https://conversations.sydney.us1.twilio.com/v1/Conversations?PageToken=PT1")
    assert next_page_request(edge, twilio).url == edge


URL_PREFIXES = st.sampled_from(
    [
        *("", "/", "//", "///", "http:", "http://", "https://", "ftp://", "\\\\"),
        *("http://127.0.0.1:8080", "HTTP://127.0.0.1:8080", "//127.0.0.1:8080"),
        "http://u:p@127.0.0.1:8080",
    ]
)
URL_TAILS = st.text(st.sampled_from("/?#@:%.[]\\ \tab12xZ=&~\u00e9\x00"), max_size=30)


@given(st.builds(str.__add__, URL_PREFIXES, URL_TAILS) | st.text(max_size=80))
@example("//[]@")  # yarl 1.25 raises IndexError for it
@settings(deadline=None)
def test_any_next_page_url_text_gives_a_same_origin_request_or_a_validation_error(
    link: str,
) -> None:
    base = URL("http://127.0.0.1:8080")
    payload = {"items": [], "meta": {"key": "items", "next_page_url": link}}
    try:
        page = parse_page(payload, "items", lambda raw: raw)
        if page.next_page_url is not None:
            request = next_page_request(page.next_page_url, base)
            assert request.url is not None and request.url.origin() == base.origin()
            assert request.url.user is None and request.url.password is None
    except ca.ResponseValidationError:
        pass


# --- the pager: cycles -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "chain",
    [
        pytest.param(["A"], id="A->A"),
        pytest.param(["A", "B"], id="A->B->A"),
        pytest.param(["A", "B", "C"], id="A->B->C->A"),
        pytest.param(["A", "B", "C", "D", "E"], id="A->...->E->A"),
    ],
)
async def test_a_cycle_of_any_length_stops_with_a_validation_error(
    api: ca.Session, origin: tuple[Scripted, TestServer], chain: list[str]
) -> None:
    scripted, server = origin
    first_page = {"A": PARTICIPANTS}
    for i, name in enumerate(chain):
        path = first_page.get(name, f"{PARTICIPANTS}?PageToken={name}")
        following = chain[(i + 1) % len(chain)]
        link = first_page.get(following, f"{PARTICIPANTS}?PageToken={following}")
        scripted.page(path, list_page(2 * i, str(server.make_url(link))))

    got: list[str] = []
    with pytest.raises(ca.ResponseValidationError, match="cycle"):
        await read_all(api.participants.list(CONVERSATION), got)

    assert len(scripted.requests) == len(chain)  # every page once, none fetched again
    assert len(set(scripted.requests)) == len(chain)
    assert got == [participant(i)["sid"] for i in range(2 * len(chain))]


async def test_a_cycle_back_to_a_later_page_is_caught_too(
    api: ca.Session, origin: tuple[Scripted, TestServer]
) -> None:
    """A -> B -> C -> B: the loop does not include the first page."""
    scripted, _ = origin
    scripted.page(PARTICIPANTS, list_page(0, f"{PARTICIPANTS}?PageToken=B"))
    scripted.page(f"{PARTICIPANTS}?PageToken=B", list_page(2, f"{PARTICIPANTS}?PageToken=C"))
    scripted.page(f"{PARTICIPANTS}?PageToken=C", list_page(4, f"{PARTICIPANTS}?PageToken=B"))
    with pytest.raises(ca.ResponseValidationError, match="cycle"):
        await read_all(api.participants.list(CONVERSATION), [])
    assert len(scripted.requests) == 3


# --- the pager: pages that are not pages ------------------------------------------------------


BROKEN_PAGES: dict[str, Any] = {
    "no items key": {"meta": {"key": "participants", "next_page_url": None}},
    "no items key, no meta.key": {"meta": {"next_page_url": None}},
    "meta.key names a missing key": {
        "participants": [participant(9)],
        "meta": {"key": "people", "next_page_url": None},
    },
    "items is an object": {"participants": {"sid": "MB1"}, "meta": {"key": "participants"}},
    "items is a string": {"participants": "MB1", "meta": {"key": "participants"}},
    "items is null": {"participants": None, "meta": {"key": "participants"}},
    "no meta": {"participants": [participant(9)]},
    "meta is null": {"participants": [participant(9)], "meta": None},
    "meta is a list": {"participants": [participant(9)], "meta": ["participants"]},
    "meta is a string": {"participants": [participant(9)], "meta": "participants"},
    "meta.key is a number": {"participants": [participant(9)], "meta": {"key": 7}},
    "meta.key is empty": {"participants": [participant(9)], "meta": {"key": ""}},
    "next_page_url is a number": {
        "participants": [participant(9)],
        "meta": {"key": "participants", "next_page_url": 2},
    },
    "next_page_url is an object": {
        "participants": [participant(9)],
        "meta": {"key": "participants", "next_page_url": {"url": "/v1"}},
    },
    "next_page_url is true": {
        "participants": [participant(9)],
        "meta": {"key": "participants", "next_page_url": True},
    },
    "next_page_url is a list": {
        "participants": [participant(9)],
        "meta": {"key": "participants", "next_page_url": ["/v1"]},
    },
    "next_page_url is not a URL": {
        "participants": [participant(9)],
        "meta": {"key": "participants", "next_page_url": "http://[::1"},
    },
    "page is a list": [participant(9)],
    "page is a string": "participants",
    "page is null": None,
    "an item is not a participant": {
        "participants": [participant(9), ["MB"]],
        "meta": {"key": "participants"},
    },
}


@pytest.mark.parametrize("kind", list(BROKEN_PAGES))
async def test_a_page_that_is_not_a_page_is_a_validation_error(
    api: ca.Session, origin: tuple[Scripted, TestServer], kind: str
) -> None:
    scripted, _ = origin
    scripted.page(PARTICIPANTS, list_page(0, f"{PARTICIPANTS}?PageToken=B"))
    scripted.page(f"{PARTICIPANTS}?PageToken=B", BROKEN_PAGES[kind])
    got: list[str] = []
    with pytest.raises(ca.ResponseValidationError):
        await read_all(api.participants.list(CONVERSATION), got)
    assert got == [participant(0)["sid"], participant(1)["sid"]]  # not silently ended early

    scripted.requests.clear()
    scripted.page(PARTICIPANTS, BROKEN_PAGES[kind])
    with pytest.raises(ca.ResponseValidationError):
        await api.participants.list(CONVERSATION)  # the first page alone, awaited
    assert scripted.requests == [PARTICIPANTS]


def test_an_empty_page_is_still_a_page() -> None:
    """The control: an empty items array is a (last) page, not an error."""
    page = parse_page({"participants": [], "meta": {"key": "participants"}}, "x", lambda r: r)
    assert page.items == () and page.key == "participants" and not page.has_next
    defaulted = parse_page({"conversations": [], "meta": {}}, "conversations", lambda r: r)
    assert defaulted.key == "conversations"


def test_unreadable_informational_links_are_none() -> None:
    meta = {"key": "items", "url": 5, "first_page_url": "http://[::1", "previous_page_url": []}
    page = parse_page(
        {"items": [1], "meta": {**meta, "page": "0", "page_size": True}}, "items", int
    )
    assert page.url is None and page.first_page_url is None and page.previous_page_url is None
    assert page.page is None and page.page_size is None and page.items == (1,)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
PAGE_KEYS = st.sampled_from(["participants", "meta", "key", "next_page_url", "url", "page"])


@given(
    st.dictionaries(PAGE_KEYS, JSON_VALUES | st.dictionaries(PAGE_KEYS, JSON_VALUES), max_size=4)
    | JSON_VALUES
)
@settings(deadline=None)
def test_parse_page_gives_a_page_or_a_validation_error(payload: Any) -> None:
    try:
        page = parse_page(payload, "participants", lambda raw: structure(raw, ca.Participant))
    except ca.ResponseValidationError as error:
        message = str(error)
        assert len(message) < 2000
    else:
        assert isinstance(page.items, tuple)


# --- garbage bodies: the pure decoders -------------------------------------------------------


def nested(depth: int, *, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + close * depth).encode()


GARBAGE: dict[str, bytes] = {
    "html": b"<!DOCTYPE html><html><body><h1>200 OK</h1>\n<p>Welcome to nginx</p></body></html>",
    "truncated JSON": json.dumps(participant(1)).encode()[:-7],
    "arrays 100,000 deep": nested(DEEP),
    "objects 100,000 deep": ('{"a":' * DEEP + "1" + "}" * DEEP).encode(),
    "unclosed arrays 100,000 deep": b"[" * DEEP,
    "invalid UTF-8": b'{"sid": "MB\xff\xfe"}',
    "lone surrogate in UTF-8": b'{"sid": "\xed\xa0\x80"}',
    "UTF-16 JSON": json.dumps(participant(1)).encode("utf-16"),
    "NUL bytes": b"\x00\x00\x00{",
    "a JSON array": json.dumps([participant(1)]).encode(),
    "a JSON string": b'"MB1"',
    "a JSON number": b"1e400",
    "empty": b"",
    "whitespace": b" \r\n\t ",
    "a huge integer": b'{"sid": "MB1", "last_read_message_index": ' + b"9" * 5000 + b"}",
}

WRONG_TYPES: dict[str, dict[str, Any]] = {
    "sid is a number": {"sid": 5},
    "sid is null": {"sid": None},
    "sid is nested arrays": {"sid": [[[["MB1"]]]]},
    "date is a number": {"sid": "MB1", "date_created": 1714558830},
    "date is a megabyte": {"sid": "MB1", "date_created": "2024" * 250_000},
    "binding is a string": {"sid": "MB1", "messaging_binding": "sms"},
    "index is a bool": {"sid": "MB1", "last_read_message_index": True},
    "index is text": {"sid": "MB1", "last_read_message_index": "ten"},
    "state is a number": {"sid": "CH1", "state": 3},
    "timers is a list": {"sid": "CH1", "timers": []},
    "links is a list": {"sid": "CH1", "links": ["a"]},
}


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_a_garbage_2xx_body_is_a_validation_error_or_not_a_record(kind: str) -> None:
    try:
        data = decode_success(200, GARBAGE[kind])
    except ca.ResponseValidationError as error:
        body, message = error.body, str(error)
        assert body == GARBAGE[kind]
        assert len(message) < 500 and "\n" not in message
        return
    for cls in (ca.Participant, ca.Conversation):
        with pytest.raises(ca.ResponseValidationError):
            structure(data, cls)


@pytest.mark.parametrize(
    "kind",
    [
        "html",
        "truncated JSON",
        "arrays 100,000 deep",
        "objects 100,000 deep",
        "invalid UTF-8",
        "UTF-16 JSON",
    ],
)
def test_bodies_that_are_not_utf8_json_are_refused(kind: str) -> None:
    with pytest.raises(ca.ResponseValidationError):
        decode_success(200, GARBAGE[kind])


def test_a_utf8_bom_is_tolerated() -> None:
    assert decode_success(200, b"\xef\xbb\xbf" + json.dumps(participant(1)).encode()) == (
        participant(1)
    )


@pytest.mark.parametrize("kind", list(WRONG_TYPES))
def test_wrong_field_types_are_a_validation_error(kind: str) -> None:
    body = WRONG_TYPES[kind]
    cls = ca.Conversation if body["sid"] == "CH1" else ca.Participant
    with pytest.raises(ca.ResponseValidationError) as caught:
        structure(body, cls)
    assert len(str(caught.value)) < 1500 and "\n" not in str(caught.value)


def test_json_nested_just_below_the_parser_limit_fails_the_record_not_the_caller() -> None:
    """Deep enough to decode, then too deep to serialise again for the error's body."""
    for depth in (400, 700, 900, 990):
        try:
            data = decode_success(200, nested(depth))
        except ca.ResponseValidationError:
            continue
        for cls in (ca.Participant, ca.Conversation):
            with pytest.raises(ca.ResponseValidationError):
                structure(data, cls)
            with pytest.raises(ca.ResponseValidationError):
                structure({"sid": data}, cls)
        with pytest.raises(ca.ResponseValidationError):
            parse_page(data, "participants", lambda raw: raw)
        with pytest.raises(ca.ResponseValidationError):
            parse_page({"participants": [], "meta": {"next_page_url": data}}, "participants", str)


@pytest.mark.parametrize("cls", [ca.Participant, ca.Conversation])
def test_attributes_nested_100000_deep_are_kept_as_the_text_that_came(cls: type[Any]) -> None:
    """The chosen rule: like any attributes text that is not usable JSON, it is kept as given,
    and the record is still read."""
    text = nested(DEEP).decode()
    assert parse_attributes(text) == text
    assert parse_attributes('{"a":' * DEEP) == '{"a":' * DEEP
    record = structure({"sid": "MB1", "attributes": text}, cls)
    assert record.attributes == text
    normal = structure({"sid": "MB1", "attributes": '{"vip": [1, {"x": null}]}'}, cls)
    assert normal.attributes == {"vip": [1, {"x": None}]}


@given(st.binary(max_size=300))
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_bytes_decode_and_structure_or_raise_validation_error(body: bytes) -> None:
    try:
        data = decode_success(200, body)
    except ca.ResponseValidationError:
        return
    for cls in (ca.Participant, ca.Conversation):
        with contextlib.suppress(ca.ResponseValidationError):
            structure(data, cls)


FIELD_NAMES = st.sampled_from(
    [
        "sid",
        "account_sid",
        "conversation_sid",
        "chat_service_sid",
        "identity",
        "attributes",
        "messaging_binding",
        "role_sid",
        "date_created",
        "date_updated",
        "url",
        "last_read_message_index",
        "last_read_timestamp",
        "state",
        "timers",
        "links",
        "bindings",
        "friendly_name",
    ]
)


@given(st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=8))
@settings(deadline=None)
def test_any_json_record_structures_or_raises_validation_error(record: dict[str, Any]) -> None:
    body = json.dumps(record).encode()
    for cls in (ca.Participant, ca.Conversation):
        with contextlib.suppress(ca.ResponseValidationError):
            structure(decode_success(200, body), cls)


@given(st.integers(min_value=300, max_value=599), st.binary(max_size=300))
@settings(deadline=None)
def test_any_error_body_gives_a_typed_error_with_a_short_message(status: int, body: bytes) -> None:
    error = status_error(status, {}, body, method="GET", url="http://127.0.0.1/v1")
    assert isinstance(error, ca.APIStatusError) and error.status == status
    assert_short_and_safe(error)


def assert_short_and_safe(error: ca.APIStatusError) -> None:
    for text in (error.message, str(error), repr(error)):
        assert len(text) < 800
        assert "\n" not in text and "\r" not in text and "\x1b" not in text


ERROR_MESSAGES: dict[str, Any] = {
    "a megabyte": "x" * 1_000_000,
    "nested arrays": json.loads(nested(500)),
    "a number": 42,
    "forged log lines": "bad\r\nERROR conversations_async: token=...\x1b[31m",
    "null": None,
}


@pytest.mark.parametrize("kind", list(ERROR_MESSAGES))
@pytest.mark.parametrize("status", [400, 404, 429, 500])
def test_a_hostile_error_message_is_cut_to_one_short_line(kind: str, status: int) -> None:
    body = json.dumps({"code": 20001, "message": ERROR_MESSAGES[kind], "more_info": ["x"]})
    error = status_error(status, {"Retry-After": "1"}, body.encode())
    assert type(error) is error_class_for(status)
    assert error.code == 20001 and error.more_info is None
    assert_short_and_safe(error)


@pytest.mark.parametrize("kind", list(GARBAGE))
@pytest.mark.parametrize("status", [400, 401, 404, 409, 503])
def test_a_garbage_error_body_gives_the_typed_error(kind: str, status: int) -> None:
    error = status_error(status, {}, GARBAGE[kind])
    assert type(error) is error_class_for(status)
    assert_short_and_safe(error)


# --- garbage bodies: through a real Session --------------------------------------------------


PARTICIPANT_PATH = f"{PARTICIPANTS}/MB{1:032x}"


@pytest.mark.parametrize("kind", list(GARBAGE))
async def test_a_garbage_2xx_answer_reaches_the_caller_as_a_validation_error(
    api: ca.Session, origin: tuple[Scripted, TestServer], kind: str
) -> None:
    scripted, _ = origin
    scripted.raw(PARTICIPANT_PATH, GARBAGE[kind], status=200, content_type="application/json")
    scripted.raw(PARTICIPANTS, GARBAGE[kind], status=200, content_type="application/json")
    scripted.raw(
        f"/v1/Conversations/{CONVERSATION}", GARBAGE[kind], status=200, content_type="text/html"
    )
    with pytest.raises(ca.ResponseValidationError):
        await api.participants.fetch(CONVERSATION, f"MB{1:032x}")
    with pytest.raises(ca.ResponseValidationError):
        await api.conversations.fetch(CONVERSATION)
    with pytest.raises(ca.ResponseValidationError):
        await read_all(api.participants.list(CONVERSATION), [])


@pytest.mark.parametrize("kind", list(WRONG_TYPES))
async def test_wrong_field_types_reach_the_caller_as_a_validation_error(
    api: ca.Session, origin: tuple[Scripted, TestServer], kind: str
) -> None:
    scripted, _ = origin
    record = WRONG_TYPES[kind]
    scripted.page(PARTICIPANT_PATH, record)
    scripted.page(f"/v1/Conversations/{CONVERSATION}", record)
    fetch = (
        api.conversations.fetch(CONVERSATION)
        if record["sid"] == "CH1"
        else api.participants.fetch(CONVERSATION, f"MB{1:032x}")
    )
    with pytest.raises(ca.ResponseValidationError):
        await fetch


async def test_a_record_that_does_not_structure_gives_its_permit_back(
    api: ca.Session, origin: tuple[Scripted, TestServer]
) -> None:
    # The record is structured inside the request loop, while the call still holds its permit.
    scripted, _ = origin
    scripted.page(PARTICIPANT_PATH, WRONG_TYPES["index is text"])
    for _ in range(3):
        with pytest.raises(ca.ResponseValidationError):
            await api.participants.fetch(CONVERSATION, f"MB{1:032x}")
    state = api.limiter.state
    assert state.in_flight == 0 and state.succeeded == 3  # the answers counted, nothing held


async def test_deep_attributes_arrive_as_text_through_the_session(
    api: ca.Session, origin: tuple[Scripted, TestServer]
) -> None:
    scripted, _ = origin
    text = nested(DEEP).decode()
    scripted.page(PARTICIPANT_PATH, {**participant(1), "attributes": text})
    scripted.page(
        PARTICIPANTS,
        {"participants": [{**participant(2), "attributes": text}], "meta": {"key": "participants"}},
    )
    fetched = await api.participants.fetch(CONVERSATION, f"MB{1:032x}")
    assert fetched.attributes == text
    listed = [p async for p in api.participants.list(CONVERSATION)]
    assert [p.attributes for p in listed] == [text]


@pytest.mark.parametrize("kind", list(GARBAGE))
@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ca.BadRequestError),
        (404, ca.NotFoundError),
        (409, ca.ConflictError),
        (500, ca.ServerError),
        (502, ca.ServerError),
    ],
)
async def test_a_garbage_error_answer_reaches_the_caller_as_the_typed_error(
    api: ca.Session,
    origin: tuple[Scripted, TestServer],
    kind: str,
    status: int,
    cls: type[ca.APIStatusError],
) -> None:
    scripted, _ = origin
    scripted.raw(PARTICIPANT_PATH, GARBAGE[kind], status=status, content_type="text/html")
    with pytest.raises(cls) as caught:
        await api.participants.fetch(CONVERSATION, f"MB{1:032x}")
    assert caught.value.status == status
    assert_short_and_safe(caught.value)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)


async def test_a_hostile_json_error_message_reaches_the_caller_short(
    api: ca.Session, origin: tuple[Scripted, TestServer]
) -> None:
    scripted, _ = origin
    scripted.page(
        PARTICIPANT_PATH,
        {"code": 50432, "message": "not found\n" * 100_000, "more_info": "x\r\n" * 1000},
        status=404,
    )
    with pytest.raises(ca.NotFoundError) as caught:
        await api.participants.fetch(CONVERSATION, f"MB{1:032x}")
    assert caught.value.code == 50432
    assert caught.value.message.startswith("not found not found")
    assert_short_and_safe(caught.value)
