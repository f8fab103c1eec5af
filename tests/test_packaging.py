"""A plain (non-editable) install works: the schemas travel inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from helpers import REPO


def test_wheel_carries_the_schemas_and_finds_them_installed(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("ippanel_run-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for schema in ("campaign", "lockfile", "report"):
        assert f"runner/schemas/{schema}.schema.json" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    found = subprocess.run(
        [sys.executable, "-c", "from runner.schema import schema_path; print(schema_path())"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert Path(found.stdout.strip()).is_relative_to(target)
