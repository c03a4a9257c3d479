"""Participant files: CSV with a header row, or JSON lines; read lazily, every line checked.

A file is read as :class:`Row` records, one per participant line, each with its line number
(a CSV's header is line 1) and either a spec or the problem that makes the line bad: a value
Twilio would refuse (the same checks as ``participants.create``), an unknown key, or the same
participant as an earlier line. Reading the same file twice gives the same rows, so a command
checks the whole file in one pass and sends in a second, holding no more than one small
fingerprint per participant in memory.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Final, TextIO

import attrs

from .._types import NOT_GIVEN
from ..errors import InvalidArgumentError
from ..models import Participant
from ..resources import NewParticipant

SPEC_FIELDS: Final = tuple(field.name for field in attrs.fields(NewParticipant))
"""The columns (or JSON keys) a file may have: the parameters of ``participants.create``."""
EXPORT_FIELDS: Final = tuple(name for name in SPEC_FIELDS if name != "webhook_enabled")
JSON_SUFFIXES: Final = frozenset({".jsonl", ".ndjson", ".json"})
INVALID: Final = "invalid"
DUPLICATE: Final = "duplicate"


class Purpose(Enum):
    """What the rows are for, which decides what is checked."""

    ADD = "add"
    """Every value, as ``participants.create`` would check it."""
    REMOVE = "remove"
    """Only what names the participant (identity, address, proxy address); other columns, as
    in an exported file, are read but not checked."""


class FileProblem(Exception):
    """The file as a whole cannot be read (no such file, not text, an unknown CSV column)."""


@attrs.frozen
class Problem:
    code: str
    """``invalid`` (a value) or ``duplicate`` (an earlier line names the same participant)."""
    message: str


@attrs.frozen
class Row:
    """One participant line of a file."""

    line: int
    identity: str
    """As the file has it ('' when absent), for messages and the results file."""
    address: str
    spec: NewParticipant | None
    """None when the line is bad."""
    problem: Problem | None = None


def is_json_lines(path: Path) -> bool:
    """JSON lines by suffix (``.jsonl``, ``.ndjson``, ``.json``), CSV for ``.csv``; otherwise a
    file whose first character is ``{``."""
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES or suffix == ".csv":
        return suffix in JSON_SUFFIXES
    with path.open(encoding="utf-8-sig") as file:
        return file.read(1) == "{"


def read_rows(path: Path, purpose: Purpose = Purpose.ADD) -> Iterator[Row]:
    """Every participant line of ``path``, checked; raises :class:`FileProblem` for a file that
    cannot be read as a whole."""
    try:
        json_lines = is_json_lines(path)
        with path.open(newline="", encoding="utf-8-sig") as file:
            records = _json_records(file) if json_lines else _csv_records(file)
            seen: dict[int, int] = {}
            for line, record in records:
                yield _row(line, record, purpose, seen)
    except UnicodeDecodeError as error:
        raise FileProblem(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise FileProblem(f"{path}: {error.strerror or error}") from None
    except FileProblem as error:
        raise FileProblem(f"{path}: {error}") from None


def _csv_records(file: TextIO) -> Iterator[tuple[int, Mapping[str, Any] | str]]:
    reader = csv.reader(file)
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = [name.strip() for name in header]
        unknown = [name for name in columns if name not in SPEC_FIELDS]
        if unknown:
            raise FileProblem(
                f"line 1: unknown column(s) {', '.join(map(repr, unknown))};"
                f" the columns are {', '.join(SPEC_FIELDS)}"
            )
        if len(set(columns)) < len(columns):
            raise FileProblem("line 1: a column is named twice")
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not any(cell.strip() for cell in cells):
                continue  # a blank line, or one of empty cells as spreadsheets leave
            if len(cells) > len(columns):
                yield start, f"{len(cells)} cells for {len(columns)} columns"
                continue
            yield start, dict(zip(columns, cells, strict=False))
    except csv.Error as error:
        raise FileProblem(f"line {reader.line_num}: not CSV ({error})") from None


def _json_records(file: TextIO) -> Iterator[tuple[int, Mapping[str, Any] | str]]:
    for number, text in enumerate(file, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as error:
            yield number, f"not JSON ({error})"
            continue
        except RecursionError:
            yield number, "JSON nested too deeply"
            continue
        if not isinstance(record, dict):
            yield number, f"a JSON object is expected, not {type(record).__name__}"
            continue
        unknown = sorted(set(record) - set(SPEC_FIELDS))
        if unknown:
            yield number, f"unknown key(s) {', '.join(map(repr, unknown))}"
            continue
        yield number, record


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _cell(field: str, value: object) -> object:
    """One CSV cell or JSON value as a create parameter; empty means "not given"."""
    if value is None or value == "":
        return NOT_GIVEN
    if not isinstance(value, str):
        return value
    if field == "webhook_enabled":
        # Anything else stays a string, which the check refuses naming the field.
        return {"true": True, "false": False}.get(value.strip().lower(), value)
    if field in {"date_created", "date_updated"}:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _row(line: int, record: Mapping[str, Any] | str, purpose: Purpose, seen: dict[int, int]) -> Row:
    if isinstance(record, str):
        return Row(line, "", "", None, Problem(INVALID, record))
    identity = _text(record.get("identity"))
    address = _text(record.get("messaging_binding_address"))
    values: dict[str, Any] = {name: _cell(name, value) for name, value in record.items()}
    spec = NewParticipant(**values)
    checked = spec if purpose is Purpose.ADD else _identifying(spec)
    try:
        checked.validate()
    except InvalidArgumentError as error:
        return Row(line, identity, address, None, Problem(INVALID, str(error)))
    first = seen.setdefault(_fingerprint(spec), line)
    if first != line:
        problem = Problem(DUPLICATE, f"names the same participant as line {first}")
        return Row(line, identity, address, None, problem)
    return Row(line, identity, address, spec)


def _identifying(spec: NewParticipant) -> NewParticipant:
    return NewParticipant(
        identity=spec.identity,
        messaging_binding_address=spec.messaging_binding_address,
        messaging_binding_proxy_address=spec.messaging_binding_proxy_address,
    )


def _fingerprint(spec: NewParticipant) -> int:
    """Who ``spec`` names (identity; or address with proxy address), in 8 bytes: a million
    lines keep a few dozen MB, and two participants share one by chance about once in 10^19."""
    if isinstance(spec.identity, str) and spec.identity:
        key = "i\0" + spec.identity
    else:
        key = f"b\0{_text(spec.messaging_binding_address)}\0{_text(spec.messaging_binding_proxy_address)}"
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


# -- export ---------------------------------------------------------------------------------


def export_record(participant: Participant) -> dict[str, object]:
    """A participant as a line ``add-participants`` reads back (None: left out)."""
    binding = participant.messaging_binding
    return {
        "identity": participant.identity,
        "messaging_binding_address": binding.address if binding else None,
        "messaging_binding_proxy_address": binding.proxy_address if binding else None,
        "messaging_binding_projected_address": binding.projected_address if binding else None,
        "attributes": participant.attributes,
        "role_sid": participant.role_sid,
        "date_created": _iso(participant.date_created),
        "date_updated": _iso(participant.date_updated),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class ExportWriter:
    """Writes participants as CSV (a header row, ``attributes`` as JSON text) or JSON lines
    (``attributes`` as a JSON value, empty fields left out)."""

    def __init__(self, file: TextIO, *, json_lines: bool) -> None:
        self._file = file
        self._json_lines = json_lines
        self._csv = None if json_lines else csv.writer(file, lineterminator="\n")
        if self._csv is not None:
            self._csv.writerow(EXPORT_FIELDS)

    def write(self, participant: Participant) -> None:
        record = export_record(participant)
        if self._csv is None:
            kept = {key: value for key, value in record.items() if value is not None}
            self._file.write(json.dumps(kept, ensure_ascii=False) + "\n")
            return
        attributes = record["attributes"]
        record["attributes"] = None if attributes is None else json.dumps(attributes)
        self._csv.writerow(["" if record[name] is None else record[name] for name in EXPORT_FIELDS])
