"""The pure core: what is sent and what came back. No I/O, no awaits.

Resources call the ``*_request`` builders, which validate every argument (raising
:class:`~conversations_async.errors.InvalidArgumentError` naming the field) and return a
:class:`Request`. The Session sends it; :func:`decode_success` gives a 2xx answer's JSON and
:func:`status_error` the typed error of any other.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final, cast
from urllib.parse import quote

import attrs
from yarl import URL

from ._checks import first_surrogate, is_encodable
from ._convert import format_datetime
from ._limits import conversation_write_key, service_write_key
from ._text import excerpt, short_text
from ._types import JSON, NOT_GIVEN, NotGiven
from .errors import (
    APIStatusError,
    InvalidArgumentError,
    RateLimitError,
    ResponseValidationError,
    error_class_for,
)
from .models import ConversationState

ROLE_SID: Final = re.compile(r"^RL[0-9a-fA-F]{32}$")
CHAT_SERVICE_SID: Final = re.compile(r"^IS[0-9a-fA-F]{32}$")
MESSAGING_SERVICE_SID: Final = re.compile(r"^MG[0-9a-fA-F]{32}$")
CONVERSATION_SID: Final = re.compile(r"^CH[0-9a-fA-F]{32}$")

MAX_IDENTITY: Final = 256
MAX_ADDRESS: Final = 256
MAX_PARTICIPANT_ATTRIBUTES: Final = 4 * 1024
MAX_CONVERSATION_ATTRIBUTES: Final = 16 * 1024
MAX_INTEGER: Final = 2**63 - 1
"""The largest integer sent (OpenAPI's widest, int64)."""
WEBHOOK_HEADER: Final = "X-Twilio-Webhook-Enabled"

FormItems = tuple[tuple[str, str], ...]


@attrs.frozen(kw_only=True)
class Request:
    """One HTTP request, fully decided, not yet sent."""

    method: str
    path: tuple[str, ...] = ()
    """Unencoded path segments below the service root, e.g. ``("v1", "Conversations", sid)``."""
    url: URL | None = None
    """An absolute URL to use as given (a ``next_page_url``); wins over ``path``."""
    query: FormItems = ()
    form: FormItems = ()
    headers: Mapping[str, str] = attrs.field(factory=dict)
    write_key: str | None = None
    """The per-second write budget this request spends, or None for reads."""

    @property
    def idempotent(self) -> bool:
        """Whether sending it twice is harmless (GET and DELETE, per Twilio's semantics)."""
        return self.method in {"GET", "HEAD", "DELETE"}

    def resolve(self, root: URL) -> URL:
        """The absolute URL, with every path segment percent-encoded as exactly one segment."""
        if self.url is not None:
            return self.url
        url = _join(root, self.path)
        return url.with_query(self.query) if self.query else url


@functools.lru_cache(maxsize=1024)
def _join(root: URL, path: tuple[str, ...]) -> URL:
    # Cached: a bulk job sends thousands of requests to the same few paths, and building the
    # URL (quoting each segment, then yarl) cost about 3% of a create's client CPU.
    encoded = root.raw_path.rstrip("/") + "".join("/" + encode_segment(s) for s in path)
    return root.with_path(encoded, encoded=True)


def encode_segment(segment: str) -> str:
    """Percent-encode a SID, identity or unique name so it can never leave its path segment."""
    encoded = quote(segment, safe="")
    # "." and ".." would be collapsed by URL normalisation; encode their dots too.
    return encoded.replace(".", "%2E") if set(segment) == {"."} else encoded


# -- form encoding ---------------------------------------------------------------------------


def encode_value(value: object) -> str:
    """One form value: booleans as ``true``/``false``, datetimes as ISO 8601 UTC."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    return str(value)


def encode_form(fields: Iterable[tuple[str, object]]) -> FormItems:
    """Twilio form items in order; ``NOT_GIVEN`` is dropped, a list repeats its key."""
    items: list[tuple[str, str]] = []
    for key, value in fields:
        if value is NOT_GIVEN:
            continue
        if isinstance(value, list | tuple):
            items.extend((key, encode_value(v)) for v in value)
        else:
            items.append((key, encode_value(value)))
    return tuple(items)


# -- argument checks (each names the offending field) ----------------------------------------


def check_encodable(field: str, value: str) -> None:
    """Text that can be sent: UTF-8 cannot encode a lone surrogate (e.g. ``"\\ud800"``), and
    sending would fail only later, inside the request."""
    if not is_encodable(value):
        raise InvalidArgumentError(
            field,
            f"holds a lone surrogate at index {first_surrogate(value)}, which is not text "
            "(UTF-8 cannot encode it; decode bytes with errors='replace' first)",
        )


def check_text(field: str, value: str | NotGiven, *, max_length: int | None = None) -> None:
    if value is NOT_GIVEN:
        return
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, not {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise InvalidArgumentError(field, f"is {len(value)} characters; at most {max_length}")
    check_encodable(field, value)


def shown(value: str, limit: int = 80) -> str:
    """``repr(value)`` for an error message, cut short (a repr also escapes any surrogate)."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + "…"


def check_pattern(field: str, value: str | NotGiven, pattern: re.Pattern[str]) -> None:
    if value is NOT_GIVEN:
        return
    if not isinstance(value, str):
        raise InvalidArgumentError(
            field, f"must be a string matching {pattern.pattern}, not {type(value).__name__}"
        )
    if not pattern.fullmatch(value):
        raise InvalidArgumentError(field, f"{shown(value)} does not match {pattern.pattern}")


def check_path_value(field: str, value: str) -> str:
    """A SID, identity or unique name used in a path: a non-empty string."""
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(field, "must be a non-empty string")
    check_encodable(field, value)
    return value


def check_datetime(field: str, value: datetime | NotGiven) -> str | NotGiven:
    """An aware datetime as the ISO 8601 UTC text sent (a naive one is ambiguous: rejected)."""
    if value is NOT_GIVEN:
        return value
    if not isinstance(value, datetime):
        raise InvalidArgumentError(field, f"must be a datetime, not {type(value).__name__}")
    return utc_text(field, value)


def utc_text(field: str, value: datetime) -> str:
    """``value`` in UTC as Twilio writes dates; refused when naive or when UTC cannot hold it."""
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError) as exc:  # a tzinfo whose utcoffset() breaks datetime's rules
        raise InvalidArgumentError(field, f"has an invalid UTC offset ({exc})") from None
    if offset is None:
        raise InvalidArgumentError(
            field, "is a naive datetime; pass an aware one, e.g. datetime.now(timezone.utc)"
        )
    try:
        return format_datetime(value)
    except OverflowError:
        # e.g. 0001-01-01 at UTC+5, or datetime.max at UTC-5: UTC falls outside years 1-9999.
        raise InvalidArgumentError(
            field, f"{value.isoformat()} is out of range once converted to UTC"
        ) from None


