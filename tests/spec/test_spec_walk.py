"""The spec walk: every operation of Twilio's official OpenAPI spec (every path x method of
tests/spec/twilio_conversations_v1.json) is declared by the library, at the right scope, with
every parameter (form field, query parameter, header) under Twilio's wire name, pattern, enum,
bounds and requiredness, as a list where the spec pages it (its largest page size and no more),
and with a record that has every field of the spec's response and keeps every example response
without losing a key or a value. The summary test proves the count ("103 of 103")."""

from __future__ import annotations

from typing import Final

import attrs
import pytest
from _spec_walk import (
    HOLDERS,
    RESULTS,
    SCOPES,
    Declared,
    Scope,
    SpecOperation,
    assert_kept,
    declarations,
    namespaces,
    problems,
    refused_examples,
    spec_operations,
)

from conversations_async import Session
from conversations_async._sansio import Operation, Params
from conversations_async._sansio.params import form
from conversations_async._sansio.rules import Choice, sid
from conversations_async._types import NotGiven
from conversations_async.models import (
    AddressConfiguration,
    Credential,
    NewMessageNotification,
    NotificationConfiguration,
    OpenEnum,
)
from conversations_async.resources import Resource

SPEC_OPERATIONS: Final = 103
"""How many operations the spec copy has (DESIGN.md: 56 at account scope, 47 in a service)."""
EXPECTED_MISSING: Final[frozenset[str]] = frozenset()
"""Operations of the spec not declared yet: none."""
REFUSED_ON_PURPOSE: Final = {
    # The spec's examples create a credential with its type alone. Twilio answers an fcm
    # create without Secret with 400 / 20001 "'Secret' must be present"
    # (twilio/voice-quickstart-android#42), so each type's secrets are asked for before sending.
    "CreateCredential": {"create", "createPushTypeGcm", "createPushTypeFcm"},
}
OPERATIONS: Final = spec_operations()
DECLARED: Final = {scope: declarations(scope) for scope in SCOPES}


def walk(op: SpecOperation) -> list[str]:
    """What is wrong with the library's declaration of ``op`` (empty: proven)."""
    found = DECLARED[op.scope].get(op.operation_id)
    if found is None:
        other = next((s for s in SCOPES if op.operation_id in DECLARED[s]), None)
        where = f"; it is declared at {other} scope" if other else ""
        return [f"{op.operation_id} ({op.method} {op.path}) is not declared{where}"]
    return problems(op, found)


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.operation_id for op in OPERATIONS])
def test_the_operation_is_declared_as_the_spec_says(op: SpecOperation) -> None:
    declared = op.operation_id in DECLARED[op.scope]
    if op.operation_id in EXPECTED_MISSING:
        assert not declared, f"{op.operation_id} is declared now: remove it from EXPECTED_MISSING"
        RESULTS[op.operation_id] = "missing"
        pytest.skip("declared by the other half of issue 13 (EXPECTED_MISSING)")
    found = walk(op)
    RESULTS[op.operation_id] = "failed" if found else "proven"
    assert found == []


def test_the_walk_proves_every_operation_of_the_spec() -> None:
    assert len(OPERATIONS) == SPEC_OPERATIONS
    assert len({op.operation_id for op in OPERATIONS}) == SPEC_OPERATIONS
    by_scope = {scope: sum(op.scope == scope for op in OPERATIONS) for scope in SCOPES}
    assert by_scope == {"account": 56, "service": 47}
    failures = {op.operation_id: walk(op) for op in OPERATIONS}
    missing = sorted(i for i, found in failures.items() if found and "is not declared" in found[0])
    broken = {i: found for i, found in failures.items() if found and i not in missing}
    proven = SPEC_OPERATIONS - len(missing) - len(broken)
    summary = f"{proven} of {SPEC_OPERATIONS} operations of the spec proven"
    assert broken == {}, summary
    assert set(missing) == EXPECTED_MISSING, f"{summary}; missing: {missing}"
    assert proven == SPEC_OPERATIONS - len(EXPECTED_MISSING), summary
    print(f"spec walk: {summary}")


def test_every_declared_operation_is_in_the_spec_at_its_scope() -> None:
    """No declaration names an operation the spec does not have, or has at another scope."""
    spec_scope = {op.operation_id: op.scope for op in OPERATIONS}
    for scope, found in DECLARED.items():
        for operation_id, declared in found.items():
            assert operation_id in spec_scope, f"{declared.resource.__name__}: {operation_id}?"
            assert spec_scope[operation_id] == scope, f"{operation_id} is not a {scope} operation"


def test_a_namespace_exists_only_at_the_scopes_the_spec_has_it() -> None:
    """A resource is reachable exactly at the scopes its operations exist at; at the other one
    its name is an AttributeError, not a namespace that always fails."""
    reachable = {scope: namespaces(HOLDERS[scope]) for scope in SCOPES}
    resources = {cls for found in reachable.values() for cls in found.values()}
    for cls in resources:
        scopes = {
            scope for index, scope in enumerate(SCOPES) for op in cls.operations if op.spec[index]
        }
        if not scopes:
            continue  # beyond the spec (e.g. media on another host)
        at = {scope for scope in SCOPES if cls in reachable[scope].values()}
        assert at == scopes, f"{cls.__name__} is reachable at {at}, the spec has it at {scopes}"
    session = Session(account_sid="AC" + "0" * 32, auth_token="walk")
    holders = {"account": session, "service": session.service("IS" + "0" * 32)}
    pairs: tuple[tuple[Scope, Scope], ...] = (("account", "service"), ("service", "account"))
    for scope, other in pairs:
        for name in reachable[scope].keys() - reachable[other].keys():
            with pytest.raises(AttributeError):
                getattr(holders[other], name)


