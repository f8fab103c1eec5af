"""The campaign skeletons ``ippanel-run new`` writes: one row per sending type.

Each row is the part of the YAML that differs per type and its data file. The tokens
``<NAME>``, ``<TYPE>``, ``<SUMMARY>``, ``<DATA>``, ``<PATH>``, ``<DIR>`` and ``<SCHEMA>``
are filled in by ``runner.scaffold``; everything else is written as is, and every
skeleton validates as written (``tests/test_cli_new.py``).
Sender lines and pattern code are the sandbox's, so ``--sandbox`` works at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Skeleton:
    """What ``new --type`` writes for one sending type."""

    summary: str  # one line for the file's head comment
    body: str  # the YAML after ``type:``
    data_suffix: str  # ``csv`` or ``txt``
    data: str  # the data file's content


SCHEDULE = """\
# Send later instead of now: uncomment. Tehran time in the Solar Hijri calendar here; at
# least 5 minutes and at most 3 months ahead. `ippanel-run cancel` stops it until 5
# minutes before.
# schedule:
#   at: "1405-12-25 10:00"
#   calendar: jalali          # or gregorian
#   timezone: Asia/Tehran
"""
EXCLUDE = """\
# Never send to these (opt-outs). `ippanel-run replies --opt-outs <DIR>/data/opt-outs.txt
# <DIR>/OLD-CAMPAIGN.yaml` adds those who answered an earlier campaign with لغو, 11 or stop.
# exclude:
#   - file: data/opt-outs.txt
"""
_NUMBERS_TXT = (
    "# one number a line; 0912…, +98912… and Persian digits all work\n09120000000\n09350000000\n"
)
_PEOPLE_CSV = "phone,name\n09120000000,مریم\n09350000000,Reza\n"

ONE_TEXT = """\
sender: "+983000505"              # one of your lines (Panel → Numbers); checked with plan --online
vars:                             # values the message can use
  shop: فروشگاه نارنج
message: |                        # one text for everyone: only vars here, no per-recipient fields
  {{ shop }}: حراج آخر فصل از امروز تا جمعه.
recipients:                       # the data file: relative to this file
  - file: <DATA>
"""

SKELETONS: dict[str, Skeleton] = {
    "webservice": Skeleton(
        "one text to every recipient, up to 1000 a request", ONE_TEXT, "txt", _NUMBERS_TXT
    ),
    "normal": Skeleton(
        "one text to every recipient (the older 'normal' type)", ONE_TEXT, "txt", _NUMBERS_TXT
    ),
    "file": Skeleton(
        "one text to up to 1,000,000 recipients, uploaded as one CSV: one request, one review",
        """\
sender: "+983000505"              # one of your lines (Panel → Numbers); checked with plan --online
vars:                             # values the message can use
  shop: فروشگاه نارنج
message: |                        # one text for everyone: only vars here, no per-recipient fields
  {{ shop }}: حراج آخر فصل از امروز تا جمعه.
recipients:                       # numbers from files are uploaded as one phone_number CSV;
  - file: <DATA>                  # numbers written here go along as other_recipients
    phone_column: phone
""",
        "csv",
        _PEOPLE_CSV,
    ),
    "peer_to_peer": Skeleton(
        "a personal text for each recipient, from the columns of a CSV file",
        """\
sender: "+983000505"              # one of your lines (Panel → Numbers); checked with plan --online
vars:
  shop: فروشگاه نارنج
message: |                        # Jinja2: CSV columns (name), vars (shop) and phone
  {{ name }} عزیز، {{ shop }} برای شما تخفیف ویژه دارد.
recipients:                       # CSV with a header row; numbers in the phone column
  - file: <DATA>
    phone_column: phone
""",
        "csv",
        _PEOPLE_CSV,
    ),
    "peer_to_peer_file": Skeleton(
        "a personal text for each recipient, uploaded as one CSV file (up to 10,000 rows)",
        """\
sender: "+983000505"              # one of your lines (Panel → Numbers); checked with plan --online
vars:
  clinic: Arya Dental Clinic
message: >-                       # Jinja2: CSV columns (name, time), vars and phone
  Hi {{ name }}, a reminder of your appointment at {{ clinic }} tomorrow at {{ time }}.
  Reply 1 to confirm.
recipients:
  - file: <DATA>
""",
        "csv",
        "phone,name,time\n09120000000,Maryam,10:30\n09350000000,Reza,16:00\n",
    ),
    "postal_code": Skeleton(
        "numbers from IPPanel's bank in postal-code areas, plus your own recipients",
        """\
sender: "+98BANK"                 # a line allowed to send to the number bank
message: |                        # one text for everyone: only vars here
  شعبه‌ی جدید ما در محله‌ی شما افتتاح شد.
targeting:
  - postal_code: 131              # a 2–5 digit postal-code prefix
    bank: white                   # white: only numbers that did not block advertising (*800#)
    gender: all                   # all | male | female
    birth_year: {from: 1350, to: 1380}   # Solar Hijri birth years
    operators:                    # how many numbers of each operator's bank (one left out: none)
      mci: {start: 0, size: 100}
      irancell: {start: 0, size: 100}
recipients:                       # also send to these (other_recipients)
  - file: <DATA>
""",
        "txt",
        _NUMBERS_TXT,
    ),
    "pattern": Skeleton(
        "an approved pattern (no review queue), one request per recipient",
        """\
sender: "+983000505"              # one of your lines (Panel → Numbers); checked with plan --online
pattern:
  code: nowruz1406ptrn            # your approved pattern's code (Panel → Patterns)
  params:                         # one entry per pattern variable; sent as strings
    name: "{{ name }}"
    code: "{{ code }}"            # an integer variable needs digits: plan --online checks
recipients:
  - file: <DATA>
""",
        "csv",
        "phone,name,code\n09120000000,مریم,00077\n09350000000,Reza,10492\n",
    ),
    "votp": Skeleton(
        "a voice call that reads a code aloud, one call per recipient, no sender",
        """\
message: "{{ code }}"             # must render to digits, fewer than 15
recipients:
  - file: <DATA>
""",
        "csv",
        "phone,code\n09120000000,45852\n09350000000,903311\n",
    ),
}

HEAD = """\
# yaml-language-server: $schema=<SCHEMA>
# <TYPE> campaign: <SUMMARY>.
# Written by `ippanel-run new`. Edit it, then:
#   check it (no network):           ippanel-run validate <PATH>
#   see exactly what would be sent:  ippanel-run plan <PATH>
#   try it against the sandbox:      ippanel-run --sandbox <PATH>
#   send it, once (asks first):      ippanel-run <PATH>
version: 1
# The name identifies the campaign in its lockfile and reports: keep it once sent.
name: <NAME>
description: What this campaign is for (shown in plans and reports)
type: <TYPE>
"""
