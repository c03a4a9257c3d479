"""The scaling-out guide's arq worker (``docs/examples/onboarding_worker.py``), run as written.

Three arq worker processes on one redis-server share one RedisLimiter and onboard 2,000
participants into 10 emulator conversations, through 5xx answers and cut connections. One worker
is killed (SIGKILL) in the middle of a job; arq runs its jobs again on the others once their
in-progress mark expires (``job_timeout`` + 10 s), and nobody is doubled.

The emulator runs here, in the test's process, on loopback; the workers reach it over HTTP through
``TWILIO_CONVERSATIONS_BASE_URL``. Each worker signs in with an API key of its own (one key per
host, as Twilio suggests keys be used), which is how the emulator tells whose request it serves.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import attrs
import pytest
from _examples import EXAMPLES, load_example
from _redis_server import RedisServer
from aiohttp import BasicAuth, web
from aiohttp.typedefs import Handler
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job, JobResult

from conversations_async.testing import Emulator, Faults

worker_example = load_example("onboarding_worker")
MAX_PERMITS: int = worker_example.MAX_PERMITS
BATCH: int = worker_example.BATCH

CONVERSATIONS = 10
PER_CONVERSATION = 200
WORKERS = 3
JOB_TIMEOUT = 20.0
"""Five times the longest job here (up to 4 s, waiting for permits and backing off after
faults), and short enough that the killed worker's jobs run again 30 s after they started."""
KILL_AFTER = 20
"""The victim is killed at its first commit where one of its jobs has at least this many of
its creates done and fewer than ``BATCH - MAX_PERMITS``: what it had in flight then (at most
``MAX_PERMITS`` requests) cannot finish the job, so the kill is certain to land mid-job."""
FAULTS = Faults(
    latency=0.05,  # so that requests overlap at the server, and its in-flight count means something
    max_in_flight=MAX_PERMITS,
    server_error_rate=0.02,
    server_error_after_commit_rate=0.02,
    disconnect_after_commit_rate=0.02,
    seed=14,
)
API_KEYS = {f"SK{worker:032x}": f"secret-of-worker-{worker}" for worker in range(WORKERS)}
VICTIM = next(iter(API_KEYS))

pytestmark = pytest.mark.timeout(150)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A redis-server of this test's own: its queue and limiter state start empty."""
    server = RedisServer()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def arq_pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    yield pool
    await pool.aclose()


@attrs.define
class Kill:
    """The victim's state when it was killed."""

    job: str
    """The job it was certainly in the middle of."""
    commits: int
    """That job's creates it had done."""


@attrs.define
class Watch:
    """Inside the emulator: who committed which job's creates. At the first commit where the
    victim is certainly mid-job while every other worker is at work, it kills the victim."""

    emulator: Emulator
    job_of: dict[str, str] = attrs.field(factory=dict)
    """Identity -> the ID of the job that adds it."""
    victim: subprocess.Popen[bytes] | None = None
    commits: collections.defaultdict[str, collections.Counter[str]] = attrs.field(
        factory=lambda: collections.defaultdict(collections.Counter)
    )
    """API key -> job ID -> creates committed for that job by that key's worker."""
    kill: Kill | None = None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or not request.path.endswith("/Participants"):
            return await handler(request)
        identity = str((await request.post()).get("Identity"))
        entry = self.emulator.store.conversations.get(request.path.split("/")[-2])
        if entry is None:
            return await handler(request)
        before = identity in entry.by_identity
        try:
            return await handler(request)
        finally:
            # Applied by this request, whatever it was answered (a 500 or a cut connection).
            if not before and identity in entry.by_identity:
                key = BasicAuth.decode(request.headers["Authorization"]).login
                self.committed(key, self.job_of[identity])

    def committed(self, key: str, job: str) -> None:
        self.commits[key][job] += 1
        if self.kill is not None or key != VICTIM or self.victim is None:
            return
        done = self.commits[key][job]
        everyone_at_work = all(self.commits[other] for other in API_KEYS)
        if everyone_at_work and KILL_AFTER <= done < BATCH - MAX_PERMITS:
            self.victim.send_signal(signal.SIGKILL)  # now, before another request is served
            self.kill = Kill(job=job, commits=done)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The worker processes a test starts: whatever still runs at the end is killed, even when
    the test's event loop was interrupted."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def start_worker(
    key: str, redis_url: str, emulator: Emulator, log: Path
) -> subprocess.Popen[bytes]:
    """``python -m arq onboarding_worker.WorkerSettings``, configured only by its environment."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TWILIO_", "ONBOARDING_", "REDIS_"))
    }
    env.update(
        REDIS_URL=redis_url,
        TWILIO_ACCOUNT_SID=emulator.account_sid,
        TWILIO_API_KEY=key,
        TWILIO_API_SECRET=API_KEYS[key],
        TWILIO_CONVERSATIONS_BASE_URL=emulator.base_url,
        ONBOARDING_WRITES_PER_SECOND="off",  # the emulator runs without a write limit
        ONBOARDING_JOB_TIMEOUT=str(JOB_TIMEOUT),
        PYTHONPATH=os.pathsep.join(filter(None, [str(EXAMPLES), os.environ.get("PYTHONPATH")])),
    )
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "arq", "onboarding_worker.WorkerSettings"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def wait_for(condition: Callable[[], bool], what: str, seconds: float) -> None:
    """Poll ``condition()`` until it is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds:g} s")
        await asyncio.sleep(0.05)


