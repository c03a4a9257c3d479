"""Hostile input: every bad value raises InvalidArgumentError naming its field, before anything
is sent (the emulator's request counter does not move), and never a raw Python error.

Text with a lone surrogate (which UTF-8 cannot encode) in every string parameter and path
segment; attributes nested thousands deep; datetimes that overflow in UTC; durations longer
than ``timedelta``; non-lists of participants; nonsense Session, RetryPolicy and limiter options;
and credentials, whose values never appear in the error.
"""

from __future__ import annotations

import inspect
import math
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urlencode

import aiohttp
import attrs
import pytest
from _builders import (
    conversation_create_request,
    conversation_list_request,
    conversation_update_request,
    conversation_with_participants_request,
    participant_create_request,
    participant_update_request,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations_async import (
    AdaptiveLimiter,
    ConcurrencyLimiter,
    ConversationState,
    InvalidArgumentError,
    NewParticipant,
    RetryPolicy,
    Session,
)
from conversations_async._options import basic_authorization
from conversations_async.resources.conversations import (
    MAX_ATTRIBUTES as MAX_CONVERSATION_ATTRIBUTES,
)
from conversations_async.testing import Emulator

CH = "CH" + "0" * 32
MB = "MB" + "0" * 32
ROLE = "RL" + "a" * 32
SERVICE = "IS" + "1" * 32
ADDRESS = "+15558675310"
PROXY = "+15017122661"
ROOT = "https://conversations.twilio.com"

# The emulator and Session fixtures are shared by all the examples of one test on purpose:
# each example checks that the shared request counter did not move.
SHARED = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25, deadline=None
)

surrogates = st.integers(0xD800, 0xDFFF).map(chr)
"""Lone surrogates: str can hold them, UTF-8 cannot encode them (Hypothesis' text() leaves
them out unless asked)."""
hostile_text = st.builds(
    lambda head, bad, tail: head + bad + tail, st.text(max_size=8), surrogates, st.text(max_size=8)
)
"""Text with at least one lone surrogate somewhere."""
any_text = st.text(st.one_of(st.characters(exclude_categories=()), surrogates), max_size=20)
"""Any str at all, surrogates often included."""


def kwargs(mapping: Mapping[str, object]) -> dict[str, Any]:
    """Keyword arguments of any type (wrong types being the point of these tests)."""
    return dict(mapping)


def check_error(error: InvalidArgumentError, field: str) -> None:
    """The error names ``field`` and its text can be logged (encoded) without failing again."""
    assert error.field == field
    str(error).encode("utf-8")
    repr(error).encode("utf-8")


@contextmanager
def nothing_sent(emulator: Emulator, field: str) -> Iterator[None]:
    """The block raises InvalidArgumentError naming ``field``, and no request reached the
    emulator."""
    before = emulator.counters.requests
    with pytest.raises(InvalidArgumentError) as raised:
        yield
    check_error(raised.value, field)
    assert emulator.counters.requests == before


async def run(call: Callable[[], object]) -> None:
    """Call a resource method: await a coroutine, or start a pager (``list()``)."""
    result = call()
    if inspect.isawaitable(result):
        await result
    elif hasattr(result, "__aiter__"):
        async for _ in result:  # pragma: no cover - the builder raises before this
            break


async def test_the_request_counter_counts(session: Session, emulator: Emulator) -> None:
    # The proofs below rest on this counter: it moves when a request is sent.
    before = emulator.counters.requests
    await session.conversations.create(friendly_name="counted")
    assert emulator.counters.requests == before + 1


# -- text that is not text: a lone surrogate in every string parameter ---------------------------

Call = Callable[[Session, Any], object]


def second_spec_with(name: str) -> Call:
    """create_with_participants whose second participant spec has ``name`` set."""

    def call(session: Session, value: Any) -> object:
        good = {"identity": "ok"}
        bad = {"identity": "alice", "messaging_binding_address": ADDRESS, name: value}
        return session.conversations.create_with_participants([good, bad])

    return call


def with_field(method: Callable[..., object], *args: str, **fixed: str) -> Callable[[str], Call]:
    """``with_field(m, CH)(name)`` calls ``m(scope, CH, **fixed, name=value)``: one row per field."""

    def for_field(name: str) -> Call:
        def call(session: Session, value: Any) -> object:
            return method(session, *args, **fixed, **{name: value})

        return call

    return for_field


def _participants_create(session: Session, *args: Any, **kwargs: Any) -> object:
    return session.participants.create(*args, **kwargs)


def _participants_update(session: Session, *args: Any, **kwargs: Any) -> object:
    return session.participants.update(*args, **kwargs)


