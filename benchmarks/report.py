"""Targets and the Markdown page, both computed from a results dict (``results/latest.json``)."""

from __future__ import annotations

import json
from typing import Any

OURS = ("ours-gather", "ours-create-many")
STREAMING = ("ours-stream-many", "ours-create-many-counts")
"""The clients that keep no results: the bounded-memory ones."""
LABELS = {
    "aiohttp": "bare aiohttp (floor)",
    "twilio": "twilio SDK (async)",
    "ours-gather": "ours: create + gather",
    "ours-create-many": "ours: create_many",
    "ours-stream-many": "ours: stream_many",
    "ours-create-many-counts": "ours: create_many(keep_results=False)",
    "baseline": "baseline (import + Session)",
}


def label(client: str) -> str:
    """A client's name in the tables (``…@before``: the same client from ``--compare-with``)."""
    base, _, before = client.partition("@")
    return LABELS[base] + (f" [{before}]" if before else "")


CPU_RATIO_LIMIT = 1.00
RATE_THROTTLED_SHARE_LIMIT = 0.01
RATE_WALL_LIMIT = 1.10
MEMORY_LIMIT_MIB = 150e6 / 2**20  # the issue says 150 MB (10^6 bytes): 143 MiB
MEMORY_GROWTH_LIMIT_MIB = 5.0
"""RSS at the end of a streaming run may exceed RSS after its first tenth by this much at most."""


def _median(scenario: dict[str, Any], client: str, figure: str) -> float | None:
    entry = scenario["clients"].get(client)
    if entry is None:
        return None
    value: float = entry["summary"][figure]["median"]
    return value


