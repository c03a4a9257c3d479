"""Shared fixtures: an emulator on loopback (from the shipped pytest plugin) and a fast Session."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from _redis_server import doomed_redis, redis_url  # noqa: F401 (fixtures of the limiter tests)

from conversations_async import Conversation, RetryPolicy, Session
from conversations_async._options import ENVIRONMENT_VARIABLES
from conversations_async.testing import Emulator

pytest_plugins = ["pytester"]  # the shipped plugin's own tests run pytest inside a test

# No waiting between tries, so retry tests stay fast; behaviour is otherwise the default.
FAST_RETRY = RetryPolicy(initial=0.0, max_wait=0.0, jitter=False)

# A copy of Twilio's official OpenAPI spec (twilio-oai at d50069b44ea8), kept in the repository
# so the tests need nothing outside it.
SPEC_PATH = Path(__file__).resolve().parent / "spec" / "twilio_conversations_v1.json"

# arq pins redis-py below 6, so the test of the guide's arq worker runs in an environment of its
# own (``nox -s arq``, a default session) and the main suite keeps the newest redis-py.
ARQ_TEST = "docs/test_docs_arq_worker.py"
collect_ignore = [] if importlib.util.find_spec("arq") else [ARQ_TEST]


def pytest_report_header() -> str | None:
    return f"arq is not installed: {ARQ_TEST} runs in `nox -s arq`" if collect_ignore else None


@pytest.fixture(autouse=True)
def _no_twilio_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Session reads TWILIO_* for what it is not given: no test sees the developer's own."""
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The spec walk's count (``spec walk: 103 of 103 …``), when it ran."""
    walk = sys.modules.get("_spec_walk")
    line = None if walk is None else walk.summary(len(walk.spec_operations()))
    if line is not None:
        terminalreporter.write_sep("-", line)


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