def check_bool(field: str, value: bool | NotGiven) -> None:
    if value is not NOT_GIVEN and not isinstance(value, bool):
        raise InvalidArgumentError(field, f"must be True or False, not {value!r}")


def encode_attributes(field: str, value: JSON | NotGiven, *, max_bytes: int) -> str | NotGiven:
    """Serialise attributes: a string must already be JSON; anything else is dumped as JSON."""
    if value is NOT_GIVEN:
        return value
    if isinstance(value, str):
        if len(value) > max_bytes:  # never parse what is too long anyway (a char is >= 1 byte)
            raise InvalidArgumentError(field, f"is over {max_bytes} bytes as JSON")
        try:
            json.loads(value)
        except RecursionError:
            raise InvalidArgumentError(field, "is JSON nested too deeply to be read") from None
        except ValueError as exc:
            raise InvalidArgumentError(field, f"is a string but not valid JSON ({exc})") from None
        text = value
    else:
        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except RecursionError:
            raise InvalidArgumentError(field, "is nested too deeply to be serialised") from None
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(field, f"cannot be serialised as JSON ({exc})") from None
    if text.isascii():
        size = len(text)
    else:
        check_encodable(field, text)
        size = len(text.encode())
    if size > max_bytes:
        raise InvalidArgumentError(field, f"is {size} bytes as JSON; at most {max_bytes}")
    return text


def webhook_headers(webhook_enabled: bool | NotGiven) -> dict[str, str]:
    check_bool("webhook_enabled", webhook_enabled)
    if webhook_enabled is NOT_GIVEN:
        return {}
    return {WEBHOOK_HEADER: encode_value(webhook_enabled)}


# -- paths ------------------------------------------------------------------------------------


def scope_path(service: str | None) -> tuple[str, ...]:
    """``/v1`` or ``/v1/Services/{ChatServiceSid}``."""
    if service is None:
        return ("v1",)
    check_pattern("chat_service_sid", service, CHAT_SERVICE_SID)
    return ("v1", "Services", service)


