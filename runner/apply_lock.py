"""The campaign's apply lock: one apply (or cancel) of a campaign at a time.

``exclusive(path)`` holds an ``flock`` on ``.<lockfile name>.apply-lock`` beside the
lockfile for as long as the run reads and writes it; a second run fails at once with
``LockHeld``, naming the holder (pid, host, since when), because two applies at once
could send twice. The lock file exists only while its holder runs. Taking the lock
also clears the temp files of lockfile writes that were killed half way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from runner.errors import LockHeld
from runner.files import sweep_temp_files


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the campaign's file lock; a second apply fails at once, naming the holder.

    The lock file exists only while an apply runs: its holder removes it before letting
    go, and a process that locked a file just removed tries again with the new one.
    """
    lock_path = path.with_name(f".{path.name}.apply-lock")
    path.parent.mkdir(parents=True, exist_ok=True)  # a --sandbox run's folder may be new
    handle = _locked(path, lock_path)
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"pid {os.getpid()} on {socket.gethostname()} since "
            f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        )
        handle.flush()
        sweep_temp_files(path, every=True)  # a killed write's temp file, even if we write nothing
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock_path.unlink()  # still holding the lock: no one can take this file now
        handle.close()


def _locked(path: Path, lock_path: Path) -> TextIO:
    """``lock_path`` opened and locked, the very file at that path (not one just removed)."""
    for _ in range(10):
        handle = lock_path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LockHeld(
                f"{path.name} is being applied by {holder}; wait for it to finish "
                "(two applies at once could send twice)"
            ) from err
        try:
            if os.stat(lock_path).st_ino == os.fstat(handle.fileno()).st_ino:
                return handle
        except FileNotFoundError:
            pass
        handle.close()  # its holder removed it as we locked it: take the new one
    raise LockHeld(f"{path.name}: its apply lock keeps changing hands; try again")
