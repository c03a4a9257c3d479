"""Media records (the Media Content Service, beyond the Conversations spec)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from yarl import URL

from ._record import Linked, url_text


@attrs.frozen(kw_only=True)
class Media(Linked):
    """A file in the Media Content Service (``ME…``), for a message's ``media_sid``.

    ``links["content_direct_temporary"]`` is a short-lived link to the bytes on another host
    (present when the record is fetched, not in an upload's answer); ``links["content"]`` and
    ``url`` are relative to the service root, as Twilio sends them.
    """

    sid: str
    account_sid: str | None = None
    service_sid: str | None = None
    """The Conversation Service (``IS…``) the file belongs to."""
    channel_sid: str | None = None
    """The conversation of the message it was attached to (None until it is)."""
    message_sid: str | None = None
    size: int | None = None
    """In bytes."""
    content_type: str | None = None
    filename: str | None = None
    author: str | None = None
    category: str | None = None
    """``media`` for a message's file (Twilio also has ``body`` and ``history``)."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
    date_upload_updated: datetime | None = None
    is_multipart_upstream: bool | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
    links: Mapping[str, URL] = attrs.field(factory=dict)
