"""Small shared types: the "leave this field out" sentinel and JSON aliases."""

from __future__ import annotations

import enum
from typing import Any, Final, Literal, TypeAlias

JSON: TypeAlias = Any
"""A JSON value as :func:`json.loads` returns it (the only place ``Any`` is used)."""


class _NotGiven(enum.Enum):
    # An enum member, so ``x is NOT_GIVEN`` narrows under mypy and the sentinel pickles.
    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = _NotGiven.NOT_GIVEN
"""Default of every optional parameter: the field is omitted from the request.

Omitting a field is not the same as sending an empty value or ``None``."""

NotGiven: TypeAlias = Literal[_NotGiven.NOT_GIVEN]