def conversations_path(service: str | None, conversation: str | None = None) -> tuple[str, ...]:
    path = (*scope_path(service), "Conversations")
    if conversation is None:
        return path
    return (*path, check_path_value("conversation", conversation))


def participants_path(
    service: str | None, conversation: str, participant: str | None = None
) -> tuple[str, ...]:
    conversation = check_path_value("conversation", conversation)
    path = (*conversations_path(service, conversation), "Participants")
    if participant is None:
        return path
    return (*path, check_path_value("participant", participant))


# -- participant create ------------------------------------------------------------------------


def participant_create_request(
    conversation: str,
    *,
    service: str | None = None,
    identity: str | NotGiven = NOT_GIVEN,
    messaging_binding_address: str | NotGiven = NOT_GIVEN,
    messaging_binding_proxy_address: str | NotGiven = NOT_GIVEN,
    messaging_binding_projected_address: str | NotGiven = NOT_GIVEN,
    attributes: JSON | NotGiven = NOT_GIVEN,
    role_sid: str | NotGiven = NOT_GIVEN,
    date_created: datetime | NotGiven = NOT_GIVEN,
    date_updated: datetime | NotGiven = NOT_GIVEN,
    webhook_enabled: bool | NotGiven = NOT_GIVEN,
) -> Request:
    """POST /v1/[Services/{IS}/]Conversations/{conversation}/Participants."""

    path = participants_path(service, conversation)
    check_text("identity", identity, max_length=MAX_IDENTITY)
    for name, address in (
        ("messaging_binding_address", messaging_binding_address),
        ("messaging_binding_proxy_address", messaging_binding_proxy_address),
        ("messaging_binding_projected_address", messaging_binding_projected_address),
    ):
        check_text(name, address, max_length=MAX_ADDRESS)
    check_participant_kind(
        identity=identity,
        address=messaging_binding_address,
        proxy_address=messaging_binding_proxy_address,
        projected_address=messaging_binding_projected_address,
    )
    check_pattern("role_sid", role_sid, ROLE_SID)
    form = encode_form(
        [
            ("Identity", identity),
            ("MessagingBinding.Address", messaging_binding_address),
            ("MessagingBinding.ProxyAddress", messaging_binding_proxy_address),
            ("MessagingBinding.ProjectedAddress", messaging_binding_projected_address),
            (
                "Attributes",
                encode_attributes("attributes", attributes, max_bytes=MAX_PARTICIPANT_ATTRIBUTES),
            ),
            ("RoleSid", role_sid),
            ("DateCreated", check_datetime("date_created", date_created)),
            ("DateUpdated", check_datetime("date_updated", date_updated)),
        ]
    )
    return Request(
        method="POST",
        path=path,
        form=form,
        headers=webhook_headers(webhook_enabled),
        write_key=conversation_write_key(conversation, service),
    )


def participant_fetch_request(
    conversation: str, participant: str, *, service: str | None = None
) -> Request:
    """GET …/Participants/{participant}: by ``MB…`` SID or by identity."""
    return Request(method="GET", path=participants_path(service, conversation, participant))


def participant_list_request(conversation: str, *, service: str | None = None) -> Request:
    """GET …/Participants (the pager adds ``PageSize`` and follows ``next_page_url``)."""
    return Request(method="GET", path=participants_path(service, conversation))


CLEAR: Final = "null"
"""What a ``None`` argument sends: Twilio's spec says a ``'null'`` value removes the field."""


def check_nullable_text(
    field: str, value: str | NotGiven | None, *, max_length: int | None = None
) -> str | NotGiven:
    """A text field that ``None`` clears (sent as ``null``)."""
    if value is None:
        return CLEAR
    check_text(field, value, max_length=max_length)
    return value


def check_message_index(value: int | NotGiven | None) -> str | int | NotGiven:
    """``last_read_message_index``: an index >= 0, or ``None`` to mark nothing read."""
    if value is None:
        return CLEAR
    if value is NOT_GIVEN:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTEGER:
        shown_value = type(value).__name__ if not isinstance(value, int) else "out of range"
        raise InvalidArgumentError(
            "last_read_message_index",
            f"must be an integer from 0 to {MAX_INTEGER} or None, not {shown_value}",
        )
    return value


