"""``session.delivery_receipts``: how a message reached each non-chat participant."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Final

from .._pagination import AsyncPager
from .._sansio import Operation
from ..models import DeliveryReceipt
from ._base import Resource

MAX_PAGE_SIZE: Final = 50
"""The spec's ``PageSize`` maximum for receipts ("the maximum is 50")."""

_PATH = "Conversations/{conversation}/Messages/{message:IM}/Receipts"

FETCH = Operation(
    "fetch",
    "GET",
    _PATH + "/{receipt:DY}",
    DeliveryReceipt,
    spec=("FetchConversationMessageReceipt", "FetchServiceConversationMessageReceipt"),
)
LIST = Operation(
    "list",
    "GET",
    _PATH,
    DeliveryReceipt,
    list_key="delivery_receipts",
    spec=("ListConversationMessageReceipt", "ListServiceConversationMessageReceipt"),
)


class DeliveryReceipts(Resource):
    """Delivery receipts of a message:
    ``/v1/[Services/{IS}/]Conversations/{CH}/Messages/{IM}/Receipts``.

    Twilio keeps one receipt per SMS/WhatsApp participant a message was sent to (chat
    participants get none), whose ``status`` moves from ``sent`` to ``delivered``, ``read``,
    ``failed`` or ``undelivered``; the message's ``delivery`` field summarises them.
    """

    operations = (FETCH, LIST)

    def fetch(
        self, conversation: str, message: str, receipt: str
    ) -> Coroutine[Any, Any, DeliveryReceipt]:
        """Fetch one receipt (``DY…``) of ``message`` (``IM…``) in ``conversation``.

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects.
        """
        return self._call(FETCH, locals())

    def list(
        self,
        conversation: str,
        message: str,
        *,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[DeliveryReceipt]:
        """Every receipt of ``message``, page by page; ``page_size`` is 1 to 50.

        No request is made until you iterate (or ``await`` it for the first page).
        """
        return self._list(
            LIST, locals(), limit=limit, page_size=page_size, max_page_size=MAX_PAGE_SIZE
        )
