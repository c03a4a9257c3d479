"""Onboarding on a queue: arq workers, on any number of hosts, sharing one account's limits.

Each worker process opens one Session and one RedisLimiter at start-up; every job adds one
batch of identities to a conversation with ``create_many``. Start as many workers as you like::

    export REDIS_URL=redis://redis.internal:6379/0
    export TWILIO_ACCOUNT_SID=AC… TWILIO_API_KEY=SK… TWILIO_API_SECRET=…
    arq onboarding_worker.WorkerSettings

and queue the work from anywhere with :func:`enqueue`. One Redis serves both the queue and the
limiter. Against the emulator (``conversations-async emulator``), also export
``TWILIO_CONVERSATIONS_BASE_URL`` (its root), and ``ONBOARDING_WRITES_PER_SECOND=off`` when it
runs without ``--writes-per-second``. ``tests/docs/test_docs_arq_worker.py`` runs this very file
on three arq workers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from arq import Retry
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job

import conversations_async as ca
from conversations_async.redis_limiter import RedisLimiter

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
MAX_PERMITS = 20
"""Requests in flight for the whole account, all workers on all hosts together."""
BATCH = 100
"""Identities per job: small jobs are retried cheaply and finish well inside ``job_timeout``."""
# Twilio allows 30 writes per second per conversation; "off" only for a server without that
# limit (the emulator started without --writes-per-second).
_writes = os.environ.get("ONBOARDING_WRITES_PER_SECOND", "30")
WRITES_PER_SECOND = None if _writes == "off" else float(_writes)
JOB_TIMEOUT = float(os.environ.get("ONBOARDING_JOB_TIMEOUT", "60"))
"""Seconds one batch may take (a longer one is cancelled, and fails). A killed worker's job is
run again by another worker once arq's in-progress mark expires, ``JOB_TIMEOUT + 10`` seconds
after the job started."""


async def startup(ctx: dict[str, Any]) -> None:
    limiter = RedisLimiter(
        REDIS_URL,
        account_sid=os.environ["TWILIO_ACCOUNT_SID"],
        max_permits=MAX_PERMITS,
        writes_per_second=WRITES_PER_SECOND,
    )
    await limiter.check()  # a wrong REDIS_URL fails the worker now, not its first job
    ctx["limiter"] = limiter
    ctx["twilio"] = ca.Session.from_env(limiter=limiter)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["twilio"].aclose()
    await ctx["limiter"].aclose()


async def onboard(ctx: dict[str, Any], conversation: str, identities: list[str]) -> dict[str, Any]:
    """One job: add each identity to the conversation once; the counts of each status.

    A retried job (its worker died, or arq re-ran it) is safe: who is already there comes back
    ``existed``, never doubled."""
    session: ca.Session = ctx["twilio"]
    report = await session.participants.create_many(
        conversation, [ca.NewParticipant(identity=identity) for identity in identities]
    )
    if report.unknown:
        # No read-back answered for some: running the same batch again settles them.
        raise Retry(defer=5)
    return {
        **{status.value: count for status, count in report.counts.items()},
        "failures": {identities[result.index]: str(result.error) for result in report.failed},
    }


class WorkerSettings:
    functions = (onboard,)
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    job_timeout = JOB_TIMEOUT
    max_tries = 5  # runs of one job, the first included: a killed worker's job counts one
    max_jobs = 2  # jobs at a time per worker; the limiter decides when each request is sent


async def enqueue(pool: ArqRedis, conversation: str, identities: Sequence[str]) -> list[Job]:
    """Queue ``identities`` for ``conversation``, one job per ``BATCH``; the jobs queued.

    A job's ID names its batch, so queueing the same batch again while it is queued, running
    or has its result kept (an hour, arq's default) queues nothing."""
    jobs = []
    for start in range(0, len(identities), BATCH):
        batch = list(identities[start : start + BATCH])
        job_id = f"onboard:{conversation}:{batch[0]}:{len(batch)}"
        job = await pool.enqueue_job("onboard", conversation, batch, _job_id=job_id)
        if job is not None:
            jobs.append(job)
    return jobs
