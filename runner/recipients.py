"""Recipients: read number sources, normalize every number, drop duplicates and exclusions.

``iter_recipients`` streams: a 1M-row CSV is read row by row and only the set of
numbers already seen is kept in memory. Only Iranian mobiles (``+989`` and nine
digits) are accepted: IPPanel sends to nothing else. They go through one
precompiled regex (run a million times per big campaign); a number with another
country code is refused, and ``phonenumbers`` only helps say which country it is.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

import phonenumbers

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
from runner.safe_text import excerpt, printable

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits → ASCII; separators and the
# invisible bidi marks that copy-paste from RTL text carries → removed.
_CLEAN: dict[int, int | None] = {
    **{0x06F0 + d: 0x30 + d for d in range(10)},
    **{0x0660 + d: 0x30 + d for d in range(10)},
    **dict.fromkeys(map(ord, " \t\u00a0\u2007\u202f-\u2010\u2011\u2012\u2013\u2014.()/"), None),
    **dict.fromkeys([*range(0x200B, 0x2010), *range(0x202A, 0x202F), 0x2066, 0x2067], None),
    **dict.fromkeys([0x2068, 0x2069, 0xFEFF], None),
}
_SEPARATORS = re.compile("[\\s\\-\u2010-\u2014.()/\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
# +98 / 0098 / 98, an optional trunk 0, then 9 and nine digits: the only mobile shape.
_IRAN_MOBILE = re.compile(r"(?:\+98|0098|98)?0?(9[0-9]{9})")
_match_mobile = _IRAN_MOBILE.fullmatch
# The same shape in any script's digits (``\d`` matches Persian and Arabic-Indic ones too).
_match_any_digits = re.compile(
    r"(?:\+[9۹٩][8۸٨]|[0۰٠][0۰٠][9۹٩][8۸٨]|[9۹٩][8۸٨])?[0۰٠]?([9۹٩]\d{9})"
).fullmatch


IRANIAN_MOBILE = "+989 and 9 digits, or 09… as people write it"


class InvalidNumber(ValueError):
    """A value that is not a phone number we can send to; ``str()`` is the reason."""


def normalize_phone(raw: str) -> str:
    """Return the Iranian mobile ``raw`` as ``+989…``, or raise ``InvalidNumber`` saying why not."""
    match = _match_mobile(raw)
    if match is not None:
        return "+98" + match[1]
    match = _match_any_digits(_SEPARATORS.sub("", raw))
    if match is not None:
        return "+98" + str(int(match[1]))  # int() reads any script's digits; 9… has no 0 to lose
    return _normalize_other(raw.translate(_CLEAN))


def _normalize_other(cleaned: str) -> str:
    if cleaned.endswith("+") and not cleaned.startswith("+"):
        cleaned = "+" + cleaned[:-1]  # a leading + that RTL text displayed at the end
        match = _match_mobile(cleaned)
        if match is not None:
            return "+98" + match[1]
    digits = cleaned.removeprefix("+")
    if not cleaned:
        raise InvalidNumber("empty")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidNumber("not a phone number")
    if cleaned.startswith("+") or digits.startswith("00"):
        international = digits if cleaned.startswith("+") else digits[2:]
        if international.startswith("98"):
            _reject_iranian(international[2:], len(digits))
        _foreign(international)
    if digits.startswith("98") and len(digits) >= 12:
        _reject_iranian(digits[2:], len(digits))
    if digits.startswith("0") or digits.startswith("9"):
        _reject_iranian(digits.removeprefix("0"), len(digits))
    raise InvalidNumber(f"not an Iranian mobile number ({IRANIAN_MOBILE})")


def _reject_iranian(national: str, typed: int) -> None:
    """Explain why an Iranian number (``national`` without +98 or 0) is not a mobile."""
    national = national.removeprefix("0")
    expected = typed - len(national) + 10
    if len(national) < 10:
        raise InvalidNumber(f"too short: {typed} digits, expected {expected}")
    if len(national) > 10:
        raise InvalidNumber(f"too long: {typed} digits, expected {expected}")
    raise InvalidNumber(f"+98 {national[:2]}… is a landline, not a mobile number")


def _foreign(international: str) -> NoReturn:
    """Refuse a number with another country code, saying which country it belongs to."""
    try:
        number = phonenumbers.parse("+" + international)
    except phonenumbers.NumberParseException:
        raise InvalidNumber(
            f"unknown country code in +{international}; IPPanel sends only to Iranian mobiles"
        ) from None
    # Name the calling code's main country: +44 7911… is "United Kingdom", not a Crown dependency.
    example = phonenumbers.example_number(
        phonenumbers.region_code_for_country_code(number.country_code or 0)
    )
    # Imported here, for this error only: the geocoder's data is ~90 MB and ~1 s at start-up.
    from phonenumbers import geocoder

    country = geocoder.country_name_for_number(example, "en") if example else ""
    code = f"+{number.country_code}" + (f", {country}" if country else "")
    raise InvalidNumber(
        f"a foreign number ({code}); IPPanel sends only to Iranian mobiles ({IRANIAN_MOBILE})"
    )


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
            match = _match_mobile(raw)
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
