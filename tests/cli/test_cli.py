"""``conversations-async add-participants`` end to end, against an emulator running in the test."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from _cli import FAST, read_results, run_cli, use_emulator
from conftest import FAST_RETRY

from conversations_async import Session, cli
from conversations_async.testing import Emulator, Faults


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


async def conversation_sid(emulator: Emulator) -> str:
    return emulator.store.create_conversation(None, {"UniqueName": "import"})["sid"]  # type: ignore[no-any-return]


@pytest.mark.usefixtures("credentials")
async def test_csv_import_with_results_and_a_safe_rerun(emulator: Emulator, tmp_path: Path) -> None:
    sid = await conversation_sid(emulator)
    source = tmp_path / "people.csv"
    with source.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["identity", "attributes", "webhook_enabled", "date_created"])
        for i in range(30):
            writer.writerow([f"user-{i}", json.dumps({"n": i}), "false", "2024-01-02T03:04:05Z"])
    results = tmp_path / "results.csv"
    emulator.faults = Faults(server_error_rate=0.05, disconnect_after_commit_rate=0.05, seed=4)
    code = await run_cli(
        "add-participants", "import", str(source), "--base-url", emulator.base_url,
        "--results", str(results), "--concurrency", "5", *FAST,
    )  # fmt: skip
    assert code == 0
    rows = read_results(results)
    assert sorted(int(r["line"]) for r in rows) == list(range(2, 32))  # the header is line 1
    assert {r["status"] for r in rows} == {"created"}
    entry = emulator.store.conversations[sid]
    assert len(entry.participants) == 30
    assert {r["sid"] for r in rows} == set(entry.participants)
    first = entry.participants[entry.by_identity["user-0"]]
    assert json.loads(first["attributes"]) == {"n": 0}
    assert first["date_created"] == "2024-01-02T03:04:05Z"

    code = await run_cli(
        "add-participants", sid, str(source), "--base-url", emulator.base_url,
        "--results", str(results), *FAST,
    )  # fmt: skip
    assert code == 0
    rows = read_results(results)
    assert len(rows) == 30
    assert all(r["status"] in {"existed", "created"} for r in rows)
    assert sum(r["status"] == "existed" for r in rows) >= 25
    assert len(entry.participants) == 30


@pytest.mark.usefixtures("credentials")
async def test_json_lines_with_bad_lines_and_keep_going_exit_1(
    emulator: Emulator, tmp_path: Path
) -> None:
    await conversation_sid(emulator)
    source = tmp_path / "people.jsonl"
    lines = [
        {"identity": "ok", "attributes": {"vip": True}},
        {"identity": "bad-role", "role_sid": "RL-nope"},
        {"messaging_binding_address": "+15550001", "messaging_binding_proxy_address": "+15550002"},
        {"identity": "bad-flag", "webhook_enabled": "maybe"},
    ]
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    results = tmp_path / "out.csv"
    code = await run_cli(
        "add-participants", "import", str(source), "--results", str(results), "--keep-going",
        *FAST,
    )  # fmt: skip
    assert code == 1
    rows = sorted(read_results(results), key=lambda r: int(r["line"]))
    assert [(r["line"], r["status"]) for r in rows] == [
        ("1", "created"), ("2", "failed"), ("3", "created"), ("4", "failed"),
    ]  # fmt: skip
    assert [r["address"] for r in rows] == ["", "", "+15550001", ""]
    assert "role_sid" in rows[1]["message"] and "webhook_enabled" in rows[3]["message"]
    assert rows[1]["error_code"] == rows[3]["error_code"] == "invalid"


@pytest.mark.usefixtures("credentials")
async def test_twilio_errors_carry_their_code(emulator: Emulator, tmp_path: Path) -> None:
    sid = await conversation_sid(emulator)
    emulator.store.limits.participants_per_conversation = 1
    source = tmp_path / "two.csv"
    source.write_text("identity\nfirst\nsecond\n")
    results = tmp_path / "out.csv"
    code = await run_cli(
        "add-participants", sid, str(source), "--base-url", emulator.base_url,
        "--results", str(results), "--concurrency", "1", *FAST,
    )  # fmt: skip
    assert code == 1
    rows = read_results(results)
    assert [(r["status"], r["error_code"]) for r in rows] == [("created", ""), ("failed", "50417")]


@pytest.mark.usefixtures("credentials")
async def test_bad_input_files_exit_2(emulator: Emulator, tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("identity,favourite_colour\nada,blue\n")
    missing = tmp_path / "missing.csv"
    for path in (unknown, missing):
        code = await run_cli(
            "add-participants", "CH" + "0" * 32, str(path), "--base-url", emulator.base_url,
            *FAST,
        )  # fmt: skip
        assert code == 2
    assert emulator.counters.requests == 0


async def test_missing_credentials_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    source = tmp_path / "one.csv"
    source.write_text("identity\nada\n")
    assert await run_cli("add-participants", "CH1", str(source), "--no-progress") == 2


def test_demo_finishes_with_nothing_failed_or_doubled(capsys: pytest.CaptureFixture[str]) -> None:
    # A short demo: the full one (300 participants at 30/s) is the README's command.
    code = cli.main(["demo", "--participants", "40", "--writes-per-second", "200"])
    out = capsys.readouterr().out
    assert code == 0
    assert "duplicates on the server" in out and "429s met" in out


@pytest.mark.usefixtures("credentials")
async def test_unknown_results_exit_1_and_ask_for_a_rerun(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The CLI's Session backs off for real; this one retries at once so the test stays fast.
    from_env = Session.from_env.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        Session, "from_env", classmethod(lambda cls, **kw: from_env(cls, retry=FAST_RETRY, **kw))
    )
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps the summary at the console width
    sid = await conversation_sid(emulator)
    source = tmp_path / "two.csv"
    source.write_text("identity\nada\nbea\n")
    # ada's create fails ambiguously and no read-back of her ever answers; bea is fine.
    emulator.fail_next("POST", "*/Participants", status=500)
    emulator.fail_next("GET", "*/Participants/ada", status=503, times=1000)
    results = tmp_path / "out.csv"
    code = await run_cli(
        "add-participants", sid, str(source), "--base-url", emulator.base_url,
        "--results", str(results), "--concurrency", "1", *FAST,
    )  # fmt: skip
    assert code == 1
    rows = read_results(results)
    assert [(r["status"], r["error_code"]) for r in rows] == [("unknown", "50000"), ("created", "")]
    assert "HTTP 500" in rows[0]["message"]
    output = capsys.readouterr().err
    assert "created 1, existed 0, failed 0, unknown 1" in output
    assert "re-run the same file to settle" in output
    assert list(emulator.store.conversations[sid].by_identity) == ["bea"]
