"""``Session()`` reads the TWILIO_* environment for what it is not given, group by group:
the account, the secret (a token or an API key pair) and the host. An explicit argument wins."""

from __future__ import annotations

import pytest

from conversations_async import Session
from conversations_async._options import from_environment
from conversations_async.errors import AuthenticationError, InvalidArgumentError
from conversations_async.testing import Emulator

SID = "AC" + "1" * 32
TOKEN = "env-token-never-shown"


def located(environ: dict[str, str], **given: object) -> dict[str, object]:
    arguments = dict.fromkeys(
        ("account_sid", "auth_token", "api_key", "api_secret", "base_url", "edge", "region")
    )
    arguments.update(given)
    return from_environment(environ, **arguments)._asdict()


def test_nothing_given_reads_every_group() -> None:
    found = located(
        {
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_CONVERSATIONS_BASE_URL": "http://127.0.0.1:1",
        }
    )
    assert found["account_sid"] == SID
    assert found["auth_token"] == TOKEN
    assert found["base_url"] == "http://127.0.0.1:1"


def test_an_explicit_token_pairs_with_the_environments_account() -> None:
    found = located({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}, auth_token="mine")
    assert (found["account_sid"], found["auth_token"]) == (SID, "mine")


def test_an_explicit_secret_never_pairs_with_the_environments_key() -> None:
    environ = {"TWILIO_API_KEY": "SKenv", "TWILIO_API_SECRET": "env-secret"}
    found = located(environ, auth_token="mine")
    assert found["api_key"] is None and found["api_secret"] is None
    # Nor the other way round: an explicit key pair leaves TWILIO_AUTH_TOKEN unread.
    found = located({"TWILIO_AUTH_TOKEN": TOKEN}, api_key="SK1", api_secret="s")
    assert found["auth_token"] is None


def test_the_environments_api_key_wins_over_its_token() -> None:
    environ = {"TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_KEY": "SK1", "TWILIO_API_SECRET": "s"}
    found = located(environ)
    assert (found["api_key"], found["api_secret"], found["auth_token"]) == ("SK1", "s", None)


def test_an_explicit_host_leaves_the_environments_host_unread() -> None:
    environ = {"TWILIO_CONVERSATIONS_BASE_URL": "http://127.0.0.1:1", "TWILIO_REGION": "ie1"}
    found = located(environ, edge="sydney")
    assert (found["base_url"], found["edge"], found["region"]) == (None, "sydney", None)
    found = located(environ, base_url="https://example.test")
    assert (found["base_url"], found["edge"], found["region"]) == (
        "https://example.test",
        None,
        None,
    )


def test_the_environments_base_url_wins_over_its_edge_and_region() -> None:
    environ = {
        "TWILIO_CONVERSATIONS_BASE_URL": "http://127.0.0.1:1",
        "TWILIO_EDGE": "sydney",
        "TWILIO_REGION": "au1",
    }
    found = located(environ)
    assert (found["base_url"], found["edge"], found["region"]) == ("http://127.0.0.1:1", None, None)
    found = located({"TWILIO_EDGE": "sydney", "TWILIO_REGION": "au1"})
    assert (found["edge"], found["region"]) == ("sydney", "au1")


def test_empty_variables_count_as_unset() -> None:
    environ = {"TWILIO_ACCOUNT_SID": "", "TWILIO_API_KEY": "", "TWILIO_AUTH_TOKEN": TOKEN}
    found = located(environ)
    assert found["account_sid"] is None
    assert found["auth_token"] == TOKEN  # an empty TWILIO_API_KEY does not pick the key pair


async def test_session_with_no_arguments_talks_to_the_environments_emulator(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("TWILIO_CONVERSATIONS_BASE_URL", emulator.base_url)
    async with Session() as session:
        conversation = await session.conversations.create(friendly_name="from the environment")
    assert str(session.base_url) == emulator.base_url
    assert conversation.account_sid == emulator.account_sid


async def test_an_explicit_token_wins_over_the_environments(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong-token")
    monkeypatch.setenv("TWILIO_CONVERSATIONS_BASE_URL", emulator.base_url)
    async with Session() as wrong:
        with pytest.raises(AuthenticationError):
            await wrong.conversations.create(friendly_name="refused")
    async with Session(auth_token=emulator.auth_token) as right:
        await right.conversations.create(friendly_name="accepted")


async def test_an_explicit_token_is_not_paired_with_the_environments_api_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with Emulator(api_keys={"SKwrong": "not-this-one"}) as emulator:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
        monkeypatch.setenv("TWILIO_API_KEY", "SKwrong")
        monkeypatch.setenv("TWILIO_API_SECRET", "wrong-secret")
        monkeypatch.setenv("TWILIO_CONVERSATIONS_BASE_URL", emulator.base_url)
        async with Session(auth_token=emulator.auth_token) as session:
            await session.conversations.create(friendly_name="with the explicit token")
        assert emulator.requests[-1].username == emulator.account_sid


def test_explicit_edge_wins_over_the_environments_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_CONVERSATIONS_BASE_URL", "http://127.0.0.1:8099")
    session = Session(account_sid=SID, auth_token=TOKEN, edge="sydney", region="au1")
    assert session.base_url.host == "conversations.sydney.au1.twilio.com"
    assert str(Session(account_sid=SID, auth_token=TOKEN).base_url) == "http://127.0.0.1:8099"


def test_no_credentials_anywhere_names_the_missing_one() -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        Session()
    assert raised.value.field == "account_sid"


def test_a_bad_environment_token_is_refused_without_being_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # os.environ holds bytes that are not UTF-8 as lone surrogates.
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN + "\udcff")
    with pytest.raises(InvalidArgumentError) as raised:
        Session()
    assert raised.value.field == "auth_token"
    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value.args)


def test_from_env_with_a_mapping_does_not_read_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_CONVERSATIONS_BASE_URL", "http://127.0.0.1:8099")
    with pytest.raises(InvalidArgumentError):
        Session.from_env({})  # os.environ's credentials are not used
    session = Session.from_env({"TWILIO_ACCOUNT_SID": "AC2", "TWILIO_AUTH_TOKEN": "t"})
    assert session.account_sid == "AC2"
    assert session.base_url.host == "conversations.twilio.com"  # nor its host
    # Session() afterwards reads os.environ again.
    assert str(Session().base_url) == "http://127.0.0.1:8099"


def test_from_env_keyword_arguments_win_group_by_group() -> None:
    environ = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_API_KEY": "SKenv",
        "TWILIO_API_SECRET": "env-secret",
        "TWILIO_CONVERSATIONS_BASE_URL": "http://127.0.0.1:8099",
    }
    session = Session.from_env(environ, auth_token="mine", edge="dublin", region="ie1")
    assert session._username == SID  # the explicit token, with the environment's account
    assert session.base_url.host == "conversations.dublin.ie1.twilio.com"
