"""The pure core: what is sent and what came back. No I/O, no awaits.

- :mod:`.request`: :class:`Request` and how its URL is built (every segment encoded);
- :mod:`.rules`: what a parameter's value may be, and its wire text;
- :mod:`.params`: parameters declared once per operation (wire name, rule) and their encoding;
- :mod:`.operation`: an operation (method, path template, params, record, pacing);
- :mod:`.responses`: a 2xx answer's JSON, the typed error of any other, ``Retry-After``.

The declarations are the one source. On first use, each operation's request builder and each
params record's encoder are written out from them as plain functions (``_codegen.define``),
as the records' structurers are in ``_convert``: the same checks in the same order, without
walking the declarations again on every call.
"""

from .operation import Operation, Pacing, scope_path
from .params import WEBHOOK_HEADER, Declaration, Encoded, Params, declaration
from .request import FormItems, Request, encode_segment
from .responses import (
    RawResponse,
    concurrent_requests,
    decode_body,
    decode_success,
    page_items,
    parse_retry_after,
    status_error,
)

__all__ = [
    "WEBHOOK_HEADER",
    "Declaration",
    "Encoded",
    "FormItems",
    "Operation",
    "Pacing",
    "Params",
    "RawResponse",
    "Request",
    "concurrent_requests",
    "declaration",
    "decode_body",
    "decode_success",
    "encode_segment",
    "page_items",
    "parse_retry_after",
    "scope_path",
    "status_error",
]
