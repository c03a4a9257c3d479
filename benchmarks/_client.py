"""One client run as a process of its own: add N participants, print one JSON line of figures.

Running each client in a fresh process makes its figures its own: ``cpu`` is this process's
``time.process_time()`` across the measured part only (imports and setup excluded), and
``max_rss_kib`` its peak resident memory (``ru_maxrss``, in KiB on Linux).

Clients:

- ``aiohttp``: the floor. Bare aiohttp posting the same form bodies, no retries, no parsing
  beyond reading the body.
- ``aiohttp-json``: the floor reading its answer as a naive client would
  (``await response.json()``, the standard ``json``): a reference for what reading costs there,
  not the floor the ratios are against.
- ``twilio``: the official SDK's async path (``AsyncTwilioHttpClient``). It does not retry.
- ``ours-gather``: ``session.participants.create`` for each identity under ``asyncio.gather``.
- ``ours-gather-raw``: the same requests, built by the same operation, sent with
  ``Session.request_raw``: all that ``create`` does except decoding and structuring the answer
  (what the floor never does), so that the two counts tell that part's cost from the rest.
- ``ours-create-many``: ``session.participants.create_many`` over a generator of specs.
- ``ours-stream-many``: ``async for`` over ``session.participants.stream_many`` (nothing kept).
- ``ours-create-many-counts``: ``create_many(..., keep_results=False)``, counting in
  ``on_result``.
- ``baseline``: imports the library and opens a Session, nothing else (memory reference).

The two streaming clients also sample their resident memory after each tenth of the specs
(``rss_samples``: specs done, current RSS and peak RSS so far, in KiB), so that a run of a
million shows whether memory grows with the input.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

import attrs

CLIENTS = (
    "aiohttp",
    "aiohttp-json",
    "twilio",
    "ours-gather",
    "ours-gather-raw",
    "ours-create-many",
    "ours-stream-many",
    "ours-create-many-counts",
    "baseline",
)


@attrs.define(kw_only=True)
class Job:
    base_url: str
    account_sid: str
    auth_token: str
    conversation: str
    n: int
    concurrency: int
    writes_per_second: float | None = None
    """The server's per-conversation write limit (None: unlimited), told to our limiter."""
    prefix: str = "user-"


@attrs.define
class Outcome:
    """What a client says happened (the server's account is taken separately)."""

    successes: int = 0
    failed: list[str] = attrs.field(factory=list)
    """Identities the client reported as not added."""
    throttled_seen: int | None = None
    """429 answers the client met, where it can tell (None: it cannot)."""
    errors: dict[str, int] = attrs.field(factory=dict)
    rss_samples: list[tuple[int, int, int]] = attrs.field(factory=list)
    """``(specs done, current RSS KiB, peak RSS KiB)`` after each tenth of the input."""

    def fail(self, identity: str, error: BaseException | str) -> None:
        self.failed.append(identity)
        name = error if isinstance(error, str) else type(error).__name__
        self.errors[name] = self.errors.get(name, 0) + 1


async def run_aiohttp(job: Job, *, read_json: bool = False) -> Outcome:
    import aiohttp

    outcome = Outcome(throttled_seen=0)
    url = f"{job.base_url}/v1/Conversations/{job.conversation}/Participants"
    # As aiohttp 3.14 asks (BasicAuth and auth= are deprecated there): the header, encoded
    # once. Before 3.14 there is no encode_basic_auth, and BasicAuth does not warn.
    encode = getattr(aiohttp, "encode_basic_auth", None)
    authorization = (
        encode(job.account_sid, job.auth_token)
        if encode is not None
        else aiohttp.BasicAuth(job.account_sid, job.auth_token).encode()
    )
    semaphore = asyncio.Semaphore(job.concurrency)
    connector = aiohttp.TCPConnector(limit=job.concurrency, limit_per_host=0)
    headers = {"Authorization": authorization}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def add(identity: str) -> None:
            async with semaphore:
                try:
                    async with http.post(url, data={"Identity": identity}) as response:
                        status = response.status
                        if read_json and status == 201:
                            sid = (await response.json())["sid"]
                            assert isinstance(sid, str), sid
                        else:
                            await response.read()
                except (aiohttp.ClientError, OSError) as exc:
                    outcome.fail(identity, exc)
                    return
            if status == 201:
                outcome.successes += 1
            else:
                if status == 429:
                    assert outcome.throttled_seen is not None
                    outcome.throttled_seen += 1
                outcome.fail(identity, f"HTTP {status}")

        await asyncio.gather(*(add(f"{job.prefix}{i}") for i in range(job.n)))
    return outcome


