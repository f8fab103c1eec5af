"""Recipients: number normalization, CSV / .txt sources, dedup, exclusions, violations."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from runner.errors import InvalidCampaign
from runner.models import FileSource, InlineNumber, Location, Recipient, RecipientStats, Source
from runner.phones import InvalidNumber, normalize_phone
from runner.recipients import iter_recipients

DATA = Path(__file__).parent / "data" / "recipients"
ONLY_IRAN = "+989 and 9 digits, or 09… as people write it"
ONLY_IRAN_SENDS = f"IPPanel sends only to Iranian mobiles ({ONLY_IRAN})"
CAMPAIGN = Location("campaign.yaml", 9, 5)


@pytest.fixture(autouse=True)
def _in_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    # Data files are shown relative to the working directory, as a user would type them.
    monkeypatch.chdir(DATA)


def csv(name: str, column: str = "phone", line: int = 9) -> FileSource:
    return FileSource(DATA / name, column, Location("campaign.yaml", line, 5))


def inline(value: str, line: int = 9) -> InlineNumber:
    return InlineNumber(value, Location("campaign.yaml", line, 7))


def collect(
    sources: Sequence[Source], exclude: Sequence[Source] = (), *, skip_invalid: bool = False
) -> tuple[list[Recipient], RecipientStats]:
    stats = RecipientStats()
    return list(iter_recipients(sources, exclude, stats, skip_invalid=skip_invalid)), stats


def problems(sources: Sequence[Source], exclude: Sequence[Source] = ()) -> list[str]:
    with pytest.raises(InvalidCampaign) as caught:
        collect(sources, exclude)
    return [str(v) for v in caught.value.violations]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+989121234567", "+989121234567"),
        ("00989121234567", "+989121234567"),
        ("989121234567", "+989121234567"),
        ("09121234567", "+989121234567"),
        ("9121234567", "+989121234567"),
        ("+98 912 123 4567", "+989121234567"),
        ("0912-123-4567", "+989121234567"),
        ("0912.123.4567", "+989121234567"),
        ("(0912) 123 4567", "+989121234567"),
        ("+98 (0) 912 123 4567", "+989121234567"),
        ("0912\u00a0123\u00a04567", "+989121234567"),
        ("\u202a+989121234567\u202c", "+989121234567"),
        ("\u200f۰۹۱۲\u200c۱۲۳\u200e۴۵۶۷", "+989121234567"),
        ("۰۹۱۲۱۲۳۴۵۶۷", "+989121234567"),
        ("+۹۸۹۱۲۱۲۳۴۵۶۷", "+989121234567"),
        ("۹۱۲ ۱۲۳ ۴۵۶۷", "+989121234567"),
        ("٠٩١٢١٢٣٤٥٦٧", "+989121234567"),
        ("٠٠٩٨٩١٢١٢٣٤٥٦٧", "+989121234567"),
        ("  09351234567\t", "+989351234567"),
        ("989121234567+", "+989121234567"),  # a leading + shown at the end by RTL text
    ],
)
def test_numbers_in_every_typed_form_normalize_to_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("+982112345678", "+98 21… is a landline, not a mobile number"),
        ("02112345678", "+98 21… is a landline, not a mobile number"),
        ("۰۲۱ ۱۲۳۴ ۵۶۷۸", "+98 21… is a landline, not a mobile number"),
        ("0912345", "too short: 7 digits, expected 11"),
        ("091234567", "too short: 9 digits, expected 11"),
        ("+98912345678", "too short: 11 digits, expected 12"),
        ("091212345678", "too long: 12 digits, expected 11"),
        ("12345", f"not an Iranian mobile number ({ONLY_IRAN})"),
        ("abc", "not a phone number"),
        ("0912 123 4567 ext 2", "not a phone number"),
        ("", "empty"),
        (
            "+999 1234 5678",
            "unknown country code in +99912345678; IPPanel sends only to Iranian mobiles",
        ),
        ("+447911123456", f"a foreign number (+44, United Kingdom); {ONLY_IRAN_SENDS}"),
        ("+44 7911 123456", f"a foreign number (+44, United Kingdom); {ONLY_IRAN_SENDS}"),
        ("0044 7911 123456", f"a foreign number (+44, United Kingdom); {ONLY_IRAN_SENDS}"),
        ("+44 12", f"a foreign number (+44, United Kingdom); {ONLY_IRAN_SENDS}"),
        ("+1 202-555-0143", f"a foreign number (+1, United States); {ONLY_IRAN_SENDS}"),
        ("+49 151 23456789", f"a foreign number (+49, Germany); {ONLY_IRAN_SENDS}"),
        ("+971 50 123 4567", f"a foreign number (+971, United Arab Emirates); {ONLY_IRAN_SENDS}"),
        ("+964 770 123 4567", f"a foreign number (+964, Iraq); {ONLY_IRAN_SENDS}"),
    ],
)
def test_invalid_numbers_say_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        normalize_phone(raw)
    assert str(caught.value) == reason


def test_csv_with_bom_crlf_and_blank_rows_keeps_every_column() -> None:
    recipients, stats = collect([csv("bom.csv")])
    assert recipients == [
        Recipient(
            "+989121111111", {"phone": "09121111111", "name": "Sara", "city": "Tehran"}, "bom.csv:2"
        ),
        Recipient(
            "+989122222222",
            {"phone": "+98 912 222 2222", "name": "Ali", "city": "Shiraz"},
            "bom.csv:3",
        ),
        Recipient(
            "+989123333333", {"phone": "۰۹۱۲۳۳۳۳۳۳۳", "name": "Reza", "city": "Tabriz"}, "bom.csv:5"
        ),
    ]
    assert (stats.read, stats.kept, stats.duplicates, stats.invalid) == (3, 3, 0, [])


def test_semicolon_csv_with_custom_phone_column_and_spaced_header() -> None:
    recipients, stats = collect([csv("semicolons.csv", column="mobile")])
    assert recipients == [
        Recipient(
            "+989124444444",
            {"id": "1", "mobile": "0912 444 4444", "name": "Mina"},
            "semicolons.csv:2",
        )
    ]
    assert (stats.read, stats.kept, stats.duplicates) == (2, 1, 1)


def test_missing_phone_column_is_reported_at_the_source() -> None:
    assert problems([csv("bom.csv", column="mobile")]) == [
        "campaign.yaml:9:5: bom.csv has no column 'mobile' (columns: phone, name, city); "
        "set phone_column: phone"
    ]


def test_bad_rows_are_reported_by_file_line_and_column_name() -> None:
    assert problems([csv("bad_rows.csv", column="mobile")]) == [
        "bad_rows.csv:4:1: invalid phone number '0912345' in column 'mobile': "
        "too short: 7 digits, expected 11",
        "bad_rows.csv:5:1: no phone number in column 'mobile'",
        "bad_rows.csv:7:1: invalid phone number '021 1234 5678' in column 'mobile': "
        "+98 21… is a landline, not a mobile number",
        "bad_rows.csv:8:1: invalid phone number 'abc' in column 'mobile': not a phone number",
    ]


def test_skip_invalid_keeps_the_valid_rows_and_lists_the_rest() -> None:
    recipients, stats = collect([csv("bad_rows.csv", column="mobile")], skip_invalid=True)
    assert [(r.phone, r.origin) for r in recipients] == [
        ("+989125555555", "bad_rows.csv:2"),
        ("+989126666666", "bad_rows.csv:9"),
    ]
    assert (stats.read, stats.kept) == (6, 2)
    assert [(v.file, v.line) for v in stats.invalid] == [
        ("bad_rows.csv", 4),
        ("bad_rows.csv", 5),
        ("bad_rows.csv", 7),
        ("bad_rows.csv", 8),
    ]


def test_invalid_numbers_raise_only_after_the_stream_is_read() -> None:
    stats = RecipientStats()
    stream = iter_recipients([csv("bad_rows.csv", column="mobile")], [], stats)
    assert next(stream).phone == "+989125555555"
    assert next(stream).phone == "+989126666666"
    with pytest.raises(InvalidCampaign):
        next(stream)


def test_txt_skips_comments_and_blank_lines() -> None:
    recipients, _ = collect([FileSource(DATA / "opt-out.txt", "phone", CAMPAIGN)])
    assert recipients == [
        Recipient("+989121111111", {}, "opt-out.txt:3"),
        Recipient("+989126666666", {}, "opt-out.txt:4"),
    ]


def test_duplicates_across_sources_keep_the_first_occurrence_and_its_row() -> None:
    recipients, stats = collect(
        [inline("0912 222 2222", line=7), csv("bom.csv"), inline("+989121111111", line=8)]
    )
    assert [(r.phone, r.fields.get("name"), r.origin) for r in recipients] == [
        ("+989122222222", None, "campaign.yaml:7"),
        ("+989121111111", "Sara", "bom.csv:2"),
        ("+989123333333", "Reza", "bom.csv:5"),
    ]
    assert (stats.read, stats.kept, stats.duplicates, stats.excluded) == (5, 3, 2, 0)


def test_exclusions_win_over_every_occurrence() -> None:
    exclude: list[Source] = [
        FileSource(DATA / "opt-out.txt", "phone", CAMPAIGN),
        inline("۰۹۱۲۳۳۳۳۳۳۳"),
    ]
    recipients, stats = collect([csv("bom.csv"), inline("09121111111")], exclude)
    assert [r.phone for r in recipients] == ["+989122222222"]
    assert (stats.read, stats.kept, stats.duplicates, stats.excluded) == (4, 1, 0, 3)


def test_invalid_inline_numbers_are_located_in_the_campaign_file() -> None:
    assert problems([inline("0912", line=12)], [inline("abc", line=15)]) == [
        "campaign.yaml:15:7: invalid phone number 'abc': not a phone number",
        "campaign.yaml:12:7: invalid phone number '0912': too short: 4 digits, expected 11",
    ]


def test_missing_unsupported_empty_and_undecodable_files_are_reported() -> None:
    assert problems(
        [
            csv("missing.csv", line=10),
            csv("customers.xlsx", line=11),
            csv("empty.csv", line=12),
            csv("latin1.csv", line=13),
        ]
    ) == [
        "campaign.yaml:10:5: file not found: missing.csv (relative to the campaign file)",
        "campaign.yaml:11:5: unsupported file type '.xlsx': "
        "use .csv (with a header row) or .txt (one number a line)",
        "campaign.yaml:12:5: empty.csv is empty: a .csv file needs a header row naming its columns",
        "latin1.csv:3:1: not UTF-8: byte 0xe9 cannot be decoded; save the file as UTF-8",
    ]


def test_file_problems_are_raised_even_when_skipping_invalid_numbers() -> None:
    with pytest.raises(InvalidCampaign) as caught:
        collect([csv("missing.csv"), inline("0912")], skip_invalid=True)
    assert [v.message for v in caught.value.violations] == [
        "file not found: missing.csv (relative to the campaign file)"
    ]


def test_a_header_only_csv_is_an_error_not_an_empty_campaign() -> None:
    assert problems([csv("header_only.csv")]) == [
        "campaign.yaml:9:5: no one to send to: the recipients hold no phone number "
        "(a .csv with only a header, or a .txt of blank and comment lines?)"
    ]


def test_paths_outside_the_working_directory_are_shown_as_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidCampaign) as caught:
        collect([csv("bad_rows.csv", column="mobile")])
    assert caught.value.violations[0].file == str(DATA / "bad_rows.csv")


def test_stats_add_up_across_a_mixed_campaign() -> None:
    recipients, stats = collect(
        [csv("bom.csv"), csv("bad_rows.csv", column="mobile"), inline("0912")],
        [FileSource(DATA / "opt-out.txt", "phone", CAMPAIGN)],
        skip_invalid=True,
    )
    assert stats.read == stats.kept + stats.duplicates + stats.excluded + len(stats.invalid)
    assert (stats.read, stats.kept, stats.excluded, len(stats.invalid)) == (10, 3, 2, 5)
    assert len(recipients) == stats.kept
