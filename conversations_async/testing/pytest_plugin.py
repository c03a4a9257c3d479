"""pytest fixtures for users of conversations_async (registered through the ``pytest11`` entry point).

- ``emulator``: a running :class:`~conversations_async.testing.Emulator`, stopped after the test.
- ``emulator_session``: a :class:`~conversations_async.Session` connected to it, closed after.
- ``emulator_module`` / ``emulator_session_scoped``: one emulator shared by every test of a
  module / of the whole run, for suites that want one.

They are pytest-asyncio fixtures. ``emulator`` and ``emulator_session`` work in either mode
(``asyncio_mode = "auto"``, or ``strict`` with ``@pytest.mark.asyncio`` on each test). A shared
emulator is served by the event loop of its scope, so the tests using it must run in that loop:
``pytestmark = pytest.mark.asyncio(loop_scope="module")`` in the module (or ``"session"``), or
``asyncio_default_test_loop_scope = "session"`` in the pytest configuration (pytest-asyncio 1.0
and later). A test in another loop would wait, until its Session's timeout, for a server whose
loop is not running.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from .. import Session
from ._app import Emulator

try:
    import pytest_asyncio

    _async_fixture: Callable[..., Any] = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - without pytest-asyncio the fixtures stay plain
    _async_fixture = pytest.fixture


def _shared_fixture(scope: str) -> Callable[..., Any]:
    decorator: Callable[..., Any]
    try:
        decorator = _async_fixture(scope=scope, loop_scope=scope)
    except TypeError:  # pragma: no cover - pytest-asyncio before 0.24 has no loop_scope
        decorator = _async_fixture(scope=scope)
    return decorator


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


@_shared_fixture("module")
async def emulator_module() -> AsyncIterator[Emulator]:
    """One emulator for every test of a module (their tests run in the module's loop).

    Its state is shared: each test should make its own conversations, and reset any fault it
    sets. Open a Session per test with ``async with emulator_module.session() as session``.
    """
    async with Emulator() as running:
        yield running


@_shared_fixture("session")
async def emulator_session_scoped() -> AsyncIterator[Emulator]:
    """One emulator for the whole test run (the tests using it run in the session's loop)."""
    async with Emulator() as running:
        yield running