def _conversations_create(session: Session, *args: Any, **kwargs: Any) -> object:
    return session.conversations.create(*args, **kwargs)


def _conversations_update(session: Session, *args: Any, **kwargs: Any) -> object:
    return session.conversations.update(*args, **kwargs)


def _conversations_list(session: Session, *args: Any, **kwargs: Any) -> object:
    return session.conversations.list(*args, **kwargs)


def _first_spec(session: Session, **kwargs: Any) -> object:
    return session.conversations.create_with_participants([{"identity": "a", **kwargs}])


TEXT_FIELDS: list[tuple[str, str, Call]] = [
    # participants.create
    ("conversation", "conversation", lambda s, v: s.participants.create(v, identity="alice")),
    ("identity", "identity", lambda s, v: s.participants.create(CH, identity=v)),
    (
        "messaging_binding_address",
        "messaging_binding_address",
        lambda s, v: s.participants.create(
            CH, messaging_binding_address=v, messaging_binding_proxy_address=PROXY
        ),
    ),
    (
        "messaging_binding_proxy_address",
        "messaging_binding_proxy_address",
        lambda s, v: s.participants.create(
            CH, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=v
        ),
    ),
    (
        "messaging_binding_projected_address",
        "messaging_binding_projected_address",
        lambda s, v: s.participants.create(
            CH, identity="alice", messaging_binding_projected_address=v
        ),
    ),
    ("role_sid", "role_sid", lambda s, v: s.participants.create(CH, identity="a", role_sid=v)),
    (
        "attributes as JSON text",
        "attributes",
        lambda s, v: s.participants.create(CH, identity="a", attributes=f'"{v}"'),
    ),
    (
        "attributes as a value",
        "attributes",
        lambda s, v: s.participants.create(CH, identity="a", attributes={"note": v}),
    ),
    (
        "attributes key",
        "attributes",
        lambda s, v: s.participants.create(CH, identity="a", attributes={v: 1}),
    ),
    # participants: fetch / update / delete / list
    ("fetch conversation", "conversation", lambda s, v: s.participants.fetch(v, MB)),
    ("fetch participant", "participant", lambda s, v: s.participants.fetch(CH, v)),
    ("delete participant", "participant", lambda s, v: s.participants.delete(CH, v)),
    ("list conversation", "conversation", lambda s, v: s.participants.list(v)),
    ("update participant", "participant", lambda s, v: s.participants.update(CH, v, identity="a")),
    ("update identity", "identity", lambda s, v: s.participants.update(CH, MB, identity=v)),
    (
        "update proxy address",
        "messaging_binding_proxy_address",
        lambda s, v: s.participants.update(CH, MB, messaging_binding_proxy_address=v),
    ),
    (
        "update projected address",
        "messaging_binding_projected_address",
        lambda s, v: s.participants.update(CH, MB, messaging_binding_projected_address=v),
    ),
    ("update role_sid", "role_sid", lambda s, v: s.participants.update(CH, MB, role_sid=v)),
    (
        "update attributes",
        "attributes",
        lambda s, v: s.participants.update(CH, MB, attributes=[v]),
    ),
    (
        "update last_read_timestamp",
        "last_read_timestamp",
        lambda s, v: s.participants.update(CH, MB, last_read_timestamp=v),
    ),
    # conversations
    ("friendly_name", "friendly_name", lambda s, v: s.conversations.create(friendly_name=v)),
    ("unique_name", "unique_name", lambda s, v: s.conversations.create(unique_name=v)),
    (
        "messaging_service_sid",
        "messaging_service_sid",
        lambda s, v: s.conversations.create(messaging_service_sid=v),
    ),
    ("conversation attributes", "attributes", lambda s, v: s.conversations.create(attributes=v)),
    ("state", "state", lambda s, v: s.conversations.create(state=v)),
    (
        "state as a pseudo-member",
        "state",
        lambda s, v: s.conversations.create(state=ConversationState(v)),
    ),
    ("timers_inactive", "timers_inactive", lambda s, v: s.conversations.create(timers_inactive=v)),
    ("timers_closed", "timers_closed", lambda s, v: s.conversations.create(timers_closed=v)),
    (
        "bindings_email_address",
        "bindings_email_address",
        lambda s, v: s.conversations.create(bindings_email_address=v),
    ),
    (
        "bindings_email_name",
        "bindings_email_name",
        lambda s, v: s.conversations.create(bindings_email_name=v),
    ),
    ("update conversation", "conversation", lambda s, v: s.conversations.update(v)),
    (
        "update friendly_name",
        "friendly_name",
        lambda s, v: s.conversations.update(CH, friendly_name=v),
    ),
    ("update unique_name", "unique_name", lambda s, v: s.conversations.update(CH, unique_name=v)),
    ("fetch conversation by name", "conversation", lambda s, v: s.conversations.fetch(v)),
    ("delete conversation", "conversation", lambda s, v: s.conversations.delete(v)),
    ("list state", "state", lambda s, v: s.conversations.list(state=v)),
    # create_with_participants: the conversation's fields and each participant spec's
    (
        "with participants: friendly_name",
        "friendly_name",
        lambda s, v: s.conversations.create_with_participants([], friendly_name=v),
    ),
    (
        "with participants: timers_closed",
        "timers_closed",
        lambda s, v: s.conversations.create_with_participants([], timers_closed=v),
    ),
    *[
        (
            f"spec {name}",
            f"participants[1].{name}",
            second_spec_with(name),
        )
        for name in (
            "identity",
            "messaging_binding_address",
            "messaging_binding_proxy_address",
            "messaging_binding_projected_address",
            "role_sid",
            "attributes",
        )
    ],
    (
        "spec as a NewParticipant",
        "participants[0].identity",
        lambda s, v: s.conversations.create_with_participants([NewParticipant(identity=v)]),
    ),
    # service scope
    ("service scope", "chat_service_sid", lambda s, v: s.service(v)),
    ("service scope with a good prefix", "chat_service_sid", lambda s, v: s.service(SERVICE + v)),
]


