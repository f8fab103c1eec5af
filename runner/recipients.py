"""Recipients: read number sources, normalize every number, drop duplicates and exclusions.

``iter_recipients`` streams: a 1M-row CSV is read row by row and only the set of
numbers already seen is kept in memory. Every number is normalized by
``runner.phones`` (Iranian mobiles only, as ``+989…``).
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from runner.datafile import (
    DataFileError,
    bounded_lines,
    open_text,
    quote_problem,
    read_header,
    spans_lines,
)
from runner.errors import InvalidCampaign, Violation
from runner.models import FileSource, InlineNumber, Recipient, RecipientStats, Source
from runner.phones import InvalidNumber, match_mobile, normalize_phone
from runner.safe_text import excerpt, printable


def iter_recipients(
    sources: Sequence[Source],
    exclude: Sequence[Source],
    stats: RecipientStats,
    *,
    skip_invalid: bool = False,
) -> Iterator[Recipient]:
    """Yield each distinct, non-excluded recipient in source order, counting into ``stats``.

    The first occurrence of a number wins (with its CSV row); exclusions win over
    everything. Invalid numbers become ``stats.invalid`` violations; unless
    ``skip_invalid``, ``InvalidCampaign`` is raised once the stream is exhausted.
    File problems (missing file or column, bad encoding) are raised even with
    ``skip_invalid``: skipping a whole file would silently shrink the audience.
    """
    problems: list[Violation] = []
    # Exclusions are read as an audience of their own: what it "keeps" is the exclusion set.
    opt_out = _Audience(set(), RecipientStats(invalid=stats.invalid), problems)
    for source in exclude:
        for _ in _read(source, opt_out):
            pass
    audience = _Audience(opt_out.seen, stats, problems)
    for source in sources:
        yield from _read(source, audience)
    found = [*problems, *([] if skip_invalid else stats.invalid)]
    if not found and sources and not stats.kept:
        found.append(sources[0].where.violation(_nobody(stats)))
    if found:
        raise InvalidCampaign(found)


class _Audience:
    """The state shared by every source: numbers seen so far, exclusions, counts."""

    def __init__(
        self, excluded: set[str], stats: RecipientStats, problems: list[Violation]
    ) -> None:
        self.excluded = excluded
        self.seen: set[str] = set()
        self.stats = stats
        self.problems = problems

    def admit(self, phone: str) -> bool:
        """Count ``phone`` as read; say whether it is new and not excluded."""
        stats = self.stats
        stats.read += 1
        if phone in self.excluded:
            stats.excluded += 1
        elif phone in self.seen:
            stats.duplicates += 1
        else:
            self.seen.add(phone)
            stats.kept += 1
            return True
        return False

    def reject(self, violation: Violation) -> None:
        self.stats.read += 1
        self.stats.invalid.append(violation)


def _read(source: Source, audience: _Audience) -> Iterator[Recipient]:
    if isinstance(source, InlineNumber):
        where = source.where
        try:
            phone = normalize_phone(source.value)
        except InvalidNumber as err:
            message = f"invalid phone number {excerpt(source.value)}: {err}"
            audience.reject(where.violation(message))
            return
        if audience.admit(phone):
            yield Recipient(phone, {}, f"{where.file}:{where.line}")
        return
    suffix = source.path.suffix.lower()
    if suffix not in (".csv", ".txt"):
        audience.problems.append(source.where.violation(_unsupported(suffix)))
        return
    shown = _shown(source.path)
    try:
        with open_text(source.path) as handle:
            rows = _csv_recipients if suffix == ".csv" else _txt_recipients
            yield from rows(handle, source, shown, audience)
    except FileNotFoundError:
        message = f"file not found: {_as_written(source)}"
        audience.problems.append(source.where.violation(message))
    except UnicodeDecodeError:
        audience.problems.append(_undecodable(source.path, shown))
    except DataFileError as err:
        if err.line:
            audience.problems.append(Violation(shown, err.line, 1, str(err)))
        else:
            audience.problems.append(source.where.violation(f"{shown} {err}"))
    except OSError as err:
        message = f"cannot read {shown}: {err.strerror or err}"
        audience.problems.append(source.where.violation(message))


def _csv_recipients(
    handle: TextIO, source: FileSource, shown: str, audience: _Audience
) -> Iterator[Recipient]:
    header, delimiter, lines = read_header(handle)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    reader_line = 1  # csv counts from the header line it did not see
    column = source.phone_column
    if column not in header:
        audience.problems.append(source.where.violation(_no_column(source, header)))
        return
    index, width = header.index(column), len(header)
    # This loop runs once per row of files with millions of rows: audience.admit is
    # inlined, and the counters live in locals until the file is done.
    excluded, seen, stats = audience.excluded, audience.seen, audience.stats
    read = kept = duplicates = dropped = 0
    last = 1
    try:
        for values in reader:
            line = reader.line_num + reader_line
            if line != last + 1:
                raise spans_lines(last + 1, line)
            last = line
            if len(values) < width:
                if not values:
                    continue
                values += [""] * (width - len(values))
            raw = values[index]
            match = match_mobile(raw)
            if match is not None:
                phone = "+98" + match[1]
            else:
                try:
                    phone = normalize_phone(raw)
                except InvalidNumber as err:
                    if any(values):
                        read += 1
                        stats.invalid.append(_invalid_row(shown, line, column, raw, err))
                    continue
            read += 1
            if phone in excluded:
                dropped += 1
            elif phone in seen:
                duplicates += 1
            else:
                seen.add(phone)
                kept += 1
                yield Recipient(phone, dict(zip(header, values, strict=False)), f"{shown}:{line}")
    except csv.Error as err:
        raise quote_problem(err, last + 1, reader.line_num + reader_line) from err
    finally:
        stats.read += read
        stats.kept += kept
        stats.duplicates += duplicates
        stats.excluded += dropped


def _txt_recipients(
    handle: TextIO, source: FileSource, shown: str, audience: _Audience
) -> Iterator[Recipient]:
    for line, text in enumerate(bounded_lines(handle), start=1):
        raw = text.strip()
        if not raw or raw.startswith("#"):
            continue
        try:
            phone = normalize_phone(raw)
        except InvalidNumber as err:
            message = f"invalid phone number {excerpt(raw)}: {err}"
            audience.reject(Violation(shown, line, 1, message))
            continue
        if audience.admit(phone):
            yield Recipient(phone, {}, f"{shown}:{line}")


def _nobody(stats: RecipientStats) -> str:
    if not stats.read:
        return (
            "no one to send to: the recipients hold no phone number (a .csv with only a "
            "header, or a .txt of blank and comment lines?)"
        )
    return (
        f"no one to send to: of {stats.read:,} number(s) read, {stats.excluded:,} are excluded "
        f"and {len(stats.invalid):,} invalid"
    )


def _no_column(source: FileSource, header: list[str]) -> str:
    name = source.path.name
    if not any(header):
        return f"{name} is empty: a .csv file needs a header row naming its columns"
    columns = ", ".join(printable(h, 40) for h in header[:20]) + (", …" if len(header) > 20 else "")
    message = f"{name} has no column {excerpt(source.phone_column)} (columns: {columns})"
    likely = _phone_column(header, source.phone_column)
    return f"{message}; set phone_column: {likely}" if likely else message


# Names people give the column of mobile numbers, in English and Persian.
_PHONE_COLUMNS = (
    "phone", "mobile", "mobile_number", "phone_number", "cellphone", "cell", "msisdn",
    "number", "tel", "موبایل", "شماره", "شماره موبایل", "شماره همراه", "تلفن همراه", "همراه",
)  # fmt: skip


def _phone_column(header: list[str], wanted: str) -> str:
    """The header's column that most likely holds the numbers ("" if none looks like it)."""
    folded = {_fold(h): h for h in header}
    for name in map(_fold, _PHONE_COLUMNS):
        if name in folded and folded[name] != wanted:
            return folded[name]
    close = difflib.get_close_matches(_fold(wanted), list(folded), n=1, cutoff=0.7)
    return folded[close[0]] if close else ""


