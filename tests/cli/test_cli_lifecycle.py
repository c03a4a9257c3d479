"""remove-participants, export-participants and sync-participants, end to end."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from _cli import (
    FAST,
    command,
    conversation_with,
    members,
    read_results,
    run_cli,
    subprocess_environment,
    use_emulator,
    write_people,
)

from conversations_async.testing import Emulator


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


def names(first: int, last: int) -> list[str]:
    return [f"user-{i:04d}" for i in range(first, last)]


def file_of(path: Path, identities: list[str]) -> Path:
    path.write_text("identity\n" + "".join(f"{identity}\n" for identity in identities))
    return path


def writes(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r.method in {"POST", "DELETE"})


@pytest.mark.usefixtures("credentials")
async def test_remove_absent_means_done_and_a_rerun_is_safe(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = conversation_with(emulator, ["ada", "bea", "cy"])
    emulator.store.create_participant(
        None,
        sid,
        {"MessagingBinding.Address": "+15550001", "MessagingBinding.ProxyAddress": "+15559999"},
    )
    source = tmp_path / "leavers.jsonl"
    lines = [
        {"identity": "ada", "attributes": "{not json: not looked at when removing"},
        {"identity": "nobody"},
        {"messaging_binding_address": "+15550001", "messaging_binding_proxy_address": "+15559999"},
        {"identity": "bea"},
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    results = tmp_path / "results.csv"
    code = await run_cli("remove-participants", sid, str(source), "--results", str(results), *FAST)
    assert code == 0
    rows = sorted(read_results(results), key=lambda r: int(r["line"]))
    assert [(r["line"], r["status"]) for r in rows] == [
        ("1", "removed"), ("2", "absent"), ("3", "removed"), ("4", "removed"),
    ]  # fmt: skip
    assert rows[2]["address"] == "+15550001" and rows[2]["sid"].startswith("MB")
    assert members(emulator, sid) == ["cy"]
    assert "Summary: 4 lines; removed 3, absent 1, failed 0, unknown 0" in capsys.readouterr().err
    assert (
        await run_cli("remove-participants", sid, str(source), "--results", str(results), *FAST)
        == 0
    )
    assert {r["status"] for r in read_results(results)} == {"absent"}


@pytest.mark.usefixtures("credentials")
async def test_remove_stops_on_a_bad_line_and_a_wrong_token_after_one_request(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sid = conversation_with(emulator, ["ada", "bea"])
    source = tmp_path / "leavers.csv"
    source.write_text("identity,messaging_binding_proxy_address\nada,\n,+15559999\n")
    assert await run_cli("remove-participants", sid, str(source), *FAST) == 2
    assert "line 3: messaging_binding_address: is required" in capsys.readouterr().err
    assert emulator.counters.requests == 0
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong")
    assert (
        await run_cli("remove-participants", sid, str(file_of(tmp_path / "a.csv", ["ada"])), *FAST)
        == 2
    )
    assert emulator.counters.requests == 1
    assert members(emulator, sid) == ["ada", "bea"]


def shape(emulator: Emulator, conversation: str) -> list[tuple[object, ...]]:
    """The participants of a conversation, all but their SIDs."""
    entry = emulator.store.conversations[conversation]
    return sorted(
        (
            p["identity"] or "",
            json.dumps(p["messaging_binding"], sort_keys=True),
            json.loads(p["attributes"]),
            p["role_sid"] or "",
            p["date_created"],
            p["date_updated"],
        )
        for p in entry.participants.values()
    )


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
async def test_export_remove_add_round_trip(
    emulator: Emulator, tmp_path: Path, suffix: str
) -> None:
    sid = conversation_with(emulator, [], "source")
    people = tmp_path / "people.csv"
    write_people(people, 20)
    assert await run_cli("add-participants", sid, str(people), *FAST) == 0
    emulator.store.create_participant(
        None,
        sid,
        {
            "MessagingBinding.Address": "+15550001",
            "MessagingBinding.ProxyAddress": "+15559999",
            "Attributes": json.dumps({"vip": True, "note": 'a, "quoted" value'}),
            "RoleSid": emulator.store.create_role(None, "vip", "conversation", ["sendMessage"])[
                "sid"
            ],
        },
    )
    before = shape(emulator, sid)
    exported = tmp_path / f"export{suffix}"
    assert await run_cli("export-participants", sid, "-o", str(exported)) == 0
    # The exported file names everyone for removal, and adds everyone back as they were.
    assert await run_cli("remove-participants", sid, str(exported), *FAST) == 0
    assert members(emulator, sid) == []
    assert await run_cli("add-participants", sid, str(exported), *FAST) == 0
    assert len(before) == 21 and shape(emulator, sid) == before


@pytest.mark.usefixtures("credentials")
async def test_export_to_standard_output(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = conversation_with(emulator, ["ada", "bea"])
    assert await run_cli("export-participants", sid, "--format", "jsonl") == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["identity"] for line in captured.out.splitlines()] == ["ada", "bea"]
    assert "Exported 2 participant(s)" in captured.err


@pytest.mark.usefixtures("credentials")
async def test_sync_plan_then_result_then_nothing(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = conversation_with(emulator, names(0, 100))
    wanted = file_of(tmp_path / "wanted.csv", names(30, 130))  # 30 leave, 30 join, 70 stay
    results = tmp_path / "results.csv"
    emulator.reset_counters()

    code = await run_cli(
        "sync-participants", sid, str(wanted), "--dry-run", "--results", str(results), *FAST
    )
    err = capsys.readouterr().err
    assert code == 0 and writes(emulator) == 0
    assert f"Plan for {sid}: add 30, remove 30, keep 70" in err
    assert "  add     line 72: identity 'user-0100'" in err
    assert "  remove  identity 'user-0000' (MB" in err
    assert f"… and 40 more (see {results})" in err
    plan = read_results(results)
    assert (
        sum(r["status"] == "would-add" for r in plan)
        == sum(r["status"] == "would-remove" for r in plan)
        == 30
    )

    code = await run_cli(
        "sync-participants", sid, str(wanted), "--yes", "--results", str(results), *FAST
    )
    err = capsys.readouterr().err
    assert code == 0
    assert f"Plan for {sid}: add 30, remove 30, keep 70" in err
    assert (
        "removals: removed 30, absent 0, failed 0, unknown 0;"
        " additions: created 30, existed 0, failed 0, unknown 0"
    ) in err
    rows = read_results(results)
    assert sorted(int(r["line"]) for r in rows if r["status"] == "created") == list(range(72, 102))
    assert {r["line"] for r in rows if r["status"] == "removed"} == {""}
    assert members(emulator, sid) == names(30, 130)

    emulator.reset_counters()
    code = await run_cli("sync-participants", sid, str(wanted), *FAST)
    err = capsys.readouterr().err
    assert code == 0 and writes(emulator) == 0
    assert f"Plan for {sid}: add 0, remove 0, keep 100" in err
    assert "Nothing to change" in err


@pytest.mark.usefixtures("credentials")
async def test_sync_refuses_to_remove_without_yes_when_stdin_is_not_a_terminal(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = conversation_with(emulator, ["ada", "bea"])
    wanted = file_of(tmp_path / "wanted.csv", ["ada", "cy"])
    emulator.reset_counters()
    code = await run_cli("sync-participants", sid, str(wanted), *FAST)
    err = capsys.readouterr().err
    assert code == 2 and writes(emulator) == 0
    assert "Refusing to remove 1 participant(s) without --yes" in err
    assert "nothing was sent" in err
    assert members(emulator, sid) == ["ada", "bea"]
    # Adding only needs no confirmation.
    assert (
        await run_cli(
            "sync-participants",
            sid,
            str(file_of(tmp_path / "all.csv", ["ada", "bea", "cy"])),
            *FAST,
        )
        == 0
    )
    assert members(emulator, sid) == ["ada", "bea", "cy"]


@pytest.mark.usefixtures("credentials")
async def test_sync_stops_on_any_bad_line(emulator: Emulator, tmp_path: Path) -> None:
    sid = conversation_with(emulator, ["ada"])
    wanted = file_of(tmp_path / "wanted.csv", ["bea", "bea"])
    assert await run_cli("sync-participants", sid, str(wanted), "--yes", *FAST) == 2
    assert emulator.counters.requests == 0 and members(emulator, sid) == ["ada"]


@pytest.mark.parametrize(("answer", "expected"), [("y", ["ada", "cy"]), ("n", ["ada", "bea"])])
async def test_sync_asks_at_a_terminal(
    emulator: Emulator, tmp_path: Path, answer: str, expected: list[str]
) -> None:
    sid = conversation_with(emulator, ["ada", "bea"])
    wanted = file_of(tmp_path / "wanted.csv", ["ada", "cy"])
    leader, follower = os.openpty()
    try:
        os.write(leader, f"{answer}\n".encode())  # typed ahead: read when the prompt comes
        process = await asyncio.create_subprocess_exec(
            *command(), "sync-participants", sid, str(wanted), *FAST,
            stdin=follower, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=subprocess_environment(emulator),
        )  # fmt: skip
        out, err = await process.communicate()
    finally:
        os.close(follower)
        os.close(leader)
    assert f"Remove 1 participant(s) from {sid}? [y/N]" in out.decode()
    assert process.returncode == (0 if answer == "y" else 2), err.decode()
    assert members(emulator, sid) == expected
