"""X-Twilio-Signature: the documented example, tampering, and differential tests against twilio."""

from __future__ import annotations

import json
import string
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from conversations_async.webhooks import body_sha256, compute_signature, validate_signature

EXAMPLE_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
EXAMPLE_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
EXAMPLE_TOKEN = "12345"
EXAMPLE_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_documented_example() -> None:
    assert compute_signature(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_TOKEN) == EXAMPLE_SIGNATURE
    assert validate_signature(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, EXAMPLE_TOKEN)


def test_param_order_does_not_matter() -> None:
    pairs = list(reversed(EXAMPLE_PARAMS.items()))
    assert validate_signature(EXAMPLE_URL, pairs, EXAMPLE_SIGNATURE, EXAMPLE_TOKEN)
    assert validate_signature(EXAMPLE_URL, MultiDict(pairs), EXAMPLE_SIGNATURE, EXAMPLE_TOKEN)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (EXAMPLE_URL, {**EXAMPLE_PARAMS, "Digits": "1235"}),
        (EXAMPLE_URL, {**EXAMPLE_PARAMS, "Extra": ""}),
        (EXAMPLE_URL, {k: v for k, v in EXAMPLE_PARAMS.items() if k != "To"}),
        (EXAMPLE_URL, {**{k.lower(): v for k, v in EXAMPLE_PARAMS.items()}}),
        ("https://mycompany.com/myapp.php?foo=1&bar=3", EXAMPLE_PARAMS),
        ("http://mycompany.com/myapp.php?foo=1&bar=2", EXAMPLE_PARAMS),
        ("https://mycompany.com/myapp.php?bar=2&foo=1", EXAMPLE_PARAMS),
        ("https://evil.example/myapp.php?foo=1&bar=2", EXAMPLE_PARAMS),
    ],
)
def test_tampering_fails(url: str, params: dict[str, str]) -> None:
    assert not validate_signature(url, params, EXAMPLE_SIGNATURE, EXAMPLE_TOKEN)


@pytest.mark.parametrize(
    "signature", [None, "", "0/KCTR6DLpKmkAf8muzZqo1nDgQ", "ünïcode", " " * 28]
)
def test_missing_or_malformed_signature_fails(signature: str | None) -> None:
    assert not validate_signature(EXAMPLE_URL, EXAMPLE_PARAMS, signature, EXAMPLE_TOKEN)


def test_wrong_token_fails() -> None:
    assert not validate_signature(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, "12346")


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        (
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
        ),
        (
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
        ),
        ("http://mycompany.com/hook", "http://mycompany.com:80/hook"),
        ("http://mycompany.com:80/hook", "http://mycompany.com/hook"),
        ("https://mycompany.com/hook", "https://mycompany.com:8443/hook"),
        ("https://[2001:db8::1]/hook", "https://[2001:db8::1]:443/hook"),
        ("https://[2001:db8::1]:443/hook", "https://[2001:db8::1]/hook"),
        ("https://bot.example/hook", "https://user:pass@bot.example/hook"),
        ("https://user:pass@bot.example/hook", "https://user:pass@bot.example:443/hook"),
    ],
)
def test_port_and_credential_variants(signed: str, received: str) -> None:
    signature = compute_signature(signed, EXAMPLE_PARAMS, EXAMPLE_TOKEN)
    assert validate_signature(received, EXAMPLE_PARAMS, signature, EXAMPLE_TOKEN)


def test_wrong_default_port_is_not_accepted() -> None:
    signature = compute_signature("https://mycompany.com:80/hook", EXAMPLE_PARAMS, EXAMPLE_TOKEN)
    assert not validate_signature("https://mycompany.com/hook", EXAMPLE_PARAMS, signature, "12345")


def test_repeated_keys_match_twilio_python() -> None:
    pairs = [("Media", "b"), ("Media", "a"), ("Media", "b"), ("Body", "x")]
    expected = RequestValidator(EXAMPLE_TOKEN).compute_signature(EXAMPLE_URL, MultiDict(pairs))
    assert compute_signature(EXAMPLE_URL, pairs, EXAMPLE_TOKEN) == expected
    assert compute_signature(EXAMPLE_URL, MultiDict(pairs), EXAMPLE_TOKEN) == expected
    # Each distinct value counts once, sorted: the duplicate "b" adds nothing.
    assert compute_signature(EXAMPLE_URL, pairs[1:], EXAMPLE_TOKEN) == expected


# --- JSON bodies (bodySHA256) -----------------------------------------------------------------

BODY = json.dumps({"EventType": "onMessageAdded", "Body": "héllo"}, ensure_ascii=False)


def _json_url(body: bytes | str) -> str:
    return f"https://bot.example/hook?bodySHA256={body_sha256(body)}"


def test_body_sha256_variant() -> None:
    url = _json_url(BODY)
    signature = compute_signature(url, None, EXAMPLE_TOKEN)
    assert validate_signature(url, BODY, signature, EXAMPLE_TOKEN)
    assert validate_signature(url, BODY.encode(), signature, EXAMPLE_TOKEN)
    assert RequestValidator(EXAMPLE_TOKEN).validate(url, BODY, signature)


