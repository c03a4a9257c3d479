"""Reading an answer's bytes straight into a record (``_reading``, with msgspec) gives exactly
what the general path gives (decode the body, then structure the dict), body for body: the
same record with the same field types, or a refusal by both. And a record filled through its
mutable twin is a record like any other."""

from __future__ import annotations

import json
import pickle
import weakref
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_hot_path_equivalence import (
    _ABSENT,
    _CANDIDATES,
    _RECORDS,
    _VALUES,
    TRICKY_JSON,
    _valid_body,
)

from conversations_async import _codegen as codegen
from conversations_async import _convert as convert
from conversations_async import _reading as reading
from conversations_async import models
from conversations_async._sansio.responses import decode_success

SERVICE = "IS" + "0" * 32


def _general(reader: reading.RecordReader[Any], status: int, body: bytes) -> Any:
    # What RecordReader.read does without msgspec: decode the body, then structure the dict.
    return reader(decode_success(status, body))


def _outcome(read: Any, body: bytes, cls: type) -> Any:
    try:
        record = read(200, body)
    except Exception as error:
        return "refused", type(error).__name__
    assert type(record) is cls
    return record, [type(getattr(record, a.name)) for a in attrs.fields(cls)]


def _agree(cls: type, body: bytes, service: str | None = None) -> Any:
    reader: reading.RecordReader[Any] = reading.RecordReader(cls, service)
    fast = _outcome(reader.read, body, cls)
    assert fast == _outcome(lambda s, b: _general(reader, s, b), body, cls), body[:200]
    return fast


_READABLE = [cls for cls in _RECORDS if reading._body_reader(cls) is not None]


def test_records_read_from_their_bytes_exist() -> None:
    # Every record the dict fast path reads (open records keep their own hook).
    assert [cls for cls in _RECORDS if convert._fast_structurer(cls) is not None] == _READABLE
    assert models.Participant in _READABLE and models.Conversation in _READABLE
    assert len(_READABLE) >= 19  # of 28: the other 9 have no dict fast path either


# Values of keys that no record has a field for: msgspec skips them, json reads them.
_UNKNOWN = st.sampled_from(
    [b"1", b'"x"', b"null", b"1e400", b"-0.0", b'"\\ud800"', b"NaN", b'{"a": [1, {}]}', b"9" * 30]
)


