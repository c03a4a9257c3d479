"""The one cattrs converter: Twilio JSON -> frozen attrs records (and back, for tests and tools).

All conversion rules live here, not on the records: ISO 8601 dates (``Z`` or ``+00:00``), the
JSON-in-a-string ``attributes``, ``yarl.URL`` links, the open-ended ``messaging_binding`` and
``timers`` objects, and state enums that accept values Twilio adds later.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter
from yarl import URL

from ._text import excerpt
from .errors import ResponseValidationError
from .models import (
    Conversation,
    ConversationState,
    ConversationTimers,
    MessagingBinding,
    Participant,
)

R = TypeVar("R")


def parse_datetime(value: object) -> datetime:
    """An aware datetime from Twilio's ISO 8601 text; a naive one is taken as UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return _parse_datetime_text(value)
    raise TypeError(f"expected an ISO 8601 date-time string, got {type(value).__name__}")


@functools.lru_cache(maxsize=1024)
def _parse_datetime_text(value: str) -> datetime:
    # Cached: records made in the same second share one (immutable) datetime, which matters
    # when a bulk report holds 100,000 of them.
    parsed = datetime.fromisoformat(value)  # 3.11 reads both "…Z" and "…+00:00"
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as Twilio writes dates."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_attributes(value: object, _: object = None) -> Any:
    """Twilio sends ``attributes`` as JSON text; give the parsed value (``None`` stays ``None``).

    Text that is not JSON is kept as it came, so a record never fails over its metadata. So is
    JSON nested too deeply for Python's parser (``[[[[…`` thousands deep): the caller gets the
    text, never a :class:`RecursionError`.
    """
    if isinstance(value, str):
        if value == "{}":  # what Twilio sends when unset: most records, no parser needed
            return {}
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


OpenRecord = TypeVar("OpenRecord", MessagingBinding, ConversationTimers)


def _open_record_hook(cls: type[OpenRecord]) -> Callable[[object, object], OpenRecord]:
    """Structure a record with an ``extra`` mapping that keeps every key it has no field for."""
    known = {a.name for a in attrs.fields(cls)} - {"extra"}

    def structure(value: object, _: object) -> OpenRecord:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        fields: dict[str, Any] = {k: v for k, v in value.items() if k in known}
        for name in ("date_inactive", "date_closed"):
            if fields.get(name) is not None:
                fields[name] = parse_datetime(fields[name])
        extra = {k: v for k, v in value.items() if k not in known}
        return cls(**fields, extra=extra)

    return structure


def _unstructure_open_record(value: Any) -> dict[str, Any]:
    data = {a.name: getattr(value, a.name) for a in attrs.fields(type(value)) if a.name != "extra"}
    data = {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in data.items()}
    return {**{k: v for k, v in data.items() if v is not None}, **value.extra}


def _strict_str(value: object, _: object) -> str:
    # cattrs' default would turn None or 42 into "None" / "42" and hide a broken body.
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional(hook: Callable[[object, object], R]) -> Callable[[object, object], R | None]:
    # Registered for ``T | None`` itself: cattrs' generic union handling would otherwise look
    # up T's hook again for every field of every record (a measurable share of a create).
    def structure(value: object, type_: object) -> R | None:
        return None if value is None else hook(value, type_)

    return structure


def _structure_url(value: object, _: object) -> URL:
    # Twilio's URLs arrive encoded: re-quoting them would be wrong, and costs 200 bytes each.
    return value if isinstance(value, URL) else URL(str(value), encoded=True)


def structure_int(value: object, _: object = None) -> int:
    """An integer from JSON or form text (a bool is refused, though Python calls it an int)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return int(value)


def configure_scalars(converter: cattrs.Converter) -> None:
    """Strict strings, dates, URLs, and their optional forms."""
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(datetime, lambda v, _: parse_datetime(v))
    converter.register_unstructure_hook(datetime, format_datetime)
    converter.register_structure_hook(URL, _structure_url)
    converter.register_unstructure_hook(URL, str)
    converter.register_structure_hook(str | None, _optional(_strict_str))
    converter.register_structure_hook(int | None, _optional(structure_int))
    converter.register_structure_hook(datetime | None, _optional(lambda v, _: parse_datetime(v)))
    converter.register_structure_hook(URL | None, _optional(_structure_url))


def _structure_state(value: object, _: object) -> ConversationState:
    if not isinstance(value, str):
        raise TypeError(f"expected a state string, got {type(value).__name__}")
    return ConversationState(value)


def configure_records(converter: cattrs.Converter) -> None:
    """Participant, Conversation and their open-ended sub-objects."""
    binding_hook = _open_record_hook(MessagingBinding)
    timers_hook = _open_record_hook(ConversationTimers)
    converter.register_structure_hook(MessagingBinding, binding_hook)
    converter.register_structure_hook(MessagingBinding | None, _optional(binding_hook))
    converter.register_structure_hook(ConversationTimers, timers_hook)
    converter.register_structure_hook(ConversationTimers | None, _optional(timers_hook))
    converter.register_unstructure_hook(MessagingBinding, _unstructure_open_record)
    converter.register_unstructure_hook(ConversationTimers, _unstructure_open_record)
    # ConversationState is a str subclass: without its own hook the strict str hook would
    # match it and leave a plain string instead of the enum (unknown values still pass).
    converter.register_structure_hook(ConversationState, _structure_state)
    # Account, service and conversation SIDs repeat in every record: one shared string each.
    sid = override(struct_hook=_interned)
    converter.register_structure_hook(
        Participant,
        make_dict_structure_fn(
            Participant,
            converter,
            attributes=override(struct_hook=parse_attributes),
            _url=override(rename="url"),
            account_sid=sid,
            conversation_sid=sid,
            chat_service_sid=sid,
            role_sid=sid,
        ),
    )
    converter.register_unstructure_hook(
        Participant, make_dict_unstructure_fn(Participant, converter, _url=override(rename="url"))
    )
    converter.register_structure_hook(
        Conversation,
        make_dict_structure_fn(
            Conversation,
            converter,
            attributes=override(struct_hook=parse_attributes),
            account_sid=sid,
            chat_service_sid=sid,
            messaging_service_sid=sid,
        ),
    )


def _interned(value: object, _: object) -> str | None:
    return None if value is None else sys.intern(_strict_str(value, str))


def make_twilio_converter() -> cattrs.Converter:
    """A converter configured with every rule above."""
    converter = make_converter()
    configure_scalars(converter)
    configure_records(converter)
    return converter


converter: Final = make_twilio_converter()


def structure(data: Any, cls: type[R]) -> R:
    """Structure ``data`` into ``cls``, raising :class:`ResponseValidationError` with the body."""
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs raises several kinds; all mean "this body is not a cls"
        errors = (
            cattrs.transform_error(exc)
            if isinstance(exc, cattrs.BaseValidationError)
            else [str(exc)]
        )
        # Serialised only here, so the hot path never pays for it.
        try:
            body = json.dumps(data, default=str)
        except (RecursionError, ValueError):  # nested too deeply to serialise again
            body = excerpt(data)
        raise ResponseValidationError(
            f"the response could not be read as a {cls.__name__}", body=body, errors=errors
        ) from exc
