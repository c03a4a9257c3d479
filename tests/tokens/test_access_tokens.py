"""Access tokens: the same JWT as Twilio's own SDK, verifiable with the secret, secrets hidden."""

from __future__ import annotations

import types
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations_async.errors import InvalidArgumentError
from conversations_async.tokens import MAX_TTL, AccessTokenIssuer

ACCOUNT = "AC" + "a1" * 16
KEY = "SK" + "b2" * 16
SECRET = "s3cr3t-" + "x" * 25  # 32 characters, like Twilio's API key secrets
SERVICE = "IS" + "c3" * 16
PUSH = "CR" + "d4" * 16
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


def issuer(**options: Any) -> AccessTokenIssuer:
    options.setdefault("clock", lambda: NOW + 0.75)
    return AccessTokenIssuer(account_sid=ACCOUNT, api_key=KEY, api_secret=SECRET, **options)


@pytest.fixture
def frozen_sdk(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Twilio's encoder with its clock fixed at NOW (it reads ``time.time()`` directly)."""
    import twilio.jwt as sdk_jwt
    from twilio.jwt import access_token as sdk_access_token

    fixed = types.SimpleNamespace(time=lambda: NOW + 0.75)
    monkeypatch.setattr(sdk_jwt, "time", fixed)
    monkeypatch.setattr(sdk_access_token, "time", fixed)
    return sdk_access_token


def sdk_token(sdk: Any, identity: str, ttl: int = 3600, **grant: str) -> str:
    from twilio.jwt.access_token.grants import ChatGrant

    token = sdk.AccessToken(ACCOUNT, KEY, SECRET, identity=identity, ttl=ttl)
    token.add_grant(ChatGrant(**grant))
    result: str = token.to_jwt()
    return result


def test_the_token_is_the_official_sdks_token(frozen_sdk: Any) -> None:
    ours = issuer(chat_service_sid=SERVICE, push_credential_sid=PUSH).chat_token("alice")
    theirs = sdk_token(frozen_sdk, "alice", service_sid=SERVICE, push_credential_sid=PUSH)
    assert jwt.get_unverified_header(ours) == jwt.get_unverified_header(theirs)
    assert jwt.get_unverified_header(ours) == {
        "alg": "HS256",
        "typ": "JWT",
        "cty": "twilio-fpa;v=1",
    }
    options: Any = {"verify_exp": False, "verify_nbf": False}
    ours_claims = jwt.decode(ours, SECRET, algorithms=["HS256"], options=options)
    theirs_claims = jwt.decode(theirs, SECRET, algorithms=["HS256"], options=options)
    assert ours_claims == theirs_claims
    assert ours_claims == {
        "jti": f"{KEY}-{NOW}",
        "iss": KEY,
        "sub": ACCOUNT,
        "nbf": NOW,
        "exp": NOW + 3600,
        "grants": {
            "identity": "alice",
            "chat": {"service_sid": SERVICE, "push_credential_sid": PUSH},
        },
    }
    assert ours == theirs  # same claims in the same order: the very same bytes


def test_an_endpoint_id_and_a_chat_grant_without_service(frozen_sdk: Any) -> None:
    ours = issuer().chat_token("bob", endpoint_id="bob-phone", ttl=timedelta(minutes=5))
    assert ours == sdk_token(frozen_sdk, "bob", ttl=300, endpoint_id="bob-phone")
    bare = issuer().chat_token("carol")
    assert bare == sdk_token(frozen_sdk, "carol")
    assert (
        jwt.decode(bare, SECRET, algorithms=["HS256"], options={"verify_exp": False})["grants"][
            "chat"
        ]
        == {}
    )


identities = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(identity=identities, ttl=st.integers(min_value=1, max_value=MAX_TTL))
def test_any_identity_and_ttl_match_the_sdk(identity: str, ttl: int) -> None:
    import twilio.jwt as sdk_jwt
    from twilio.jwt import access_token as sdk

    fixed = types.SimpleNamespace(time=lambda: NOW)
    saved = sdk_jwt.time, sdk.time
    sdk_jwt.time = sdk.time = fixed
    try:
        theirs = sdk_token(sdk, identity, ttl=ttl, service_sid=SERVICE)
    finally:
        sdk_jwt.time, sdk.time = saved
    ours = issuer(chat_service_sid=SERVICE, clock=lambda: NOW).chat_token(identity, ttl=ttl)
    assert ours == theirs


def test_a_minted_token_verifies_with_the_sdks_decoder_and_the_secret() -> None:
    from twilio.jwt.access_token import AccessToken

    token = issuer(chat_service_sid=SERVICE, clock=lambda: datetime.now(UTC).timestamp())
    minted = token.chat_token("dora")
    decoded = AccessToken.from_jwt(minted, SECRET)
    assert decoded.payload["grants"] == {"identity": "dora", "chat": {"service_sid": SERVICE}}
    assert decoded.payload["sub"] == ACCOUNT
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(minted, "another-secret-" + "y" * 20, algorithms=["HS256"])
    claims = jwt.decode(minted, SECRET, algorithms=["HS256"])  # exp and nbf checked: valid now
    assert claims["exp"] - claims["nbf"] == 3600


def test_per_token_values_override_the_issuers(frozen_sdk: Any) -> None:
    other_service = "IS" + "e5" * 16
    ours = issuer(chat_service_sid=SERVICE, ttl=600).chat_token(
        "erin", chat_service_sid=other_service
    )
    assert ours == sdk_token(frozen_sdk, "erin", ttl=600, service_sid=other_service)


def test_not_before_and_region() -> None:
    later = datetime.fromtimestamp(NOW + 60, UTC)
    minted = issuer(region="ie1").chat_token("finn", not_before=later)
    assert jwt.get_unverified_header(minted)["twr"] == "ie1"
    claims = jwt.decode(
        minted, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}
    )
    assert claims["nbf"] == NOW + 60


