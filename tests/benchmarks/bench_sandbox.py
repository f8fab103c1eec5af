"""Benchmark (issue 3): how many 1000-recipient webservice sends the sandbox takes per second.

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_sandbox.py [--requests 300]

Measured in one run, each against a fresh state directory:

1. in-process: ``IPPanelClient`` over ``in_process_transport(SandboxApp(dir))``, one thread;
2. HTTP: ``runner.sandbox.server.serve`` in a *child process* (so the server does not share
   this process's GIL), driven by ``IPPanelClient`` from 1 and from 4 threads (one client,
   hence one keep-alive connection, per thread);
3. client overhead: against another fresh HTTP child, ``IPPanelClient.send`` and a bare
   ``httpx.Client().post(...)`` + ``response.json()`` loop with the same headers, the same
   kind of bodies and one reused connection each, interleaved in rounds so that the
   server's growing database and machine noise weigh on both alike.

Every request is a valid send (sender ``+983000505``, recipients ``+989xxxxxxxxx``) with its
own recipients and text, so the sandbox's 40-second duplicate rule (429) never fires;
credit is topped up first so that no send is refused for lack of it. Each measurement
starts with a few untimed warm-up sends. Figures are wall-clock requests per second and
milliseconds per request.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from runner.api.client import IPPanelClient, in_process_transport
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp

SENDER = "+983000505"
RECIPIENTS_PER_SEND = 1000
WARMUP = 5
ROUNDS = 4
CREDIT = 1e15

Body = dict[str, Any]


def bodies() -> Iterator[Body]:
    """Endless distinct valid webservice bodies: each has its own recipients and text."""
    for n in count():
        first = (n * RECIPIENTS_PER_SEND) % 10_000_000
        recipients = [f"+98912{(first + i) % 10_000_000:07d}" for i in range(RECIPIENTS_PER_SEND)]
        yield {
            "sending_type": "webservice",
            "from_number": SENDER,
            "message": f"مشتری گرامی، جشنواره نوروزی آغاز شد. کد {n}",
            "params": {"recipients": recipients},
        }


class Feed:
    """A thread-safe source of bodies shared by every measurement in the run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bodies = bodies()

    def take(self, n: int) -> list[Body]:
        with self._lock:
            return [next(self._bodies) for _ in range(n)]


def timed(send: Callable[[Body], object], batch: list[Body]) -> float:
    start = time.perf_counter()
    for body in batch:
        send(body)
    return time.perf_counter() - start


def in_process(state: Path, feed: Feed, requests: int) -> float:
    app = SandboxApp(state)
    app.set_credit(CREDIT)
    transport = in_process_transport(app)
    with IPPanelClient(DEMO_API_KEY, base_url=IN_PROCESS_BASE_URL, transport=transport) as client:
        timed(client.send, feed.take(WARMUP))
        return requests / timed(client.send, feed.take(requests))


def over_http(base_url: str, feed: Feed, requests: int, threads: int) -> float:
    clients = [IPPanelClient(DEMO_API_KEY, base_url=base_url) for _ in range(threads)]
    try:
        for client in clients:
            timed(client.send, feed.take(WARMUP))
        share = requests // threads
        batches = [feed.take(share) for _ in clients]
        with ThreadPoolExecutor(threads) as pool:
            start = time.perf_counter()
            list(pool.map(lambda c, b: timed(c.send, b), clients, batches))
            elapsed = time.perf_counter() - start
        return share * threads / elapsed
    finally:
        for client in clients:
            client.close()


def bare_sender(http: httpx.Client, url: str) -> Callable[[Body], object]:
    def send(body: Body) -> object:
        response = http.post(url, json=body, headers={"Authorization": DEMO_API_KEY})
        if response.status_code != 200:
            raise RuntimeError(f"bare send answered {response.status_code}: {response.text}")
        return response.json()

    return send


def overhead(base_url: str, feed: Feed, requests: int) -> tuple[float, float]:
    """Milliseconds per request for (IPPanelClient, bare httpx), interleaved in rounds."""
    headers = {"Accept": "application/json", "User-Agent": "bench"}
    with (
        IPPanelClient(DEMO_API_KEY, base_url=base_url) as client,
        httpx.Client(headers=headers) as http,
    ):
        bare = bare_sender(http, base_url + "/api/send")
        timed(client.send, feed.take(WARMUP))
        timed(bare, feed.take(WARMUP))
        per_round = max(1, requests // ROUNDS)
        client_s = bare_s = 0.0
        for n in range(ROUNDS):
            # Alternate who goes first: the database grows with every send.
            order = [("client", client.send), ("bare", bare)]
            for name, send in order if n % 2 == 0 else order[::-1]:
                elapsed = timed(send, feed.take(per_round))
                if name == "client":
                    client_s += elapsed
                else:
                    bare_s += elapsed
        done = per_round * ROUNDS
        return client_s / done * 1000, bare_s / done * 1000


class ChildServer:
    """``serve(SandboxApp(state), port=0)`` in a child process; its base URL."""

    def __init__(self, state: Path) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(state)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.base_url = self._proc.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.close()
            raise RuntimeError("the sandbox child did not start")

    def __enter__(self) -> ChildServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)


def serve_child(state: str) -> None:
    from runner.sandbox.server import serve

    app = SandboxApp(Path(state))
    app.set_credit(CREDIT)
    server = serve(app, port=0)
    print(server.base_url, flush=True)
    server.serve_forever(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="timed requests a measurement")
    parser.add_argument("--serve", metavar="STATE_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_child(args.serve)
        return
    n = args.requests
    feed = Feed()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rps_in = in_process(root / "in-process", feed, n)
        with ChildServer(root / "http-1") as server:
            rps_1 = over_http(server.base_url, feed, n, 1)
        with ChildServer(root / "http-4") as server:
            rps_4 = over_http(server.base_url, feed, n, 4)
        with ChildServer(root / "overhead") as server:
            client_ms, bare_ms = overhead(server.base_url, feed, n)
    total = time.perf_counter() - started
    print(f"requests a measurement: {n} (+{WARMUP} warm-up), {RECIPIENTS_PER_SEND} recipients each")
    print(f"in-process sandbox:        {rps_in:7.1f} req/s  ({1000 / rps_in:6.2f} ms/req)")
    print(f"HTTP sandbox, 1 thread:    {rps_1:7.1f} req/s  ({1000 / rps_1:6.2f} ms/req)")
    print(f"HTTP sandbox, 4 threads:   {rps_4:7.1f} req/s  ({1000 / rps_4:6.2f} ms/req)")
    print(f"HTTP, IPPanelClient.send:  {client_ms:7.2f} ms/req")
    print(f"HTTP, bare httpx post:     {bare_ms:7.2f} ms/req")
    diff = client_ms - bare_ms
    print(f"client overhead:           {diff:+7.2f} ms/req ({diff / bare_ms:+.1%} of bare)")
    print(f"total run: {total:.1f} s")


if __name__ == "__main__":
    main()
