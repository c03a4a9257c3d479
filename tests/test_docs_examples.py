"""Every runnable example of the docs (``docs/examples/*.py`` with ``async def main(session)``)
runs against the emulator, so the docs cannot rot."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

import pytest

from conversations_async import Session

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _runnable() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*.py") if "async def main(" in p.read_text())


def test_there_are_examples_to_run() -> None:
    assert len(_runnable()) >= 3


@pytest.mark.parametrize("path", _runnable(), ids=lambda p: p.stem)
async def test_example_runs_against_the_emulator(path: Path, session: Session) -> None:
    main = _load(path).main
    assert inspect.iscoroutinefunction(main)
    await main(session)
