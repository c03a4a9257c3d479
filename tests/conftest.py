"""Shared fixtures: an emulator on loopback (from the shipped pytest plugin) and a fast Session."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from _redis_server import doomed_redis, redis_url  # noqa: F401 (fixtures of the limiter tests)

from conversations_async import Conversation, RetryPolicy, Session
from conversations_async.testing import Emulator

# No waiting between tries, so retry tests stay fast; behaviour is otherwise the default.
FAST_RETRY = RetryPolicy(initial=0.0, max_wait=0.0, jitter=False)

# A copy of Twilio's official OpenAPI spec (twilio-oai at d50069b44ea8), kept in the repository
# so the tests need nothing outside it.
SPEC_PATH = Path(__file__).resolve().parent / "spec" / "twilio_conversations_v1.json"


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[Session]:
    async with emulator.session(retry=FAST_RETRY) as opened:
        yield opened


@pytest.fixture
async def conversation(session: Session) -> Conversation:
    return await session.conversations.create(friendly_name="test")


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """Twilio's official OpenAPI spec (the copy in ``tests/spec``)."""
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return data


@pytest.fixture(params=["default", "service"])
def scope(request: pytest.FixtureRequest, session: Session) -> Any:
    """The same resources in both scopes: the default service and ``session.service("IS…")``."""
    from _ops_scopes import scope_for

    return scope_for(session, service=request.param == "service")
