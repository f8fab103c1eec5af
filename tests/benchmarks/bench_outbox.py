"""Benchmark (issue 10): what checking the account's outbox before every send costs in API calls.

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_outbox.py [--recipients 100000]
        [--recover 20000] [--skip-recovery]

For a webservice campaign (one text, 1,000 numbers a request) and a peer_to_peer
campaign whose text names each recipient (1,000 recipients a request, one outbox
each), both of ``--recipients`` numbers, the CLI applies the campaign in a child
process against the HTTP sandbox served from a thread of this process, which counts
every API request. Printed per campaign: the batches sent, and the calls that only
the outbox check makes — ``report/new_list`` (the account's sends, 1,000 a page),
``report/recipients`` (a candidate's recipients) and ``auth/check_token`` (whose
lockfile) — per batch (target: at most 0.1, one call per 10 batches).

Then the recovery: the lockfile is deleted (lost, or a fresh clone without it) and the
campaign applied again; it must send nothing, and every send is adopted from the
outbox. That costs the listing plus one ``report/recipients`` call per candidate
outbox: one per batch for webservice, one per recipient for the personalized
peer_to_peer (run with ``--recover`` recipients, 20,000 by default, to stay quick;
``report/recipients`` calls go 8 at a time). The rerun runs with ``--timeout 2
--commit-margin 1``: right after the first apply it first waits the deadline plus the
margin for sends a cut-off run may still have in the API's hands (5 s here, 90 s with
the defaults).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from scale_common import CountingSandbox, run_cli

LOOKUPS = (
    "POST /api/report/new_list",
    "GET /api/report/recipients",
    "POST /api/acl/auth/check_token",
)
SEND = "POST /api/send"


def write_campaign(folder: Path, kind: str, count: int) -> None:
    with (folder / "people.csv").open("w", encoding="utf-8") as out:
        out.write("phone,name\n")
        for n in range(count):
            out.write(f"0912{n:07d},c{n}\n")
    message = "'Hi {{ name }}, your code is ready'" if kind == "peer_to_peer" else "Hello"
    (folder / "many.yaml").write_text(
        f"version: 1\nname: many\ntype: {kind}\nsender: '+983000505'\nmessage: {message}\n"
        "recipients: [{file: people.csv}]\n",
        encoding="utf-8",
    )


def line(label: str, calls: Counter[str], batches: int, seconds: float) -> str:
    lookups = sum(calls[c] for c in LOOKUPS)
    parts = ", ".join(f"{c.split('/')[-1]} {calls[c]:,}" for c in LOOKUPS)
    per = f"{lookups / batches:.3f}" if batches else "-"
    return (
        f"  {label:<34} {calls[SEND]:>4} sends, {batches:>4} batches; look-up calls "
        f"{lookups:,} ({parts}) = {per} a batch; {seconds:6.1f} s"
    )


def measure(kind: str, count: int, recover: bool) -> list[str]:
    lines = [f"{kind}, {count:,} recipients:"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_campaign(folder, kind, count)
        with CountingSandbox(folder / "state") as sandbox:
            env = sandbox.env(folder)
            first = run_cli(folder, "--yes", "many.yaml", env=env)
            calls = sandbox.app.take_calls()
            lock = json.loads((folder / "many.lock.json").read_text(encoding="utf-8"))
            batches = len(lock["batches"])
            lines.append(line("first apply (a fresh account)", calls, batches, first.seconds))
            if not recover:
                return lines
            (folder / "many.lock.json").unlink()
            # Right after the first apply its newest send is younger than the deadline +
            # commit margin: the rerun waits that long for sends still in the API's hands.
            # Short settings keep that wait (not the calls) out of the figures.
            fast = ("--timeout", "2", "--commit-margin", "1")
            again = run_cli(folder, "--yes", *fast, "many.yaml", env=env)
            calls = sandbox.app.take_calls()
            if calls[SEND]:
                raise SystemExit("the rerun without its lockfile sent something")
            lines.append(line("rerun, lockfile lost (all adopted)", calls, batches, again.seconds))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--recover", type=int, default=20_000)
    parser.add_argument("--skip-recovery", action="store_true")
    args = parser.parse_args()
    for kind in ("webservice", "peer_to_peer"):
        for text in measure(kind, args.recipients, recover=False):
            print(text, flush=True)
    if args.skip_recovery:
        return
    print("recovery from a lost lockfile:")
    for kind, count in (("webservice", args.recipients), ("peer_to_peer", args.recover)):
        for text in measure(kind, count, recover=True):
            print(text, flush=True)


if __name__ == "__main__":
    main()
