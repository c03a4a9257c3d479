"""The request path's shortcuts give exactly what the plain library calls they replace give:
form encoding (``urlencode``) and JSON decoding (``json.loads``), with the standard library
alone (the default install) and with the ``fast-json`` extra (msgspec, installed for tests)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

import attrs
import pytest
from _operations import operations
from hypothesis import given
from hypothesis import strategies as st

from conversations_async import _convert as convert
from conversations_async import models
from conversations_async._sansio import responses
from conversations_async._sansio.params import Declaration, declaration
from conversations_async._sansio.request import encode_form
from conversations_async._sansio.responses import decode_body, decode_body_stdlib
from conversations_async._types import NOT_GIVEN
from conversations_async.errors import InvalidArgumentError, ResponseValidationError

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


# -- records: the fast structurer against cattrs' own -------------------------------------------

_RECORDS = sorted(
    (
        cls
        for cls in vars(models).values()
        if isinstance(cls, type) and attrs.has(cls) and cls.__module__.startswith(models.__name__)
    ),
    key=lambda cls: cls.__name__,
)
_ABSENT = object()
# Values of every kind a body's field might hold, right or wrong for it.
_CANDIDATES: list[Any] = [
    _ABSENT,
    None,
    "x",
    "",
    "MB" + "0" * 32,
    "2026-12-01T10:00:00Z",
    "2026-12-01T10:00:00+00:00",
    "2026-13-01T10:00:00Z",
    "{}",
    '{"a": [1]}',
    "not json",
    "https://conversations.twilio.com/v1/Conversations",
    0,
    7,
    -1,
    True,
    False,
    1.5,
    [],
    ["x"],
    {},
    {"type": "sms", "address": "+15551234567"},
]
_VALUES = st.sampled_from(_CANDIDATES)


def _outcome(structure: Any, body: Any, cls: type) -> Any:
    try:
        record = structure(body, cls)
    except Exception:
        return "refused"
    # Equal, and of the same types field by field (an OpenEnum member is not a plain str).
    return record, [type(getattr(record, a.name)) for a in attrs.fields(cls)]


def test_records_with_a_fast_structurer_exist() -> None:
    assert len(_RECORDS) > 20
    assert convert._fast_structurer(models.Participant) is not None


@pytest.mark.parametrize("cls", _RECORDS, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_the_fast_structurer_gives_what_cattrs_gives(cls: type, data: st.DataObject) -> None:
    keys = ["url" if a.name == "_url" else a.name for a in attrs.fields(cls) if a.name != "extra"]
    body = {key: value for key in keys if (value := data.draw(_VALUES, key)) is not _ABSENT}
    fast: Callable[[Any], Any] | None = convert._fast_structurer(cls)
    expected = _outcome(lambda b, c: convert.converter.structure(b, c), body, cls)
    if fast is not None:
        assert _outcome(lambda b, c: fast(b), body, cls) in (expected, "refused")
    assert _outcome(convert.structure, body, cls) == expected


def _valid_body(cls: type) -> dict[str, Any] | None:
    """A body cattrs takes for ``cls``: per field, the first of the values above its hook takes
    (left out when none does and the field has a default); None when a required one has none."""
    body: dict[str, Any] = {}
    for attribute, key, hook, type_ in convert.record_fields(cls):
        for value in _CANDIDATES:
            if value is _ABSENT or value is None:
                continue
            try:
                hook(value, type_)
            except Exception:
                continue
            body[key] = value
            break
        else:
            if attribute.default is attrs.NOTHING:
                return None
    return body


@pytest.mark.parametrize("cls", _RECORDS, ids=lambda cls: cls.__name__)
def test_the_fast_structurer_agrees_on_every_one_field_change(cls: type) -> None:
    # A valid body, then each field in turn set to each value above (or left out).
    base = _valid_body(cls)
    if base is None:
        pytest.skip(f"no value above suits every required field of {cls.__name__}")
    structure = lambda b, c: convert.converter.structure(b, c)  # noqa: E731
    assert _outcome(convert.structure, base, cls) == _outcome(structure, base, cls) != "refused"
    for key in base:
        for value in _CANDIDATES:
            body = {**base, key: value}
            if value is _ABSENT:
                del body[key]
            assert _outcome(convert.structure, body, cls) == _outcome(structure, body, cls), (
                key,
                value,
            )


def test_a_record_the_fast_path_cannot_read_goes_to_cattrs() -> None:
    @attrs.frozen
    class Odd:
        sid: Undefined = "x"  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(NameError):
        convert._fast_structurer(Odd)
    # Not our NameError: cattrs' own answer, as the library's typed error.
    with pytest.raises(ResponseValidationError, match="could not be read as a Odd"):
        convert.structure({"sid": "MB1"}, Odd)


def _declarations() -> list[Declaration]:
    found = {op.params: declaration(op.params) for _, op in operations() if op.params}
    return sorted(found.values(), key=lambda made: made.cls.__name__)


def _encoded_or_refused(made: Declaration, arguments: Mapping[str, Any]) -> object:
    try:
        return made.encode(arguments)
    except InvalidArgumentError as error:
        return (error.field, error.message)


@pytest.mark.parametrize("made", _declarations(), ids=lambda made: made.cls.__name__)
def test_the_encoder_reads_a_full_and_a_partial_mapping_alike(made: Declaration) -> None:
    """A method's ``locals()`` name every field; other mappings may leave some out, or are
    not dicts. Each field, refused in turn, is named the same in all three: the encoder hands
    every value to its own field, however it reads them."""
    full = dict.fromkeys(made.names, NOT_GIVEN)
    assert _encoded_or_refused(made, full) == _encoded_or_refused(made, {})
    refused = []
    for name in made.names:
        value = object()  # no rule takes it
        whole = _encoded_or_refused(made, {**full, name: value})
        assert whole == _encoded_or_refused(made, {name: value})
        assert whole == _encoded_or_refused(made, MappingProxyType({**full, name: value}))
        assert isinstance(whole, tuple)
        refused.append(whole[0])
    assert refused == list(made.names)
