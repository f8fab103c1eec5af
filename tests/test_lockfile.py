"""The lockfile: schema, atomic saves, journal replay, refusal of foreign files, the file lock."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from runner import lockfile
from runner.errors import LockfileError, LockHeld
from runner.files import sweep_temp_files
from runner.journal import JournalDamaged
from runner.lockfile import BatchRecord, Journal, Lock
from runner.schema import load_schema

EDGE = "https://edge.ippanel.com/v1"


def record(key: str = "0123456789abcdef", state: lockfile.State = "sent") -> BatchRecord:
    digests = lockfile.pack_digests(
        lockfile.recipient_digest("demo", p) for p in ("+989120000001", "+989120000002")
    )
    return BatchRecord(key, state, "webservice", "+983000505", 2, digests, (11, 12), 1700000000)


def test_saved_lockfile_validates_against_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    lockfile.save(path, Lock("demo", {"0123456789abcdef": record()}), "ippanel-run demo.yaml")
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = load_schema("lockfile.schema.json")
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(data)) == []
    assert data["written_by"]["command"] == "ippanel-run demo.yaml"


def test_save_is_byte_identical_when_nothing_changed(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    lock = Lock("demo", {"0123456789abcdef": record()})
    assert lockfile.save(path, lock, "first command") is True
    before = path.read_bytes()
    again = lockfile.load(path, "demo")
    assert lockfile.save(path, again, "second command") is False
    assert path.read_bytes() == before


def write_journal(path: Path, *records: BatchRecord) -> Path:
    journal = Journal(path)
    for one in records:
        journal.record(lockfile.journal_line(one))
    journal.close()
    return tmp_journal(path)


def tmp_journal(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def test_journal_is_replayed_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    journal = write_journal(
        path, record(state="sending"), record(key="fedcba9876543210", state="unknown")
    )
    with journal.open("a") as torn:
        torn.write('{"key": "aaaa')  # a write cut short by the crash, before its line end
    lock = lockfile.load(path, "demo")
    assert {k: r.state for k, r in lock.batches.items()} == {
        "0123456789abcdef": "sending",
        "fedcba9876543210": "unknown",
    }
    assert len(lock.unresolved()) == 2


def test_a_torn_tail_of_zero_bytes_is_dropped_too(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    journal = write_journal(path, record(state="sending"))
    with journal.open("ab") as torn:
        torn.write(b"\0" * 300)  # a file system that extended the file but kept no data
    assert list(lockfile.load(path, "demo").batches) == ["0123456789abcdef"]


@pytest.mark.parametrize(
    ("damage", "line"),
    [
        (b"\n", 2),  # a blank line in the middle
        (b'{"key": "fedcba98\n', 2),  # a garbled line in the middle
        (b'{"key": "fedcba9876543210", "state": "maybe"}\n', 2),  # not a state
        (b"[1, 2]\n", 2),  # not a record
    ],
)
def test_a_damaged_journal_line_stops_and_keeps_the_journal(
    tmp_path: Path, damage: bytes, line: int
) -> None:
    path = tmp_path / "demo.lock.json"
    journal = tmp_journal(path)
    first = json.dumps(lockfile.journal_line(record(state="sending"))).encode() + b"\n"
    last = json.dumps(lockfile.journal_line(record(state="sent"))).encode() + b"\n"
    journal.write_bytes(first + damage + last)
    before = journal.read_bytes()
    with pytest.raises(JournalDamaged) as caught:
        lockfile.load(path, "demo")
    message = str(caught.value)
    assert f"line {line} of 3" in message
    assert "delete only the damaged line" in message and "cp demo.lock.json.journal" in message
    assert caught.value.exit_code == 2
    assert journal.read_bytes() == before  # evidence is never deleted


def test_a_complete_last_line_that_is_garbled_is_damage_not_a_torn_write(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    journal = write_journal(path, record(state="sending"))
    with journal.open("a") as handle:
        handle.write("not json at all\n")
    with pytest.raises(JournalDamaged, match="line 2 of 2"):
        lockfile.load(path, "demo")


def test_concurrent_writers_share_fsyncs_and_lose_no_line(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    journal = Journal(path)
    keys = [f"{n:016x}" for n in range(200)]

    def write(key: str) -> None:
        journal.record(lockfile.journal_line(record(key=key, state="sending")))
        journal.record(lockfile.journal_line(record(key=key)), durable=False)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, keys))
    journal.close()
    lock = lockfile.load(path, "demo")
    assert sorted(lock.batches) == keys
    assert {r.state for r in lock.batches.values()} == {"sent"}


def test_a_killed_write_leaves_no_temp_file_after_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    stray = tmp_path / ".demo.lock.json.999999999.k3j4h5.tmp"  # its writer is gone
    stray.write_text('{"half": ', encoding="utf-8")
    older = tmp_path / ".demo.lock.json.ab12cd.tmp"  # from before temp names had a pid
    older.write_text("", encoding="utf-8")
    other = tmp_path / ".other.lock.json.999999999.zz.tmp"  # another file's: not ours to touch
    other.write_text("", encoding="utf-8")
    lockfile.save(path, Lock("demo", {"0123456789abcdef": record()}), "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".other.lock.json.999999999.zz.tmp",
        "demo.lock.json",
    ]


def test_taking_the_campaign_lock_clears_a_killed_write_even_when_nothing_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "demo.lock.json"
    stray = tmp_path / ".demo.lock.json.1.k3j4h5.tmp"  # pid 1 lives; the lock says it's ours
    stray.write_text('{"half": ', encoding="utf-8")
    with lockfile.exclusive(path):
        assert not stray.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_temp_file_of_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "demo.report.json"
    live = tmp_path / f".demo.report.json.{os.getppid()}.abc.tmp"
    live.write_text("", encoding="utf-8")
    assert sweep_temp_files(path) == []
    assert sweep_temp_files(path, every=True) == [live]


def test_lockfile_records_its_api_and_account(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    lock = Lock("demo", {"0123456789abcdef": record()}, api=EDGE, account="58745")
    lockfile.save(path, lock, "x")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["api"], data["account"], data["format_version"]) == (EDGE, "58745", 2)
    again = lockfile.load(path, "demo")
    lockfile.check_owner(path, again, "https://EDGE.ippanel.com/v1/", "58745")
    lockfile.check_owner(path, again, EDGE, "")  # the API did not say: not refused


@pytest.mark.parametrize(
    ("api", "account", "message"),
    [
        ("http://127.0.0.1:8585/v1", "58745", "records sends made through the API at https://"),
        (EDGE, "11111", "records sends from IPPanel account 58745"),
    ],
)
def test_a_lockfile_of_another_api_or_account_is_refused(
    tmp_path: Path, api: str, account: str, message: str
) -> None:
    path = tmp_path / "demo.lock.json"
    lockfile.save(path, Lock("demo", {"k": record()}, api=EDGE, account="58745"), "x")
    with pytest.raises(LockfileError, match=message) as caught:
        lockfile.check_owner(path, lockfile.load(path, "demo"), api, account)
    assert caught.value.exit_code == 2
    assert "Nothing was sent" in str(caught.value)


def test_a_format_1_lockfile_written_by_a_sandbox_run_is_the_sandboxs(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    data = json.loads(Lock("demo", {"0123456789abcdef": record()}).to_text())
    data.update(format_version=1, written_by={"command": "ippanel-run --sandbox --yes demo.yaml"})
    del data["api"], data["account"]
    path.write_text(json.dumps(data), encoding="utf-8")
    lock = lockfile.load(path, "demo")
    with pytest.raises(LockfileError, match="was written by a --sandbox run"):
        lockfile.check_owner(path, lock, EDGE, "")


def test_no_phone_number_in_the_lockfile(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    lockfile.save(path, Lock("demo", {"0123456789abcdef": record()}), "x")
    text = path.read_text(encoding="utf-8")
    assert "9120000001" not in text and "9120000002" not in text
    assert Lock("demo", {"k": record()}).covered() == {
        lockfile.recipient_digest("demo", "+989120000001"),
        lockfile.recipient_digest("demo", "+989120000002"),
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{oops", "is not readable JSON"),
        ('{"name": "something else"}', "is not an ippanel-run lockfile"),
        (
            '{"format": "ippanel-run lockfile", "format_version": 99, "campaign": "demo"}',
            "has lockfile format 99",
        ),
        (
            '{"format": "ippanel-run lockfile", "format_version": 2, "campaign": "other"}',
            "belongs to campaign 'other', not 'demo'",
        ),
    ],
)
def test_foreign_or_damaged_lockfile_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "demo.lock.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LockfileError, match=message):
        lockfile.load(path, "demo")
    assert path.read_text(encoding="utf-8") == content


def test_second_holder_of_the_file_lock_is_told_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    with (
        lockfile.exclusive(path),
        pytest.raises(LockHeld, match="is being applied by pid"),
        lockfile.exclusive(path),
    ):
        pass
    with lockfile.exclusive(path):  # released again
        pass
