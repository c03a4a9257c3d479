"""The web-application example of the sessions guide, served on loopback, talking to the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from _examples import load_example

from conversations_async import Conversation
from conversations_async.testing import Emulator


def _create_app() -> Any:
    return load_example("web_app").create_app()


async def test_one_session_serves_every_request(
    emulator: Emulator,
    conversation: Conversation,
    aiohttp_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("TWILIO_CONVERSATIONS_BASE_URL", emulator.base_url)
    for name in ("TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)
    client = await aiohttp_client(_create_app())
    path = f"/conversations/{conversation.sid}/participants"
    first = await client.post(path, json={"identity": "web-1"})
    assert first.status == 201
    assert (await first.json())["sid"].startswith("MB")
    again = await client.post(path, json={"identity": "web-1"})
    assert (await again.json()) == {"status": "already there"}
    bad = await client.post(path, json={"identity": "x" * 300})
    assert bad.status == 400
    assert "identity" in await bad.text()
    assert emulator.participants_created == 1
