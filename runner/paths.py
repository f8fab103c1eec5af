"""Paths a campaign names stay inside its repository, and name regular files.

A pull request's campaign runs in the plan job, so ``file: ../../../proc/self/environ``
or a ``customers.csv`` symlinked to ``/dev/zero`` must never be read. A campaign's
repository is the nearest folder above it that holds ``.git``, else its own folder;
data files must resolve (symlinks followed) inside it and be regular files.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def repository_root(campaign: Path) -> Path:
    """The nearest folder above ``campaign`` holding ``.git``, else the campaign's folder."""
    folder = campaign.absolute().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def confinement_problem(path: Path, root: Path) -> str:
    """Why ``path`` must not be read as a data file of a campaign in ``root`` ("" if it may).

    A missing file is not a problem here: the reader reports it where it is read.
    """
    try:
        resolved = path.resolve()
        inside = resolved.is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return "cannot be resolved (a symlink loop?)"
    if not inside:
        how = "links" if path.is_symlink() else "is"
        return f"{how} outside the campaign's repository; keep data files inside it"
    try:
        mode = os.stat(resolved).st_mode
    except FileNotFoundError:
        return ""
    except OSError as err:
        return f"cannot be read: {err.strerror or err}"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a folder, device or pipe); give a .csv or .txt file"
    return ""


def is_regular_inside(path: Path, root: Path) -> bool:
    """Whether ``path`` is a regular file resolving inside ``root`` (for folder listings)."""
    return path.is_file() and not confinement_problem(path, root)
