"""Re-record ``tests/cassettes/`` from the sandbox served over real HTTP on 127.0.0.1.

Run ``.venv/bin/python tests/record_cassettes.py`` after changing the client or the
sandbox. Every scenario in ``cassette_scenarios`` gets a fresh sandbox with a fixed
clock, so re-recording gives the same files except for login tokens. The
``Authorization`` header is filtered out; the contract test checks that it was.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cassette_scenarios import (
    CANARY_KEY,
    CASSETTES,
    SANDBOX_EPOCH,
    SCENARIOS,
    Hooks,
    cassette_recorder,
)

from runner.api.client import IPPanelClient
from runner.sandbox import DEMO_USER_ID, SandboxApp
from runner.sandbox.server import start_in_thread


def record(name: str, state_dir: Path) -> None:
    offset = [0.0]

    def clock() -> datetime:
        return SANDBOX_EPOCH + timedelta(seconds=offset[0])

    app = SandboxApp(state_dir, clock=clock)
    with app.store.transaction() as tx:
        tx.execute("INSERT INTO api_keys (key, user_id) VALUES (?, ?)", (CANARY_KEY, DEMO_USER_ID))
    server, base_url = start_in_thread(app)
    try:

        def make_client(credential: str | None) -> IPPanelClient:
            return IPPanelClient(credential, base_url=base_url, retries=0)

        def advance(seconds: float) -> None:
            offset[0] += seconds

        # vcrpy's "all" appends to an existing cassette; start each one afresh.
        (CASSETTES / f"{name}.yaml").unlink(missing_ok=True)
        with cassette_recorder("all").use_cassette(f"{name}.yaml"):
            SCENARIOS[name](make_client(CANARY_KEY), Hooks(make_client, advance))
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    CASSETTES.mkdir(exist_ok=True)
    for name in SCENARIOS:
        with tempfile.TemporaryDirectory() as state_dir:
            record(name, Path(state_dir))
        print(f"recorded {CASSETTES / name}.yaml")


if __name__ == "__main__":
    main()
