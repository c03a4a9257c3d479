"""What every record shares: one base, Twilio's URL kept as text, and enums that accept future
values."""

from __future__ import annotations

import enum
from typing import Self

from yarl import URL


def url_text(value: str | URL | None) -> str | None:
    """The converter of a record's ``_url`` field (declared ``alias="url"``): a record keeps
    Twilio's URL as text and reads it as a :class:`yarl.URL` (see :class:`Linked`)."""
    return None if value is None else str(value)


class Record:
    """The base of every record.

    It holds the records' weak-reference slot, which attrs would otherwise add to each record's
    own slots: with it here, a record and the mutable twin that the library fills it through
    (``_convert``) have one layout, so the twin may become the record by ``__class__``
    assignment (CPython 3.11 refuses that for a class whose own slots hold ``__weakref__``).
    Records are as weak-referenceable as before.
    """

    __slots__ = ("__weakref__",)


class Linked(Record):
    """Mixin of a record with its own ``url``, declared as
    ``_url: str | None = attrs.field(default=None, alias="url", converter=url_text)``.

    A yarl URL weighs about 400 bytes, which a bulk report of 100,000 records would otherwise
    hold 100,000 times; the text costs what the JSON did.
    """

    __slots__ = ()
    _url: str | None

    @property
    def url(self) -> URL | None:
        """The record's absolute URL."""
        return None if self._url is None else URL(self._url, encoded=True)


class OpenEnum(enum.StrEnum):
    """A Twilio enum. A value Twilio adds later becomes a new member, not an error."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        # A pseudo-member keeps the unknown value instead of failing the whole record.
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member
