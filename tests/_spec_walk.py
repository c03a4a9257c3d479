"""The spec walk's machinery: Twilio's operations, the library's declarations, and how one is
checked against the other (the tests are in spec/test_spec_walk.py)."""

from __future__ import annotations

import enum
import functools
import json
import re
import typing
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal, cast

import attrs
from yarl import URL

from conversations_async import ServiceScope, Session
from conversations_async._convert import parse_attributes, parse_datetime, structure
from conversations_async._pagination import parse_page
from conversations_async._sansio import Operation
from conversations_async._sansio.params import Wire
from conversations_async._sansio.rules import (
    Choice,
    DateTime,
    Each,
    Flag,
    Integer,
    JsonObject,
    ListDate,
    Rule,
    Text,
    Timestamp,
)
from conversations_async.errors import InvalidArgumentError
from conversations_async.models import OpenEnum
from conversations_async.resources import Resource, namespace
from conversations_async.resources.conversations import ParticipantJson

SPEC: Final[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parent / "spec" / "twilio_conversations_v1.json").read_text()
)
SERVICE_PREFIX: Final = "/v1/Services/{ChatServiceSid}/"
PAGER_PARAMETERS: Final = frozenset({"PageSize", "Page", "PageToken"})
"""Query parameters the pager serves (``page_size``, and the links it follows), not declared."""
METHODS: Final = ("get", "post", "delete", "put", "patch")
Scope = Literal["account", "service"]
SCOPES: Final[tuple[Scope, Scope]] = ("account", "service")

# Where a parameter's Python name is not the snake_case of Twilio's name, on purpose.
NAMED_OTHERWISE: Final = {
    "X-Twilio-Webhook-Enabled": "webhook_enabled",  # DESIGN.md: webhook_enabled: bool
    "Participant": "participants",  # create_with_participants(participants=...)
}


@attrs.frozen
class SpecOperation:
    """One operation of the spec: a path and a method."""

    operation_id: str
    method: str
    path: str
    scope: Scope
    body: Mapping[str, Any]

    @property
    def relative(self) -> str:
        """The path below the scope (``Conversations/{Sid}``)."""
        prefix = SERVICE_PREFIX if self.scope == "service" else "/v1/"
        return self.path.removeprefix(prefix)


def spec_operations() -> list[SpecOperation]:
    """Every path x method of the spec, in its order."""
    found = []
    for path, item in SPEC["paths"].items():
        scope: Scope = "service" if path.startswith(SERVICE_PREFIX) else "account"
        for method in METHODS:
            if method in item:
                body = item[method]
                found.append(SpecOperation(body["operationId"], method.upper(), path, scope, body))
    return found


def resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """A schema with its ``$ref`` followed."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: Mapping[str, Any] = SPEC["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


# -- the library's side ---------------------------------------------------------------------


def namespaces(holder: type) -> dict[str, type[Resource]]:
    """The namespaces a Session or ServiceScope has: attribute name -> resource class."""
    found: dict[str, type[Resource]] = {}
    for base in reversed(holder.__mro__):
        for name, value in vars(base).items():
            if isinstance(value, namespace):
                found[name] = value.resource
    return found


HOLDERS: Final[dict[Scope, type]] = {"account": Session, "service": ServiceScope}
RESULTS: Final[dict[str, str]] = {}
"""operationId -> "proven", "missing" or "failed", as the walk's tests found it (for the
summary line pytest prints: see :func:`summary`)."""


def summary(total: int) -> str | None:
    """``spec walk: N of 103 operations of the spec proven``, once the walk has run."""
    if not RESULTS:
        return None
    proven = sum(state == "proven" for state in RESULTS.values())
    missing = sum(state == "missing" for state in RESULTS.values())
    line = f"spec walk: {proven} of {total} operations of the spec proven"
    if missing:
        line += f" ({missing} expected missing: EXPECTED_MISSING in tests/spec/test_spec_walk.py)"
    return line


@attrs.frozen
class Declared:
    """An operation as the library declares it, and where it is reached."""

    namespace: str
    resource: type[Resource]
    operation: Operation[Any]


def declarations(scope: Scope) -> dict[str, Declared]:
    """operationId -> its declaration, for every namespace reachable at ``scope``."""
    index = SCOPES.index(scope)
    found: dict[str, Declared] = {}
    for name, resource in namespaces(HOLDERS[scope]).items():
        for operation in resource.operations:
            operation_id = operation.spec[index]
            if operation_id is not None:
                assert operation_id not in found, f"{operation_id} is declared twice"
                found[operation_id] = Declared(name, resource, operation)
    return found


# -- checks -----------------------------------------------------------------------------------


def snake(wire: str) -> str:
    """The Python name of a Twilio name: ``MessagingBinding.Address`` ->
    ``messaging_binding_address``."""
    words = [re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower() for part in wire.split(".")]
    return "_".join(words)


def spec_parameters(op: SpecOperation) -> dict[str, tuple[str, Mapping[str, Any], bool]]:
    """Every parameter but the path's and the pager's: wire name -> (where, schema, required)."""
    found: dict[str, tuple[str, Mapping[str, Any], bool]] = {}
    for parameter in op.body.get("parameters", []):
        if parameter["in"] != "path" and parameter["name"] not in PAGER_PARAMETERS:
            where = parameter["in"]
            found[parameter["name"]] = (
                where,
                parameter["schema"],
                parameter.get("required", False),
            )
    body = op.body.get("requestBody")
    if body is not None:
        schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
        required = set(schema.get("required", ()))
        for name, field in schema["properties"].items():
            found[name] = ("form", field, name in required)
    return found


def rule_problems(where: str, rule: Rule, schema: Mapping[str, Any]) -> Iterator[str]:
    """How a declared rule differs from the spec's schema of the parameter."""
    schema = resolve(schema)
    kind = schema.get("type")
    if kind == "array":
        if not isinstance(rule, Each):
            yield f"{where}: the spec's array needs an Each rule, not {type(rule).__name__}"
            return
        yield from rule_problems(f"{where}[]", rule.item, schema["items"])
        return
    if "enum" in schema:
        values = set(schema["enum"])
        if values == {"true", "false"}:
            if not isinstance(rule, Flag):
                yield f"{where}: the spec's true/false needs a Flag rule"
        elif not isinstance(rule, Choice):
            yield f"{where}: the spec's enum {sorted(values)} needs a Choice rule"
        elif {member.value for member in rule.enum} != values:
            declared = sorted(member.value for member in rule.enum)
            yield f"{where}: enum {declared} != the spec's {sorted(values)}"
    elif kind == "boolean":
        if not isinstance(rule, Flag):
            yield f"{where}: a boolean needs a Flag rule, not {type(rule).__name__}"
    elif kind == "integer":
        if not isinstance(rule, Integer):
            yield f"{where}: an integer needs an Integer rule, not {type(rule).__name__}"
        else:
            if "minimum" in schema and rule.minimum != schema["minimum"]:
                yield f"{where}: minimum {rule.minimum} != the spec's {schema['minimum']}"
            if "maximum" in schema and rule.maximum != schema["maximum"]:
                yield f"{where}: maximum {rule.maximum} != the spec's {schema['maximum']}"
    elif "pattern" in schema:
        pattern = getattr(rule, "pattern", None)
        if not isinstance(rule, Text) or pattern is None:
            yield f"{where}: the spec's pattern {schema['pattern']} is not declared"
        elif pattern.pattern != schema["pattern"]:
            yield f"{where}: pattern {pattern.pattern} != the spec's {schema['pattern']}"
        else:
            # A SID pattern fixes the length the spec states (minLength = maxLength = 34).
            for bound in ("minLength", "maxLength"):
                if bound in schema and not _only_length(pattern, schema[bound]):
                    yield f"{where}: {pattern.pattern} allows another {bound} than {schema[bound]}"
    elif schema.get("format") == "date-time":
        if not isinstance(rule, DateTime | Timestamp | ListDate):
            yield f"{where}: a date-time needs a date rule, not {type(rule).__name__}"
    elif isinstance(rule, Flag | Integer):
        yield f"{where}: the spec's string is declared as {type(rule).__name__}"
    limited = kind == "string" and "maxLength" in schema and "pattern" not in schema
    if limited and getattr(rule, "max_length", None) != schema["maxLength"]:
        yield f"{where}: max length != the spec's {schema['maxLength']}"