def check_timestamp(field: str, value: datetime | str | NotGiven) -> str | NotGiven:
    """A timestamp Twilio types as a string: an aware datetime, or text sent as given."""
    if isinstance(value, datetime):
        return check_datetime(field, value)
    check_text(field, value)
    return value


def participant_update_request(
    conversation: str,
    participant: str,
    *,
    service: str | None = None,
    date_created: datetime | NotGiven = NOT_GIVEN,
    date_updated: datetime | NotGiven = NOT_GIVEN,
    attributes: JSON | NotGiven = NOT_GIVEN,
    role_sid: str | NotGiven = NOT_GIVEN,
    messaging_binding_proxy_address: str | NotGiven | None = NOT_GIVEN,
    messaging_binding_projected_address: str | NotGiven | None = NOT_GIVEN,
    identity: str | NotGiven = NOT_GIVEN,
    last_read_message_index: int | NotGiven | None = NOT_GIVEN,
    last_read_timestamp: datetime | str | NotGiven = NOT_GIVEN,
    webhook_enabled: bool | NotGiven = NOT_GIVEN,
) -> Request:
    """POST …/Participants/{participant}. ``None`` for the two addresses or the read index sends
    ``null``, which clears them; the participant's own address cannot be changed."""

    path = participants_path(service, conversation, participant)
    check_text("identity", identity, max_length=MAX_IDENTITY)
    check_pattern("role_sid", role_sid, ROLE_SID)
    form = encode_form(
        [
            ("DateCreated", check_datetime("date_created", date_created)),
            ("DateUpdated", check_datetime("date_updated", date_updated)),
            (
                "Attributes",
                encode_attributes("attributes", attributes, max_bytes=MAX_PARTICIPANT_ATTRIBUTES),
            ),
            ("RoleSid", role_sid),
            (
                "MessagingBinding.ProxyAddress",
                check_nullable_text(
                    "messaging_binding_proxy_address",
                    messaging_binding_proxy_address,
                    max_length=MAX_ADDRESS,
                ),
            ),
            (
                "MessagingBinding.ProjectedAddress",
                check_nullable_text(
                    "messaging_binding_projected_address",
                    messaging_binding_projected_address,
                    max_length=MAX_ADDRESS,
                ),
            ),
            ("Identity", identity),
            ("LastReadMessageIndex", check_message_index(last_read_message_index)),
            ("LastReadTimestamp", check_timestamp("last_read_timestamp", last_read_timestamp)),
        ]
    )
    return Request(
        method="POST",
        path=path,
        form=form,
        headers=webhook_headers(webhook_enabled),
        write_key=conversation_write_key(conversation, service),
    )


def participant_delete_request(
    conversation: str,
    participant: str,
    *,
    service: str | None = None,
    webhook_enabled: bool | NotGiven = NOT_GIVEN,
) -> Request:
    """DELETE …/Participants/{participant}, with ``X-Twilio-Webhook-Enabled`` when asked
    (twilio-python builds that header for deletes and then drops it; we keep it)."""

    return Request(
        method="DELETE",
        path=participants_path(service, conversation, participant),
        headers=webhook_headers(webhook_enabled),
        write_key=conversation_write_key(conversation, service),
    )


def check_participant_kind(
    *,
    identity: str | NotGiven,
    address: str | NotGiven,
    proxy_address: str | NotGiven,
    projected_address: str | NotGiven,
) -> None:
    """The combinations Twilio accepts (API-FACTS.md 1.2, the spec's create examples).

    - chat: ``identity`` (optionally with ``projected_address`` for Group MMS);
    - SMS/WhatsApp/RCS: ``address`` with ``proxy_address``;
    - Group MMS SMS member: ``address`` alone.
    A proxy address needs an address (Twilio 50411) and must differ from it (50409); a
    projected address belongs to a chat participant, so it needs an identity.
    """
    if proxy_address and not address:
        raise InvalidArgumentError(
            "messaging_binding_address", "is required with messaging_binding_proxy_address"
        )
    if not identity and not address:
        raise InvalidArgumentError(
            "identity",
            "a participant needs an identity (chat) or a messaging_binding_address (SMS/WhatsApp)",
        )
    if address and proxy_address and address == proxy_address:
        raise InvalidArgumentError(
            "messaging_binding_proxy_address", "must differ from messaging_binding_address"
        )
    if projected_address and not identity:
        raise InvalidArgumentError(
            "identity", "is required with messaging_binding_projected_address (Group MMS)"
        )


# -- conversations ----------------------------------------------------------------------------

