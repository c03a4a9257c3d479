"""What a parameter's value may be, and how it is written on the wire. Pure: no I/O.

A *rule* checks one value and gives its wire text, raising
:class:`~conversations_async.errors.InvalidArgumentError` that names the field. Rules are small
frozen records, declared once per parameter (see :mod:`._sansio.params`) and shared by every
operation that takes it.
"""

from __future__ import annotations

import enum
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import attrs

from .._checks import first_surrogate, is_encodable
from ..errors import InvalidArgumentError

SID_PATTERNS: Final = {
    prefix: re.compile(rf"^{prefix}[0-9a-fA-F]{{32}}$")
    for prefix in (
        *("AC", "CH", "CR", "IS", "IM", "MB", "ME", "MG", "RL", "SK", "US", "WH", "BS"),
        *("DY", "HX"),  # a delivery receipt, a Rich Content template
        *("FW", "IG"),  # a Studio flow, an address configuration
    )
}
"""Twilio SID patterns by prefix (``IS`` a Conversation Service, ``RL`` a role, ...)."""

NULL: Final = "null"
"""What ``None`` sends where Twilio says a ``'null'`` value removes the field."""
MAX_INTEGER: Final = 2**63 - 1
"""The largest integer sent (OpenAPI's widest, int64)."""


def shown(value: str, limit: int = 80) -> str:
    """``repr(value)`` for an error message, cut short (a repr also escapes any surrogate)."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + "…"


def check_encodable(field: str, value: str) -> str:
    """Text that can be sent: UTF-8 cannot encode a lone surrogate (e.g. ``"\\ud800"``), and
    sending would fail only later, inside the request."""
    if not is_encodable(value):
        raise InvalidArgumentError(
            field,
            f"holds a lone surrogate at index {first_surrogate(value)}, which is not text "
            "(UTF-8 cannot encode it; decode bytes with errors='replace' first)",
        )
    return value


def check_text_value(field: str, value: object) -> str:
    """A string that can be sent: anything else, or text with a lone surrogate, is refused."""
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, not {type(value).__name__}")
    return check_encodable(field, value)


def plain(text: str) -> str:
    """``text`` as a plain ``str``: a subclass's own methods never run again once checked."""
    return text if type(text) is str else str.__str__(text)


def check_path_value(field: str, value: object) -> str:
    """A SID, identity or unique name used as a path segment: a non-empty, sendable string."""
    if type(value) is str and value and value.isascii():
        return value  # the usual SID: what the checks below would give
    text = check_text_value(field, value)
    if not text:
        raise InvalidArgumentError(field, "must be a non-empty string")
    return text


class Rule:
    """Checks one value and gives its wire form: a string, or a tuple for a repeated key."""

    def encode(self, field: str, value: Any) -> str | tuple[str, ...]:
        raise NotImplementedError

    def describe(self) -> str:
        """A few words for the docs' parameter tables."""
        return ""


@attrs.frozen
class Text(Rule):
    """A string, at most ``max_length`` characters, optionally matching ``pattern``."""

    max_length: int | None = None
    pattern: re.Pattern[str] | None = None

    def encode(self, field: str, value: Any) -> str:
        if (
            self.pattern is None
            and type(value) is str
            and value.isascii()
            and (self.max_length is None or len(value) <= self.max_length)
        ):
            return value  # the usual identity or address: what the checks below would give
        if self.pattern is not None and not isinstance(value, str):
            raise InvalidArgumentError(
                field,
                f"must be a string matching {self.pattern.pattern}, not {type(value).__name__}",
            )
        text = check_text_value(field, value)
        if self.max_length is not None and len(text) > self.max_length:
            raise InvalidArgumentError(
                field, f"is {len(text)} characters; at most {self.max_length}"
            )
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise InvalidArgumentError(
                field, f"{shown(text)} does not match {self.pattern.pattern}"
            )
        return plain(text)

    def describe(self) -> str:
        if self.pattern is not None:
            return f"matches {self.pattern.pattern}"
        return f"at most {self.max_length} characters" if self.max_length else ""


def sid(prefix: str) -> Text:
    """A SID with ``prefix`` (``sid("RL")`` for a role)."""
    return Text(pattern=SID_PATTERNS[prefix])