def _only_length(pattern: re.Pattern[str], length: int) -> bool:
    fixed = re.fullmatch(r"\^([A-Z]{2})\[0-9a-fA-F\]\{(\d+)\}\$", pattern.pattern)
    return fixed is not None and 2 + int(fixed.group(2)) == length


def parameter_problems(op: SpecOperation, declared: Operation[Any]) -> Iterator[str]:
    """Every parameter of the spec declared with its wire name, place, rule and requiredness;
    nothing declared that the spec does not have."""
    expected = spec_parameters(op)
    declaration = declared.declaration
    wires: dict[str, Wire] = {} if declaration is None else declaration.wires()
    by_wire = {wire.name: (name, wire) for name, wire in wires.items()}
    fields = {} if declared.params is None else attrs.fields_dict(cast(Any, declared.params))
    for wire_name, (where, schema, required) in expected.items():
        if wire_name not in by_wire:
            yield f"{where} parameter {wire_name} is not declared"
            continue
        name, wire = by_wire[wire_name]
        if wire.where != where:
            yield f"{wire_name} is declared as {wire.where}, the spec has it in {where}"
        if name != NAMED_OTHERWISE.get(wire_name, snake(wire_name)):
            yield f"{wire_name} is named {name}, not {snake(wire_name)}"
        if required != (fields[name].default is attrs.NOTHING):
            yield f"{wire_name}: required is {not required} here, {required} in the spec"
        if resolve(schema).get("nullable") and not wire.nullable:
            yield f"{wire_name}: the spec's nullable is not declared"
        yield from rule_problems(wire_name, wire.rule, schema)
    for wire_name in by_wire.keys() - expected.keys():
        yield f"{wire_name} is declared but not in the spec"


def path_problems(op: SpecOperation, declared: Operation[Any]) -> Iterator[str]:
    """The method, the path's literal segments and placeholders, and each placeholder's SID
    rule where the spec gives the path parameter a pattern (and none where it does not: a
    conversation is also reached by its unique name)."""
    if declared.method != op.method:
        yield f"method {declared.method} != the spec's {op.method}"
    theirs = op.relative.split("/")
    shape = [(s.startswith("{"), "" if s.startswith("{") else s) for s in theirs]
    if [(placeholder, "" if placeholder else s) for placeholder, s in declared.segments] != shape:
        yield f"path {declared.path} does not match the spec's {op.relative}"
        return
    patterns = {
        p["name"]: resolve(p["schema"]).get("pattern")
        for p in op.body.get("parameters", [])
        if p["in"] == "path"
    }
    for (placeholder, name), segment in zip(declared.segments, theirs, strict=True):
        if not placeholder:
            continue
        pattern = patterns.get(segment.strip("{}"))
        rule = declared.path_rules.get(name)
        if pattern is not None and (rule is None or rule.pattern is None):
            yield f"path parameter {name}: the spec's pattern {pattern} is not declared"
        elif rule is not None and rule.pattern is not None and rule.pattern.pattern != pattern:
            theirs_text = "none" if pattern is None else pattern
            yield f"path parameter {name}: pattern {rule.pattern.pattern}, the spec's {theirs_text}"


def page_size_problems(op: SpecOperation, found: Declared) -> Iterator[str]:
    """A list's ``page_size`` takes the spec's maximum and no more."""
    sizes = [p for p in op.body.get("parameters", []) if p["name"] == "PageSize"]
    if not sizes:
        return
    if found.operation.list_key is None:
        yield "the spec pages this operation but it is not declared as a list"
        return
    maximum = sizes[0]["schema"]["maximum"]
    if _page_size_refused(op.scope, found, maximum):
        yield f"page_size={maximum} (the spec's maximum) is refused"
    if not _page_size_refused(op.scope, found, maximum + 1):
        yield f"page_size={maximum + 1} (over the spec's maximum) is accepted"


