"""Shared fixtures: an emulator on loopback (from the shipped pytest plugin) and a fast Session."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from conversations_async import Conversation, RetryPolicy, Session
from conversations_async.testing import Emulator

# No waiting between tries, so retry tests stay fast; behaviour is otherwise the default.
FAST_RETRY = RetryPolicy(initial=0.0, max_wait=0.0, jitter=False)

SPEC_PATH = (
    Path(__file__).resolve().parents[1].parent / "shared" / "spec" / "twilio_conversations_v1.json"
)


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[Session]:
    async with emulator.session(retry=FAST_RETRY) as opened:
        yield opened


@pytest.fixture
async def conversation(session: Session) -> Conversation:
    return await session.conversations.create(friendly_name="test")


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """Twilio's official OpenAPI spec, from ../shared/spec beside the repository."""
    if not SPEC_PATH.exists():
        reason = f"the official spec is not at {SPEC_PATH} (it ships in ../shared/spec)"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI always has shared/ beside the checkout: never skip there
        pytest.skip(reason)
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return data


@pytest.fixture(params=["default", "service"])
def scope(request: pytest.FixtureRequest, session: Session) -> Any:
    """The same resources in both scopes: the default service and ``session.service("IS…")``."""
    from _ops_scopes import scope_for

    return scope_for(session, service=request.param == "service")