def _worst(scenario: dict[str, Any], client: str, figure: str) -> float | None:
    entry = scenario["clients"].get(client)
    if entry is None:
        return None
    value: float = entry["summary"][figure]["max"]
    return value


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target and client: what was measured, the limit, and whether it was met."""
    rows: list[dict[str, Any]] = []

    def add(scenario: str, client: str, target: str, value: float | None, met: bool) -> None:
        rows.append(
            {"scenario": scenario, "client": client, "target": target, "value": value, "met": met}
        )

    for scenario in results["scenarios"]:
        name, kind = scenario["name"], scenario["kind"]
        for client in (*OURS, *STREAMING):
            if client not in scenario["clients"]:
                continue
            if kind == "unlimited":
                ours = _median(scenario, client, "cpu_us_per_create")
                floor = _median(scenario, "aiohttp", "cpu_us_per_create")
                sdk = _median(scenario, "twilio", "cpu_us_per_create")
                if ours is not None and floor:
                    ratio = ours / floor
                    add(name, client, f"CPU/create ≤ {CPU_RATIO_LIMIT}x aiohttp", ratio,
                        ratio <= CPU_RATIO_LIMIT)  # fmt: skip
                if ours is not None and sdk:
                    add(name, client, "CPU/create < twilio SDK", ours / sdk, ours < sdk)
            elif kind == "cap":
                failures = _worst(scenario, client, "failures")
                add(name, client, "zero failures", failures, failures == 0)
            elif kind == "rate":
                failures = _worst(scenario, client, "failures")
                share = _worst(scenario, client, "throttled_share")
                wall = _median(scenario, client, "wall_over_minimum")
                add(name, client, "zero failures", failures, failures == 0)
                add(name, client, f"429 share ≤ {RATE_THROTTLED_SHARE_LIMIT:.0%}", share,
                    share is not None and share <= RATE_THROTTLED_SHARE_LIMIT)  # fmt: skip
                add(name, client, f"wall ≤ {RATE_WALL_LIMIT}x minimum", wall,
                    wall is not None and wall <= RATE_WALL_LIMIT)  # fmt: skip
            elif kind == "faults" and client == "ours-create-many":
                # A lone create() is not resent after an ambiguous failure, by design: reading
                # back before creating again is create_many's job, so the targets are its.
                for figure in ("false_failures", "duplicates", "missing"):
                    value = _worst(scenario, client, figure)
                    add(name, client, f"zero {figure.replace('_', ' ')}", value, value == 0)
            elif kind in ("memory", "bounded"):
                peak = _worst(scenario, client, "max_rss_mib")
                add(name, client, f"peak RSS < {MEMORY_LIMIT_MIB:.0f} MiB", peak,
                    peak is not None and peak < MEMORY_LIMIT_MIB)  # fmt: skip
                if kind == "bounded":
                    growth = _worst(scenario, client, "rss_growth_mib")
                    add(name, client, f"RSS growth after 10% ≤ {MEMORY_GROWTH_LIMIT_MIB:.0f} MiB",
                        growth, growth is not None and growth <= MEMORY_GROWTH_LIMIT_MIB)  # fmt: skip
    return rows


def _cell(summary: dict[str, Any], figure: str, fmt: str) -> str:
    stats = summary[figure]
    median = format(stats["median"], fmt)
    if stats["min"] == stats["max"]:
        return median
    return f"{median} ({format(stats['min'], fmt)}–{format(stats['max'], fmt)})"


COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "unlimited": [
        ("CPU µs/create", "cpu_us_per_create", ".0f"),
        ("wall s", "wall_s", ".2f"),
        ("creates/s", "creates_per_s", ".0f"),
        ("ok", "successes", ".0f"),
    ],
    "cap": [
        ("ok", "successes", ".0f"),
        ("failed", "failures", ".0f"),
        ("429s", "throttled", ".0f"),
        ("wall s", "wall_s", ".2f"),
        ("CPU µs/create", "cpu_us_per_create", ".0f"),
    ],
    "rate": [
        ("ok", "successes", ".0f"),
        ("failed", "failures", ".0f"),
        ("429 share", "throttled_share", ".1%"),
        ("wall s", "wall_s", ".2f"),
        ("wall / minimum", "wall_over_minimum", ".3f"),
    ],
    "faults": [
        ("ok", "successes", ".0f"),
        ("reported failed", "failures", ".0f"),
        ("false failures", "false_failures", ".0f"),
        ("missing on server", "missing", ".0f"),
        ("duplicates", "duplicates", ".0f"),
        ("wall s", "wall_s", ".2f"),
    ],
    "memory": [
        ("peak RSS MiB", "max_rss_mib", ".1f"),
        ("ok", "successes", ".0f"),
        ("wall s", "wall_s", ".1f"),
        ("CPU µs/create", "cpu_us_per_create", ".0f"),
    ],
    "bounded": [
        ("peak RSS MiB", "max_rss_mib", ".1f"),
        ("RSS MiB after 10%", "rss_first_tenth_mib", ".1f"),
        ("RSS MiB at the end", "rss_end_mib", ".1f"),
        ("ok", "successes", ".0f"),
        ("wall s", "wall_s", ".1f"),
        ("CPU µs/create", "cpu_us_per_create", ".0f"),
    ],
}


def _ratio_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| scenario | twilio SDK / floor | ours create+gather / floor | ours create_many / floor |",
        "|---|---|---|---|",
    ]
    for scenario in results["scenarios"]:
        if scenario["kind"] != "unlimited":
            continue
        floor = _median(scenario, "aiohttp", "cpu_us_per_create")
        cells = []
        for client in ("twilio", *OURS):
            value = _median(scenario, client, "cpu_us_per_create")
            cells.append(f"{value / floor:.2f}x" if value is not None and floor else "–")
        lines.append(f"| {scenario['name']} | " + " | ".join(cells) + " |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    machine, settings = results["machine"], results["settings"]
    pinning = (
        ", pinned to core 1; each client run is a fresh process pinned to core 0."
        if settings["pinned"]
        else "; each client run is a fresh process (not pinned)."
    )
    lines = [
        "# Benchmarks",
        "",
        "How conversations_async behaves under load, next to bare aiohttp (the floor: the same",
        "form posts with nothing on top) and the official `twilio` SDK's async client, all",
        "against the emulator on loopback. Generated by `benchmarks/run.py`; the raw figures",
        "are in `benchmarks/results/latest.json`. Reproduce with `nox -s bench` (or",
        "`python -m benchmarks`).",
        "",
        "## How it is measured",
        "",
        "- The emulator runs in a process of its own" + pinning,
        "- Client CPU is that process's `time.process_time()` across the measured part only",
        "  (imports excluded, and a collection just before it, so that every client starts from",
        "  the same collector state); peak memory is its `ru_maxrss`.",
        f"- {settings['repetitions']} repetitions per scenario; the clients take turns in an",
        "  order that rotates each repetition. Cells show the median, with (min–max) when they",
        "  differ. Each run adds participants `user-0…user-N-1` to a fresh conversation, and the",
        "  emulator is then asked what really exists (false failures: reported failed but",
        "  present; missing: inputs absent; duplicates: identities present twice).",
        "- bare aiohttp and the twilio SDK do not retry. Ours is a `Session` with",
        "  `max_concurrency` = the scenario's concurrency and the default retry policy; its",
        "  `AdaptiveLimiter` is told the server's per-conversation write limit: none, except in",
        "  the 30 writes/s scenario, where it is the default 30/s (real Twilio's limit). Left at",
        "  30/s against an unlimited server, it would measure the pacing, not the client.",
        "",
        "- The floor only reads each answer's bytes; the SDK and ours also decode the JSON and",
        "  build a record. Client CPU on a shared 2-core machine is noisy: compare medians, and",
        "  read the (min–max) spread and the load averages before trusting a small difference.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| date | {machine['date']} |",
        f"| command | `{machine['command']}` |",
        f"| commit | {machine['git_commit']} |",
        f"| CPUs (nproc) | {machine['nproc']} |",
        f"| CPU model | {machine['cpu_model']} |",
        f"| Python | {machine['python']} |",
        f"| aiohttp | {machine['aiohttp']} |",
        f"| twilio | {machine['twilio']} |",
        f"| conversations-async | {machine['conversations_async']} |",
        "",
        "## CPU per create, as a ratio to bare aiohttp",
        "",
        "Median client CPU per create divided by the floor's, lower is better.",
        "",
        *_ratio_table(results),
        "",
        "## Targets",
        "",
        "| scenario | client | target | measured | met |",
        "|---|---|---|---|---|",
    ]
    for row in results.get("targets", []):
        value = row["value"]
        shown = "–" if value is None else f"{value:.3g}"
        lines.append(
            f"| {row['scenario']} | {label(row['client'])} | {row['target']} | {shown} | "
            f"{'yes' if row['met'] else '**no**'} |"
        )
    lines += ["", "## Scenarios", ""]
    for scenario in results["scenarios"]:
        columns = COLUMNS[scenario["kind"]]
        lines += [
            f"### {scenario['name']}",
            "",
            scenario["description"] + ".",
            "",
            "| client | " + " | ".join(title for title, _, _ in columns) + " |",
            "|---|" + "---|" * len(columns),
        ]
        for client, entry in scenario["clients"].items():
            cells = [_cell(entry["summary"], figure, fmt) for _, figure, fmt in columns]
            lines.append(f"| {label(client)} | " + " | ".join(cells) + " |")
        for client, why in scenario["skipped"].items():
            lines.append(f"| {label(client)} | skipped: {why} |" + " |" * (len(columns) - 1))
        if scenario["kind"] == "rate":
            minimum = (scenario["n"] - 1) / float(scenario["faults"]["writes_per_second"])
            lines += ["", f"Theoretical minimum: (N-1)/30 = {minimum:.2f} s."]
        if scenario["kind"] in ("memory", "bounded"):
            base = scenario["clients"].get("baseline")
            for client in (*STREAMING, "ours-create-many"):
                ours = scenario["clients"].get(client)
                if base and ours:
                    delta = (
                        ours["summary"]["max_rss_mib"]["median"]
                        - base["summary"]["max_rss_mib"]["median"]
                    )
                    lines += ["", f"{label(client)}: {delta:.1f} MiB above the baseline process."]
        load = scenario["load_average_before"], scenario["load_average_after"]
        if all(load):
            lines += [
                "",
                f"Load average (1 min) before/after: {load[0][0]:.2f} / {load[1][0]:.2f}.",
            ]
        lines.append("")
    return "\n".join(lines + _throughput_block() + _instructions_block())


def _throughput_block() -> list[str]:
    """The section of ``python -m benchmarks.throughput`` (from its last results), kept on the
    page when this harness rewrites it."""
    from . import throughput

    if not throughput.RESULTS.exists():
        return []
    saved = json.loads(throughput.RESULTS.read_text())
    return [throughput.START_MARK, *throughput.section(saved), throughput.END_MARK, ""]


def _instructions_block() -> list[str]:
    """The section of ``python -m benchmarks.instructions --save`` (its last figures), kept on
    the page when this harness rewrites it."""
    from . import instructions

    if not instructions.RESULTS.exists():
        return []
    saved = json.loads(instructions.RESULTS.read_text())
    return [instructions.START_MARK, *instructions.section(saved), instructions.END_MARK, ""]
