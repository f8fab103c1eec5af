"""Campaign files: load, validate against the schema, and build a ``models.Campaign``.

``load_campaign`` is the one entry point: YAML (``loader``) → JSON Schema
(``schema``) → the checks a schema cannot express → a frozen ``Campaign``.
Every problem in the file is reported at once, each as ``path:line:col: message``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from runner.durations import parse_duration
from runner.errors import InvalidCampaign, Violation
from runner.loader import Document, load_document
from runner.models import (
    DEFAULT_OUTBOX_WINDOW,
    Campaign,
    FileSource,
    InlineNumber,
    Limits,
    Location,
    OperatorSlice,
    Schedule,
    SendingType,
    Source,
    Targeting,
    Template,
)
from runner.paths import confinement_problem, repository_root
from runner.phones import InvalidNumber, normalize_phone
from runner.safe_text import excerpt
from runner.schema import validate_document
from runner.send_hours import parse_window
from runner.sending_types import FILE_RECIPIENTS_CEILING, spec_of

# Nested keys whose place in the file later stages point at (``Campaign.location``).
_NESTED = (
    ("limits", "max_recipients"),
    ("limits", "max_cost"),
    ("schedule", "at"),
    ("pattern", "code"),
)


def load_campaign(path: Path) -> Campaign:
    """Read and validate one campaign file; raise ``InvalidCampaign`` with every violation."""
    doc = load_document(path)
    violations = validate_document(doc)
    if violations:
        # Every problem at once: the numbers written inline are checked even so.
        found = [*violations, *_inline_number_problems(doc)]
        raise InvalidCampaign(sorted(found, key=lambda v: (v.line, v.col)))
    campaign = _build(doc)
    problems = _semantic_checks(doc, campaign)
    if problems:
        raise InvalidCampaign(problems)
    return campaign


def input_files(campaign: Campaign) -> dict[str, str]:
    """Each file the campaign is made of (as written from its folder) → a digest of its bytes."""
    folder = campaign.path.parent
    digests = {}
    for path in _files(campaign):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digests[os.path.relpath(path, folder)] = digest.hexdigest()
    return digests


def _files(campaign: Campaign) -> list[Path]:
    sources = (*campaign.recipients, *campaign.exclude)
    return [campaign.path] + [s.path for s in sources if isinstance(s, FileSource)]


def inputs_digest(campaign: Campaign) -> str:
    """A digest of the campaign file and every data file it reads."""
    digest = hashlib.sha256()
    files = [campaign.path] + [
        s.path for s in (*campaign.recipients, *campaign.exclude) if isinstance(s, FileSource)
    ]
    for path in files:
        digest.update(str(path.name).encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _build(doc: Document) -> Campaign:
    data: Mapping[str, Any] = doc.data
    kind = cast(SendingType, data["type"])
    pattern = data.get("pattern") or {}
    return Campaign(
        path=doc.path,
        name=data["name"],
        description=data.get("description", ""),
        type=kind,
        sender=data.get("sender"),
        vars=dict(data.get("vars") or {}),
        message=_template(doc, ("message",), "message") if "message" in data else None,
        pattern_code=pattern.get("code"),
        pattern_params=tuple(
            (name, _template(doc, ("pattern", "params", name), f"pattern.params.{name}"))
            for name in (pattern.get("params") or {})
        ),
        recipients=_sources(doc, "recipients"),
        exclude=_sources(doc, "exclude"),
        schedule=_schedule(doc),
        targeting=tuple(_targeting(t) for t in data.get("targeting") or ()),
        batch_size=data.get("batch_size", spec_of(kind).batch_size),
        limits=Limits(**(data.get("limits") or {})),
        send_hours=data.get("send_hours"),
        where=_where(doc),
        outbox_window=_outbox_window(data.get("outbox_window")),
    )


def _where(doc: Document) -> dict[str, Location]:
    where = {key: doc.location((key,)) for key in doc.data}
    for path in _NESTED:
        if path[0] in doc.data and path[1] in (doc.data[path[0]] or {}):
            where[".".join(path)] = doc.location(path)
    for index, _ in enumerate(doc.data.get("targeting") or ()):
        where[f"targeting.{index}"] = doc.location(("targeting", index))
    for name in (doc.data.get("pattern") or {}).get("params") or {}:
        where[f"pattern.params.{name}"] = doc.location(("pattern", "params", name))
    return where


def _outbox_window(value: object) -> int:
    if value is None:
        return DEFAULT_OUTBOX_WINDOW
    try:
        return parse_duration(str(value))
    except ValueError:
        return DEFAULT_OUTBOX_WINDOW  # the schema check reports it, with its place


def _template(doc: Document, path: tuple[str, ...], field: str) -> Template:
    where = doc.location(path)
    block = doc.styles.get(path, "") in ("|", ">")
    source = doc.data
    for part in path:
        source = source[part]
    return Template(
        source=str(source), field=field, where=where, first_line=where.line + (1 if block else 0)
    )


def _sources(doc: Document, key: str) -> tuple[Source, ...]:
    base = doc.path.parent
    sources: list[Source] = []
    for index, item in enumerate(doc.data.get(key) or ()):
        where = doc.location((key, index))
        if isinstance(item, Mapping):
            path = base / str(item["file"])
            sources.append(FileSource(path, str(item.get("phone_column", "phone")), where))
        else:
            sources.append(InlineNumber(str(item), where))
    return tuple(sources)


def _schedule(doc: Document) -> Schedule | None:
    raw = doc.data.get("schedule")
    if raw is None:
        return None
    return Schedule(
        at=str(raw["at"]),
        calendar=raw.get("calendar", "gregorian"),
        timezone=raw.get("timezone", "Asia/Tehran"),
        where=doc.location(("schedule", "at")),
    )


def _targeting(raw: Mapping[str, Any]) -> Targeting:
    years = raw.get("birth_year") or {}
    return Targeting(
        postal_code=int(raw["postal_code"]),
        bank=raw.get("bank", "all"),
        gender=raw.get("gender", "all"),
        birth_year_from=years.get("from"),
        birth_year_to=years.get("to"),
        operators={
            name: OperatorSlice(int(s.get("start", 0)), int(s["size"]))
            for name, s in (raw.get("operators") or {}).items()
        },
    )


def _semantic_checks(doc: Document, campaign: Campaign) -> Sequence[Violation]:
    problems = _file_problems(doc)
    ceiling = spec_of(campaign.type).batch_size
    if campaign.batch_size > ceiling:
        hint = ""
        if spec_of(campaign.type).file_instead:
            hint = f"; type file sends up to {FILE_RECIPIENTS_CEILING:,} numbers in one request"
        problems.append(
            doc.location(("batch_size",)).violation(
                f"batch_size {campaign.batch_size} is over the API's ceiling of "
                f"{ceiling} recipients a request for type {campaign.type}{hint}"
            )
        )
    if campaign.send_hours is not None:
        try:
            parse_window(campaign.send_hours)
        except ValueError as err:
            problems.append(doc.location(("send_hours",)).violation(str(err)))
    for index, target in enumerate(campaign.targeting):
        low, high = target.birth_year_from, target.birth_year_to
        if low is not None and high is not None and low > high:
            problems.append(
                doc.location(("targeting", index, "birth_year")).violation(
                    f"birth_year.from {low} is after birth_year.to {high}"
                )
            )
    if "outbox_window" in doc.data:
        try:
            parse_duration(str(doc.data["outbox_window"]))
        except ValueError as err:
            problems.append(doc.location(("outbox_window",)).violation(f"outbox_window: {err}"))
    return problems


def _inline_number_problems(doc: Document) -> list[Violation]:
    """Invalid numbers written in the file, for when the schema stops the file before them."""
    problems = []
    data = doc.data if isinstance(doc.data, Mapping) else {}
    for key in ("recipients", "exclude"):
        items = data.get(key)
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, str) or not item:
                continue
            try:
                normalize_phone(item)
            except InvalidNumber as err:
                message = f"invalid phone number {excerpt(item)}: {err}"
                problems.append(doc.location((key, index)).violation(message))
    return problems


def _file_problems(doc: Document) -> list[Violation]:
    """Data files outside the campaign's repository, or not regular files, are never read."""
    root = repository_root(doc.path)
    problems = []
    for key in ("recipients", "exclude"):
        for index, item in enumerate(doc.data.get(key) or ()):
            if not isinstance(item, Mapping):
                continue
            written = str(item["file"])
            problem = confinement_problem(doc.path.parent / written, root)
            if problem:
                where = doc.location((key, index, "file"))
                problems.append(where.violation(f"file {excerpt(written)} {problem}"))
    return problems
