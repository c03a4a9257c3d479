"""Push credentials (account scope only): create, fetch, update, delete, list; each type's
secrets asked for before sending; and the secrets themselves (certificate, private key, API
key, server key) stored by the emulator, never answered, and never in a repr, a log line or an
error of the library."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import pytest

from conversations_async import Request, RetryEvent, RetryPolicy, Session
from conversations_async.errors import (
    BadRequestError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
)
from conversations_async.models import Credential, CredentialType
from conversations_async.resources import Credentials
from conversations_async.resources.credentials import CREATE, UPDATE
from conversations_async.testing import Emulator
from conversations_async.testing._state import credentials as credential_state

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIFnTCCcertificate-secret\n-----END CERTIFICATE-----"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQkey-secret\n-----END RSA PRIVATE KEY-----"
SERVER_KEY = "AAAA-firebase-server-key-secret"
API_KEY = "AIza-gcm-api-key-secret"
SECRETS = (CERTIFICATE, PRIVATE_KEY, SERVER_KEY, API_KEY)
SECRET_KEYS = {"certificate", "private_key", "api_key", "secret"}


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        for part in (secret, secret.split("\n")[1] if "\n" in secret else secret):
            assert part not in text, "a secret was shown"


async def test_create_fetch_update_list_delete(session: Session, emulator: Emulator) -> None:
    assert isinstance(session.credentials, Credentials)
    apn = await session.credentials.create(
        type=CredentialType.APN,
        friendly_name="iOS app",
        certificate=CERTIFICATE,
        private_key=PRIVATE_KEY,
        sandbox=True,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/Credentials")
    assert dict(request.form) == {
        "Type": "apn",
        "FriendlyName": "iOS app",
        "Certificate": CERTIFICATE,
        "PrivateKey": PRIVATE_KEY,
        "Sandbox": "true",
    }
    assert isinstance(apn, Credential)
    assert apn.sid.startswith("CR")
    assert (apn.type, apn.friendly_name, apn.sandbox, apn.is_sandbox) == (
        CredentialType.APN,
        "iOS app",
        "True",
        True,
    )
    assert await session.credentials.fetch(apn.sid) == apn

    fcm = await session.credentials.create(type="FcM", secret=SERVER_KEY)  # any case
    assert dict(emulator.requests[-1].form) == {"Type": "fcm", "Secret": SERVER_KEY}
    assert fcm.type is CredentialType.FCM
    assert fcm.is_sandbox is False

    renewed = await session.credentials.update(
        apn.sid, certificate=CERTIFICATE + "2", private_key=PRIVATE_KEY + "2", sandbox=False
    )
    assert emulator.requests[-1].path == f"/v1/Credentials/{apn.sid}"
    assert renewed.is_sandbox is False and renewed.friendly_name == "iOS app"
    stored = credential_state.of(emulator.store).secrets
    assert stored[apn.sid] == {"Certificate": CERTIFICATE + "2", "PrivateKey": PRIVATE_KEY + "2"}
    assert stored[fcm.sid] == {"Secret": SERVER_KEY}

    assert [c.sid async for c in session.credentials.list()] == [apn.sid, fcm.sid]
    assert [c.sid async for c in session.credentials.list(page_size=1)] == [apn.sid, fcm.sid]
    await session.credentials.delete(apn.sid)
    assert emulator.requests[-1].method == "DELETE"
    with pytest.raises(NotFoundError) as caught:
        await session.credentials.fetch(apn.sid)
    assert caught.value.code == 20404
    assert [c.sid async for c in session.credentials.list()] == [fcm.sid]


async def test_no_answer_holds_a_secret(session: Session, emulator: Emulator) -> None:
    """Twilio's Credential has no field for any secret: the emulator never echoes one."""
    await session.credentials.create(type="apn", certificate=CERTIFICATE, private_key=PRIVATE_KEY)
    gcm = await session.credentials.create(type="gcm", api_key=API_KEY)
    for path in (("v1", "Credentials"), ("v1", "Credentials", gcm.sid)):
        raw = await session.request(Request(method="GET", path=path))
        text = json.dumps(raw)
        assert_no_secret(text)
        records = raw["credentials"] if isinstance(raw, dict) and "credentials" in raw else [raw]
        for record in records:
            assert isinstance(record, dict) and not SECRET_KEYS & set(record)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"type": "apn", "private_key": PRIVATE_KEY}, "certificate"),
        ({"type": "apn", "certificate": CERTIFICATE}, "private_key"),
        ({"type": "fcm"}, "secret"),
        ({"type": "gcm"}, "api_key"),
        ({"type": "fcm", "secret": SERVER_KEY, "certificate": CERTIFICATE}, "certificate"),
        ({"type": "fcm", "secret": SERVER_KEY, "sandbox": True}, "sandbox"),
        (
            {
                "type": "apn",
                "certificate": CERTIFICATE,
                "private_key": PRIVATE_KEY,
                "secret": SERVER_KEY,
            },
            "secret",
        ),
        ({"type": "gcm", "api_key": API_KEY, "secret": SERVER_KEY}, "secret"),
        ({"type": "fcm", "secret": ""}, "secret"),
        ({"type": "fcm", "secret": 1234}, "secret"),
        ({"type": "fcm", "secret": SERVER_KEY + "\ud800"}, "secret"),
        ({"type": "hms", "secret": SERVER_KEY}, "type"),
        ({"type": "fcm", "secret": SERVER_KEY, "friendly_name": "x" * 65}, "friendly_name"),
    ],
)
async def test_bad_credentials_are_refused_before_sending_without_showing_a_secret(
    session: Session, emulator: Emulator, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await session.credentials.create(**arguments)
    error = caught.value
    assert error.field == field
    assert error.__cause__ is None and error.__context__ is None
    assert_no_secret(repr(error) + str(error.args) + "".join(traceback.format_exception(error)))
    assert not emulator.requests


async def test_an_update_with_a_type_refuses_another_types_secrets(
    session: Session, emulator: Emulator
) -> None:
    fcm = await session.credentials.create(type="fcm", secret=SERVER_KEY)
    with pytest.raises(InvalidArgumentError) as caught:
        await session.credentials.update(fcm.sid, type="fcm", private_key=PRIVATE_KEY)
    assert caught.value.field == "private_key"
    assert_no_secret(str(caught.value))
    # Without a type the stored one decides, in the emulator as at Twilio.
    named = await session.credentials.update(fcm.sid, friendly_name="Android")
    assert named.friendly_name == "Android" and named.type is CredentialType.FCM
    with pytest.raises(BadRequestError) as refused:
        await session.credentials.update(fcm.sid, type="apn", certificate=CERTIFICATE)
    assert refused.value.code == 20001
    assert "PrivateKey" in refused.value.message
    assert_no_secret(str(refused.value))
    assert (await session.credentials.fetch(fcm.sid)).type is CredentialType.FCM


def test_a_request_repr_hides_the_secrets_it_carries() -> None:
    arguments = {
        "type": "apn",
        "certificate": CERTIFICATE,
        "private_key": PRIVATE_KEY,
        "friendly_name": "shown",
    }
    request = CREATE.request(None, arguments)
    form = dict(request.form)
    assert form["Certificate"] == CERTIFICATE and form["PrivateKey"] == PRIVATE_KEY
    assert_no_secret(repr(request) + str(request) + repr(request.form) + f"{request!r}")
    assert "'shown'" in repr(request)
    update = UPDATE.request(None, {"credential": "CR" + "0" * 32, "secret": SERVER_KEY})
    assert_no_secret(repr(update))
    assert "Secret" in repr(update)


async def test_no_log_line_or_retry_event_shows_a_secret(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    events: list[RetryEvent] = []

    def on_retry(event: RetryEvent) -> None:
        events.append(event)

    retry = RetryPolicy(initial=0.0, max_wait=0.0, jitter=False, on_retry=on_retry)
    emulator.fail_next("POST", "/v1/Credentials", status=429, times=2)
    async with emulator.session(retry=retry) as session:
        created = await session.credentials.create(
            type="apn", certificate=CERTIFICATE, private_key=PRIVATE_KEY
        )
    assert len(events) == 2
    assert created.sid.startswith("CR")
    assert caplog.records  # the retries were logged
    for record in caplog.records:
        assert_no_secret(record.getMessage() + repr(record.args))
    for event in events:
        assert_no_secret(repr(event) + str(event.error))


async def test_a_gcm_credential_keeps_its_api_key(session: Session, emulator: Emulator) -> None:
    gcm = await session.credentials.create(type="GCM", api_key=API_KEY, friendly_name="old")
    assert gcm.type is CredentialType.GCM
    assert credential_state.of(emulator.store).secrets[gcm.sid] == {"ApiKey": API_KEY}


async def test_an_error_of_a_create_holds_no_secret(session: Session, emulator: Emulator) -> None:
    """Neither the error nor anything chained to it (its cause, its context) shows a secret.

    (The arguments of a call are in its frame's locals, as for any Python function: a
    traceback formatted with ``capture_locals=True`` shows what was passed.)"""
    emulator.fail_next("POST", "/v1/Credentials", status=500)
    with pytest.raises(ServerError) as caught:
        await session.credentials.create(type="fcm", secret=SERVER_KEY)
    texts = []
    error: BaseException | None = caught.value
    while error is not None:
        texts += [repr(error), str(error), repr(error.args), repr(vars(error))]
        texts.append("".join(traceback.format_exception(error)))
        error = error.__cause__ or error.__context__
    assert_no_secret("\n".join(texts))
