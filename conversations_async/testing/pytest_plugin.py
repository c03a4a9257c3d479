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

Both need an async test runner such as pytest-asyncio (``asyncio_mode = "auto"``) or anyio.

Checking every request against Twilio's official spec (it needs openapi-core): name the spec's
JSON file in the ini option ``conversations_async_spec`` (relative to the rootdir)::

    [tool.pytest.ini_options]
    conversations_async_spec = "tests/spec/twilio_conversations_v1.json"

Then every emulator the tests build (the fixture's and your own ``Emulator(...)``) checks each
request it receives, and a test whose emulators received a request the spec refuses fails at
teardown with the list. A test that sends such requests on purpose says so:
``@pytest.mark.spec_invalid_requests("why")``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .. import Session
from ._app import Emulator
from ._validation import RequestValidator, default_validator, set_default_validator

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


SPEC_OPTION = "conversations_async_spec"
MARKER = "spec_invalid_requests"
_PREVIOUS = pytest.StashKey[RequestValidator | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        SPEC_OPTION,
        "OpenAPI spec (JSON) every emulator checks each request against; empty: none",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(reason): this test sends requests the official spec refuses, on purpose",
    )
    spec = str(config.getini(SPEC_OPTION) or "")
    if spec:
        # Kept to be put back: a pytest run inside a test (pytester) must not end the outer one's.
        config.stash[_PREVIOUS] = default_validator()
        set_default_validator(RequestValidator(Path(config.rootpath, spec)))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _PREVIOUS in config.stash:
        set_default_validator(config.stash[_PREVIOUS])


@pytest.fixture(autouse=True)
def _spec_checked_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test whose emulators received requests the spec refuses (see the module docs)."""
    validator = default_validator()
    if validator is None:
        yield
        return
    start = len(validator.refused)
    yield
    refused = validator.refused[start:]
    del validator.refused[start:]
    marker = request.node.get_closest_marker(MARKER)
    if refused and marker is None:
        shown = "\n".join(f"  {refusal}" for refusal in refused[:20])
        more = f"\n  … and {len(refused) - 20} more" if len(refused) > 20 else ""
        pytest.fail(
            f"the emulator received {len(refused)} request(s) the official spec refuses:\n"
            f"{shown}{more}\n(a test that sends them on purpose is marked "
            f"@pytest.mark.{MARKER}('why'))",
            pytrace=False,
        )


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