def test_body_sha256_tampered_body_fails() -> None:
    url = _json_url(BODY)
    signature = compute_signature(url, None, EXAMPLE_TOKEN)
    assert not validate_signature(url, BODY.replace("héllo", "hello"), signature, EXAMPLE_TOKEN)
    assert not validate_signature(url, BODY + " ", signature, EXAMPLE_TOKEN)


def test_body_sha256_tampered_hash_fails() -> None:
    # An attacker who changes body and hash together still lacks a signature for the new URL.
    url = _json_url(BODY)
    signature = compute_signature(url, None, EXAMPLE_TOKEN)
    forged = BODY.replace("héllo", "pwned")
    assert not validate_signature(_json_url(forged), forged, signature, EXAMPLE_TOKEN)


def test_body_without_hash_in_url_is_invalid() -> None:
    url = "https://bot.example/hook"
    signature = compute_signature(url, None, EXAMPLE_TOKEN)
    assert not validate_signature(url, BODY, signature, EXAMPLE_TOKEN)


def test_form_params_with_body_hash_in_url_are_signed_normally() -> None:
    url = _json_url(BODY)
    signature = compute_signature(url, EXAMPLE_PARAMS, EXAMPLE_TOKEN)
    assert validate_signature(url, EXAMPLE_PARAMS, signature, EXAMPLE_TOKEN)


# --- rotation and secrecy ---------------------------------------------------------------------


def test_rotation_accepts_any_token() -> None:
    tokens = ["new-token", EXAMPLE_TOKEN]
    assert validate_signature(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, tokens)
    assert validate_signature(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, tuple(tokens))
    assert not validate_signature(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, ["a", "b"])


@pytest.mark.parametrize("tokens", [[], "", ["ok", ""]])
def test_empty_tokens_are_a_configuration_error(tokens: str | list[str]) -> None:
    with pytest.raises(ValueError, match="token"):
        validate_signature(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, tokens)


def test_token_never_in_error_message() -> None:
    secret = "s3cret\udcff"
    with pytest.raises(ValueError, match="UTF-8") as info:
        validate_signature(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, secret)
    assert "s3cret" not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


# --- differential tests against twilio-python -------------------------------------------------

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_url_text = st.text(string.ascii_letters + string.digits + "-._~%", min_size=1, max_size=10)
_hosts = st.lists(
    st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8), min_size=1, max_size=3
).map(".".join)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":3000"]))
    segments = draw(st.lists(_url_text, max_size=3))
    query = draw(st.lists(st.tuples(_url_text, _text.map(quote)), max_size=3))
    url = f"{scheme}://{draw(_hosts)}{port}/" + "/".join(segments)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query)
    return url


params_pairs = st.lists(
    st.tuples(st.sampled_from(["Body", "body", "Media", "Identity", "É", "a.b"]) | _text, _text),
    max_size=8,
)
tokens = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)


@settings(max_examples=300)
@given(url=urls(), pairs=params_pairs, token=tokens)
def test_compute_signature_matches_twilio(
    url: str, pairs: list[tuple[str, str]], token: str
) -> None:
    expected = RequestValidator(token).compute_signature(url, MultiDict(pairs))
    assert compute_signature(url, pairs, token) == expected
    assert compute_signature(url, MultiDict(pairs), token) == expected
    unique = dict(pairs)
    assert compute_signature(url, unique, token) == RequestValidator(token).compute_signature(
        url, unique
    )


@settings(max_examples=300)
@given(
    signed_url=urls(),
    toggle_port=st.booleans(),
    pairs=params_pairs,
    token=tokens,
    tamper=st.sampled_from(["none", "param", "url", "token", "signature"]),
)
def test_validate_matches_twilio(
    signed_url: str, toggle_port: bool, pairs: list[tuple[str, str]], token: str, tamper: str
) -> None:
    validator = RequestValidator(token)
    signature = validator.compute_signature(signed_url, MultiDict(pairs))
    url = signed_url
    if toggle_port:  # the receiving side sees the other form of the default port
        scheme, _, rest = url.partition("://")
        host, slash, tail = rest.partition("/")
        default = ":443" if scheme == "https" else ":80"
        if ":" not in host:
            host += default
        elif host.endswith(default):
            host = host.removesuffix(default)
        url = f"{scheme}://{host}{slash}{tail}"
    received, check_token = list(pairs), token
    if tamper == "param":
        received.append(("Tampered", "1"))
    elif tamper == "url":
        url += "x"
    elif tamper == "token":
        check_token = token + "x"
    elif tamper == "signature":
        signature = signature[:-2] + ("A=" if signature[-2:] != "A=" else "B=")
    ours = validate_signature(url, received, signature, check_token)
    theirs = RequestValidator(check_token).validate(url, MultiDict(received), signature)
    assert ours == theirs
    assert ours == (tamper == "none")


@settings(max_examples=100)
@given(base=urls(), body=_text, token=tokens, tamper=st.booleans())
def test_validate_json_body_matches_twilio(base: str, body: str, token: str, tamper: bool) -> None:
    url = base + ("&" if "?" in base else "?") + f"bodySHA256={body_sha256(body)}"
    signature = compute_signature(url, None, token)
    received = body + "x" if tamper else body
    ours = validate_signature(url, received, signature, token)
    assert ours == RequestValidator(token).validate(url, received, signature)
    assert ours is not tamper
    assert validate_signature(url, received.encode(), signature, token) is ours