@pytest.mark.parametrize(
    ("field", "call"), [(f, c) for _, f, c in TEXT_FIELDS], ids=[i for i, _, _ in TEXT_FIELDS]
)
@SHARED
@given(text=hostile_text)
async def test_a_lone_surrogate_is_refused_in_every_text_field(
    session: Session, emulator: Emulator, field: str, call: Call, text: str
) -> None:
    with nothing_sent(emulator, field):
        await run(lambda: call(session, text))


@pytest.mark.parametrize("value", ["\ud800", "alice\udfff", "\udcff-from-os.environ"])
async def test_a_lone_surrogate_in_a_service_scoped_path(
    session: Session, emulator: Emulator, value: str
) -> None:
    scoped = session.service(SERVICE)
    with nothing_sent(emulator, "conversation"):
        await scoped.participants.create(value, identity="alice")
    with nothing_sent(emulator, "participant"):
        await scoped.participants.fetch(CH, value)
    with nothing_sent(emulator, "identity"):
        await scoped.participants.create(CH, identity=value)


# The same fields, now with *any* str (surrogates sometimes): whatever the builder accepts can be
# encoded and sent; whatever it refuses is an InvalidArgumentError naming the field.
Builder = Callable[[str], Any]

BUILDERS: list[tuple[str, Builder]] = [
    ("conversation", lambda v: participant_create_request(v, identity="alice")),
    ("identity", lambda v: participant_create_request(CH, identity=v)),
    (
        "messaging_binding_address",
        lambda v: participant_create_request(
            CH, messaging_binding_address=v, messaging_binding_proxy_address=PROXY
        ),
    ),
    (
        "messaging_binding_projected_address",
        lambda v: participant_create_request(
            CH, identity="a", messaging_binding_projected_address=v
        ),
    ),
    ("attributes", lambda v: participant_create_request(CH, identity="a", attributes={v: v})),
    ("participant", lambda v: participant_update_request(CH, v, identity="a")),
    ("last_read_timestamp", lambda v: participant_update_request(CH, MB, last_read_timestamp=v)),
    ("friendly_name", lambda v: conversation_create_request(friendly_name=v)),
    ("unique_name", lambda v: conversation_update_request(CH, unique_name=v)),
    ("timers_inactive", lambda v: conversation_create_request(timers_inactive=v)),
    ("bindings_email_name", lambda v: conversation_create_request(bindings_email_name=v)),
    ("state", lambda v: conversation_list_request(state=v)),
    (
        "participants[0].identity",
        lambda v: conversation_with_participants_request([{"identity": v}]),
    ),
]


@pytest.mark.parametrize(("field", "build"), BUILDERS, ids=[f for f, _ in BUILDERS])
@settings(max_examples=60, deadline=None)
@given(text=any_text)
def test_any_text_is_either_sendable_or_refused_by_name(
    field: str, build: Builder, text: str
) -> None:
    from yarl import URL

    try:
        request = build(text)
    except InvalidArgumentError as error:
        check_error(error, field)
        return
    # Everything the Session does with an accepted request works: its URL and its body.
    request.resolve(URL(ROOT))
    urlencode(request.form).encode()
    urlencode(request.query).encode()


# -- attributes nested thousands deep -------------------------------------------------------------


