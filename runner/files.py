"""Files the user keeps (lockfiles, reports, saved plans, the login token) are written atomically.

A temp file in the same folder, fsynced, then ``os.replace``d over the target and
the folder fsynced: a crash leaves either the old file or the new one, never half.
The temp file is created private (0600) and gets its final mode only when complete,
so a secret is never readable by others, not even for an instant.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int = 0o644) -> Iterator[TextIO]:
    """A text handle (UTF-8, ``\\n`` line ends) whose content replaces ``path`` on success.

    If the block raises, ``path`` is left as it was and the temp file is removed.
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
