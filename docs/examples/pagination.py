"""Walk a long list: item by item, page by page, or just the first page."""

from __future__ import annotations

import conversations_async as ca


async def main(session: ca.Session) -> None:
    conversation = await session.conversations.create(friendly_name="Town hall")
    for i in range(25):
        await session.participants.create(conversation.sid, identity=f"guest-{i:02d}")

    # Every item, fetched one page at a time (only one page is ever held in memory).
    identities = [p.identity async for p in session.participants.list(conversation.sid)]
    assert len(identities) == 25

    # Page by page, for batch work.
    async for page in session.participants.list(conversation.sid, page_size=10).pages():
        print(f"page {page.page}: {len(page)} participants, more: {page.has_next}")

    # The first ten only: one request with PageSize=10, and no second page.
    first_ten = [p async for p in session.participants.list(conversation.sid, limit=10)]
    assert len(first_ten) == 10

    # Just the first page.
    page = await session.participants.list(conversation.sid, page_size=5)
    print([p.identity for p in page])