def nested(depth: int, kind: str) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


def nested_text(depth: int) -> str:
    return "[" * depth + "]" * depth


@settings(max_examples=30, deadline=None)
@given(depth=st.integers(1, 20_000), kind=st.sampled_from(["list", "dict"]))
def test_attributes_of_any_depth_are_encoded_or_refused(depth: int, kind: str) -> None:
    for attributes in (nested(depth, kind), nested_text(depth)):
        try:
            request = conversation_create_request(attributes=attributes)
        except InvalidArgumentError as error:
            check_error(error, "attributes")
            assert depth > 100  # shallow values are fine
            continue
        assert depth < 5_000  # JSON's recursion limit stops well before this
        assert dict(request.form)["Attributes"]


DEEP = 5_000

DEEP_CALLS: list[tuple[str, str, Call]] = [
    (
        "participants.create",
        "attributes",
        lambda s, v: s.participants.create(CH, identity="a", attributes=v),
    ),
    ("participants.update", "attributes", lambda s, v: s.participants.update(CH, MB, attributes=v)),
    ("conversations.create", "attributes", lambda s, v: s.conversations.create(attributes=v)),
    ("conversations.update", "attributes", lambda s, v: s.conversations.update(CH, attributes=v)),
    (
        "create_with_participants spec",
        "participants[0].attributes",
        lambda s, v: s.conversations.create_with_participants([{"identity": "a", "attributes": v}]),
    ),
    (
        "create_with_participants",
        "attributes",
        lambda s, v: s.conversations.create_with_participants([], attributes=v),
    ),
]


@pytest.mark.parametrize(
    ("field", "call"), [(f, c) for _, f, c in DEEP_CALLS], ids=[i for i, _, _ in DEEP_CALLS]
)
@pytest.mark.parametrize(
    "attributes",
    [nested(DEEP, "list"), nested(DEEP, "dict"), nested_text(1_500), nested_text(DEEP)],
    ids=["list", "dict", "json-text-1500", "json-text-5000"],
)
async def test_deeply_nested_attributes_are_refused(
    session: Session, emulator: Emulator, field: str, call: Call, attributes: object
) -> None:
    with nothing_sent(emulator, field):
        await run(lambda: call(session, attributes))


def test_a_json_string_of_attributes_is_not_parsed_when_too_long() -> None:
    text = "[" * 1_000_000 + "]" * 1_000_000
    with pytest.raises(InvalidArgumentError, match="bytes") as raised:
        conversation_create_request(attributes=text)
    check_error(raised.value, "attributes")
    assert len(text) > MAX_CONVERSATION_ATTRIBUTES


# -- datetimes that overflow when moved to UTC ----------------------------------------------------

EARLY_EAST = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
LATE_WEST = datetime.max.replace(tzinfo=timezone(-timedelta(hours=5)))