@attrs.frozen
class Flag(Rule):
    """A boolean, sent as ``true`` / ``false``."""

    def encode(self, field: str, value: Any) -> str:
        if not isinstance(value, bool):
            raise InvalidArgumentError(field, f"must be True or False, not {value!r}")
        return "true" if value else "false"

    def describe(self) -> str:
        return "True or False (sent as true / false)"


@attrs.frozen
class Integer(Rule):
    """An integer (a bool is refused, though Python calls it one) within the bounds."""

    minimum: int | None = None
    maximum: int = MAX_INTEGER

    def encode(self, field: str, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgumentError(field, f"must be an integer, not {type(value).__name__}")
        low = -MAX_INTEGER - 1 if self.minimum is None else self.minimum
        if not low <= value <= self.maximum:
            # Not the value itself: str() of an int over 4300 digits raises ValueError.
            shown_value = str(value) if abs(value) <= MAX_INTEGER else "out of range"
            raise InvalidArgumentError(
                field, f"must be an integer from {low} to {self.maximum}, not {shown_value}"
            )
        return str(value)

    def describe(self) -> str:
        return "an integer" + (f" >= {self.minimum}" if self.minimum is not None else "")


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as Twilio writes dates."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_datetime(field: str, value: object) -> datetime:
    """A timezone-aware datetime that can be moved to UTC (a naive one is ambiguous)."""
    if not isinstance(value, datetime):
        raise InvalidArgumentError(field, f"must be a datetime, not {type(value).__name__}")
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError) as exc:  # a tzinfo whose utcoffset() breaks datetime's rules
        raise InvalidArgumentError(field, f"has an invalid UTC offset ({exc})") from None
    if offset is None:
        raise InvalidArgumentError(
            field, "is a naive datetime; pass an aware one, e.g. datetime.now(timezone.utc)"
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # e.g. 0001-01-01 at UTC+5, or datetime.max at UTC-5: UTC falls outside years 1-9999.
        raise InvalidArgumentError(
            field, f"{value.isoformat()} is out of range once converted to UTC"
        ) from None


@attrs.frozen
class DateTime(Rule):
    """An aware datetime, sent as ISO 8601 UTC (``2023-05-04T09:42:00Z``)."""

    def encode(self, field: str, value: Any) -> str:
        return format_datetime(check_datetime(field, value))

    def describe(self) -> str:
        return "an aware datetime"


@attrs.frozen
class Timestamp(Rule):
    """A timestamp Twilio types as a string: an aware datetime, or text sent as given."""

    def encode(self, field: str, value: Any) -> str:
        if isinstance(value, datetime):
            return format_datetime(check_datetime(field, value))
        return check_text_value(field, value)

    def describe(self) -> str:
        return "an aware datetime, or text sent as given"


@attrs.frozen
class ListDate(Rule):
    """A list filter date: a ``date`` covers the whole day (``…T00:00:00Z`` to start,
    ``…T23:59:59Z`` to end); an aware datetime is sent as it is, to the second."""

    end: bool = False

    def encode(self, field: str, value: Any) -> str:
        if isinstance(value, datetime):
            return format_datetime(check_datetime(field, value).replace(microsecond=0))
        if not isinstance(value, date):
            raise InvalidArgumentError(
                field, f"must be a date or datetime, not {type(value).__name__}"
            )
        return f"{value.isoformat()}T{'23:59:59' if self.end else '00:00:00'}Z"

    def describe(self) -> str:
        day = "23:59:59" if self.end else "00:00:00"
        return f"a date (its whole day, from {day}) or an aware datetime"


def encode_json(field: str, value: object, *, max_bytes: int | None) -> str:
    """JSON text: a string must already be JSON; anything else is serialised."""
    if isinstance(value, str):
        check_text_value(field, value)
        if max_bytes is not None and len(value) > max_bytes:
            # Never parse what is too long anyway (a character is at least one byte).
            raise InvalidArgumentError(field, f"is over {max_bytes} bytes as JSON")
        try:
            json.loads(value)
        except ValueError as exc:
            raise InvalidArgumentError(field, f"is a string but not valid JSON ({exc})") from None
        except RecursionError:
            raise InvalidArgumentError(field, "is JSON nested too deeply to check") from None
        text = value
    else:
        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(field, f"cannot be serialised as JSON ({exc})") from None
        except RecursionError:
            raise InvalidArgumentError(field, "is nested too deeply to serialise") from None
        check_text_value(field, text)
    if max_bytes is not None:
        size = len(text) if text.isascii() else len(text.encode())
        if size > max_bytes:
            raise InvalidArgumentError(field, f"is {size} bytes as JSON; at most {max_bytes}")
    return text


@attrs.frozen
class Json(Rule):
    """Any JSON value (serialised), or a string that is already JSON; at most ``max_bytes``."""

    max_bytes: int | None = None

    def encode(self, field: str, value: Any) -> str:
        return encode_json(field, value, max_bytes=self.max_bytes)

    def describe(self) -> str:
        size = f", at most {self.max_bytes // 1024} KB" if self.max_bytes else ""
        return f"any JSON value{size}"


@attrs.frozen
class JsonObject(Rule):
    """A mapping, sent as a JSON object (e.g. a template's ``content_variables``)."""

    def encode(self, field: str, value: Any) -> str:
        if not isinstance(value, Mapping):
            raise InvalidArgumentError(field, f"must be a mapping, not {type(value).__name__}")
        return encode_json(field, dict(value), max_bytes=None)

    def describe(self) -> str:
        return "a mapping, sent as a JSON object"


@attrs.frozen
class Choice(Rule):
    """One of Twilio's values. A member of ``enum`` is sent as given, so a value Twilio adds
    later (an enum pseudo-member) still goes through; plain text must be a known value.

    With ``ignore_case`` (where Twilio's own examples send ``"GcM"`` or ``"whAtsAPP"``), text
    that is a known value in another case is sent as the known value."""

    enum: type[enum.StrEnum]
    ignore_case: bool = False

    def encode(self, field: str, value: Any) -> str:
        if isinstance(value, self.enum):
            return check_encodable(field, str(value.value))
        known = [member.value for member in self.enum]
        if not isinstance(value, str):
            raise InvalidArgumentError(field, f"must be a string, not {type(value).__name__}")
        if value in known:
            return plain(value)
        if self.ignore_case:
            for candidate in known:
                if candidate.casefold() == value.casefold():
                    return candidate
        raise InvalidArgumentError(field, f"{shown(value)} is not one of {', '.join(known)}")

    def describe(self) -> str:
        known = "one of " + ", ".join(f"``{member.value}``" for member in self.enum)
        return known + " (in any case)" if self.ignore_case else known


@attrs.frozen
class Each(Rule):
    """A sequence whose items follow ``item``, sent as the key repeated (at most ``max_items``)."""

    item: Rule
    max_items: int | None = None

    def encode(self, field: str, value: Any) -> tuple[str, ...]:
        # Text, a mapping or one record alone is refused rather than iterated.
        one_item = isinstance(value, str | bytes | bytearray | Mapping) or attrs.has(type(value))
        if one_item or not isinstance(value, Iterable):
            raise InvalidArgumentError(field, f"must be a list, not {type(value).__name__}")
        # Never more than one past the limit is read: the input may be endless.
        bound = None if self.max_items is None else self.max_items + 1
        items: Sequence[object] = list(itertools.islice(value, bound))
        if self.max_items is not None and len(items) > self.max_items:
            raise InvalidArgumentError(
                field, f"has more than {self.max_items} items; at most {self.max_items}"
            )
        encoded: list[str] = []
        for position, item in enumerate(items):
            wire = self.item.encode(f"{field}[{position}]", item)
            encoded.extend((wire,) if isinstance(wire, str) else wire)
        return tuple(encoded)

    def describe(self) -> str:
        limit = f", at most {self.max_items}" if self.max_items else ""
        return f"a list{limit}"


# -- durations ------------------------------------------------------------------------------------

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


@attrs.frozen
class Duration(Rule):
    """A ``timedelta`` or ISO 8601 duration text, at least ``minimum``; sent as ISO text."""

    minimum: timedelta = timedelta(0)

    def encode(self, field: str, value: Any) -> str:
        if isinstance(value, timedelta):
            duration = value
        elif isinstance(value, str):
            duration = parse_duration(field, check_text_value(field, value))
        else:
            raise InvalidArgumentError(
                field, f"must be a timedelta or an ISO 8601 duration, not {type(value).__name__}"
            )
        if duration < self.minimum:
            raise InvalidArgumentError(field, f"is {duration}; Twilio's minimum is {self.minimum}")
        return value if isinstance(value, str) else format_duration(duration)

    def describe(self) -> str:
        return f"a duration of at least {self.minimum}"


TEXT: Final = Text()
FLAG: Final = Flag()
DATETIME: Final = DateTime()
