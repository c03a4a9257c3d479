"""The API reference documents every public name: a name added to an ``__all__`` (or a public
method added to a public class) without a place in the reference fails here.

The check reads the ``objects.inv`` of a fresh build: ``nox -s docs`` builds the site and then
runs this module with ``CONVERSATIONS_ASYNC_DOCS_INVENTORY`` set. The checker's own tests run
everywhere."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
from _public_api import public_modules, public_names, read_inventory, undocumented

INVENTORY = os.environ.get("CONVERSATIONS_ASYNC_DOCS_INVENTORY")


@pytest.mark.skipif(INVENTORY is None, reason="needs the built docs: runs in `nox -s docs`")
def test_every_public_name_is_in_the_built_reference() -> None:
    assert INVENTORY is not None
    missing = undocumented(read_inventory(Path(INVENTORY)))
    assert missing == [], "not in the API reference (docs/reference.md): " + ", ".join(missing)


def test_the_public_modules_are_walked() -> None:
    modules = public_modules()
    assert {"conversations_async", "conversations_async.redis_limiter"} <= set(modules)
    assert "conversations_async.otel" in modules
    names = dict(public_names())
    assert "conversations_async.Session.with_options" in names
    assert "conversations_async.testing.DEFAULT_AUTH_TOKEN" in names


def write_inventory(path: Path, names: list[str]) -> Path:
    body = "".join(f"{name} py:class 1 reference.html#$ -\n" for name in names)
    path.write_bytes(
        b"# Sphinx inventory version 2\n# Project: t\n# Version: 1\n"
        b"# The remainder of this file is compressed using zlib.\n" + zlib.compress(body.encode())
    )
    return path


def test_a_name_left_out_of_the_inventory_is_reported(tmp_path: Path) -> None:
    everything = [name for name, _ in public_names()]
    assert undocumented(read_inventory(write_inventory(tmp_path / "all.inv", everything))) == []
    partial = [n for n in everything if n != "conversations_async.NOT_GIVEN"]
    assert undocumented(read_inventory(write_inventory(tmp_path / "some.inv", partial))) == [
        "conversations_async.NOT_GIVEN"
    ]


def test_a_re_exported_class_is_documented_once(tmp_path: Path) -> None:
    everything = [name for name, _ in public_names()]
    # RateLimitError documented only in conversations_async.errors: the package's re-export
    # of the same class needs no entry of its own.
    without = [n for n in everything if n != "conversations_async.RateLimitError"]
    assert "conversations_async.errors.RateLimitError" in without
    assert undocumented(read_inventory(write_inventory(tmp_path / "x.inv", without))) == []
