"""The benchmark harness runs end to end and writes well-formed results (no timing asserted).

It starts the emulator and every client as processes of their own, with tiny N and one
repetition; speed targets are the harness's business (docs/benchmarks.md), never a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["unlimited-0ms-c50", "cap", "rate", "faults", "memory"]
FIGURES = {"wall_s", "cpu_us_per_create", "successes", "failures", "throttled", "false_failures"}

# The quick run starts a process per client and scenario (18): ~37 s on an idle 2-core
# machine, past the default 60 s when something else keeps both cores busy. A hang still ends
# well within CI's time.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    command = [sys.executable, "-m", "benchmarks", "--quick", "--output", str(out / "r.json")]
    command += ["--markdown", str(out / "r.md")]
    for name in SCENARIOS:
        command += ["--only", name]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "r.json").read_text()), (out / "r.md").read_text()


def test_every_selected_scenario_reports_every_client(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    results, _ = quick_run
    scenarios = results["scenarios"]
    assert isinstance(scenarios, list)
    assert [s["kind"] for s in scenarios] == ["unlimited", "cap", "rate", "faults", "memory"]
    for scenario in scenarios:
        reported = set(scenario["clients"]) | set(scenario["skipped"])
        expected = {"baseline", "ours-create-many"} if scenario["kind"] == "memory" else {
            "aiohttp", "twilio", "ours-gather", "ours-create-many"
        }  # fmt: skip
        assert reported == expected, scenario["name"]
        assert "ours-gather" in scenario["clients"] or scenario["kind"] == "memory"
        for client, entry in scenario["clients"].items():
            assert len(entry["runs"]) == 1, (scenario["name"], client)
            summary = entry["summary"]
            assert summary.keys() >= FIGURES
            for stats in summary.values():
                assert stats["min"] <= stats["median"] <= stats["max"]


def test_client_reports_agree_with_the_servers_census(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    results, _ = quick_run
    unlimited = results["scenarios"][0]
    for client, entry in unlimited["clients"].items():
        (run,) = entry["runs"]
        server = run["server"]
        # No faults here: every create succeeds and exactly the inputs exist on the server.
        assert run["successes"] == unlimited["n"] == server["participants_present"], client
        assert server["missing"] == server["duplicates"] == server["false_failures"] == 0
        assert run["cpu_s"] > 0 and run["max_rss_kib"] > 0
    rate = results["scenarios"][2]
    minimum = rate["clients"]["ours-gather"]["summary"]["minimum_s"]["median"]
    assert minimum == pytest.approx((rate["n"] - 1) / 30)


def test_targets_and_page_are_written(quick_run: tuple[dict[str, Any], str]) -> None:
    results, page = quick_run
    targets = results["targets"]
    assert targets, "no target was checked"
    for row in targets:
        assert row["client"] in {"ours-gather", "ours-create-many"}
        assert isinstance(row["met"], bool)
    assert {row["scenario"] for row in targets} >= {"unlimited-0ms-c50", "cap-20-in-flight"}
    machine = results["machine"]
    for key in ("nproc", "cpu_model", "python", "aiohttp", "twilio", "command", "date"):
        assert machine[key], key
    assert "## CPU per create, as a ratio to bare aiohttp" in page
    assert "| unlimited-0ms-c50 |" in page
    assert machine["command"] in page
