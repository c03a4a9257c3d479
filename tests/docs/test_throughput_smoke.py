"""``python -m benchmarks.throughput`` runs end to end and writes well-formed results.

Tiny N, one repetition, one cell; no timing is asserted (targets are the harness's business,
docs/benchmarks.md), and no plot is drawn (matplotlib is a benchmark dependency, not a test one).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The quick run (three grid modes and a moving cap, with redis): ~25 s on an idle 2-core
# machine, so the default 60 s would be past with both cores busy. A hang still ends well
# within CI's time.
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    out = tmp_path_factory.mktemp("throughput")
    page = out / "page.md"
    page.write_text("# Benchmarks\n\nkept\n")
    command = [
        *(sys.executable, "-m", "benchmarks.throughput", "--quick"),
        *("--modes", "adaptive-plain", "oracle", "redis-header"),
        *("--moving-modes", "adaptive-header"),
        *("--output", str(out / "r.json"), "--plot", "", "--page", str(page)),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=220)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "r.json").read_text()), page.read_text()


def test_every_mode_of_the_cell_reports_what_the_server_saw(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    results, _ = quick_run
    grid = results["grid"]
    assert {row["mode"] for row in grid} == {"adaptive-plain", "oracle", "redis-header"}
    for row in grid:
        (run,) = row["runs"]
        assert row["minimum_s"] == pytest.approx(row["n"] * row["latency_ms"] / 1000 / row["cap"])
        assert row["failures"] == 0
        assert row["created"] == row["n"] == run["created"]
        assert run["server"]["requests"] >= row["n"]
        assert 0 <= run["throttled_share"] <= 1
        for figure in ("wall_s", "wall_over_minimum", "throttled_share"):
            stats = row[figure]
            assert stats["min"] <= stats["median"] <= stats["max"]
    oracle = next(row for row in grid if row["mode"] == "oracle")
    assert oracle["runs"][0]["throttled_share"] == 0  # it never goes above the cap


def test_the_moving_cap_is_sampled_and_the_page_section_written(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    results, page = quick_run
    run = results["moving"]["runs"]["adaptive-header"]
    assert [cap for _, cap in run["caps_applied"]] == [20, 10, 30]
    assert len(run["samples"]) > 10
    assert all(sample[1] >= 1 for sample in run["samples"])  # permits never below min_permits
    assert page.startswith("# Benchmarks\n\nkept\n")  # the rest of the page is kept
    assert "<!-- throughput:start -->" in page
    assert "## Using the account's cap" in page
    assert "| 10 | 20 | 50 |" in page
