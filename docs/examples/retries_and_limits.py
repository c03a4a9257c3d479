"""Retries and rate limits: a custom RetryPolicy with a hook, and a tuned limiter."""

from __future__ import annotations

import conversations_async as ca


async def main(session: ca.Session) -> None:
    events: list[ca.RetryEvent] = []
    policy = ca.RetryPolicy(
        attempts=6,  # tries in all, the first included
        initial=0.2,  # first backoff; doubles up to max_wait, with full jitter
        max_wait=5.0,
        retry_after_cap=30.0,  # a longer Retry-After is raised at once, not slept
        deadline=60.0,  # no retry starts that would end later than this
        on_retry=events.append,  # log or count; may return a float to wait that long instead
    )
    limiter = ca.AdaptiveLimiter(
        max_permits=20,  # never more requests in flight than this
        writes_per_second=30.0,  # per conversation and per service; None turns pacing off
    )
    async with ca.Session(
        account_sid=session.account_sid,
        auth_token=_token_of(session),
        base_url=session.base_url,
        retry=policy,
        limiter=limiter,
    ) as tuned:
        conversation = await tuned.conversations.create(friendly_name="Tuned")
        await tuned.participants.create(conversation.sid, identity="ada")
        print(tuned.limiter.state, tuned.stats, len(events))


def _token_of(session: ca.Session) -> str:
    # The examples run against the emulator, whose credentials are public test values.
    from conversations_async.testing import DEFAULT_AUTH_TOKEN

    return DEFAULT_AUTH_TOKEN
