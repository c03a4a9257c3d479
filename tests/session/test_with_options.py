"""``session.with_options(timeout=…, retry=…)``: a light view with its own timeout and retry
policy that shares everything else (pool, limiter, counters, closing, namespaces)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import FAST_RETRY

from conversations_async import (
    APITimeoutError,
    InvalidArgumentError,
    Request,
    RetryPolicy,
    ServerError,
    Session,
    SessionClosedError,
)
from conversations_async.resources import Resource, namespace
from conversations_async.testing import Emulator

NO_RETRY = RetryPolicy(attempts=1)


def namespaces_of(cls: type) -> list[str]:
    return [name for name in dir(cls) if isinstance(getattr(cls, name, None), namespace)]


async def test_a_view_uses_its_own_retry_policy(emulator: Emulator, session: Session) -> None:
    conversation = await session.conversations.create(friendly_name="t")
    once = session.with_options(retry=NO_RETRY)
    emulator.fail_next("GET", f"*/Conversations/{conversation.sid}", status=503)
    with pytest.raises(ServerError):
        await once.conversations.fetch(conversation.sid)
    # The Session itself still retries (FAST_RETRY, 8 attempts).
    emulator.fail_next("GET", f"*/Conversations/{conversation.sid}", status=503, times=2)
    assert (await session.conversations.fetch(conversation.sid)).sid == conversation.sid
    assert session.retry is FAST_RETRY and once.retry is NO_RETRY


async def test_both_scopes_of_a_view_use_its_policy(emulator: Emulator, session: Session) -> None:
    service = "IS" + "0" * 32
    once = session.with_options(retry=NO_RETRY)
    scoped = once.service(service)
    assert scoped.requester is once
    emulator.fail_next("GET", f"*/Services/{service}/Conversations", status=503)
    with pytest.raises(ServerError):
        [c async for c in scoped.conversations.list()]
    # The Session's own service scope keeps the Session's policy, and retries.
    emulator.fail_next("GET", f"*/Services/{service}/Conversations", status=503)
    assert session.service(service).requester is session
    assert [c async for c in session.service(service).conversations.list()] == []


async def test_a_view_uses_its_own_timeout(aiohttp_server: Any) -> None:
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        arrived.set()
        await release.wait()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/v1/Slow", hang)
    server = await aiohttp_server(app)
    ping = Request(method="GET", path=("v1", "Slow"))
    async with Session(
        account_sid="AC1",
        auth_token="t",
        base_url=str(server.make_url("")),
        timeout=0.2,
        retry=NO_RETRY,
    ) as session:
        patient = session.with_options(timeout=30)
        assert patient.timeout.total == 30 and session.timeout.total == 0.2
        slow = asyncio.create_task(patient.request(ping))  # started first: the earlier deadline
        await arrived.wait()
        with pytest.raises(APITimeoutError):
            await session.request(ping)  # the Session's 0.2 s ends it...
        assert not slow.done()  # ...while the view, asked first, waits on with its 30 s
        release.set()
        assert await slow == {"ok": True}


async def test_a_view_shares_pool_limiter_counters_and_observer(session: Session) -> None:
    await session.conversations.create(friendly_name="opens the pool")
    pool, sent = session._http, session.stats.requests
    view = session.with_options(timeout=5)
    await view.conversations.create(friendly_name="through the view")
    assert session._http is pool and view._http is pool
    assert view.limiter is session.limiter and view.stats is session.stats
    assert session.stats.requests == sent + 1
    assert view.account_sid == session.account_sid and view.base_url == session.base_url
    assert session._authorization.reveal() not in repr(view)


async def test_closing_the_session_closes_its_views(session: Session) -> None:
    view = session.with_options(retry=NO_RETRY)
    await session.aclose()
    assert view.closed
    with pytest.raises(SessionClosedError):
        await view.conversations.create(friendly_name="too late")


async def test_closing_a_view_closes_the_session(session: Session) -> None:
    await session.with_options(timeout=5).aclose()
    assert session.closed


async def test_a_view_cannot_be_entered(session: Session) -> None:
    with pytest.raises(RuntimeError, match="enter the Session itself"):
        async with session.with_options(timeout=5):
            pass
    await session.conversations.create(friendly_name="the Session is unaffected")


async def test_views_of_views_keep_earlier_options(session: Session) -> None:
    first = session.with_options(timeout=5)
    second = first.with_options(retry=NO_RETRY)
    assert second.timeout.total == 5 and second.retry is NO_RETRY
    assert second._session is session  # type: ignore[attr-defined]  # never a chain of views
    await second.conversations.create(friendly_name="x")


def test_options_are_checked_as_the_constructors_are() -> None:
    session = Session(account_sid="AC1", auth_token="t")
    for bad, field in (
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": aiohttp.ClientTimeout(sock_read=5)}, "timeout.total"),
        ({"retry": "often"}, "retry"),
        ({"retry": None}, "retry"),
    ):
        with pytest.raises(InvalidArgumentError) as raised:
            session.with_options(**bad)
        assert raised.value.field == field
    assert session.with_options().timeout is session.timeout  # nothing given: the Session's


async def test_every_namespace_of_a_view_sends_through_the_view(session: Session) -> None:
    view = session.with_options(retry=NO_RETRY)
    names = namespaces_of(Session)
    assert {"conversations", "participants"} <= set(names)
    for name in names:
        resource = getattr(view, name)
        assert isinstance(resource, Resource)
        assert resource.requester is view
        assert getattr(session, name).requester is session
    # A bulk job paces its rounds with its requester's policy: the view's.
    assert view.participants.requester.retry is NO_RETRY


def test_a_view_never_warns_when_dropped(recwarn: pytest.WarningsRecorder) -> None:
    session = Session(account_sid="AC1", auth_token="t")
    view = session.with_options(timeout=1)
    del view
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]