def _fold(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _invalid_row(shown: str, line: int, column: str, raw: str, err: InvalidNumber) -> Violation:
    where = f"in column {excerpt(column)}"
    if not raw:
        return Violation(shown, line, 1, f"no phone number {where}")
    message = f"invalid phone number {excerpt(raw)} {where}: {err}"
    return Violation(shown, line, 1, message)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else as it is."""
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            pass
    return str(path)


def _as_written(source: FileSource) -> str:
    """``source.path`` as the campaign file most likely spelled it (relative to that file)."""
    base = Path(source.where.file).parent
    for folder in (base, base.absolute()):
        try:
            return f"{source.path.relative_to(folder)} (relative to the campaign file)"
        except ValueError:
            pass
    return str(source.path)


def _unsupported(suffix: str) -> str:
    kind = f"'{suffix}'" if suffix else "(no extension)"
    return f"unsupported file type {kind}: use .csv (with a header row) or .txt (one number a line)"


def _undecodable(path: Path, shown: str) -> Violation:
    """Locate the first byte that is not UTF-8; the text decoder only knows its chunk."""
    with path.open("rb") as handle:
        for line, data in enumerate(handle, start=1):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as err:
                byte = data[err.start]
                message = f"not UTF-8: byte 0x{byte:02x} cannot be decoded; save the file as UTF-8"
                return Violation(shown, line, err.start + 1, message)
    return Violation(shown, 0, 0, "not UTF-8; save the file as UTF-8")
