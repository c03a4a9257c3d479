"""The "Instructions per create" section of docs/benchmarks.md, from saved callgrind figures."""

from __future__ import annotations

from benchmarks.instructions import section


def test_the_section_shows_each_decoder_with_its_floor_ratio() -> None:
    run = {
        "n": 500,
        "concurrency": 50,
        "clients": {
            "aiohttp": {"per_create": 650_000.0, "over_floor": 1.0},
            "ours-gather": {"per_create": 682_500.0, "over_floor": 1.05},
        },
    }
    lines = section({"json": {**run, "commit": "abc1234"}})
    assert lines[0] == "## Instructions per create"
    assert "| ours-gather | json | 682,500 | 1.050x | abc1234 |" in lines
    assert "| aiohttp | json | 650,000 | 1.000x | abc1234 |" in lines
    assert not any("| msgspec |" in line for line in lines)  # only what was saved
