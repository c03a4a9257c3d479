"""A test-only resource added through the kit: its record, its declared operations, its
typed methods. This file is all a new namespace costs (the emulator's side is the state and
route rows in test_emulator_new_resource.py)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import attrs

from conversations_async._pagination import AsyncPager
from conversations_async._sansio import Operation, Pacing, Params
from conversations_async._sansio.params import form
from conversations_async._sansio.rules import Text
from conversations_async._types import NOT_GIVEN, NotGiven
from conversations_async.models._record import Linked, url_text
from conversations_async.resources import Resource


@attrs.frozen(kw_only=True)
class Widget(Linked):
    """A widget, as the toy resource answers it."""

    sid: str
    account_sid: str | None = None
    chat_service_sid: str | None = None
    friendly_name: str | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)


@attrs.frozen(kw_only=True)
class CreateWidget(Params):
    friendly_name: str | NotGiven = form("FriendlyName", Text(max_length=64))


CREATE = Operation("create", "POST", "Widgets", Widget, CreateWidget, Pacing.SERVICE)
FETCH = Operation("fetch", "GET", "Widgets/{widget}", Widget)
DELETE = Operation[None]("delete", "DELETE", "Widgets/{widget}", None, pacing=Pacing.SERVICE)
LIST = Operation("list", "GET", "Widgets", Widget, list_key="widgets")


class Widgets(Resource):
    """Widgets: ``/v1/[Services/{IS}/]Widgets``."""

    operations = (CREATE, FETCH, DELETE, LIST)

    def create(self, *, friendly_name: str | NotGiven = NOT_GIVEN) -> Coroutine[Any, Any, Widget]:
        """Create a widget."""
        return self._call(CREATE, locals())

    def fetch(self, widget: str) -> Coroutine[Any, Any, Widget]:
        """Fetch a widget by SID."""
        return self._call(FETCH, locals())

    def delete(self, widget: str) -> Coroutine[Any, Any, None]:
        """Delete a widget."""
        return self._send(DELETE, locals())

    def list(self, *, limit: int | None = None, page_size: int | None = None) -> AsyncPager[Widget]:
        """Every widget, page by page."""
        return self._list(LIST, locals(), limit=limit, page_size=page_size)
