"""The request path's shortcuts give exactly what the plain library calls they replace give:
form encoding (``urlencode``) and JSON decoding (``json.loads``), with the standard library
alone (the default install) and with the ``fast-json`` extra (msgspec, installed for tests)."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations_async._sansio import responses
from conversations_async._sansio.request import encode_form
from conversations_async._sansio.responses import decode_body, decode_body_stdlib

_text = st.text(st.characters(codec="utf-8"), max_size=40)  # no lone surrogates


@given(st.lists(st.tuples(_text, _text), max_size=6))
def test_encode_form_is_urlencode_byte_for_byte(items: list[tuple[str, str]]) -> None:
    assert encode_form(tuple(items)) == urlencode(items).encode()


@pytest.mark.parametrize(
    "items",
    [
        (),
        (("Identity", "user-1"),),
        (("MessagingBinding.Address", "+15551234567"), ("Attributes", '{"a": [1, 2]}')),
        (("Identity", "a b&c=d/é~_.-"), ("Identity", "second")),  # a repeated key
        (("Ke y", ""), ("ü", "☃")),
    ],
)
def test_encode_form_on_typical_and_awkward_forms(items: tuple[tuple[str, str], ...]) -> None:
    assert encode_form(items) == urlencode(items).encode()


def test_encode_form_refuses_a_lone_surrogate_as_urlencode_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        urlencode([("Identity", "\ud800")])
    with pytest.raises(UnicodeEncodeError):
        encode_form((("Identity", "\ud800"),))


TRICKY_JSON = [
    b'{"sid": "MB1", "index": 123456789012345678901234567890}',  # beyond 64 bits
    b'{"n": -0.0, "f": 1.7976931348623157e308, "g": 5e-324, "h": 0.1, "e": 1E+2}',
    b'{"huge": 1e400, "tiny": -1e400}',  # json reads these as infinities
    '{"name": "Zoë ☃ 𝄞", "esc": "\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\"}'.encode(),
    b'{"lone": "\\ud800"}',  # an escaped lone surrogate: json keeps it
    b'{"k": 1, "k": 2}',  # duplicate keys: the last one wins
    b'[1, [2, [3, {"a": null, "b": true, "c": false}]]]',
    b'  \r\n {"padded": []}\t ',
    b'\xef\xbb\xbf{"bom": 1}',  # a UTF-8 byte order mark is skipped
    b"\xef\xbb\xbf \n[]",
    b'"a string"',
    b"42",
    b'{"nan": NaN, "inf": Infinity, "ninf": -Infinity}',  # json's extensions, accepted
]


def _same(a: Any, b: Any) -> bool:
    """Equal, including the type of every value and NaN where NaN is."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


DECODERS = [decode_body, decode_body_stdlib]


def test_the_fast_decoder_is_in_use_where_msgspec_is_installed() -> None:
    assert responses._fast_decode is not None


@pytest.mark.parametrize("decode", DECODERS)
@pytest.mark.parametrize("body", TRICKY_JSON)
def test_decode_body_is_json_loads(decode: Any, body: bytes) -> None:
    text = body.decode("utf-8")
    expected = json.loads(text[1:] if text.startswith("\ufeff") else text)
    assert _same(decode(body), expected)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@given(_json_values, st.booleans())
def test_both_decoders_read_any_json_as_json_loads_does(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    expected = json.loads(body)
    assert _same(decode_body(body), expected)
    assert _same(decode_body_stdlib(body), expected)


@pytest.mark.parametrize("body", [b"", b" ", b"\r\n\t \x0b\x0c"])
def test_decode_body_reads_an_empty_or_blank_body_as_none(body: bytes) -> None:
    assert decode_body(body) is None


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"a": 1} x',
        b'{"a": 1}  ]',
        b"\xef\xbb\xbf",
        b"\xef\xbb\xbf\xef\xbb\xbf{}",
        b"\xff\xfe{}",
        b"nul",
        b'{"a": 01}',
        b"[" * 100_000,
    ],
)
@pytest.mark.parametrize("decode", DECODERS)
def test_decode_body_refuses_what_is_not_json_with_a_value_error(decode: Any, body: bytes) -> None:
    with pytest.raises(ValueError):
        decode(body)
