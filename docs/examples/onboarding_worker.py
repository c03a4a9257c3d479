"""One onboarding worker of many, sharing the account's limits through Redis.

Start it several times, on one host or many, each with its own slice of the identities::

    export REDIS_URL=redis://localhost:6379/0 TWILIO_ACCOUNT_SID=AC… TWILIO_AUTH_TOKEN=…
    python onboarding_worker.py CH… --worker 0 --workers 4 --count 1000 &
    python onboarding_worker.py CH… --worker 1 --workers 4 --count 1000 &
    ...

Against the emulator (``conversations-async emulator --max-in-flight 20 --writes-per-second 30``)
add ``--base-url http://127.0.0.1:8099`` and use its printed credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import os

import conversations_async as ca
from conversations_async.errors import ConflictError
from conversations_async.redis_limiter import RedisLimiter


async def onboard(
    session: ca.Session, conversation: str, identities: list[str]
) -> tuple[int, list[str]]:
    """Add each identity once; an identity already there counts as done. (done, failures)"""
    failures: list[str] = []

    async def add(identity: str) -> None:
        try:
            await session.participants.create(conversation, identity=identity)
        except ConflictError as error:
            if not error.already_in_conversation:
                failures.append(f"{identity}: {error}")
        except ca.ConversationsError as error:
            failures.append(f"{identity}: {error}")

    # Every coroutine may start at once: the shared limiter decides when each one is sent.
    await asyncio.gather(*(add(identity) for identity in identities))
    return len(identities) - len(failures), failures


async def run(args: argparse.Namespace) -> int:
    account_sid = os.environ["TWILIO_ACCOUNT_SID"]
    async with (
        RedisLimiter(
            os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
            account_sid=account_sid,
            max_permits=args.max_permits,
            on_redis_error="fallback",
        ) as limiter,
        ca.Session.from_env(limiter=limiter, base_url=args.base_url) as session,
    ):
        mine = [f"user-{i:06d}" for i in range(args.worker, args.count, args.workers)]
        done, failures = await onboard(session, args.conversation, mine)
    print(f"worker {args.worker}: {done} onboarded, {len(failures)} failed")
    for failure in failures[:10]:
        print("  ", failure)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="one onboarding worker of many")
    parser.add_argument("conversation", help="CH… SID or unique name")
    parser.add_argument("--worker", type=int, default=0, help="this worker's number, from 0")
    parser.add_argument("--workers", type=int, default=1, help="how many workers share the job")
    parser.add_argument("--count", type=int, default=100, help="identities in the whole job")
    parser.add_argument("--max-permits", type=int, default=20, help="account-wide in flight")
    parser.add_argument("--base-url", default=None, help="e.g. the emulator's root")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
