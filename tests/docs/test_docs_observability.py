"""The observability guide's example: aiohttp trace hooks on a pool lent to a Session."""

from __future__ import annotations

from _examples import load_example

from conversations_async.testing import Emulator


async def test_trace_configs_see_the_sessions_connections(emulator: Emulator) -> None:
    example = load_example("observability")
    events = await example.connection_events(
        base_url=emulator.base_url,
        account_sid=emulator.account_sid,
        auth_token=emulator.auth_token,
    )
    assert events == ["connection opened", "connection reused"]
