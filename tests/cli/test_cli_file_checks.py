"""add-participants checks the whole file, then the credentials and the conversation with one
request, before it sends anything; its messages name file lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _cli import (
    BAD_LINES,
    FAST,
    conversation_with,
    members,
    read_results,
    run_cli,
    use_emulator,
    write_people,
)

from conversations_async.testing import Emulator


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    write_people(path, 500, bad=True)
    return path


@pytest.mark.usefixtures("credentials")
async def test_five_bad_lines_stop_everything_and_are_each_named(
    emulator: Emulator, people: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = conversation_with(emulator, [])
    results = tmp_path / "results.csv"
    code = await run_cli("add-participants", sid, str(people), "--results", str(results), *FAST)
    err = capsys.readouterr().err
    assert code == 2
    assert emulator.counters.requests == 0  # not even the credentials check
    for line, says in BAD_LINES.items():
        (shown,) = [text for text in err.splitlines() if text.startswith(f"  line {line}")]
        assert says in shown, shown
    assert "Summary: 500 lines, 5 bad; nothing was sent" in err
    assert "pass --keep-going" in err and f"Results are in {results}." in err
    rows = read_results(results)
    assert [int(r["line"]) for r in rows] == sorted(BAD_LINES)
    assert [r["error_code"] for r in rows] == [
        "invalid",
        "invalid",
        "invalid",
        "duplicate",
        "invalid",
    ]
    assert {r["status"] for r in rows} == {"failed"}
    assert rows[0]["identity"] == "user-0099" and rows[4]["identity"] == "x" * 300
    assert members(emulator, sid) == []


@pytest.mark.usefixtures("credentials")
async def test_keep_going_adds_the_495_good_lines_with_a_row_per_line(
    emulator: Emulator, people: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = conversation_with(emulator, [])
    results = tmp_path / "results.csv"
    code = await run_cli(
        "add-participants", sid, str(people), "--results", str(results), "--keep-going", *FAST
    )
    err = capsys.readouterr().err
    assert code == 1  # not every line made it
    rows = read_results(results)
    assert sorted(int(r["line"]) for r in rows) == list(range(2, 502))
    assert sum(r["status"] == "created" for r in rows) == 495
    bad = {int(r["line"]): r for r in rows if r["status"] == "failed"}
    assert sorted(bad) == sorted(BAD_LINES)
    assert all(r["error_code"] in {"invalid", "duplicate"} and r["message"] for r in bad.values())
    created = [r for r in rows if r["status"] == "created"]
    assert all(r["sid"].startswith("MB") and r["identity"] for r in created)
    assert len(members(emulator, sid)) == 495
    assert "Summary: 500 lines, 5 bad; created 495, existed 0, failed 5, unknown 0" in err
    # A creates request per good line, the credentials check, and no other.
    assert emulator.counters.requests == 496


@pytest.mark.usefixtures("credentials")
async def test_a_wrong_token_exits_2_after_exactly_one_request(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sid = conversation_with(emulator, [])
    source = tmp_path / "good.csv"
    write_people(source, 500)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-the-token")
    code = await run_cli("add-participants", sid, str(source), *FAST)
    err = capsys.readouterr().err
    assert code == 2
    assert emulator.counters.requests == 1 and emulator.counters.by_status[401] == 1
    assert "Twilio refused the credentials: HTTP 401 (Twilio code 20003): Authenticate" in err
    # Twilio's link survives the console (it is not read as rich markup).
    assert "[https://www.twilio.com/docs/errors/20003]" in err
    assert "TWILIO_AUTH_TOKEN" in err and "not-the-token" not in err
    assert "Summary: 500 lines; nothing was sent" in err
    assert members(emulator, sid) == []


@pytest.mark.usefixtures("credentials")
async def test_a_missing_conversation_exits_2_after_exactly_one_request(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "good.csv"
    write_people(source, 50)
    code = await run_cli("add-participants", "no-such-room", str(source), *FAST)
    err = capsys.readouterr().err
    assert code == 2 and emulator.counters.requests == 1
    assert "No conversation 'no-such-room': HTTP 404 (Twilio code 20404)" in err
    assert "[https://www.twilio.com/docs/errors/20404]" in err
    assert "nothing was sent" in err


@pytest.mark.usefixtures("credentials")
async def test_dry_run_checks_the_file_and_sends_nothing(
    emulator: Emulator, people: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    write_people(good, 20)
    assert await run_cli("add-participants", "CH1", str(good), "--dry-run", *FAST) == 0
    assert "Dry run: 20 line(s) to add; nothing was sent." in capsys.readouterr().err
    assert await run_cli("add-participants", "CH1", str(people), "--dry-run", *FAST) == 2
    assert "line 455" in capsys.readouterr().err
    assert emulator.counters.requests == 0


@pytest.mark.usefixtures("credentials")
async def test_a_long_list_is_cut_short_and_points_at_the_results(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text(
        "".join(json.dumps({"identity": f"u{i}", "role_sid": "RL"}) + "\n" for i in range(15))
    )
    results = tmp_path / "results.csv"
    assert (
        await run_cli("add-participants", "CH1", str(source), "--results", str(results), *FAST) == 2
    )
    err = capsys.readouterr().err
    assert sum(text.startswith("  line ") for text in err.splitlines()) == 10
    assert "Problems (15):" in err and f"… and 5 more (see {results})" in err
    assert len(read_results(results)) == 15
    assert await run_cli("add-participants", "CH1", str(source), *FAST) == 2
    err = capsys.readouterr().err
    assert "… and 5 more (pass --results FILE to list them all)" in err
    assert "Results are in" not in err


@pytest.mark.usefixtures("credentials")
async def test_twilio_failures_name_the_line_and_keep_their_link(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = conversation_with(emulator, [])
    emulator.store.limits.participants_per_conversation = 3
    source = tmp_path / "five.csv"
    write_people(source, 5)
    code = await run_cli("add-participants", sid, str(source), "--concurrency", "1", *FAST)
    err = capsys.readouterr().err
    assert code == 1
    assert "  line 5 (identity 'user-0003'): failed: HTTP 4" in err
    assert "[https://www.twilio.com/docs/errors/50417]" in err
    assert "Summary: 5 lines; created 3, existed 0, failed 2, unknown 0" in err


@pytest.mark.usefixtures("credentials")
async def test_lines_are_numbered_as_an_editor_numbers_them(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "odd.csv"
    # A quoted cell over two lines, a blank line, a line of empty cells, one cell too many.
    source.write_text('identity,attributes\nada,"{""a"":\n1}"\n\n,\nbea,{},extra\ncy,nope\n')
    assert await run_cli("add-participants", "CH1", str(source), *FAST) == 2
    err = capsys.readouterr().err
    assert "  line 6: 3 cells for 2 columns" in err
    assert "  line 7 (identity 'cy'): attributes:" in err
    assert "Summary: 3 lines, 2 bad" in err
