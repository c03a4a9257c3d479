"""The pytest plugin as a user's suite meets it: pytest in a process of its own, strict mode, the
plugin from the installed entry point, and the loop scopes its docs give."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT = textwrap.dedent(
    """
    [pytest]
    asyncio_mode = strict
    asyncio_default_fixture_loop_scope = function
    addopts = -p no:cacheprovider
    """
)
FIRST = textwrap.dedent(
    """
    import pytest

    pytestmark = pytest.mark.asyncio(loop_scope="session")


    async def test_one(emulator_session_scoped):
        async with emulator_session_scoped.session() as session:
            await session.conversations.create(friendly_name="from the first module")
    """
)
SECOND = textwrap.dedent(
    """
    import pytest

    pytestmark = pytest.mark.asyncio(loop_scope="session")


    async def test_two(emulator_session_scoped):
        async with emulator_session_scoped.session() as session:
            names = [c.friendly_name async for c in session.conversations.list()]
        assert names == ["from the first module"]  # the same emulator, across modules


    @pytest.mark.asyncio(loop_scope="module")
    async def test_a_fresh_module_emulator(emulator_module):
        async with emulator_module.session() as session:
            assert [c async for c in session.conversations.list()] == []


    @pytest.mark.asyncio
    async def test_the_function_fixtures_in_strict_mode(emulator, emulator_session):
        await emulator_session.conversations.create(friendly_name="own")
        assert emulator.counters.requests == 1
    """
)


def test_the_documented_markers_work_in_strict_mode(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(PROJECT)
    (tmp_path / "test_a_first.py").write_text(FIRST)
    (tmp_path / "test_b_second.py").write_text(SECOND)
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-W", "error", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "4 passed" in finished.stdout
