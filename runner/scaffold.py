"""``ippanel-run new``: a commented campaign and its data file that validate as written.

``new_campaign`` writes ``<folder>/<name>.yaml`` (from the type's row in
``scaffold_texts.SKELETONS``) and ``<folder>/data/<name>.csv`` (or ``.txt``). The
campaign's first line points editors at ``schemas/campaign.schema.json`` of the
working directory, which is written from the packaged schema when it is missing.
Nothing is ever overwritten: files are created exclusively.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from runner.errors import InputError
from runner.scaffold_texts import EXCLUDE, HEAD, SCHEDULE, SKELETONS
from runner.schema import schema_path

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


@dataclass(frozen=True)
class Written:
    """The files ``new`` wrote: the campaign, its data file, and the schema if it was missing."""

    campaign: Path
    data: Path
    schema: Path | None


def new_campaign(name: str, sending_type: str, folder: Path, *, root: Path) -> Written:
    """Write the skeleton of a ``sending_type`` campaign called ``name`` into ``folder``.

    ``root`` is the working directory: ``root/schemas/campaign.schema.json`` is what the
    ``$schema`` line points at. Raises ``InputError`` for a bad name or an existing file.
    """
    skeleton = SKELETONS[sending_type]
    campaign = folder / f"{name}.yaml"
    data = folder / "data" / f"{name}.{skeleton.data_suffix}"
    _refuse(name, (campaign, data))
    schema = root / "schemas" / "campaign.schema.json"
    values = {
        "<SCHEMA>": Path(os.path.relpath(schema, folder)).as_posix(),
        "<SUMMARY>": skeleton.summary,
        "<TYPE>": sending_type,
        "<NAME>": name,
        "<DIR>": Path(os.path.relpath(folder, root)).as_posix(),
        "<PATH>": Path(os.path.relpath(campaign, root)).as_posix(),
        "<DATA>": data.relative_to(folder).as_posix(),
    }
    text = _fill(HEAD + skeleton.body + "\n" + EXCLUDE + "\n" + SCHEDULE, values)
    data.parent.mkdir(parents=True, exist_ok=True)
    _create(data, skeleton.data)
    _create(campaign, text)
    wrote_schema = None
    if not schema.exists():
        schema.parent.mkdir(parents=True, exist_ok=True)
        _create(schema, schema_path().read_text(encoding="utf-8"))
        wrote_schema = schema
    return Written(campaign, data, wrote_schema)


def _refuse(name: str, paths: tuple[Path, ...]) -> None:
    """A name the schema would refuse, or a file that exists: ``InputError``."""
    if not NAME.fullmatch(name):
        raise InputError(
            f"{name!r} is not a campaign name: use lowercase letters, digits, '.', '_' and "
            "'-', starting with a letter or digit, at most 100 characters (e.g. nowruz-1406)"
        )
    for path in paths:
        if path.exists():
            raise InputError(
                f"{path} already exists; ippanel-run new never overwrites a file: "
                "choose another name, or move the file away"
            )


def _fill(text: str, values: dict[str, str]) -> str:
    for token, value in values.items():
        text = text.replace(token, value)
    return text


def _create(path: Path, text: str) -> None:
    # "x": fail rather than overwrite a file that appeared since the check above.
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
