"""Sphinx configuration: MyST markdown, autodoc from docstrings, doctests; warnings are errors."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "conversations_async"
author = "conversations_async developers"
release = importlib.metadata.version("conversations-async")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "params_table",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "examples", "_ext"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "conversations_async"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

# No network here or in CI, so no intersphinx: names from other libraries cannot be resolved
# and are listed as known instead of turning nitpicky mode off.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(aiohttp|yarl|attrs|cattrs|multidict|asyncio|datetime|collections|typing|enum|contextlib|types|re|json|redis|hmac|hashlib|base64|os|io)(\..*)?",
    ),
    # Type variables and aliases, which autodoc cannot link.
    (
        r"py:.*",
        r"(conversations_async\.\w+\.)?(JSON|NotGiven|T|R|E|H|Sleep|WriteKey|RetryHook|FormItems|Self|OpenRecord|Handler|AuthTokens|Params|HandlerResult|Clock|SpecSource|MediaData)",
    ),
    (r"py:.*", r"conversations_async\.(.*\.)?_.*"),
    (
        r"py:class",
        r"(Any|Awaitable|Callable|Mapping|Sequence|Iterable|AsyncIterable|AsyncIterator|Iterator|Final|Literal|TypeVar|ClientTimeout|ClientSession|URL|timedelta|datetime|date|Request|web\..*)",
    ),
    (
        r"py:class",
        r"(int|str|float|bool|bytes|object|None|BaseException|Exception|ValueError|RuntimeError|TimeoutError|type)",
    ),
]
