"""aiohttp's own trace hooks on a Session: lend it a pool built with ``trace_configs``."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp

import conversations_async as ca


async def connection_events(*, base_url: str, account_sid: str, auth_token: str) -> list[str]:
    """Connections opened and reused while a Session works, as aiohttp reports them."""
    events: list[str] = []

    async def opened(
        http: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceConnectionCreateEndParams,
    ) -> None:
        events.append("connection opened")

    async def reused(
        http: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceConnectionReuseconnParams,
    ) -> None:
        events.append("connection reused")

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(opened)
    trace.on_connection_reuseconn.append(reused)
    # The pool is borrowed: the Session never closes it, and sends its own timeout and credentials.
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as http,
        ca.Session(
            account_sid=account_sid, auth_token=auth_token, base_url=base_url, http_session=http
        ) as session,
    ):
        conversation = await session.conversations.create(friendly_name="traced")
        await session.conversations.fetch(conversation.sid)
    return events