MAX_FRIENDLY_NAME: Final = 256
MAX_PARTICIPANTS_PER_REQUEST: Final = 10
"""``/v1/ConversationWithParticipants`` takes at most 10 participants (Twilio 50426)."""
TIMERS_INACTIVE_MIN: Final = timedelta(minutes=1)
TIMERS_CLOSED_MIN: Final = timedelta(minutes=10)

_ISO_DURATION: Final = re.compile(
    r"P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?",
    re.ASCII,  # \d would also match other scripts' digits, which float() reads but Twilio won't
)


def parse_duration(field: str, text: str) -> timedelta:
    """An ISO 8601 duration in weeks, days, hours, minutes and seconds (``PT10M``, ``P1DT2H``).

    Years and months have no fixed length, so they are refused rather than guessed.
    """
    match = _ISO_DURATION.fullmatch(text)
    if match is None or text in {"P", "PT"} or text.endswith("T"):
        raise InvalidArgumentError(
            field, f"{shown(text)} is not an ISO 8601 duration such as 'PT10M' or 'P1DT2H'"
        )
    parts = {name: float(value) for name, value in match.groupdict().items() if value}
    try:
        return timedelta(**parts)
    except OverflowError:  # a float of 400 digits is inf; timedelta stops at 999,999,999 days
        raise InvalidArgumentError(
            field, f"{shown(text)} is longer than a duration can be ({timedelta.max.days} days)"
        ) from None


def format_duration(value: timedelta) -> str:
    """ISO 8601 text for a duration: ``timedelta(minutes=10)`` -> ``PT10M``."""
    total = value.total_seconds()
    whole = int(total)
    fraction = total - whole
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    day_part = f"{days}D" if days else ""
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or fraction:
        clock += f"{seconds + fraction:g}S"
    if not day_part and not clock:
        return "PT0S"
    return "P" + day_part + ("T" + clock if clock else "")


def check_timer(
    field: str, value: timedelta | str | NotGiven, minimum: timedelta
) -> str | NotGiven:
    """A timer as ``timedelta`` or ISO 8601 text, at least Twilio's ``minimum``; sent as text."""
    if value is NOT_GIVEN:
        return value
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, str):
        duration = parse_duration(field, value)
    else:
        raise InvalidArgumentError(
            field, f"must be a timedelta or an ISO 8601 duration, not {type(value).__name__}"
        )
    if duration < minimum:
        raise InvalidArgumentError(field, f"is {duration}; Twilio's minimum is {minimum}")
    return value if isinstance(value, str) else format_duration(duration)


def check_state(value: ConversationState | str | NotGiven) -> str | NotGiven:
    """A state Twilio knows. A ``ConversationState`` pseudo-member (a state added by Twilio
    later) is sent as given; a plain string must name a known state."""

    if value is NOT_GIVEN:
        return value
    if isinstance(value, ConversationState):
        check_encodable("state", value)
        return value
    known = [s.value for s in ConversationState]
    if not isinstance(value, str):
        raise InvalidArgumentError("state", f"must be a string, not {type(value).__name__}")
    if value not in known:
        raise InvalidArgumentError("state", f"{shown(value)} is not one of {', '.join(known)}")
    return value


def check_unique_name(value: str | NotGiven) -> None:
    check_text("unique_name", value)
    if isinstance(value, str) and CONVERSATION_SID.fullmatch(value):
        # Twilio 50390: a unique name that looks like a SID would make addressing ambiguous.
        raise InvalidArgumentError("unique_name", "must not look like a conversation SID (CH…)")