async def run_twilio(job: Job) -> Outcome:
    from twilio.base.exceptions import TwilioRestException
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    outcome = Outcome(throttled_seen=0)
    # Built inside the running loop: AsyncTwilioHttpClient makes its aiohttp session here.
    http_client = AsyncTwilioHttpClient()
    client = Client(job.account_sid, job.auth_token, http_client=http_client)
    client.conversations.base_url = job.base_url
    participants = client.conversations.v1.conversations(job.conversation).participants
    semaphore = asyncio.Semaphore(job.concurrency)

    async def add(identity: str) -> None:
        async with semaphore:
            try:
                await participants.create_async(identity=identity)
            except TwilioRestException as exc:
                if exc.status == 429:
                    assert outcome.throttled_seen is not None
                    outcome.throttled_seen += 1
                outcome.fail(identity, f"HTTP {exc.status}")
                return
            except Exception as exc:  # the SDK lets aiohttp's exceptions through
                outcome.fail(identity, exc)
                return
        outcome.successes += 1

    try:
        await asyncio.gather(*(add(f"{job.prefix}{i}") for i in range(job.n)))
    finally:
        await http_client.close()
    return outcome


def _session(job: Job) -> Any:
    from conversations_async import AdaptiveLimiter, Session

    # The default limiter spaces writes to one conversation at Twilio's 30/s. Where the emulator
    # has no such limit, pacing would measure the limit rather than the client, so it is set to
    # what the server enforces (30/s under the rate scenario: the default).
    limiter = AdaptiveLimiter(max_permits=job.concurrency, writes_per_second=job.writes_per_second)
    return Session(
        account_sid=job.account_sid,
        auth_token=job.auth_token,
        base_url=job.base_url,
        max_concurrency=job.concurrency,
        limiter=limiter,
    )


async def run_ours_gather(job: Job) -> Outcome:
    from conversations_async.errors import ConversationsError

    outcome = Outcome()
    async with _session(job) as session:

        async def add(identity: str) -> None:
            try:
                await session.participants.create(job.conversation, identity=identity)
            except ConversationsError as exc:
                outcome.fail(identity, exc)
                return
            outcome.successes += 1

        await asyncio.gather(*(add(f"{job.prefix}{i}") for i in range(job.n)))
        outcome.throttled_seen = session.stats.throttled
    return outcome


async def run_ours_gather_raw(job: Job) -> Outcome:
    from conversations_async.errors import ConversationsError

    # The operation that participants.create declares (private: this client exists only to
    # tell the answer's decoding and structuring apart from the rest of a create).
    from conversations_async.resources._participant_spec import CREATE

    outcome = Outcome()
    async with _session(job) as session:

        async def add(identity: str) -> None:
            request = CREATE.request(None, {"conversation": job.conversation, "identity": identity})
            try:
                answer = await session.request_raw(request)
            except ConversationsError as exc:
                outcome.fail(identity, exc)
                return
            if answer.status == 201:
                outcome.successes += 1
            else:
                outcome.fail(identity, f"HTTP {answer.status}")

        await asyncio.gather(*(add(f"{job.prefix}{i}") for i in range(job.n)))
        outcome.throttled_seen = session.stats.throttled
    return outcome


async def run_ours_create_many(job: Job) -> Outcome:
    import conversations_async as ca

    new_participant = getattr(ca, "NewParticipant", None)
    if new_participant is None:
        raise Unavailable("conversations_async has no create_many/NewParticipant on this branch")
    outcome = Outcome()
    async with _session(job) as session:
        specs = (new_participant(identity=f"{job.prefix}{i}") for i in range(job.n))
        report = await session.participants.create_many(
            job.conversation, specs, concurrency=job.concurrency
        )
        for result in report:
            if result.ok:
                outcome.successes += 1
            else:
                outcome.fail(f"{job.prefix}{result.index}", result.error or "failed")
        outcome.throttled_seen = session.stats.throttled
    return outcome