def test_the_account_only_and_service_only_namespaces_of_issue_13() -> None:
    account, service = (namespaces(HOLDERS[scope]) for scope in SCOPES)
    for name in ("credentials", "address_configurations"):
        assert name in account and name not in service
    for name in ("bindings", "notification_configuration"):
        assert name in service and name not in account
    assert account["configuration"] is not service["configuration"]  # two resources, one name


@pytest.mark.parametrize(
    "op",
    [op for op in OPERATIONS if "requestBody" in op.body],
    ids=[op.operation_id for op in OPERATIONS if "requestBody" in op.body],
)
def test_every_example_request_of_the_spec_is_accepted(op: SpecOperation) -> None:
    """As a user would pass them (a datetime for a date, a mapping for a JSON object), save
    those the library refuses on purpose, which it must refuse."""
    found = DECLARED[op.scope].get(op.operation_id)
    if found is None:
        assert op.operation_id in EXPECTED_MISSING
        pytest.skip("declared by the other half of issue 13 (EXPECTED_MISSING)")
    refused = refused_examples(op, found.operation)
    assert set(refused) == REFUSED_ON_PURPOSE.get(op.operation_id, set()), refused


def test_the_walk_catches_a_declaration_that_disagrees_with_the_spec() -> None:
    """The checks are honest: a declaration wrong in each way the walk looks at is caught."""

    class Kind(OpenEnum):
        SMS = "sms"

    @attrs.frozen(kw_only=True)
    class Wrong(Params):
        type: str = form("Type", Choice(Kind), default=attrs.NOTHING)  # enum misses values
        address: str | NotGiven = form("Address")  # required in the spec
        name: str | NotGiven = form("FriendlyName")  # named otherwise
        auto_creation_studio_flow_sid: str | NotGiven = form(
            "AutoCreation.StudioFlowSid",
            sid("MG"),  # another pattern
        )
        auto_creation_enabled: str | NotGiven = form("AutoCreation.Enabled")  # not a Flag
        auto_creation_webhook_filters: str | NotGiven = form("AutoCreation.WebhookFilters")
        shoe_size: str | NotGiven = form("ShoeSize")  # not in the spec

    @attrs.frozen(kw_only=True)
    class Partial:
        sid: str
        account_sid: str | None = None

    op = next(op for op in OPERATIONS if op.operation_id == "CreateConfigurationAddress")
    wrong = Operation("create", "PUT", "Configuration/Address", Partial, Wrong)
    found = problems(op, Declared("address_configurations", Resource, wrong))
    expected = [
        "method PUT != the spec's POST",
        "path Configuration/Address does not match the spec's Configuration/Addresses",
        "Type: enum ['sms'] != the spec's",
        "Address: required is False here, True in the spec",
        "FriendlyName is named name, not friendly_name",
        "AutoCreation.StudioFlowSid: pattern ^MG",
        "AutoCreation.Enabled: a boolean needs a Flag rule",
        "AutoCreation.WebhookFilters: the spec's array needs an Each rule",
        "form parameter AutoCreation.StudioRetryCount is not declared",
        "ShoeSize is declared but not in the spec",
        "Partial has no field 'address'",
        "example 'create': Partial has no field 'address'",
    ]
    for text in expected:
        assert any(problem.startswith(text) for problem in found), (text, found)


def test_the_walk_catches_a_path_parameter_without_the_spec_s_pattern() -> None:
    by_id = {op.operation_id: op for op in OPERATIONS}
    untyped = Operation("fetch", "GET", "Credentials/{credential}", Credential)
    found = problems(by_id["FetchCredential"], Declared("credentials", Resource, untyped))
    assert found == [
        "path parameter credential: the spec's pattern ^CR[0-9a-fA-F]{32}$ is not declared"
    ]
    # An address configuration is reached by SID or by its address: no pattern to require.
    typed = Operation(
        "fetch", "GET", "Configuration/Addresses/{address_configuration:IG}", AddressConfiguration
    )
    operation = by_id["FetchConfigurationAddress"]
    found = problems(operation, Declared("address_configurations", Resource, typed))
    assert found == [
        "path parameter address_configuration: pattern ^IG[0-9a-fA-F]{32}$, the spec's none"
    ]


def test_the_walk_catches_a_record_that_loses_a_value() -> None:
    with pytest.raises(AssertionError, match="badge_count_enabled"):
        assert_kept(
            {"new_message": {"badge_count_enabled": True}},
            NotificationConfiguration(new_message=NewMessageNotification()),
        )
    with pytest.raises(AssertionError, match="log_enabled"):
        assert_kept({"log_enabled": 1}, NotificationConfiguration(log_enabled=True))
