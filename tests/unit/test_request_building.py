"""The pure core: form encoding, URL building, argument checks, error mapping. No server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from conversations_async import NewParticipant, errors
from conversations_async._sansio import (
    Params,
    Request,
    declaration,
    parse_retry_after,
    status_error,
)
from conversations_async._sansio.params import form
from conversations_async._sansio.rules import DATETIME, FLAG, TEXT, Each, Integer, encode_json
from conversations_async._types import NOT_GIVEN
from conversations_async.resources._participant_spec import CREATE

ROOT = URL("https://conversations.twilio.com")


@attrs.frozen(kw_only=True)
class Sample(Params):
    a: str | object = form("A")
    b: bool | object = form("B", FLAG)
    c: bool | object = form("C", FLAG)
    d: datetime | object = form("D", DATETIME)
    e: list[str] | object = form("E", Each(TEXT))
    f: int | object = form("F", Integer())


def test_encode_form_drops_not_given_and_formats_values() -> None:
    when = datetime(2023, 5, 4, 9, 42, tzinfo=timezone(timedelta(hours=2)))
    encoded = declaration(Sample).encode(
        {"a": NOT_GIVEN, "b": True, "c": False, "d": when, "e": ["x", "y"], "f": 3}
    )
    assert encoded.form == (
        ("B", "true"),
        ("C", "false"),
        ("D", "2023-05-04T07:42:00Z"),
        ("E", "x"),
        ("E", "y"),
        ("F", "3"),
    )


# Every text that can be sent (lone surrogates are refused before sending, see the hostile tests).
SENDABLE = st.text(st.characters(exclude_categories=["Cs"]))


@given(st.lists(SENDABLE))
def test_encode_form_round_trips_through_urlencoding(values: list[str]) -> None:
    encoded = declaration(Sample).encode({"e": values})
    assert parse_qsl(urlencode(encoded.form), keep_blank_values=True) == [("E", v) for v in values]


@given(st.text(min_size=1))
def test_any_path_value_stays_one_segment(value: str) -> None:
    url = Request(method="GET", path=("v1", "Conversations", value)).resolve(ROOT)
    segments = url.raw_path.split("/")
    assert segments[:3] == ["", "v1", "Conversations"]
    assert len(segments) == 4
    assert unquote(segments[3]) == value
    assert url.host == "conversations.twilio.com"


def test_dot_segments_cannot_climb_out() -> None:
    url = Request(method="GET", path=("v1", "Conversations", "..")).resolve(ROOT)
    assert url.raw_path == "/v1/Conversations/%2E%2E"


def test_absolute_url_is_used_exactly_as_given() -> None:
    next_page = URL(
        "https://conversations.twilio.com/v1/Conversations?PageSize=5&PageToken=PTabc", encoded=True
    )
    assert Request(method="GET", url=next_page).resolve(ROOT) is next_page


def test_form_keys_use_twilio_dotted_names() -> None:
    request = CREATE.request(
        None,
        {
            "conversation": "CH1",
            "messaging_binding_address": "+15558675310",
            "messaging_binding_proxy_address": "+15017122661",
        },
    )
    assert request.form == (
        ("MessagingBinding.Address", "+15558675310"),
        ("MessagingBinding.ProxyAddress", "+15017122661"),
    )
    assert urlencode(request.form) == (
        "MessagingBinding.Address=%2B15558675310&MessagingBinding.ProxyAddress=%2B15017122661"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"role": "agent"}, '{"role":"agent"}'),
        ([1, 2], "[1,2]"),
        (None, "null"),
        (3, "3"),
        ('{"already": "json"}', '{"already": "json"}'),
        ("ünï", None),
    ],
)
def test_attributes_are_serialised_or_checked(value: object, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(errors.InvalidArgumentError) as raised:
            encode_json("attributes", value, max_bytes=4096)
        assert raised.value.field == "attributes"
    else:
        assert encode_json("attributes", value, max_bytes=4096) == expected


def test_attributes_limit_counts_bytes_not_characters() -> None:
    text = json.dumps({"k": "é" * 2050}, ensure_ascii=False)  # ~2060 characters, ~4110 bytes
    assert len(text) < 4096 < len(text.encode())
    with pytest.raises(errors.InvalidArgumentError, match="bytes"):
        encode_json("attributes", text, max_bytes=4096)


def _given(kind: dict[str, str]) -> dict[str, Any]:
    """The kind as create's parameters: ``address`` is ``messaging_binding_address``, ..."""
    return {k if k == "identity" else f"messaging_binding_{k}": v for k, v in kind.items()}


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ({}, "identity"),
        ({"proxy_address": "+1555"}, "messaging_binding_address"),
        ({"address": "+1555", "proxy_address": "+1555"}, "messaging_binding_proxy_address"),
        ({"projected_address": "+1555"}, "identity"),
        ({"address": "+1666", "projected_address": "+1555"}, "identity"),
    ],
)
def test_participant_kinds_twilio_rejects(kind: dict[str, str], field: str) -> None:
    with pytest.raises(errors.InvalidArgumentError) as raised:
        NewParticipant.check(_given(kind))
    assert raised.value.field == field


@pytest.mark.parametrize(
    "kind",
    [
        {"identity": "alice"},
        {"identity": "alice", "projected_address": "+15017122661"},
        {"address": "+15558675310", "proxy_address": "+15017122661"},
        {"address": "+15558675310"},
        {"address": "whatsapp:+15558675310", "proxy_address": "whatsapp:+15017122661"},
    ],
)
def test_participant_kinds_twilio_accepts(kind: dict[str, str]) -> None:
    NewParticipant.check(_given(kind))


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (418, errors.APIStatusError),
    ],
)
def test_each_status_maps_to_its_class(status: int, cls: type[errors.APIStatusError]) -> None:
    body = json.dumps(
        {
            "code": 50433,
            "message": "Participant already exists",
            "more_info": "https://www.twilio.com/docs/errors/50433",
            "status": status,
        }
    ).encode()
    error = status_error(status, {"Twilio-Request-Id": "RQ1"}, body, method="POST", url="u")
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (
        status,
        50433,
        "Participant already exists",
    )
    assert error.more_info == "https://www.twilio.com/docs/errors/50433"
    assert error.request_id == "RQ1"
    assert "50433" in str(error) and "https://www.twilio.com/docs/errors/50433" in str(error)


def test_already_in_conversation_is_recognised_by_code() -> None:
    for code, expected in ((50433, True), (50437, True), (50416, False)):
        error = status_error(409, {}, json.dumps({"code": code, "message": "m"}).encode())
        assert error.already_in_conversation is expected


def test_html_error_page_gives_a_clear_error() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
    error = status_error(502, {}, page)
    assert isinstance(error, errors.ServerError)
    assert error.code is None
    assert "502 Bad Gateway" in error.message
    assert error.body == page.decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("5", 5.0),
        ("0.25", 0.25),
        ("-3", 0.0),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(30.0)
    past = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(past, now=now.timestamp()) == 0.0


def test_rate_limit_error_carries_retry_after() -> None:
    error = status_error(
        429, {"Retry-After": "2"}, b'{"code": 20429, "message": "Too Many Requests"}'
    )
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 2.0