def _valid_path_value(operation: Operation[Any], name: str) -> str:
    """A SID with the prefix a ``{name:PREFIX}`` placeholder requires (any text otherwise)."""
    rule = operation.path_rules.get(name)
    prefix = "XX" if rule is None or rule.pattern is None else rule.pattern.pattern[1:3]
    return prefix + "0" * 32


def _page_size_refused(scope: Scope, found: Declared, size: int) -> bool:
    session = Session(account_sid="AC" + "0" * 32, auth_token="walk")
    holder: Any = session if scope == "account" else session.service("IS" + "0" * 32)
    method = getattr(getattr(holder, found.namespace), found.operation.name)
    arguments: dict[str, Any] = {}
    path = [_valid_path_value(found.operation, name) for name in found.operation.path_names]
    for _ in range(5):  # a list may need a filter or two (participant conversations)
        try:
            method(*path, **arguments, page_size=size)
        except InvalidArgumentError as error:
            if error.field == "page_size":
                return True
            arguments[error.field] = "walk"
        else:
            return False
    raise AssertionError(f"{found.operation.name} never accepted its arguments: {arguments}")


# -- records --------------------------------------------------------------------------------


def success(op: SpecOperation) -> tuple[str, Mapping[str, Any]]:
    """The 2xx status and its JSON content (``{}`` for a 204)."""
    status = next(code for code in op.body["responses"] if code.startswith("2"))
    content = op.body["responses"][status].get("content", {}).get("application/json", {})
    return status, content


def record_problems(op: SpecOperation, declared: Operation[Any]) -> Iterator[str]:
    """The record has every field of the spec's response (enums with the spec's values), and
    every example response structures into it without losing a key or a value."""
    status, content = success(op)
    if "schema" not in content:
        if declared.record is not None:
            yield f"the spec answers {status} with no body, but a record is declared"
        return
    if declared.record is None:
        yield f"the spec answers {status} with a body, but no record is declared"
        return
    schema = resolve(content["schema"])
    list_key = next((k for k, v in schema["properties"].items() if v.get("type") == "array"), None)
    if "meta" in schema["properties"]:
        if declared.list_key != list_key:
            yield f"list key {declared.list_key!r} != the spec's {list_key!r}"
        assert list_key is not None
        schema = resolve(schema["properties"][list_key]["items"])
    yield from _field_problems(declared.record, schema)
    for name, example in content.get("examples", {}).items():
        value = example["value"]
        try:
            if "meta" in value:
                key = value["meta"]["key"]
                page = parse_page(value, key, functools.partial(structure, cls=declared.record))
                pairs = list(zip(value[key], page.items, strict=True))
            else:
                pairs = [(value, structure(value, declared.record))]
            for raw, record in pairs:
                assert_kept(raw, record)
        except AssertionError as error:
            yield f"example {name!r}: {error}"


def _field_problems(record: type[Any], schema: Mapping[str, Any]) -> Iterator[str]:
    fields = {a.alias: a for a in attrs.fields(record)}
    hints = typing.get_type_hints(record)
    for key, field_schema in schema["properties"].items():
        if key not in fields:
            yield f"{record.__name__} has no field {key!r}"
            continue
        field_schema = resolve(field_schema)
        if "enum" in field_schema:
            kind = _open_enum(hints[fields[key].name])
            if kind is None:
                yield f"{record.__name__}.{key} is an enum in the spec but no OpenEnum here"
            elif not set(field_schema["enum"]) <= {m.value for m in kind}:
                # A record may share a wider enum (a conversation's state has "initializing"
                # too); it must know every value the spec answers.
                yield f"{record.__name__}.{key}: values miss some of {field_schema['enum']}"


def _open_enum(hint: Any) -> type[OpenEnum] | None:
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, OpenEnum):
            return candidate
    return None


