"""The pytest plugin's shared emulators: one per module, one per run. This module's tests run in
the module's event loop, as the plugin's docs say they must."""

from __future__ import annotations

import pytest

from conversations_async.testing import Emulator

pytestmark = pytest.mark.asyncio(loop_scope="module")

SEEN: dict[str, Emulator] = {}


async def test_the_module_emulator_serves_a_first_test(emulator_module: Emulator) -> None:
    SEEN["first"] = emulator_module
    async with emulator_module.session() as session:
        await session.conversations.create(friendly_name="kept for the next test")


async def test_the_module_emulator_is_the_same_for_the_next_test(
    emulator_module: Emulator,
) -> None:
    if "first" in SEEN:  # when the module runs whole (not a single test selected)
        assert emulator_module is SEEN["first"]
    async with emulator_module.session() as session:
        names = [c.friendly_name async for c in session.conversations.list()]
    assert "kept for the next test" in names or "first" not in SEEN
