"""Sphinx configuration: MyST markdown, autodoc from docstrings, doctests; warnings are errors."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "conversations_async"
author = "conversations_async developers"
copyright = "2026, conversations_async developers (MIT licence)"
release = importlib.metadata.version("conversations-async")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "params_table",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "examples", "_ext", "_inventories"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "conversations_async"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

# No network here or in CI: intersphinx reads inventories vendored in docs/_inventories (its
# README says where they come from and how to refresh them); links go to the projects' sites.
_INVENTORIES = Path(__file__).parent / "_inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3.11/", str(_INVENTORIES / "python.inv")),
    "aiohttp": ("https://docs.aiohttp.org/en/stable/", str(_INVENTORIES / "aiohttp.inv")),
    "attrs": ("https://www.attrs.org/en/stable/", str(_INVENTORIES / "attrs.inv")),
    "cattrs": ("https://catt.rs/en/stable/", str(_INVENTORIES / "cattrs.inv")),
    "yarl": ("https://yarl.aio-libs.org/en/stable/", str(_INVENTORIES / "yarl.inv")),
}

nitpicky = True
nitpick_ignore_regex = [
    # Libraries without a vendored inventory.
    (r"py:.*", r"(multidict|redis|opentelemetry)(\..*)?"),
    # Type variables and aliases, which autodoc cannot link.
    (
        r"py:.*",
        r"(conversations_async\.\w+\.)?(JSON|NotGiven|T|R|E|H|Sleep|WriteKey|RetryHook|FormItems|Self|OpenRecord|Handler|AuthTokens|Params|HandlerResult|RedisClient|OnRedisError|Clock|SpecSource|MediaData)",
    ),
    # Private names, and the limiter protocol's Slot (named in annotations only).
    (r"py:.*", r"conversations_async\.(.*\.)?_.*"),
    (r"py:class", r"_\w+|Slot"),
    # OpenTelemetry's types as the otel module imports them (no inventory for it).
    (r"py:class", r"(trace|metrics)\.\w+"),
]


# autodoc names a type by the module that defines it (aiohttp.client.ClientTimeout); the
# inventories hold the public name (aiohttp.ClientTimeout). A reference intersphinx did not
# find is tried once more under its public name.
_PUBLIC_NAMES = [
    (re.compile(r"aiohttp\.web_\w+\.(\w+)"), r"aiohttp.web.\1"),
    (re.compile(r"aiohttp\.(?!web\b)\w+\.(\w+)"), r"aiohttp.\1"),
    (re.compile(r"yarl\._\w+\.(\w+)"), r"yarl.\1"),
    # Annotations autodoc could not qualify.
    (re.compile(r"URL"), "yarl.URL"),
    (re.compile(r"(timedelta|datetime|date)"), r"datetime.\1"),
]


def _public_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    from sphinx.ext import intersphinx

    target = node.get("reftarget", "")
    for pattern, public in _PUBLIC_NAMES:
        renamed = pattern.fullmatch(target) and pattern.sub(public, target)
        if renamed:
            node["reftarget"] = renamed
            return intersphinx.missing_reference(app, env, node, contnode)
    return None


def setup(app: Any) -> None:
    app.connect("missing-reference", _public_name)