def assert_kept(example: Mapping[str, Any], record: Any) -> None:
    """Every key of ``example`` is a field of ``record`` (Twilio's key: the field's alias)
    holding the same value."""
    fields = {a.alias: a.name for a in attrs.fields(type(record))}
    for key, value in example.items():
        assert key in fields, f"{type(record).__name__} has no field {key!r}"
        assert_same(key, value, getattr(record, fields[key]))


def assert_same(key: str, expected: Any, got: Any) -> None:
    """``got`` is what ``expected`` (Twilio's JSON) structured into."""
    if expected is None:
        assert got is None, f"{key}: {got!r} for null"
    elif isinstance(got, datetime):
        assert parse_datetime(expected) == got, key
    elif isinstance(got, URL):
        assert str(got) == expected, key
    elif isinstance(got, enum.Enum):
        assert got.value == expected, f"{key}: {got!r} != {expected!r}"
    elif attrs.has(type(got)):
        assert isinstance(expected, dict), key
        names = {a.alias: a.name for a in attrs.fields(type(got))}
        for inner, value in expected.items():
            if inner in names:
                assert_same(f"{key}.{inner}", value, getattr(got, names[inner]))
            else:
                assert "extra" in names, f"{key}: no field {inner!r} and no extra"
                assert got.extra[inner] == value, f"{key}.{inner}"
    elif (key == "attributes" or key.endswith("_attributes")) and isinstance(expected, str):
        assert got == parse_attributes(expected), key
    elif isinstance(got, Mapping):
        assert isinstance(expected, dict) and got.keys() == expected.keys(), key
        for inner, value in expected.items():
            assert_same(f"{key}.{inner}", value, got[inner])
    elif isinstance(got, tuple):
        assert isinstance(expected, list) and len(got) == len(expected), key
        for position, (value, kept) in enumerate(zip(expected, got, strict=True)):
            assert_same(f"{key}[{position}]", value, kept)
    else:
        assert type(got) is type(expected) and got == expected, f"{key}: {got!r} != {expected!r}"


# -- one operation, every check -------------------------------------------------------------


def problems(op: SpecOperation, found: Declared) -> list[str]:
    """Everything that differs between the spec's operation and the library's declaration."""
    declared = found.operation
    return [
        *path_problems(op, declared),
        *parameter_problems(op, declared),
        *page_size_problems(op, found),
        *record_problems(op, declared),
    ]


def refused_examples(op: SpecOperation, declared: Operation[Any]) -> dict[str, str]:
    """The example request bodies of the spec the declaration refuses (example name -> why),
    given as a user would give them (a datetime for a date-time, a list for an array)."""
    body = op.body.get("requestBody")
    if body is None or declared.declaration is None:
        return {}
    content = body["content"]["application/x-www-form-urlencoded"]
    properties = content["schema"]["properties"]
    by_wire = {wire.name: (name, wire) for name, wire in declared.declaration.wires().items()}
    refused = {}
    for example_name, example in content.get("examples", {}).items():
        arguments = {}
        for wire_name, value in example["value"].items():
            if wire_name not in properties:
                continue  # the spec's example sends a field its schema does not have
            name, wire = by_wire[wire_name]
            if resolve(properties[wire_name]).get("type") == "array" and not isinstance(
                value, list
            ):
                value = [value]  # the spec's example gives one item of an array alone
            arguments[name] = _as_given(wire.rule, value)
        try:
            declared.declaration.encode(arguments)
        except InvalidArgumentError as error:
            refused[example_name] = str(error)
    return refused


def _as_given(rule: Rule, value: Any) -> Any:
    """A value of a spec example as a user passes it: a datetime for a date, a mapping for a
    JSON object (the spec's examples write them as text, which is what goes on the wire)."""
    if isinstance(rule, Each) and isinstance(value, list):
        return [_as_given(rule.item, item) for item in value]
    if isinstance(rule, DateTime) and isinstance(value, str):
        return parse_datetime(value)
    if isinstance(rule, JsonObject | ParticipantJson) and isinstance(value, str):
        return json.loads(value)
    return value
