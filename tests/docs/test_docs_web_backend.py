"""The web-backend guide: its aiohttp application against the emulator, and its inbox and
history code as written in the guide."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import jwt
import pytest
from _examples import EXAMPLES, load_example

from conversations_async import Session
from conversations_async.testing import Emulator

GUIDE = EXAMPLES.parent / "guide" / "web-backend.md"
KEY = "SK" + "4" * 32
SECRET = "web-backend-secret-" + "z" * 13
SERVICE = "IS" + "3" * 32


@pytest.fixture
async def keyed() -> Any:
    async with Emulator(api_keys={KEY: SECRET}) as emulator:
        yield emulator


async def test_the_token_endpoint_mints_for_the_signed_in_user(
    keyed: Emulator, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "TWILIO_ACCOUNT_SID": keyed.account_sid,
        "TWILIO_API_KEY": KEY,
        "TWILIO_API_SECRET": SECRET,
        "TWILIO_CONVERSATIONS_SERVICE_SID": SERVICE,
        "TWILIO_CONVERSATIONS_BASE_URL": keyed.base_url,
        "TWILIO_CONVERSATIONS_MEDIA_BASE_URL": keyed.media_base_url,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)
    client = await aiohttp_client(load_example("web_backend").create_app())
    answer = await client.get("/token", headers={"X-User": "alice"})
    assert answer.status == 200
    claims = jwt.decode((await answer.json())["token"], SECRET, algorithms=["HS256"])
    assert claims["grants"] == {"identity": "alice", "chat": {"service_sid": SERVICE}}
    assert (claims["iss"], claims["sub"]) == (KEY, keyed.account_sid)
    assert (await client.get("/token")).status == 401
    assert list(keyed.requests) == []  # minting is local: no request to Twilio


def guide_code() -> str:
    text = GUIDE.read_text()
    block = text.split("<!-- web-backend-start -->")[1].split("<!-- web-backend-end -->")[0]
    return block.split("```python")[1].split("```")[0]


PENDING = not (hasattr(Session, "participant_conversations") and hasattr(Session, "messages"))


@pytest.mark.skipif(
    PENDING,
    reason="PENDING: session.participant_conversations and session.messages are written by "
    "another helper of issue 12; this runs the guide's code once they are merged",
)
async def test_the_inbox_and_history_code_of_the_guide(session: Session) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(guide_code(), str(GUIDE), "exec"), namespace)
    support = await session.conversations.create(friendly_name="Support")
    await session.conversations.create(friendly_name="Not alice's")
    await session.participants.create(support.sid, identity="alice")
    for n in range(5):
        await cast(Any, session).messages.create(support.sid, author="alice", body=f"message {n}")
    inbox = await namespace["inbox"](session, "alice")
    assert [(c["sid"], c["name"]) for c in inbox] == [(support.sid, "Support")]
    latest = await namespace["latest_messages"](session, support.sid, count=3)
    assert [m["body"] for m in latest] == ["message 4", "message 3", "message 2"]
    pages = [page async for page in namespace["history_pages"](session, support.sid, page_size=2)]
    assert pages == [["message 4", "message 3"], ["message 2", "message 1"], ["message 0"]]


def test_the_guide_code_is_valid_python() -> None:
    compile(guide_code(), str(GUIDE), "exec")  # runs above once the namespaces exist
    assert Path(GUIDE).is_file()
