"""A new namespace through the kit, end to end: a Session with ``widgets`` added by the same
mechanism as every other namespace, against the emulator with the toy Widgets rows added."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from _signatures import disagreements
from _widgets import Widget, Widgets
from _widgets_emulator import ROWS

from conversations_async import InvalidArgumentError, NotFoundError, Session
from conversations_async.resources import ServiceScope, namespace
from conversations_async.testing import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator

SERVICE = "IS" + "7" * 32


class WidgetSession(Session):
    widgets = namespace(Widgets)


class WidgetScope(ServiceScope):
    widgets = namespace(Widgets)


@pytest.fixture
async def session() -> AsyncIterator[WidgetSession]:
    async with Emulator(extra_routes=ROWS) as emulator:
        async with WidgetSession(
            account_sid=DEFAULT_ACCOUNT_SID,
            auth_token=DEFAULT_AUTH_TOKEN,
            base_url=emulator.base_url,
        ) as opened:
            yield opened


def test_its_signatures_agree_with_its_declarations() -> None:
    for operation in Widgets.operations:
        assert disagreements(getattr(Widgets, operation.name), operation) == []


async def test_every_operation_works_at_both_scopes(session: WidgetSession) -> None:
    made = await session.widgets.create(friendly_name="sprocket")
    assert isinstance(made, Widget) and made.sid.startswith("WG")
    assert str(made.url).endswith(f"/v1/Widgets/{made.sid}")
    assert (await session.widgets.fetch(made.sid)).friendly_name == "sprocket"

    scoped = WidgetScope(session, SERVICE).widgets
    other = await scoped.create(friendly_name="cog")
    assert other.chat_service_sid == SERVICE
    assert [w.sid async for w in scoped.list(page_size=1)] == [other.sid]
    assert [w.sid async for w in session.widgets.list()] == [made.sid]

    await session.widgets.delete(made.sid)
    with pytest.raises(NotFoundError):
        await session.widgets.fetch(made.sid)


async def test_its_rules_are_checked_before_sending(session: WidgetSession) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        await session.widgets.create(friendly_name="x" * 65)
    assert raised.value.field == "friendly_name"
    with pytest.raises(InvalidArgumentError) as empty:
        await session.widgets.fetch("")
    assert empty.value.field == "widget"
