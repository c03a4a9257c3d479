"""Form parameters → the data cattrs structures an event from.

Webhook fields come as ``PascalCase`` form text (``MessagingBinding.ProxyAddress``), and an empty
field means "not set"; the per-field parsers here read values as the REST records do otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .._convert import parse_attributes, parse_datetime, structure_int
from .._types import JSON
from ._signature import Params, _pairs

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _first_values(params: Params) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in _pairs(params):
        flat.setdefault(key, value)
    return flat


def _form_to_data(params: Mapping[str, str]) -> dict[str, Any]:
    """``{"MessagingBinding.ProxyAddress": v, "DateCreated": d}`` →
    ``{"messaging_binding": {"proxy_address": v}, "date_created": d, "params": {...}}``."""
    data: dict[str, Any] = {}
    for key, value in params.items():
        head, _, rest = key.partition(".")
        name = _snake(head)
        if rest:
            nested = data.setdefault(name, {})
            if isinstance(nested, dict):
                nested[_snake(rest.replace(".", ""))] = value
        elif name not in data:
            data[name] = value
    if "attributes" in data:
        data["raw_attributes"] = data["attributes"]
    data["params"] = dict(params)
    return data


def _parse_datetime(value: object, _: object = None) -> datetime | None:
    """An aware datetime; an empty form field means "not set"."""
    return None if value is None or value == "" else parse_datetime(value)


def _parse_int(value: object, _: object = None) -> int | None:
    """An integer as in the REST records; an empty form field means "not set"."""
    return None if value is None or value == "" else structure_int(value)


def _parse_required_int(value: object, type_: object = None) -> int:
    parsed = _parse_int(value, type_)
    if parsed is None:
        raise ValueError("expected an integer, got an empty value")
    return parsed


def _parse_bool(value: object, _: object = None) -> bool | None:
    """``true`` / ``false`` as Twilio writes booleans in a form; empty means "not set"."""
    if value is None or value == "" or isinstance(value, bool):
        return value if isinstance(value, bool) else None
    text = str(value).lower()
    if text not in ("true", "false"):
        raise ValueError(f"expected true or false, got {str(value)[:20]!r}")
    return text == "true"


def _parse_attributes(value: object, _: object = None) -> JSON:
    """Parsed JSON as in the REST records; an empty form field means "not set"."""
    return None if value == "" else parse_attributes(value)


def _media_item(item: object) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise TypeError(f"expected a media object, got {type(item).__name__}")
    fields = {_snake(str(key)): value for key, value in item.items()}
    if "media_sid" in fields:
        fields.setdefault("sid", fields["media_sid"])
    return fields
