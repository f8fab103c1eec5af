"""Reconciliation: settle batches whose send may or may not have happened, never guessing."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import NOW

from runner import lockfile
from runner.api.client import IPPanelClient, in_process_transport
from runner.lockfile import BatchRecord, Lock
from runner.reconcile import AmbiguousBatch, reconcile
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp

PHONES = ("+989120000001", "+989120000002")


def client_for(tmp_path: Path) -> IPPanelClient:
    app = SandboxApp(tmp_path / "sandbox", clock=lambda: NOW)
    transport = in_process_transport(app)
    return IPPanelClient(DEMO_API_KEY, base_url=IN_PROCESS_BASE_URL, transport=transport)


def send(client: IPPanelClient, text: str, phones: tuple[str, ...] = PHONES) -> int:
    body = {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": text,
        "params": {"recipients": list(phones)},
    }
    (outbox_id,) = client.send(body).outbox_ids
    return outbox_id


def unknown_batch(text: str, phones: tuple[str, ...] = PHONES) -> BatchRecord:
    return BatchRecord(
        key="0123456789abcdef",
        state="unknown",
        sending_type="webservice",
        sender="+983000505",
        recipients=len(phones),
        digests=lockfile.pack_digests(lockfile.recipient_digest("demo", p) for p in phones),
        attempted_at=int(NOW.timestamp()),
        texts=lockfile.pack_digests([lockfile.text_digest(text)]),
    )


def test_a_send_that_happened_is_adopted(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    outbox_id = send(client, "Hello")
    lock = Lock("demo", {"0123456789abcdef": unknown_batch("Hello")})
    saved: list[BatchRecord] = []
    (settled,) = reconcile(lock, client, saved.append)
    assert settled.outbox_ids == (outbox_id,)
    assert lock.batches["0123456789abcdef"].state == "sent"
    assert [r.state for r in saved] == ["sent"]


def test_another_campaign_to_the_same_people_is_not_adopted(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    send(client, "A different campaign's text")
    lock = Lock("demo", {"0123456789abcdef": unknown_batch("Hello")})
    (settled,) = reconcile(lock, client, lambda record: None)
    assert settled.outbox_ids == ()
    assert lock.batches["0123456789abcdef"].state == "failed"  # planned and sent again


def test_two_matching_outboxes_stop_and_name_them(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    first = send(client, "Hello", PHONES[:1])
    second = send(client, "Hello", PHONES)
    lock = Lock("demo", {"0123456789abcdef": unknown_batch("Hello")})
    with pytest.raises(AmbiguousBatch) as caught:
        reconcile(lock, client, lambda record: None)
    message = str(caught.value)
    assert f"outbox {first}" in message and f"outbox {second}" in message
    assert "ippanel-run resolve CAMPAIGN 0123456789abcdef --sent ID" in message
    assert lock.batches["0123456789abcdef"].state == "unknown"