def conversation_fields(
    *,
    friendly_name: str | NotGiven = NOT_GIVEN,
    unique_name: str | NotGiven = NOT_GIVEN,
    date_created: datetime | NotGiven = NOT_GIVEN,
    date_updated: datetime | NotGiven = NOT_GIVEN,
    messaging_service_sid: str | NotGiven = NOT_GIVEN,
    attributes: JSON | NotGiven = NOT_GIVEN,
    state: ConversationState | str | NotGiven = NOT_GIVEN,
    timers_inactive: timedelta | str | NotGiven = NOT_GIVEN,
    timers_closed: timedelta | str | NotGiven = NOT_GIVEN,
    bindings_email_address: str | NotGiven = NOT_GIVEN,
    bindings_email_name: str | NotGiven = NOT_GIVEN,
) -> FormItems:
    """The form fields that conversation create, update and ConversationWithParticipants share."""
    check_text("friendly_name", friendly_name, max_length=MAX_FRIENDLY_NAME)
    check_unique_name(unique_name)
    check_pattern("messaging_service_sid", messaging_service_sid, MESSAGING_SERVICE_SID)
    check_text("bindings_email_address", bindings_email_address)
    check_text("bindings_email_name", bindings_email_name)
    return encode_form(
        [
            ("FriendlyName", friendly_name),
            ("UniqueName", unique_name),
            ("DateCreated", check_datetime("date_created", date_created)),
            ("DateUpdated", check_datetime("date_updated", date_updated)),
            ("MessagingServiceSid", messaging_service_sid),
            (
                "Attributes",
                encode_attributes("attributes", attributes, max_bytes=MAX_CONVERSATION_ATTRIBUTES),
            ),
            ("State", check_state(state)),
            (
                "Timers.Inactive",
                check_timer("timers_inactive", timers_inactive, TIMERS_INACTIVE_MIN),
            ),
            ("Timers.Closed", check_timer("timers_closed", timers_closed, TIMERS_CLOSED_MIN)),
            ("Bindings.Email.Address", bindings_email_address),
            ("Bindings.Email.Name", bindings_email_name),
        ]
    )


def conversation_create_request(
    *, service: str | None = None, webhook_enabled: bool | NotGiven = NOT_GIVEN, **fields: Any
) -> Request:
    """POST /v1/[Services/{IS}/]Conversations (``fields``: see :func:`conversation_fields`)."""

    return Request(
        method="POST",
        path=conversations_path(service),
        form=conversation_fields(**fields),
        headers=webhook_headers(webhook_enabled),
        write_key=service_write_key(service),
    )


def conversation_fetch_request(conversation: str, *, service: str | None = None) -> Request:
    """GET …/Conversations/{conversation}: by ``CH…`` SID or unique name."""
    return Request(method="GET", path=conversations_path(service, conversation))


def conversation_update_request(
    conversation: str,
    *,
    service: str | None = None,
    webhook_enabled: bool | NotGiven = NOT_GIVEN,
    **fields: Any,
) -> Request:
    """POST …/Conversations/{conversation}; spends the conversation's write budget."""

    return Request(
        method="POST",
        path=conversations_path(service, conversation),
        form=conversation_fields(**fields),
        headers=webhook_headers(webhook_enabled),
        write_key=conversation_write_key(conversation, service),
    )


def conversation_delete_request(
    conversation: str, *, service: str | None = None, webhook_enabled: bool | NotGiven = NOT_GIVEN
) -> Request:
    """DELETE …/Conversations/{conversation}; spends the service's write budget."""

    return Request(
        method="DELETE",
        path=conversations_path(service, conversation),
        headers=webhook_headers(webhook_enabled),
        write_key=service_write_key(service),
    )


def format_list_date(field: str, value: date | datetime | NotGiven, *, end: bool) -> str | NotGiven:
    """A list filter date as the spec asks: a ``date`` covers the whole day
    (``YYYY-MM-DDT00:00:00Z`` to start, ``…T23:59:59Z`` to end); an aware datetime is exact."""
    if value is NOT_GIVEN:
        return value
    if isinstance(value, datetime):
        return utc_text(field, value.replace(microsecond=0))
    if not isinstance(value, date):
        raise InvalidArgumentError(field, f"must be a date or datetime, not {type(value).__name__}")
    return f"{value.isoformat()}T{'23:59:59' if end else '00:00:00'}Z"


def conversation_list_request(
    *,
    service: str | None = None,
    start_date: date | datetime | NotGiven = NOT_GIVEN,
    end_date: date | datetime | NotGiven = NOT_GIVEN,
    state: ConversationState | str | NotGiven = NOT_GIVEN,
) -> Request:
    """GET …/Conversations with the creation-date and state filters."""
    start = format_list_date("start_date", start_date, end=False)
    end = format_list_date("end_date", end_date, end=True)
    if isinstance(start, str) and isinstance(end, str) and start > end:
        raise InvalidArgumentError("end_date", f"{end} is before start_date {start}")
    query = encode_form([("StartDate", start), ("EndDate", end), ("State", check_state(state))])
    return Request(method="GET", path=conversations_path(service), query=query)


PARTICIPANT_SPEC_FIELDS: Final = (
    "identity",
    "messaging_binding_address",
    "messaging_binding_proxy_address",
    "messaging_binding_projected_address",
    "attributes",
    "role_sid",
    "date_created",
    "date_updated",
)


