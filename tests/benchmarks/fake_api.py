"""A fast fake of the IPPanel Edge API for throughput benchmarks (run it as a script).

The sandbox is faithful but spends milliseconds of CPU per request (SQLite, validation),
which would make it, not the client, the bottleneck of a benchmark at 16 requests in
flight. This fake answers from memory on one asyncio loop, after ``--latency-ms``:

- ``POST /api/send``: one new outbox id per request (per ``params`` item for
  peer_to_peer), counting requests and recipients;
- ``POST /api/report/new_list``: an empty page; ``POST /api/acl/auth/check_token``: an
  account; ``GET /api/payment/credit/mine``: plenty of credit;
- ``GET /__fake__/stats``: ``{"sends", "recipients", "calls": {path: n}}``;
- anything else: 404, as an API without that endpoint answers.

    python tests/benchmarks/fake_api.py --latency-ms 20     # prints its base URL
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from collections import Counter
from typing import Any

OK = {"status": True, "message": "انجام شد", "message_code": "200-1"}


class FakeApi:
    """The answers, and what was asked."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.ids = itertools.count(1_200_000_000)
        self.calls: Counter[str] = Counter()
        self.sends = 0
        self.recipients = 0

    def answer(self, method: str, path: str, body: bytes) -> Any:
        path = path.split("?")[0].removeprefix("/v1")
        self.calls[path] += 1
        if path == "/__fake__/stats":
            stats = {"sends": self.sends, "recipients": self.recipients, "calls": self.calls}
            return {"data": stats, "meta": OK}
        if path == "/api/send":
            return {"data": {"message_outbox_ids": self._send(json.loads(body))}, "meta": OK}
        if path == "/api/report/new_list":
            paging = {"current_page": 1, "last_page": 1, "per_page": 1000, "total": 0}
            return {"data": [], "meta": {**OK, **paging}}
        if path == "/api/acl/auth/check_token":
            return {"data": {"user_name": "bench", "user_id": 1, "name": "bench"}, "meta": OK}
        if path == "/api/payment/credit/mine":
            return {"data": {"credit": 1e15, "gift": 0}, "meta": OK}
        return None  # an endpoint this fake lacks: 404, as an older API would answer

    def _send(self, body: dict[str, Any]) -> list[int]:
        self.sends += 1
        params = body.get("params")
        if body.get("sending_type") == "peer_to_peer" and isinstance(params, list):
            self.recipients += sum(len(item["recipients"]) for item in params)
            return [next(self.ids) for _ in params]
        found = body.get("recipients") or (params or {}).get("recipients") or []
        self.recipients += len(found)
        return [next(self.ids)]


async def handle(api: FakeApi, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
            body = await reader.readexactly(int(headers.get("content-length") or 0))
            if path.endswith("/api/send"):
                await asyncio.sleep(api.latency)
            answer = api.answer(method, path, body)
            status = b"200 OK" if answer is not None else b"404 Not Found"
            missing = {"data": None, "meta": {"status": False, "message": "not found"}}
            payload = json.dumps(answer if answer is not None else missing).encode()
            writer.write(
                b"HTTP/1.1 "
                + status
                + b"\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int, latency_ms: float) -> None:
    api = FakeApi(latency_ms / 1000)
    server = await asyncio.start_server(lambda r, w: handle(api, r, w), "127.0.0.1", port)
    host, bound = server.sockets[0].getsockname()[:2]
    print(f"http://{host}:{bound}/v1", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.latency_ms))
