"""No library module grows past 450 lines (issue 11): a module that does is doing two things."""

from __future__ import annotations

from pathlib import Path

import conversations_async

LIMIT = 450
PACKAGE = Path(conversations_async.__file__).parent


def test_no_library_module_is_over_450_lines() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert len(sizes) > 50  # the package was found, not an empty folder
    assert {name: lines for name, lines in sizes.items() if lines > LIMIT} == {}