def participant_spec_fields(spec: object, field: str) -> dict[str, Any]:
    """A participant given as a mapping of create field names, or as an attrs record with
    those fields (such as ``NewParticipant``); unset (``NOT_GIVEN``/``None``) values dropped."""
    if isinstance(spec, Mapping):
        values = dict(spec)
        # Sorted by repr: keys of mixed types (1, "x") do not compare with each other.
        unknown = sorted(map(repr, set(values) - set(PARTICIPANT_SPEC_FIELDS)))
        if unknown:
            raise InvalidArgumentError(
                field,
                f"unknown field(s) {', '.join(unknown)}; use {', '.join(PARTICIPANT_SPEC_FIELDS)}",
            )
    elif attrs.has(type(spec)):
        values = {name: getattr(spec, name, NOT_GIVEN) for name in PARTICIPANT_SPEC_FIELDS}
    else:
        raise InvalidArgumentError(
            field, f"must be a mapping or a NewParticipant, not {type(spec).__name__}"
        )
    return {k: v for k, v in values.items() if v is not NOT_GIVEN and v is not None}


def participant_json(spec: object, field: str) -> str:
    """One ``Participant`` value of ConversationWithParticipants: the participant as JSON,
    with the Participant resource's snake_case keys (``messaging_binding`` nested)."""
    values = participant_spec_fields(spec, field)
    try:
        for name in ("identity", *PARTICIPANT_SPEC_FIELDS[1:4]):
            check_text(name, values.get(name, NOT_GIVEN), max_length=MAX_ADDRESS)
        check_participant_kind(
            identity=values.get("identity", NOT_GIVEN),
            address=values.get("messaging_binding_address", NOT_GIVEN),
            proxy_address=values.get("messaging_binding_proxy_address", NOT_GIVEN),
            projected_address=values.get("messaging_binding_projected_address", NOT_GIVEN),
        )
        check_pattern("role_sid", values.get("role_sid", NOT_GIVEN), ROLE_SID)
        attributes = encode_attributes(
            "attributes", values.get("attributes", NOT_GIVEN), max_bytes=MAX_PARTICIPANT_ATTRIBUTES
        )
        dates = {
            name: check_datetime(name, values.get(name, NOT_GIVEN))
            for name in ("date_created", "date_updated")
        }
    except InvalidArgumentError as error:
        raise InvalidArgumentError(f"{field}.{error.field}", error.message) from None
    body: dict[str, Any] = {}
    if "identity" in values:
        body["identity"] = values["identity"]
    binding = {
        key: values[f"messaging_binding_{key}"]
        for key in ("address", "proxy_address", "projected_address")
        if f"messaging_binding_{key}" in values
    }
    if binding:
        body["messaging_binding"] = binding
    if attributes is not NOT_GIVEN:
        body["attributes"] = attributes
    if "role_sid" in values:
        body["role_sid"] = values["role_sid"]
    for name, value in dates.items():
        if isinstance(value, str):
            body[name] = value
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def participant_specs(participants: object) -> Iterator[object]:
    """An iterator over a list (or any iterable) of participants; one participant alone,
    text, ``None`` or a number is refused rather than iterated or failing later."""
    if isinstance(participants, str | bytes | bytearray | Mapping) or attrs.has(type(participants)):
        kind = type(participants).__name__
        raise InvalidArgumentError("participants", f"must be a list of participants, not {kind}")
    try:
        return iter(cast("Iterable[object]", participants))
    except TypeError:
        kind = type(participants).__name__
        raise InvalidArgumentError(
            "participants", f"must be a list of participants, not {kind}"
        ) from None


def conversation_with_participants_request(
    participants: Iterable[object],
    *,
    service: str | None = None,
    webhook_enabled: bool | NotGiven = NOT_GIVEN,
    **fields: Any,
) -> Request:
    """POST /v1/[Services/{IS}/]ConversationWithParticipants: a conversation and up to 10
    participants in one request (``Participant`` repeated, one JSON object each)."""

    specs = list(
        itertools.islice(participant_specs(participants), MAX_PARTICIPANTS_PER_REQUEST + 1)
    )
    if len(specs) > MAX_PARTICIPANTS_PER_REQUEST:
        raise InvalidArgumentError(
            "participants",
            f"has more than {MAX_PARTICIPANTS_PER_REQUEST}; at most "
            f"{MAX_PARTICIPANTS_PER_REQUEST} per request "
            "(add the rest with participants.create or create_many)",
        )
    encoded = [participant_json(spec, f"participants[{i}]") for i, spec in enumerate(specs)]
    form = conversation_fields(**fields) + encode_form([("Participant", encoded)])
    return Request(
        method="POST",
        path=(*scope_path(service), "ConversationWithParticipants"),
        form=form,
        headers=webhook_headers(webhook_enabled),
        write_key=service_write_key(service),
    )


