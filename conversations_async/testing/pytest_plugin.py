"""pytest fixtures for users of conversations_async (registered through the ``pytest11`` entry point).

- ``emulator``: a running :class:`~conversations_async.testing.Emulator`, stopped after the test.
- ``emulator_session``: a :class:`~conversations_async.Session` connected to it, closed after.

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

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .. import Session
from ._app import Emulator
from ._validation import RequestValidator, default_validator, set_default_validator

try:
    import pytest_asyncio

    _async_fixture = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - without pytest-asyncio the fixtures stay plain
    _async_fixture = pytest.fixture  # type: ignore[assignment]

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