def current_rss_kib() -> int:
    """This process's resident memory now (``ru_maxrss`` is only the peak)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:  # not Linux: the peak is the best there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


class Tracker:
    """Counts results as they come, sampling RSS after each tenth of the input."""

    def __init__(self, job: Job, outcome: Outcome) -> None:
        self._job = job
        self._outcome = outcome
        self._every = max(1, job.n // 10)
        self._done = 0

    def __call__(self, result: Any) -> None:
        if result.ok:
            self._outcome.successes += 1
        else:
            self._outcome.fail(f"{self._job.prefix}{result.index}", result.error or "failed")
        self._done += 1
        if self._done % self._every == 0 or self._done == self._job.n:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self._outcome.rss_samples.append((self._done, current_rss_kib(), peak))


async def run_ours_stream_many(job: Job) -> Outcome:
    outcome = Outcome()
    track = Tracker(job, outcome)
    async with _session(job) as session:
        if not hasattr(session.participants, "stream_many"):
            raise Unavailable("conversations_async has no stream_many on this branch")
        from conversations_async import NewParticipant

        specs = (NewParticipant(identity=f"{job.prefix}{i}") for i in range(job.n))
        async for result in session.participants.stream_many(
            job.conversation, specs, concurrency=job.concurrency
        ):
            track(result)
        outcome.throttled_seen = session.stats.throttled
    return outcome


async def run_ours_create_many_counts(job: Job) -> Outcome:
    import inspect

    outcome = Outcome()
    track = Tracker(job, outcome)
    async with _session(job) as session:
        create_many = session.participants.create_many
        if "keep_results" not in inspect.signature(create_many).parameters:
            raise Unavailable("conversations_async has no create_many(keep_results=) here")
        from conversations_async import NewParticipant

        specs = (NewParticipant(identity=f"{job.prefix}{i}") for i in range(job.n))
        report = await create_many(
            job.conversation,
            specs,
            concurrency=job.concurrency,
            on_result=track,
            keep_results=False,
        )
        assert report.total == job.n
        outcome.throttled_seen = session.stats.throttled
    return outcome


async def run_baseline(job: Job) -> Outcome:
    async with _session(job):
        pass
    return Outcome()


class Unavailable(Exception):
    """This client cannot run against this checkout (the reason is reported, not raised)."""


RUNNERS: dict[str, Callable[[Job], Coroutine[Any, Any, Outcome]]] = {
    "aiohttp": run_aiohttp,
    "aiohttp-json": lambda job: run_aiohttp(job, read_json=True),
    "twilio": run_twilio,
    "ours-gather": run_ours_gather,
    "ours-gather-raw": run_ours_gather_raw,
    "ours-create-many": run_ours_create_many,
    "ours-stream-many": run_ours_stream_many,
    "ours-create-many-counts": run_ours_create_many_counts,
    "baseline": run_baseline,
}


def pin(cpu: int | None) -> bool:
    if cpu is None or not hasattr(os, "sched_setaffinity") or cpu not in os.sched_getaffinity(0):
        return False
    os.sched_setaffinity(0, {cpu})
    return True


def measure(client: str, job: Job) -> dict[str, Any]:
    runner = RUNNERS[client]
    # Import what the client needs before the clock starts: imports are not per-create cost.
    if client == "twilio":
        try:
            import twilio.rest  # noqa: F401
            from twilio.http import async_http_client  # noqa: F401
        except ImportError:
            return {"client": client, "skipped": "the twilio package is not installed"}
    elif not client.startswith("aiohttp"):
        import conversations_async  # noqa: F401
    import aiohttp  # noqa: F401

    # Every client starts from the same collector state. Left as the imports leave it, the
    # generation counters decide whether a full collection (tens of ms: it walks the whole heap)
    # falls inside a short run or just after it, a matter of what was imported, not of the
    # creates; a collection now resets them and takes the import garbage out of the window.
    gc.collect()
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    rss_before = usage_before.ru_maxrss
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    try:
        outcome = asyncio.run(runner(job))
    except Unavailable as exc:
        return {"client": client, "skipped": str(exc)}
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "client": client,
        "n": job.n,
        "concurrency": job.concurrency,
        "successes": outcome.successes,
        "failures": len(outcome.failed),
        "failed_identities": outcome.failed,
        "errors": outcome.errors,
        "throttled_seen": outcome.throttled_seen,
        "wall_s": wall,
        "cpu_s": cpu,
        # The two parts of cpu_s: the client's own code, and the kernel's work for it.
        "user_s": usage.ru_utime - usage_before.ru_utime,
        "system_s": usage.ru_stime - usage_before.ru_stime,
        "context_switches": (usage.ru_nvcsw + usage.ru_nivcsw)
        - (usage_before.ru_nvcsw + usage_before.ru_nivcsw),
        # Waits for the server (voluntary) and a memory growth the kernel pays for: system_s.
        "voluntary_switches": usage.ru_nvcsw - usage_before.ru_nvcsw,
        "minor_faults": usage.ru_minflt - usage_before.ru_minflt,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_before_kib": rss_before,
        "rss_samples": outcome.rss_samples,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("client", choices=CLIENTS)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--conversation", required=True)
    parser.add_argument("-n", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--writes-per-second", type=float, default=None)
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument(
        "--stdlib-json", action="store_true", help="hide msgspec: decode as the default install"
    )
    args = parser.parse_args(argv)
    if args.stdlib_json:
        sys.modules["msgspec"] = None  # type: ignore[assignment]  # import msgspec: ImportError
    pinned = pin(args.cpu)
    job = Job(
        base_url=args.base_url,
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        conversation=args.conversation,
        n=args.n,
        concurrency=args.concurrency,
        writes_per_second=args.writes_per_second,
    )
    result = measure(args.client, job)
    result["pinned"] = pinned
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
