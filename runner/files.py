"""Files the user keeps (lockfiles, reports, saved plans, the login token) are written atomically.

A temp file in the same folder, fsynced, then ``os.replace``d over the target and
the folder fsynced: a crash leaves either the old file or the new one, never half.
The temp file is created private (0600) and gets its final mode only when complete,
so a secret is never readable by others, not even for an instant.

A process killed mid-write (SIGKILL, a power cut) leaves its temp file behind. Temp
names carry the writer's process id (``.x.lock.json.<pid>.<random>.tmp``), and the
next write of the same file removes those whose writer is gone (``sweep_temp_files``).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int = 0o644) -> Iterator[TextIO]:
    """A text handle (UTF-8, ``\\n`` line ends) whose content replaces ``path`` on success.

    If the block raises, ``path`` is left as it was and the temp file is removed.
    """
    sweep_temp_files(path)
    fd, temp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def write_atomic(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``text`` in one step."""
    with atomic_writer(path, mode=mode) as handle:
        handle.write(text)


def sweep_temp_files(path: Path, *, every: bool = False) -> list[Path]:
    """Remove the temp files that killed writes of ``path`` left; return what was removed.

    Only those whose writer process is gone, unless ``every`` (the caller holds a lock
    that no other writer of ``path`` can hold at the same time).
    """
    pattern = re.compile(re.escape(f".{path.name}.") + r"(?:(\d+)\.)?[^/]*\.tmp")
    removed: list[Path] = []
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return removed
    for sibling in siblings:
        found = pattern.fullmatch(sibling.name)
        if found is None or not (every or _gone(found.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError):
            sibling.unlink()
            removed.append(sibling)
    return removed


def _gone(pid: str | None) -> bool:
    """True when no process ``pid`` runs here (names without a pid are from older versions)."""
    if pid is None:
        return True
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    return False