def test_the_secret_is_never_shown() -> None:
    minter = issuer(chat_service_sid=SERVICE)
    assert SECRET not in repr(minter)
    assert SECRET not in str(vars(minter))
    with pytest.raises(InvalidArgumentError) as caught:
        AccessTokenIssuer(account_sid=ACCOUNT, api_key=KEY, api_secret=SECRET[:20])
    assert caught.value.field == "api_secret"
    assert SECRET[:20] not in str(caught.value)
    assert SECRET[:20] not in repr(caught.value.args)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"account_sid": "AC123"}, "account_sid"),
        ({"api_key": "AC" + "b2" * 16}, "api_key"),
        ({"api_secret": 42}, "api_secret"),
        ({"chat_service_sid": "CH" + "c3" * 16}, "chat_service_sid"),
        ({"push_credential_sid": "nope"}, "push_credential_sid"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": MAX_TTL + 1}, "ttl"),
        ({"ttl": True}, "ttl"),
        ({"ttl": timedelta(seconds=1.5)}, "ttl"),
        ({"region": "ie1/../x"}, "region"),
        ({"clock": 5}, "clock"),
    ],
)
def test_bad_issuer_options_name_their_field(options: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"account_sid": ACCOUNT, "api_key": KEY, "api_secret": SECRET}
    arguments.update(options)
    with pytest.raises(InvalidArgumentError) as caught:
        AccessTokenIssuer(**arguments)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("identity", "options", "field"),
    [
        ("", {}, "identity"),
        (None, {}, "identity"),
        ("\ud800", {}, "identity"),
        ("a", {"ttl": -5}, "ttl"),
        ("a", {"endpoint_id": ""}, "endpoint_id"),
        ("a", {"not_before": datetime(2026, 1, 1)}, "not_before"),
        ("a", {"not_before": 5}, "not_before"),
        ("a", {"chat_service_sid": "IS1"}, "chat_service_sid"),
    ],
)
def test_bad_token_arguments_name_their_field(
    identity: Any, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        issuer().chat_token(identity, **options)
    assert caught.value.field == field


def test_from_env() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_API_KEY": KEY,
        "TWILIO_API_SECRET": SECRET,
        "TWILIO_CONVERSATIONS_SERVICE_SID": SERVICE,
    }
    minter = AccessTokenIssuer.from_env(env, clock=lambda: NOW)
    claims = jwt.decode(
        minter.chat_token("gus"),
        SECRET,
        algorithms=["HS256"],
        options={"verify_exp": False, "verify_nbf": False},
    )
    assert claims["grants"]["chat"] == {"service_sid": SERVICE}
    with pytest.raises(InvalidArgumentError) as caught:
        AccessTokenIssuer.from_env({"TWILIO_ACCOUNT_SID": ACCOUNT})
    assert caught.value.field == "api_key"
