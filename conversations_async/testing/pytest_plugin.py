"""pytest fixtures for users of conversations_async (registered through the ``pytest11`` entry point).

- ``emulator``: a running :class:`~conversations_async.testing.Emulator`, stopped after the test.
- ``emulator_session``: a :class:`~conversations_async.Session` connected to it, closed after.

Both need an async test runner such as pytest-asyncio (``asyncio_mode = "auto"``) or anyio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .. import Session
from ._app import Emulator

try:
    import pytest_asyncio

    _async_fixture = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - without pytest-asyncio the fixtures stay plain
    _async_fixture = pytest.fixture  # type: ignore[assignment]


@_async_fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A fresh emulator on a free loopback port."""
    async with Emulator() as running:
        yield running


@_async_fixture
async def emulator_session(emulator: Emulator) -> AsyncIterator[Session]:
    """A Session talking to ``emulator``."""
    async with emulator.session() as session:
        yield session
