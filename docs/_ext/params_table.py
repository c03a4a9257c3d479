"""A ``params-table`` directive: an operation's parameters, read from its declaration.

The tables in the guides are made from the same params records that encode and check the
requests, so they cannot drift from what is sent::

    ```{params-table} conversations_async.resources.participants.UpdateParticipant
    ```
"""

from __future__ import annotations

import importlib
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from conversations_async._sansio import declaration


def _import(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _cell(text: str, *, literal: bool = False) -> nodes.entry:
    paragraph = nodes.paragraph()
    paragraph += nodes.literal(text=text) if literal else nodes.Text(text)
    entry = nodes.entry()
    entry += paragraph
    return entry


def _row(*cells: nodes.entry) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        row += cell
    return row


class ParamsTable(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        params = declaration(_import(self.arguments[0]))
        group = nodes.tgroup(cols=4)
        for width in (3, 1, 3, 4):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += _row(*(_cell(title) for title in ("Parameter", "As", "Twilio name", "Rule")))
        group += head
        body = nodes.tbody()
        for name, wire in params.wires().items():
            rule = wire.rule.describe() or "text"
            if wire.nullable:
                rule += "; None sends null, which clears it"
            body += _row(
                _cell(name, literal=True),
                _cell(wire.where),
                _cell(wire.name, literal=True),
                _cell(rule),
            )
        group += body
        table = nodes.table()
        table += group
        return [table]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("params-table", ParamsTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
