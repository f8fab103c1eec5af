"""The lockfile: schema, atomic saves, journal replay, refusal of foreign files, the file lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from runner import lockfile
from runner.errors import LockfileError, LockHeld
from runner.lockfile import BatchRecord, Journal, Lock
from runner.schema import load_schema


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


def test_journal_is_replayed_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "demo.lock.json"
    journal = Journal(path)
    journal.record(record(state="sending"))
    journal.record(record(key="fedcba9876543210", state="unknown"))
    journal.close()
    with (tmp_path / "demo.lock.json.journal").open("a") as torn:
        torn.write('{"key": "aaaa')  # a write cut short by the crash
    lock = lockfile.load(path, "demo")
    assert {k: r.state for k, r in lock.batches.items()} == {
        "0123456789abcdef": "sending",
        "fedcba9876543210": "unknown",
    }
    assert len(lock.unresolved()) == 2


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
            '{"format": "ippanel-run lockfile", "format_version": 1, "campaign": "other"}',
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