@pytest.mark.parametrize("cls", _READABLE, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_reading_the_bytes_gives_what_decoding_and_structuring_give(
    cls: type, data: st.DataObject
) -> None:
    keys = ["url" if a.name == "_url" else a.name for a in attrs.fields(cls) if a.name != "extra"]
    fields = {key: value for key in keys if (value := data.draw(_VALUES, key)) is not _ABSENT}
    text = json.dumps(fields, ensure_ascii=data.draw(st.booleans(), "ascii"))
    unknown = data.draw(st.lists(_UNKNOWN, max_size=2), "unknown")
    extra = b"".join(b', "zz%d": %s' % (i, value) for i, value in enumerate(unknown))
    body = text.encode()[:-1] + (extra if fields else extra[1:]) + b"}"
    _agree(cls, body)
    _agree(cls, body, SERVICE)


@pytest.mark.parametrize("cls", _READABLE, ids=lambda cls: cls.__name__)
def test_reading_the_bytes_agrees_on_every_one_field_change(cls: type) -> None:
    base = _valid_body(cls)
    if base is None:
        pytest.skip(f"no value suits every required field of {cls.__name__}")
    assert _agree(cls, json.dumps(base).encode())[0] != "refused"
    for key in base:
        for value in _CANDIDATES:
            body = {**base, key: value}
            if value is _ABSENT:
                del body[key]
            _agree(cls, json.dumps(body).encode())


_PARTICIPANT = b'{"sid": "MB1", "identity": "alice", "date_created": "2026-12-01T10:00:00Z"'
BYTES = {
    "typical": _PARTICIPANT + b', "links": {"conversation": "https://x"}}',
    "not UTF-8 in a skipped string": _PARTICIPANT + b', "junk": "\xff"}',
    "not UTF-8 in a field": b'{"sid": "MB1", "identity": "\xff"}',
    "UTF-8 in a field and a skipped key": '{"sid": "MB1", "identity": "Zoë", "z": "☃"}'.encode(),
    "an integer json will not read, skipped": _PARTICIPANT + b', "junk": ' + b"9" * 5000 + b"}",
    "an integer json will not read": b'{"sid": "MB1", "last_read_message_index": '
    + b"9" * 5000
    + b"}",
    "an integer json reads": b'{"sid": "MB1", "last_read_message_index": ' + b"9" * 4000 + b"}",
    "an escaped lone surrogate": b'{"sid": "MB1", "identity": "\\ud800"}',
    "an infinity, skipped": _PARTICIPANT + b', "junk": 1e400}',
    "NaN, skipped": _PARTICIPANT + b', "junk": NaN}',
    "a control character": b'{"sid": "MB1", "identity": "a\x01b"}',
    "a duplicate key": b'{"sid": "MB1", "identity": "a", "identity": "b"}',
    "a byte order mark": b'\xef\xbb\xbf{"sid": "MB1"}',
    "trailing text": _PARTICIPANT + b"} x",
    "trailing space": _PARTICIPANT + b"} \r\n",
    "a boolean for an integer": b'{"sid": "MB1", "last_read_message_index": true}',
    "a float for an integer": b'{"sid": "MB1", "last_read_message_index": 1.0}',
    "an integer beyond 64 bits": b'{"sid": "MB1", "last_read_message_index": ' + b"1" * 30 + b"}",
    "a naive date": b'{"sid": "MB1", "date_created": "2026-12-01T10:00:00"}',
    "a date that is not one": b'{"sid": "MB1", "date_created": "2026-13-01T10:00:00Z"}',
    "attributes as JSON text": b'{"sid": "MB1", "attributes": "{\\"a\\": [1]}"}',
    "attributes not JSON": b'{"sid": "MB1", "attributes": "not json"}',
    "a messaging binding": b'{"sid": "MB1", "messaging_binding": {"type": "sms", "x": 1}}',
    "no sid": b'{"identity": "alice"}',
    "a list": b"[1]",
    "empty": b"",
    "blank": b" \n",
    **{f"tricky JSON {i}": body for i, body in enumerate(TRICKY_JSON)},
    **{
        f"nested {depth} deep in {key}": b'{"sid": "MB1", "%s": ' % key.encode()
        + b"[" * depth
        + b"]" * depth
        + b"}"
        for key in ("junk", "messaging_binding")
        for depth in (10, 900, 990, 1000, 1010, 1500)
    },
}


@pytest.mark.parametrize("body", list(BYTES.values()), ids=list(BYTES))
def test_awkward_bytes_read_alike(body: bytes) -> None:
    _agree(models.Participant, body)


def test_the_typical_answer_is_read_from_its_bytes_and_as_expected() -> None:
    # The comparison above could pass with both paths wrong: this one says what is right.
    reader = reading.RecordReader(models.Participant)
    assert reader._from_body is not None
    record = reader._from_body(BYTES["typical"])
    assert type(record) is models.Participant
    assert (record.sid, record.identity, record.attributes) == ("MB1", "alice", None)
    assert record.date_created is not None and record.date_created.utcoffset() is not None
    assert reader.read(200, BYTES["typical"]) == record


def test_a_service_scope_fills_in_the_service_only_where_the_answer_leaves_it_out() -> None:
    reader = reading.RecordReader(models.Participant, SERVICE)
    assert reader.read(200, b'{"sid": "MB1"}').chat_service_sid == SERVICE
    other = "IS" + "1" * 32
    named = b'{"sid": "MB1", "chat_service_sid": "%s"}' % other.encode()
    assert reader.read(200, named).chat_service_sid == other


def test_a_record_made_through_its_twin_is_a_record_like_any_other() -> None:
    body = b'{"sid": "MB1", "identity": "alice", "url": "https://x/MB1"}'
    made = [
        reading.RecordReader(models.Participant).read(200, body),
        convert.structure(json.loads(body), models.Participant),
    ]
    built = models.Participant(sid="MB1", identity="alice", url="https://x/MB1")
    for record in made:
        assert type(record) is models.Participant
        assert record == built and hash(record) == hash(built)
        assert pickle.loads(pickle.dumps(record)) == built
        assert weakref.ref(record)() is record
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            record.identity = "mallory"  # type: ignore[misc]
        assert str(record.url) == "https://x/MB1"


def test_a_record_with_its_own_weakref_slot_is_filled_through_its_slots() -> None:
    @attrs.frozen
    class Own:  # no shared base: attrs puts __weakref__ in its own slots
        sid: str | None = None

    assert "__weakref__" in vars(Own)["__slots__"]
    assert codegen.mutable_twin(Own) is None
    assert convert.structure({"sid": "MB1"}, Own) == Own(sid="MB1")
    assert reading.RecordReader(Own).read(200, b'{"sid": "MB1"}') == Own(sid="MB1")


def test_without_msgspec_every_answer_is_read_the_general_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reading, "msgspec", None)
    monkeypatch.setattr(reading, "_BODY_READERS", {})
    reader = reading.RecordReader(models.Participant)
    assert reader._from_body is None
    assert reader.read(200, BYTES["typical"]).identity == "alice"