# -- responses ---------------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (relative to ``now``, a Unix time)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        import time

        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


def decode_body(body: bytes) -> JSON:
    """The body as JSON, or ``None`` when empty (a 204).

    JSON between systems is UTF-8 (RFC 8259), so other bytes are refused rather than guessed
    at (``json.loads`` would sniff UTF-16 or UTF-32). Every failure is a :class:`ValueError`:
    bytes that are not UTF-8, text that is not JSON, and JSON nested deeper than Python's parser
    can recurse (which ``json.loads`` reports as a :class:`RecursionError`).
    """
    if not body.strip():
        return None
    text = body.decode("utf-8")
    try:
        return json.loads(text[1:] if text.startswith("\ufeff") else text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to decode") from None


def decode_success(status: int, body: bytes) -> JSON:
    """The JSON of a 2xx answer (``None`` for an empty one); a body that is not JSON raises
    :class:`~conversations_async.errors.ResponseValidationError` carrying it."""
    try:
        return decode_body(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep to parse
        raise ResponseValidationError(
            f"HTTP {status} answer is not JSON", body=body, errors=[short_text(str(exc))]
        ) from exc


def _first_text(payload: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = payload.get(name)
        if isinstance(value, str) and value.strip():
            return short_text(value)
    return None


def status_error(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str = "",
    url: str = "",
) -> APIStatusError:
    """The typed error for a non-2xx answer, from Twilio's JSON error body when there is one."""
    payload: Any
    try:
        payload = decode_body(body)
    except ValueError:
        payload = None
    code: int | None = None
    more_info: str | None = None
    details: JSON = None
    if isinstance(payload, dict):
        raw_code = payload.get("code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        # Only text, and only a line of it: a hostile body's "message" may be a megabyte, a
        # nested array, or carry newlines that would forge log lines.
        message = _first_text(payload, "message", "detail") or f"HTTP {status}"
        more_info = _first_text(payload, "more_info")
        details = payload.get("details")
        raw: JSON = payload
    else:
        # A proxy's HTML page or plain text: keep a short excerpt, never the whole page.
        text = body.decode("utf-8", "replace").strip()
        shown = short_text(text)
        message = f"non-JSON error body: {shown}" if shown else "empty error body"
        raw = text
    cls = error_class_for(status)
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "message": message,
        "more_info": more_info,
        "details": details,
        "headers": headers,
        "body": raw,
        "method": method,
        "url": url,
    }
    if cls is RateLimitError:
        return RateLimitError(retry_after=parse_retry_after(headers.get("Retry-After")), **common)
    return cls(**common)


def page_items(payload: JSON, default_key: str) -> tuple[Mapping[str, JSON], str, list[JSON]]:
    """A list page's ``meta`` object, its items key and the items array under that key.

    The key is ``meta.key``, or ``default_key`` when ``meta`` names none. A page that is not an
    object, has no ``meta`` object, or lacks the items array raises
    :class:`~conversations_async.errors.ResponseValidationError`: reading it as empty would
    silently end the list early.
    """
    if not isinstance(payload, dict):
        raise ResponseValidationError(
            "a list page is not a JSON object", body=excerpt(payload), errors=[]
        )
    meta = payload.get("meta")
    if not isinstance(meta, dict):
        raise ResponseValidationError(
            "a list page has no meta object",
            body=excerpt(payload),
            errors=[f"meta is {type(meta).__name__}"],
        )
    key = meta.get("key")
    if key is None:
        key = default_key
    if not isinstance(key, str) or not key:
        raise ResponseValidationError(
            "a list page does not name its items key",
            body=excerpt(meta),
            errors=[f"meta.key is {excerpt(key)}"],
        )
    items = payload.get(key)
    if not isinstance(items, list):
        raise ResponseValidationError(
            f"a list page has no {short_text(key, 60)!r} array",
            body=excerpt(payload),
            errors=[f"{short_text(key, 60)} is {type(items).__name__}"],
        )
    return meta, key, items