class BrokenOffset(tzinfo):
    """A tzinfo whose offset breaks datetime's rules (more than a day)."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=30)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "broken"


DATETIME_CALLS: list[tuple[str, str, Call]] = [
    *[
        (
            f"participants.create {name}",
            name,
            with_field(_participants_create, CH, identity="a")(name),
        )
        for name in ("date_created", "date_updated")
    ],
    *[
        (
            f"participants.update {name}",
            name,
            with_field(_participants_update, CH, MB)(name),
        )
        for name in ("date_created", "date_updated", "last_read_timestamp")
    ],
    *[
        (
            f"conversations.{verb} {name}",
            name,
            factory(name),
        )
        for verb, factory in (
            ("create", with_field(_conversations_create)),
            ("update", with_field(_conversations_update, CH)),
        )
        for name in ("date_created", "date_updated")
    ],
    *[
        (
            f"conversations.list {name}",
            name,
            with_field(_conversations_list)(name),
        )
        for name in ("start_date", "end_date")
    ],
    *[
        (
            f"create_with_participants spec {name}",
            f"participants[0].{name}",
            with_field(_first_spec)(name),
        )
        for name in ("date_created", "date_updated")
    ],
    (
        "create_with_participants date_created",
        "date_created",
        lambda s, v: s.conversations.create_with_participants([], date_created=v),
    ),
]


@pytest.mark.parametrize(
    ("field", "call"),
    [(f, c) for _, f, c in DATETIME_CALLS],
    ids=[i for i, _, _ in DATETIME_CALLS],
)
@pytest.mark.parametrize(
    "value",
    [EARLY_EAST, LATE_WEST, datetime(2024, 1, 1, tzinfo=BrokenOffset())],
    ids=["year-1-at-utc+5", "max-at-utc-5", "offset-over-a-day"],
)
async def test_a_datetime_that_utc_cannot_hold_is_refused(
    session: Session, emulator: Emulator, field: str, call: Call, value: datetime
) -> None:
    with nothing_sent(emulator, field):
        await run(lambda: call(session, value))


def utc_or_none(value: datetime) -> str | None:
    try:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:
        return None


offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59, seconds=59),
    max_value=timedelta(hours=23, minutes=59, seconds=59),
).map(timezone)
minute_offsets = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(), zone=offsets, name=st.sampled_from(["date_created", "date_updated"]))
def test_any_aware_datetime_is_sent_in_utc_or_refused(
    moment: datetime, zone: timezone, name: str
) -> None:
    value = moment.replace(tzinfo=zone)
    expected = utc_or_none(value)
    try:
        request = participant_create_request(CH, identity="a", **kwargs({name: value}))
    except InvalidArgumentError as error:
        check_error(error, name)
        assert expected is None
        return
    assert dict(request.form)[name.title().replace("_", "")] == expected


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(), zone=minute_offsets, name=st.sampled_from(["start_date", "end_date"]))
def test_any_aware_list_filter_is_sent_in_utc_or_refused(
    moment: datetime, zone: timezone, name: str
) -> None:
    value = moment.replace(tzinfo=zone)
    expected = utc_or_none(value.replace(microsecond=0))
    try:
        request = conversation_list_request(**kwargs({name: value}))
    except InvalidArgumentError as error:
        check_error(error, name)
        assert expected is None
        return
    key = "StartDate" if name == "start_date" else "EndDate"
    assert dict(request.query)[key] == expected


# -- ISO 8601 durations longer than timedelta -----------------------------------------------------


@pytest.mark.parametrize("field", ["timers_inactive", "timers_closed"])
@pytest.mark.parametrize(
    "text",
    ["P99999999999W", "P1000000000D", "PT" + "9" * 20 + "S", "P" + "9" * 400 + "D", "PT١٠M"],
    ids=["weeks", "days", "seconds", "infinite", "arabic-indic-digits"],
)
async def test_a_duration_timedelta_cannot_hold_is_refused(
    session: Session, emulator: Emulator, field: str, text: str
) -> None:
    with nothing_sent(emulator, field):
        await session.conversations.create(**kwargs({field: text}))
    with nothing_sent(emulator, field):
        await session.conversations.update(CH, **kwargs({field: text}))


@settings(deadline=None)
@given(
    amount=st.integers(0, 10**30),
    unit=st.sampled_from(["W", "D", "TH", "TM", "TS"]),
)
def test_any_duration_is_parsed_or_refused(amount: int, unit: str) -> None:
    text = f"P{unit[:-1]}{amount}{unit[-1]}"
    try:
        request = conversation_create_request(timers_closed=text)
    except InvalidArgumentError as error:
        check_error(error, "timers_closed")
        return
    assert dict(request.form)["Timers.Closed"] == text


# -- integers too large to send ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [2**63, 10**5000, -(10**5000), -1, True, 1.0, "3"],
    ids=["2**63", "10**5000", "-10**5000", "-1", "True", "1.0", "'3'"],
)
async def test_a_read_index_out_of_range_is_refused(
    session: Session, emulator: Emulator, value: object
) -> None:
    # str() of an int over 4300 digits raises ValueError: it must never get as far as encoding.
    with nothing_sent(emulator, "last_read_message_index"):
        await session.participants.update(CH, MB, last_read_message_index=value)  # type: ignore[arg-type]


# -- something other than a list of participants ---------------------------------------------------


def endless() -> Iterator[dict[str, str]]:
    n = 0
    while True:
        n += 1
        yield {"identity": f"user-{n}"}


@pytest.mark.parametrize(
    "participants",
    [
        None,
        5,
        2.5,
        "alice",
        b"alice",
        bytearray(b"alice"),
        {"identity": "alice"},
        NewParticipant(identity="alice"),
        object(),
        [None],
        [5],
        ["alice"],
        [{"identity": "alice", "nickname": "al", 1: "one"}],
    ],
    ids=lambda p: type(p).__name__ if not isinstance(p, list) else f"list-of-{type(p[0]).__name__}",
)
async def test_anything_but_a_list_of_participants_is_refused(
    session: Session, emulator: Emulator, participants: Any
) -> None:
    before = emulator.counters.requests
    with pytest.raises(InvalidArgumentError) as raised:
        await session.conversations.create_with_participants(participants)
    assert raised.value.field in {"participants", "participants[0]"}
    check_error(raised.value, raised.value.field)
    assert emulator.counters.requests == before


async def test_an_endless_iterable_of_participants_is_refused_without_reading_it_all(
    session: Session, emulator: Emulator
) -> None:
    with nothing_sent(emulator, "participants"):
        await session.conversations.create_with_participants(endless())


# -- Session options ------------------------------------------------------------------------------

NOT_COUNTS = [True, False, 0, -1, 1.5, "5", None]
NOT_RATES = [0, -1, -0.5, math.nan, math.inf, -math.inf, True, "30", 1e-320, 10**400]
BAD_PORTS = [
    "http://127.0.0.1:99999",
    "http://127.0.0.1:abc",
    "http://127.0.0.1:-1",
    "http://127.0.0.1:0",
    "http://[::1",
    "https://xn--a.example",
    "http://127.0.0.1\ud800",
    "http://127.0.0.1:8080/\ud800",
]
NOT_TIMEOUTS = [
    0,
    -1,
    math.nan,
    math.inf,
    -math.inf,
    True,
    "30",
    None,
    aiohttp.ClientTimeout(),
    aiohttp.ClientTimeout(total=0),
    aiohttp.ClientTimeout(total=0, connect=0, sock_read=0, sock_connect=0),
    aiohttp.ClientTimeout(total=-1),
    aiohttp.ClientTimeout(total=math.nan),
    aiohttp.ClientTimeout(total=math.inf),
    aiohttp.ClientTimeout(total=30, connect=-1),
    aiohttp.ClientTimeout(total=30, sock_read=math.nan),
    aiohttp.ClientTimeout(total=30, sock_connect=0),
    # Bounds each read, never the whole call: a server trickling bytes would hold it for ever.
    aiohttp.ClientTimeout(sock_read=5, sock_connect=5, connect=5),
]


def timeout_field(value: object) -> str:
    if not isinstance(value, aiohttp.ClientTimeout):
        return "timeout"
    for name in ("total", "connect", "sock_read", "sock_connect"):
        given_value = getattr(value, name)
        if given_value is not None and not (math.isfinite(given_value) and given_value > 0):
            return f"timeout.{name}"
    return "timeout.total"


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        *[("max_concurrency", v, "max_concurrency") for v in NOT_COUNTS],
        *[("writes_per_second", v, "writes_per_second") for v in NOT_RATES],
        *[("base_url", v, "base_url") for v in BAD_PORTS],
        ("base_url", b"http://127.0.0.1:8080", "base_url"),
        ("base_url", 8080, "base_url"),
        *[("timeout", v, timeout_field(v)) for v in NOT_TIMEOUTS],
        ("retry", 3, "retry"),
        ("retry", {"attempts": 3}, "retry"),
        ("limiter", object(), "limiter"),
        ("http_session", object(), "http_session"),
        ("sleep", 0.0, "sleep"),
    ],
    ids=repr,
)
async def test_nonsense_session_options_are_refused(
    emulator: Emulator, option: str, value: object, field: str
) -> None:
    with nothing_sent(emulator, field):
        emulator.session(**{option: value})


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("edge", "evil.example/x?"),
        ("edge", "sydney.evil"),
        ("edge", "a@b"),
        ("edge", "\ud800"),
        ("edge", 1),
        ("region", "au1/../x"),
        ("region", "-au1"),
        ("region", "a" * 64),
    ],
)
def test_an_edge_or_region_that_is_not_a_host_label_is_refused(option: str, value: object) -> None:
    # It goes into the host name: "evil.example/x?" would send the credentials to evil.example.
    with pytest.raises(InvalidArgumentError) as raised:
        Session(account_sid="AC" + "1" * 32, auth_token="token", **kwargs({option: value}))
    check_error(raised.value, option)


def test_good_session_options_still_work() -> None:
    session = Session(
        account_sid="AC" + "1" * 32,
        auth_token="token",
        edge="sao-paulo",
        region="br1",
        timeout=aiohttp.ClientTimeout(total=5, sock_read=1),
        max_concurrency=1,
        writes_per_second=0.5,
    )
    assert str(session.base_url) == "https://conversations.sao-paulo.br1.twilio.com"
    assert session.timeout.total == 5
    assert Session(account_sid="AC1", auth_token="t", timeout=3).timeout.total == 3.0
    session = Session(account_sid="AC1", auth_token="t", base_url="http://127.0.0.1:65535/root")
    assert session.base_url.port == 65535


@SHARED
@given(text=any_text)
async def test_any_base_url_is_accepted_or_refused_by_name(emulator: Emulator, text: str) -> None:
    try:
        session = emulator.session(base_url="http://127.0.0.1:" + text)
    except InvalidArgumentError as error:
        check_error(error, "base_url")
        return
    assert session.base_url.host == "127.0.0.1"
    assert 1 <= (session.base_url.port or 0) <= 65535


# -- credentials: refused by name, never shown ----------------------------------------------------

SECRET = "s3cr3t-DO-NOT-SHOW"
CREDENTIALS = {
    "account_sid": {"account_sid": "AC" + "1" * 32, "auth_token": "token"},
    "auth_token": {"account_sid": "AC" + "1" * 32, "auth_token": "token"},
    "api_key": {"account_sid": "AC" + "1" * 32, "api_key": "SK" + "2" * 32, "api_secret": "x"},
    "api_secret": {"account_sid": "AC" + "1" * 32, "api_key": "SK" + "2" * 32, "api_secret": "x"},
}


def assert_not_shown(error: BaseException, *pieces: str) -> None:
    """No piece of the secret is in the error, its args, its repr, nor in any exception chained
    to it (``__cause__``, ``__context__``), nor in its rendered traceback."""
    pieces = tuple(p for p in pieces if p)
    chain, pending = [], [error]
    while pending:
        seen = pending.pop()
        chain.append(seen)
        pending.extend(e for e in (seen.__cause__, seen.__context__) if e is not None)
    for seen in chain:
        texts = [str(seen), repr(seen), *map(repr, seen.args), *map(str, seen.args)]
        for piece in pieces:
            assert not any(piece in text for text in texts), (piece, texts)
    rendered = "".join(traceback.format_exception(error))
    assert not any(piece in rendered for piece in pieces)


@pytest.mark.parametrize("field", list(CREDENTIALS))
@pytest.mark.parametrize("position", ["start", "middle", "end"])
async def test_a_credential_that_is_not_text_is_refused_and_never_shown(
    emulator: Emulator, field: str, position: str
) -> None:
    secret = {
        "start": "\ud800" + SECRET,
        "middle": SECRET + "\udfff" + SECRET,
        "end": SECRET + "\udcff",
    }[position]
    options: dict[str, Any] = {**CREDENTIALS[field], field: secret}
    before = emulator.counters.requests
    with pytest.raises(InvalidArgumentError) as raised:
        Session(base_url=emulator.base_url, **options)
    check_error(raised.value, field)
    assert_not_shown(raised.value, secret, SECRET, secret.encode("utf-8", "surrogatepass").hex())
    assert raised.value.__context__ is None
    assert emulator.counters.requests == before


@SHARED
@given(secret=hostile_text, field=st.sampled_from(list(CREDENTIALS)))
async def test_any_credential_with_a_surrogate_is_refused_unshown(
    emulator: Emulator, secret: str, field: str
) -> None:
    secret = SECRET + secret
    with pytest.raises(InvalidArgumentError) as raised:
        emulator.session(**{**CREDENTIALS[field], field: secret})
    check_error(raised.value, field)
    assert_not_shown(raised.value, secret, SECRET)


@pytest.mark.parametrize("field", list(CREDENTIALS))
@pytest.mark.parametrize("value", [12345678901234, b"s3cr3t-bytes-value", ["s3cr3t-in-a-list"]])
def test_a_credential_that_is_not_a_string_is_refused_and_never_shown(
    field: str, value: object
) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        Session(**kwargs({**CREDENTIALS[field], field: value}))
    check_error(raised.value, field)
    assert_not_shown(raised.value, str(value).strip("[]b'"))


@pytest.mark.parametrize("field", ["account_sid", "api_key"])
def test_a_user_name_with_a_colon_is_refused(field: str) -> None:
    # HTTP Basic auth ends the user name at the first colon: the server would read another one.
    options: dict[str, Any] = {**CREDENTIALS[field], field: "AC1:" + SECRET}
    with pytest.raises(InvalidArgumentError) as raised:
        Session(**options)
    check_error(raised.value, field)
    assert_not_shown(raised.value, SECRET)


def test_from_env_refuses_a_credential_decoded_with_surrogateescape() -> None:
    # os.environ holds bytes that are not UTF-8 as lone surrogates (PEP 383).
    token = (SECRET + "\xff").encode("latin1").decode("utf-8", "surrogateescape")
    environ = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": token}
    with pytest.raises(InvalidArgumentError) as raised:
        Session.from_env(environ)
    check_error(raised.value, "auth_token")
    assert_not_shown(raised.value, SECRET)


def test_basic_authorization_refuses_unencodable_text_without_showing_it() -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        basic_authorization("AC1", SECRET + "\ud800")
    assert raised.value.__context__ is None
    assert_not_shown(raised.value, SECRET)
    # Text Latin-1 cannot encode still works, as UTF-8.
    assert basic_authorization("AC1", "pässwörd€").startswith("Basic ")


# -- RetryPolicy and the limiters ------------------------------------------------------------------

RETRY_SECONDS = ["initial", "max_wait", "deadline", "retry_after_cap"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *[("attempts", v) for v in [0, -1, True, False, 1.5, math.nan, "3", None]],
        *[(f, v) for f in RETRY_SECONDS for v in [-1, -0.1, math.nan, math.inf, True, "1"]],
        ("jitter", "yes"),
        ("retry_ambiguous_writes", 1),
        ("on_retry", 5),
    ],
    ids=repr,
)
def test_retry_policy_refuses_nonsense_by_name(field: str, value: object) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        RetryPolicy(**kwargs({field: value}))
    check_error(raised.value, field)
    assert isinstance(raised.value, ValueError)
    with pytest.raises(InvalidArgumentError):
        attrs.evolve(RetryPolicy(), **kwargs({field: value}))


def finite(value: float) -> bool:
    """A finite number that is not a bool (math.isfinite overflows on a huge int)."""
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**400), 10**400),
    st.booleans(),
)


@settings(deadline=None)
@given(field=st.sampled_from(RETRY_SECONDS), value=numbers)
def test_retry_policy_takes_any_finite_non_negative_number(field: str, value: float) -> None:
    valid = finite(value) and value >= 0
    try:
        RetryPolicy(**kwargs({field: value}))
    except InvalidArgumentError as error:
        check_error(error, field)
        assert not valid
    else:
        assert valid


LIMITER_ARGS: list[tuple[str, object]] = [
    *[
        (name, v)
        for name in ("max_permits", "min_permits", "initial_permits", "grow_after", "write_burst")
        for v in [0, -1, True, 1.5, math.nan, "2"]
    ],
    ("min_permits", 51),
    ("initial_permits", 51),
    *[
        (name, v)
        for name in ("writes_per_second", "rate_margin", "key_sweep_interval")
        for v in [0, -1, math.nan, math.inf, True, "1"]
    ],
    ("writes_per_second", 1e-320),
    ("rate_margin", 1.5),
    *[("retry_after_cap", v) for v in [-1, math.nan, math.inf, True, "60"]],
    ("clock", 5),
    ("sleep", "sleep"),
]


@pytest.mark.parametrize(("field", "value"), LIMITER_ARGS, ids=repr)
def test_adaptive_limiter_refuses_nonsense_by_name(field: str, value: object) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        AdaptiveLimiter(**kwargs({field: value}))
    check_error(raised.value, field)


@pytest.mark.parametrize("value", [0, -1, True, 1.5, math.nan, "2", None])
def test_concurrency_limiter_refuses_nonsense_by_name(value: object) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        ConcurrencyLimiter(value)  # type: ignore[arg-type]
    check_error(raised.value, "max_permits")


@settings(deadline=None)
@given(
    field=st.sampled_from(["writes_per_second", "rate_margin", "key_sweep_interval"]),
    value=numbers,
)
def test_adaptive_limiter_takes_any_sensible_rate(field: str, value: float) -> None:
    try:
        limiter = AdaptiveLimiter(**kwargs({field: value}))
    except InvalidArgumentError as error:
        check_error(error, field)
        return
    assert finite(value) and value > 0
    interval = limiter.write_interval
    assert interval is not None and math.isfinite(interval) and interval > 0


async def test_a_session_with_a_bad_default_limiter_option_names_it(emulator: Emulator) -> None:
    with nothing_sent(emulator, "writes_per_second"):
        emulator.session(writes_per_second=math.nan)


def test_a_date_filter_still_takes_a_plain_date() -> None:
    request = conversation_list_request(start_date=date(2024, 1, 1), end_date=date(9999, 12, 31))
    assert dict(request.query) == {
        "StartDate": "2024-01-01T00:00:00Z",
        "EndDate": "9999-12-31T23:59:59Z",
    }


async def test_valid_input_next_to_the_checks_is_still_sent(
    session: Session, emulator: Emulator
) -> None:
    # Non-ASCII text that is real text, an offset datetime, an exact-limit duration: all sent.
    before = emulator.counters.requests
    conversation = await session.conversations.create(
        friendly_name="Zoë ☕ 🎉",
        timers_closed="PT10M",
        date_created=datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=5))),
        attributes=nested(50, "dict"),
    )
    participant = await session.participants.create(
        conversation.sid, identity="zoë-🎉", attributes={"name": "Zoë"}
    )
    assert participant.identity == "zoë-🎉"
    assert conversation.date_created == datetime(2024, 1, 1, 7, tzinfo=UTC)
    assert emulator.counters.requests == before + 2
