"""The public API and the docs' object inventory: which public names the reference leaves out.

A name is public when it is in the ``__all__`` of a public module (the package, ``errors``,
``models``, ``testing``, ``webhooks``, ``redis_limiter``, ``otel``, and ``tokens`` once it
exists), and so is every public method and property of a public class. It is documented when
the built docs' ``objects.inv`` holds it under its own name or under any name that resolves to
the very same object (a class documented in ``errors`` and re-exported by the package is
documented once).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

PUBLIC_MODULES = (
    "conversations_async",
    "conversations_async.errors",
    "conversations_async.models",
    "conversations_async.testing",
    "conversations_async.webhooks",
    "conversations_async.redis_limiter",
    "conversations_async.otel",
    "conversations_async.tokens",
)


def public_modules() -> list[str]:
    return [name for name in PUBLIC_MODULES if importlib.util.find_spec(name) is not None]


def read_inventory(path: Path) -> set[str]:
    """The Python-domain names of a Sphinx ``objects.inv`` (format version 2)."""
    raw = path.read_bytes()
    header, _, compressed = raw.partition(
        b"# The remainder of this file is compressed using zlib.\n"
    )
    if not header.startswith(b"# Sphinx inventory version 2"):
        raise ValueError(f"{path} is not a version 2 Sphinx inventory")
    names = set()
    for line in zlib.decompress(compressed).decode().splitlines():
        name, role = line.split(" ", 2)[:2]
        if role.startswith("py:"):
            names.add(name)
    return names


def resolve(dotted: str) -> object:
    """The object a documented name refers to (a sentinel when it cannot be imported)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                target = inspect.getattr_static(target, attribute)
        except AttributeError:
            return _MISSING
        return target
    return _MISSING


_MISSING = object()


def public_names() -> Iterator[tuple[str, object]]:
    """``("conversations_async.errors.RateLimitError", <class>)`` for every public name, with
    the public methods and properties of public classes."""
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            yield f"{module_name}.{name}", value
            if inspect.isclass(value) and _ours(value):
                for member, attribute in _members(value):
                    yield f"{module_name}.{name}.{member}", attribute


def _ours(cls: type) -> bool:
    return cls.__module__.startswith("conversations_async")


def _members(cls: type) -> Iterator[tuple[str, object]]:
    """Public methods, properties and namespaces, inherited from our own base classes too."""
    seen = set()
    for klass in cls.__mro__:
        if not _ours(klass):
            continue
        for member, attribute in vars(klass).items():
            if member not in seen and not member.startswith("_") and _is_api(attribute):
                seen.add(member)
                yield member, attribute


def _is_api(attribute: object) -> bool:
    from conversations_async.resources import namespace

    return inspect.isfunction(attribute) or isinstance(
        attribute, property | classmethod | staticmethod | namespace
    )


def undocumented(inventory: Iterable[str]) -> list[str]:
    """The public names that no entry of ``inventory`` documents."""
    documented = set(inventory)
    by_identity: dict[int, list[str]] = {}
    for entry in documented:
        by_identity.setdefault(id(resolve(entry)), []).append(entry)
    missing = []
    for name, value in public_names():
        if name in documented:
            continue
        last = name.rsplit(".", 1)[-1]
        aliases = by_identity.get(id(value), [])
        # The same object under another name: a class or function anywhere, a constant or a
        # member only under its own last name (two equal constants are not one name).
        if any(
            inspect.isclass(value) or inspect.ismodule(value) or alias.endswith("." + last)
            for alias in aliases
        ):
            continue
        missing.append(name)
    return sorted(missing)
