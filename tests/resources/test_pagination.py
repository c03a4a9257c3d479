"""AsyncPager and Page against the emulator over HTTP: every item, in order, one page at a time."""

from __future__ import annotations

import pytest
from yarl import URL

import conversations_async as ca
from conversations_async._pagination import first_page_size, next_page_request
from conversations_async.testing import Emulator


async def add_participants(
    emulator: Emulator, session: ca.Session, count: int
) -> tuple[str, list[str]]:
    """A conversation with ``count`` chat participants, seeded straight into the emulator's
    store: the writes are not under test here, and over HTTP they would be paced at 30/s."""
    conversation = await session.conversations.create(friendly_name="paging")
    store = emulator.store
    sids = [
        store.create_participant(None, conversation.sid, {"Identity": f"user-{i:03d}"})["sid"]
        for i in range(count)
    ]
    return conversation.sid, sids


def page_requests(emulator: Emulator, conversation: str) -> list[ca.testing.RecordedRequest]:
    path = f"/v1/Conversations/{conversation}/Participants"
    return [r for r in emulator.requests if r.method == "GET" and r.path == path]


async def test_250_participants_page_size_7_all_in_order_in_36_pages(
    emulator: Emulator, session: ca.Session
) -> None:
    conversation, sids = await add_participants(emulator, session, 250)
    emulator.reset_counters()

    seen = [p.sid async for p in session.participants.list(conversation, page_size=7)]

    assert seen == sids
    requests = page_requests(emulator, conversation)
    assert len(requests) == 36
    assert all(dict(r.query)["PageSize"] == "7" for r in requests)
    assert "PageToken" not in dict(requests[0].query)
    # Every later page is the emulator's next_page_url, followed as given (opaque token).
    assert all(dict(r.query)["PageToken"].startswith("PT") for r in requests[1:])


async def test_list_makes_no_request_until_iterated(
    emulator: Emulator, session: ca.Session
) -> None:
    conversation, _ = await add_participants(emulator, session, 3)
    emulator.reset_counters()
    pager = session.participants.list(conversation)
    assert isinstance(pager, ca.AsyncPager)
    assert emulator.counters.requests == 0
    first = await pager
    assert isinstance(first, ca.Page)
    assert len(first) == 3 and first.key == "participants" and not first.has_next
    assert emulator.counters.requests == 1
    assert "PageSize" not in dict(emulator.requests[0].query)  # Twilio's default applies


async def test_limit_smaller_than_page_asks_only_for_what_is_needed(
    emulator: Emulator, session: ca.Session
) -> None:
    conversation, sids = await add_participants(emulator, session, 30)
    emulator.reset_counters()
    got = [p.sid async for p in session.participants.list(conversation, limit=4)]
    assert got == sids[:4]
    (request,) = page_requests(emulator, conversation)
    assert dict(request.query)["PageSize"] == "4"


async def test_limit_never_fetches_an_unneeded_page(
    emulator: Emulator, session: ca.Session
) -> None:
    conversation, sids = await add_participants(emulator, session, 30)
    emulator.reset_counters()
    pager = session.participants.list(conversation, limit=20, page_size=10)
    got = [p.sid async for p in pager]
    assert got == sids[:20]
    assert len(page_requests(emulator, conversation)) == 2  # the third page is never asked for

    emulator.reset_counters()
    pager = session.participants.list(conversation, limit=15, page_size=10)
    pages = [page async for page in pager.pages()]
    assert [len(p) for p in pages] == [10, 5]
    assert [p.sid for page in pages for p in page] == sids[:15]
    assert len(page_requests(emulator, conversation)) == 2


async def test_pages_expose_meta(emulator: Emulator, session: ca.Session) -> None:
    conversation, _ = await add_participants(emulator, session, 5)
    pages = [p async for p in session.participants.list(conversation, page_size=2).pages()]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [p.page for p in pages] == [0, 1, 2]
    assert pages[0].next_page_url == pages[1].url
    assert pages[-1].next_page_url is None
    assert pages[1].previous_page_url is not None


async def test_breaking_early_stops_fetching(emulator: Emulator, session: ca.Session) -> None:
    conversation, sids = await add_participants(emulator, session, 12)
    emulator.reset_counters()
    got = []
    async for participant in session.participants.list(conversation, page_size=5):
        got.append(participant.sid)
        if len(got) == 6:
            break
    assert got == sids[:6]
    assert len(page_requests(emulator, conversation)) == 2


@pytest.mark.parametrize("page_size", [0, 101, -1, True, 2.5, "10"])
async def test_bad_page_size_is_refused_before_any_request(
    emulator: Emulator, session: ca.Session, page_size: object
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        session.participants.list("CH" + "0" * 32, page_size=page_size)  # type: ignore[arg-type]
    assert caught.value.field == "page_size"
    assert emulator.counters.requests == 0


@pytest.mark.parametrize("limit", [0, -3, True, 1.5])
async def test_bad_limit_is_refused(emulator: Emulator, session: ca.Session, limit: object) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        session.participants.list("CH" + "0" * 32, limit=limit)  # type: ignore[arg-type]
    assert caught.value.field == "limit"
    assert emulator.counters.requests == 0


async def test_page_errors_are_typed(emulator: Emulator, session: ca.Session) -> None:
    with pytest.raises(ca.NotFoundError) as caught:
        [p async for p in session.participants.list("CH" + "f" * 32)]
    assert (caught.value.status, caught.value.code) == (404, 20404)


async def test_page_fetch_is_retried_like_any_read(emulator: Emulator, session: ca.Session) -> None:
    conversation, sids = await add_participants(emulator, session, 4)
    emulator.fail_next("GET", f"/v1/Conversations/{conversation}/Participants", status=503)
    emulator.fail_next("GET", f"/v1/Conversations/{conversation}/Participants", status=429)
    got = [p.sid async for p in session.participants.list(conversation, page_size=2)]
    assert got == sids
    assert emulator.counters.by_status[503] == 1 and emulator.counters.by_status[429] == 1


def test_first_page_size() -> None:
    assert first_page_size(None, None) is None
    assert first_page_size(None, 30) == 30
    assert first_page_size(4, None) == 4
    assert first_page_size(500, None) == 100
    assert first_page_size(4, 50) == 4
    assert first_page_size(120, 50) == 50


def test_next_page_url_must_stay_on_the_sessions_host() -> None:
    base = URL("http://127.0.0.1:8099")
    same = URL("http://127.0.0.1:8099/v1/Conversations?PageSize=5&Page=1&PageToken=PTx")
    assert next_page_request(same, base).url == same
    with pytest.raises(ca.ResponseValidationError):
        next_page_request(URL("https://evil.example/v1/Conversations"), base)
    twilio = URL("https://conversations.sydney.us1.twilio.com")
    plain = URL("https://conversations.twilio.com/v1/Conversations?PageToken=PTx")
    assert next_page_request(plain, twilio).url == plain
    relative = URL("/v1/Conversations?PageToken=PTx")
    assert next_page_request(relative, base).url == base.join(relative)
