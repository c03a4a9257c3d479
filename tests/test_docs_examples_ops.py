"""Each runnable example of the conversations/participants/pagination/service-scope guides runs
against the emulator."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from conversations_async import Session
from conversations_async.testing import Emulator

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
NAMES = ["conversations_crud", "participants_manage", "pagination", "service_scope"]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
async def test_example_runs(
    name: str, emulator: Emulator, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    await load(name).main(session)
    assert emulator.counters.by_status.total() == emulator.counters.requests
    assert not [s for s in emulator.counters.by_status if s >= 400]
    assert capsys.readouterr().out  # each example shows something
