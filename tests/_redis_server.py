"""A real ``redis-server`` on loopback for the shared-limiter tests, and its fixtures.

The fixtures (``redis_url``, ``doomed_redis``) are made available to every test by conftest.

Where no ``redis-server`` binary exists those tests are skipped, with the reason shown; with the
``CI`` environment variable set, a missing binary fails them instead (CI must run them).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


NO_PERSISTENCE = ("--save", "", "--appendonly", "no")


class RedisServer:
    """One ``redis-server`` subprocess on a free loopback port, without persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            reason = "redis-server is not installed (apt-get install redis-server)"
            if os.environ.get("CI"):
                pytest.fail(f"{reason}; CI must run the shared-limiter tests")
            pytest.skip(reason)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", *NO_PERSISTENCE],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("redis-server did not start")
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    server = RedisServer()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def doomed_redis() -> Iterator[RedisServer]:
    """A redis-server of its own, for a test that kills it."""
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()
