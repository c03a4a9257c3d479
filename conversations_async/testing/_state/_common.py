"""What every resource's state shares: Twilio's error answer, SIDs, dates, durations, checks.

State functions do no I/O: each returns the JSON to answer or raises :class:`TwilioError` with
the status, Twilio code and message the real API would give (API-FACTS.md section 3).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar, cast

import attrs

JSONDict = dict[str, Any]
T = TypeVar("T")

ROLE_SID: Final = re.compile(r"^RL[0-9a-fA-F]{32}$")
SERVICE_SID: Final = re.compile(r"^IS[0-9a-fA-F]{32}$")
MESSAGING_SERVICE_SID: Final = re.compile(r"^MG[0-9a-fA-F]{32}$")
CONVERSATION_SID_LIKE: Final = re.compile(r"^CH[0-9a-fA-F]{32}$")


class TwilioError(Exception):
    """An error answer, shaped like Twilio's: ``{code, message, more_info, status}``.

    ``code=None`` answers a body with neither ``code`` nor ``more_info``, as some Twilio
    answers are seen to have.
    """

    def __init__(self, status: int, code: int | None, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code} {message}")

    def body(self) -> JSONDict:
        if self.code is None:
            return {"message": self.message, "status": self.status}
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def not_found(path: str) -> TwilioError:
    """Twilio's generic 404 (20404), which it answers for any missing resource."""
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def invalid(field: str, why: str, code: int = 20001) -> TwilioError:
    return TwilioError(400, code, f"Invalid parameter {field}: {why}")


class Form(dict[str, str]):
    """A request's fields (the form of a POST, the query of anything else).

    As a dict it holds the last value of each name; :meth:`getall` gives every value of a
    repeated one (``Participant`` of ConversationWithParticipants).
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = tuple(pairs)
        super().__init__(self._pairs)

    def getall(self, name: str) -> list[str]:
        """Every value of ``name``, in the order sent."""
        return [value for key, value in self._pairs if key == name]


class Parts:
    """The state of each resource kind, one object per kind, made (``kind()``) on first use.

    How a resource module keeps its records in the :class:`~conversations_async.testing.Store`
    (or in one conversation) without either knowing the module.
    """

    def __init__(self) -> None:
        self._by_kind: dict[type, object] = {}

    def get(self, kind: type[T]) -> T:
        found = self._by_kind.get(kind)
        if found is None:
            found = self._by_kind[kind] = kind()
        return cast(T, found)


@attrs.define(kw_only=True)
class Limits:
    """Per-conversation participant limits (API-FACTS.md 4.2)."""

    participants_per_conversation: int = 1000
    non_chat_per_conversation: int = 50


# -- dates and durations ----------------------------------------------------------------------


def format_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(field: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{value!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def form_date(form: Mapping[str, str], field: str, default: datetime) -> datetime:
    """The date-time ``field`` of the form (``DateCreated``...), or ``default`` when absent."""
    return parse_date(field, form[field]) if field in form else default


# The client's grammar (conversations_async._sansio.rules.parse_duration): weeks, days, hours,
# minutes and seconds, each possibly fractional, ASCII digits only. Years and months have no
# fixed length, so both sides refuse them.
_DURATION: Final = re.compile(
    r"P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?",
    re.ASCII,
)


def parse_duration(field: str, value: str) -> timedelta:
    """An ISO 8601 duration such as ``PT10M``, ``P1DT2H`` or ``P1W``; 400 / 20001 otherwise."""
    match = _DURATION.fullmatch(value)
    if match is None or value in {"P", "PT"} or value.endswith("T"):
        raise invalid(field, f"{value!r} is not an ISO 8601 duration")
    parts = {name: float(text) for name, text in match.groupdict().items() if text}
    try:
        return timedelta(**parts)
    except OverflowError:  # timedelta stops at 999,999,999 days
        raise invalid(field, f"{value!r} is longer than a duration can be") from None


def later(field: str, now: datetime, duration: timedelta) -> str:
    """``now + duration`` as Twilio's date text; 400 / 20001 past the last date there can be."""
    try:
        return format_date(now + duration)
    except OverflowError:
        raise invalid(field, f"{duration.days} days from now is past the year 9999") from None


# -- checks -----------------------------------------------------------------------------------


def check_attributes(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    try:
        json.loads(value)
    except ValueError:
        raise invalid("Attributes", "must contain structurally valid JSON", 50304) from None
    if len(value.encode()) > limit:
        raise invalid("Attributes", f"longer than {limit} bytes", 50303)
    return value


def check_length(field: str, value: str | None, limit: int = 256) -> None:
    if value is not None and len(value) > limit:
        raise invalid(field, f"limited to {limit} characters")


def check_pattern(field: str, value: str | None, pattern: re.Pattern[str]) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise invalid(field, f"must match {pattern.pattern}")


def cleared(value: str | None) -> str | None:
    """Twilio's "'null' value will remove it": the text ``null`` (or nothing) clears a field."""
    return None if value in (None, "", "null") else value
