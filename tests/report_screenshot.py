"""Write a sample delivery report and check that headless Chromium renders its charts.

Usage: ``python tests/report_screenshot.py [OUTPUT_DIR]``. Builds a campaign against
the in-process sandbox (fake clock, no network), writes its report files, opens the
HTML in headless Chromium, and checks the screenshot: a real PNG, many colours, and
pixels in the colours of the funnel and operator bars (so the inline SVG drew).
Exits 0 when the screenshot passes, 1 when it does not, 2 when Chromium is missing.

``Scenario`` is also what the report tests use to drive the sandbox.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

from runner.api.client import IPPanelClient, in_process_transport
from runner.campaign import load_campaign
from runner.lockfile import BatchRecord, Lock, State
from runner.report import Report, build_report, write_report
from runner.sandbox import DEMO_API_KEY, IN_PROCESS_BASE_URL, SandboxApp
from runner.sandbox.testing import FakeClock

SENDER = "+983000505"
CAMPAIGN_YAML = """\
version: 1
name: yalda-report
description: "شب یلدا مبارک: report sample"
type: webservice
sender: "+983000505"
message: "یلدا مبارک!"
recipients: ["+989120000000"]
"""
# Chart colours (see runner.report.charts) that a rendered screenshot must contain.
CHART_COLOURS = {"delivered": (0x16, 0xA3, 0x4A), "sent": (0x25, 0x63, 0xEB)}


def phones(count: int, start: int = 0) -> list[str]:
    """Numbers spread over MCI (912), Irancell (935) and another operator (921)."""
    prefixes = ("912", "935", "921")
    return [f"+98{prefixes[i % 3]}{1000000 + i:07d}" for i in range(start, start + count)]


class Scenario:
    """A campaign, a sandbox on a fake clock, a client for it and a hand-built lockfile."""

    def __init__(self, folder: Path, yaml_text: str = CAMPAIGN_YAML) -> None:
        self.clock = FakeClock()
        self.app = SandboxApp(folder / "sandbox", clock=self.clock, sleep=lambda _: None)
        self.client = IPPanelClient(
            DEMO_API_KEY,
            base_url=IN_PROCESS_BASE_URL,
            transport=in_process_transport(self.app),
            sleep=lambda _: None,
        )
        path = folder / "yalda.yaml"
        path.write_text(yaml_text, encoding="utf-8")
        self.campaign = load_campaign(path)
        self.lock = Lock(self.campaign.name)

    def send(self, key: str, body: dict[str, Any], recipients: int) -> BatchRecord:
        """POST ``body`` and record the batch as ``sent`` with the outbox ids it got."""
        result = self.client.send({"from_number": SENDER, **body})
        attempted = int(self.clock.now().timestamp())
        record = BatchRecord(
            key, "sent", body["sending_type"], SENDER, recipients, "", result.outbox_ids, attempted
        )
        self.lock.batches[key] = record
        return record

    def webservice(self, key: str, numbers: list[str], message: str = "یلدا مبارک!") -> int:
        body = {"sending_type": "webservice", "message": message, "params": {"recipients": numbers}}
        return self.send(key, body, len(numbers)).outbox_ids[0]

    def unsent(self, key: str, state: State, recipients: int, error: str = "") -> None:
        """A batch the lockfile holds without outbox ids (failed, or left unknown)."""
        record = BatchRecord(key, state, "webservice", SENDER, recipients, "", (), 0, error)
        self.lock.batches[key] = record

    def report(self, **options: Any) -> Report:
        return build_report(self.campaign, self.lock, self.client, now=self.clock.now(), **options)


def sample(folder: Path) -> Scenario:
    """Two finished batches of 600, a rejected one and one left unknown by a crash."""
    scenario = Scenario(folder)
    scenario.webservice("a" * 64, phones(600))
    scenario.webservice("b" * 64, phones(600, start=600))
    scenario.webservice("c" * 64, phones(3, start=2000), "تخفیف ویژه [reject]")
    scenario.unsent("d" * 64, "unknown", 40)
    scenario.clock.advance(120)
    return scenario


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, chunk = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        header = chunk if kind == b"IHDR" else header
        idat += chunk if kind == b"IDAT" else b""
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour})")
    return width, height, _unfilter(zlib.decompress(idat), width, height, 4 if colour == 6 else 3)


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytes]:
    stride, rows, previous = width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + guess) & 255
        rows.append(bytes(line))
        previous = line
    return rows


def check_screenshot(png: Path) -> list[str]:
    """Problems with the screenshot; empty when it shows a rendered page with the charts."""
    data = png.read_bytes()
    if len(data) < 10_000:
        return [f"{png} is only {len(data)} bytes"]
    width, _, rows = png_pixels(data)
    bpp = len(rows[0]) // width
    colours = {row[x : x + 3] for row in rows[::4] for x in range(0, len(row), bpp * 4)}
    problems = [] if len(colours) > 8 else [f"only {len(colours)} colours: a blank page?"]
    found = {bytes(rgb) for row in rows for rgb in _pixels(row, bpp) if rgb in _WANTED}
    for name, rgb in CHART_COLOURS.items():
        if bytes(rgb) not in found:
            problems.append(f"no {name} chart bar (colour #{bytes(rgb).hex()}) in the screenshot")
    return problems


_WANTED = {bytes(rgb) for rgb in CHART_COLOURS.values()}


def _pixels(row: bytes, bpp: int) -> list[bytes]:
    return [row[x : x + 3] for x in range(0, len(row), bpp)]


def screenshot(html: Path, png: Path, chromium: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                "--window-size=1200,1600",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str]) -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed; nothing checked", file=sys.stderr)
        return 2
    folder = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="report-shot-"))
    folder.mkdir(parents=True, exist_ok=True)
    scenario = sample(folder)
    paths = write_report(scenario.report(), csv=True)
    html = next(p for p in paths if p.suffix == ".html")
    png = folder / "report.png"
    screenshot(html, png, chromium)
    problems = check_screenshot(png)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{'FAILED' if problems else 'ok'}: {png}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