async def results(jobs: list[Job], seconds: float) -> dict[str, JobResult]:
    """Every job's result, waiting for the last (a retried job's) at most ``seconds``."""
    found: dict[str, JobResult] = {}
    deadline = time.monotonic() + seconds
    while len(found) < len(jobs):
        for job in jobs:
            if job.job_id not in found and (info := await job.result_info()) is not None:
                found[job.job_id] = info
        if time.monotonic() > deadline:
            missing = sorted({job.job_id for job in jobs} - found.keys())
            pytest.fail(f"no result within {seconds:g} s for {missing}")
        await asyncio.sleep(0.25)
    return found


async def exit_code(process: subprocess.Popen[bytes], seconds: float) -> int:
    """The exit code of ``process``, waited for without blocking the emulator."""
    await wait_for(lambda: process.poll() is not None, f"exit of process {process.pid}", seconds)
    return process.wait()


async def test_arq_workers_onboard_everyone_once_through_faults_and_a_killed_worker(
    redis_url: str, arq_pool: ArqRedis, processes: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    started = time.monotonic()
    emulator = Emulator(api_keys=API_KEYS)
    watch = Watch(emulator)
    emulator.app.middlewares.append(watch.middleware)
    logs = {key: tmp_path / f"worker-{n}.log" for n, key in enumerate(API_KEYS)}
    async with emulator:
        async with emulator.session() as session:
            conversations = [
                (await session.conversations.create(friendly_name=f"cohort {c}")).sid
                for c in range(CONVERSATIONS)
            ]
        workers = {key: start_worker(key, redis_url, emulator, logs[key]) for key in API_KEYS}
        processes.extend(workers.values())
        watch.victim = workers[VICTIM]
        await wait_for(
            lambda: all(b"Starting worker" in log.read_bytes() for log in logs.values()),
            "start of every worker",
            seconds=30,
        )
        emulator.reset_counters()
        emulator.faults = FAULTS

        # Queued with the example's own enqueue(): one job per BATCH identities.
        jobs: list[Job] = []
        expected: dict[str, set[str]] = {}
        for c, conversation in enumerate(conversations):
            identities = [f"user-{c:02d}-{i:03d}" for i in range(PER_CONVERSATION)]
            expected[conversation] = set(identities)
            queued = await worker_example.enqueue(arq_pool, conversation, identities)
            assert len(queued) == PER_CONVERSATION // BATCH
            for k, job in enumerate(queued):
                for identity in identities[k * BATCH : (k + 1) * BATCH]:
                    watch.job_of[identity] = job.job_id
            jobs.extend(queued)

        await wait_for(lambda: watch.kill is not None, "kill (victim mid-job, others at work)", 30)
        assert await exit_code(workers[VICTIM], seconds=10) == -signal.SIGKILL
        kill = watch.kill
        assert kill is not None

        # arq runs the killed worker's jobs again once their in-progress mark has expired.
        done = await results(jobs, seconds=JOB_TIMEOUT + 10 + 40)
        for key, process in workers.items():
            if key != VICTIM:
                process.send_signal(signal.SIGTERM)  # arq's graceful stop: on_shutdown runs
        for key, process in workers.items():
            if key != VICTIM:
                assert await exit_code(process, seconds=20) == 0, logs[key].read_text()
    wall = time.monotonic() - started

    # The workers logged no error, and the survivors closed their Session and limiter.
    for log in logs.values():
        text = log.read_text()
        assert "Traceback" not in text, text
        assert "Unclosed" not in text, text

    # Every job's report accounted for: each identity once, created or already there.
    assert len(done) == len(jobs) == CONVERSATIONS * PER_CONVERSATION // BATCH
    for job_id, info in done.items():
        assert info.success, (job_id, info.result)
        report = info.result
        assert report["failed"] == report["unknown"] == 0, (job_id, report)
        assert report["failures"] == {}
        assert report["created"] + report["existed"] == BATCH, (job_id, report)

    # The killed worker's job ran again elsewhere (arq's try 2) and was finished there.
    assert done[kill.job].job_try >= 2
    by_others = sum(watch.commits[key][kill.job] for key in API_KEYS if key != VICTIM)
    assert watch.commits[VICTIM][kill.job] >= kill.commits >= KILL_AFTER
    assert by_others >= 1
    assert watch.commits[VICTIM][kill.job] + by_others == BATCH
    assert all(watch.commits[key] for key in API_KEYS), "every worker added participants"

    # Exactly 2,000 on the server: everyone there, nobody doubled.
    doubles = 0
    for conversation, everyone in expected.items():
        records = emulator.store.conversations[conversation].participants.values()
        seen = collections.Counter(record["identity"] for record in records)
        doubles += sum(n - 1 for n in seen.values())
        assert set(seen) == everyone
    assert doubles == 0
    assert emulator.participants_created == CONVERSATIONS * PER_CONVERSATION

    # The shared limiter kept the three workers inside the account's cap together.
    counters = emulator.counters
    assert counters.by_status[429] == counters.throttled == 0
    assert counters.max_in_flight <= MAX_PERMITS
    # The faults were met, not dodged.
    assert counters.server_errors > 0
    assert counters.disconnects > 0

    retried = sorted(job_id for job_id, info in done.items() if info.job_try > 1)
    existed = sum(info.result["existed"] for info in done.values())
    print(
        f"\n{len(jobs)} jobs on {WORKERS} arq workers: {counters.creates} creates applied"
        f" ({emulator.participants_created} participants), {counters.requests} requests,"
        f" {counters.server_errors} 5xx, {counters.disconnects} cut connections,"
        f" {counters.throttled} 429s, max in flight {counters.max_in_flight} (cap"
        f" {MAX_PERMITS}); worker killed after {kill.commits} creates of {kill.job}, retried"
        f" jobs {len(retried)} (try {done[kill.job].job_try} of the killed one), existed"
        f" {existed}, doubles {doubles}; {wall:.1f} s"
    )
