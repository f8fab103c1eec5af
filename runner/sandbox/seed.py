"""The sandbox's fixed account: users, API key, sender numbers, patterns, prices.

Everything a fresh state directory starts with lives here, so tests, examples and
documentation can name the same values. Patterns: ``nowruz1406ptrn`` (``%name%``,
``%code%``, both strings) and ``otp0077login`` (``%code%``, integer) are active;
``yalda1404ptrn`` waits for approval (``pending``) and ``oldpromo1403`` was rejected
(``inactive``), so sending either is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_API_KEY = "sandbox-demo-key"
IN_PROCESS_BASE_URL = "http://sandbox.ippanel.invalid/v1"
STATE_FILE_NAME = "sandbox.sqlite3"

FIRST_OUTBOX_ID = 1123544244
FIRST_INBOX_ID = 125000
START_CREDIT = 1_000_000_000.0

SMS_OTP = "123456"
GA_OTP = "654321"
FINAL_TOKEN_SECONDS = 10 * 3600
TEMP_TOKEN_SECONDS = 6 * 60

SENDER_NUMBERS: tuple[tuple[int, str], ...] = (
    (10001, "+983000505"),
    (10002, "+98BANK"),
    (10003, "+9810001234"),
    (10004, "+985000125475"),
)
VOTP_NUMBER = "+98votp"
VOTP_COST = 1064.0

# Rials per SMS part, from the vendor's tariff example: (mci, other operators).
PRICE_UCS2 = (1330.0, 1463.0)
PRICE_GSM7 = (3325.0, 3657.5)


@dataclass(frozen=True)
class PatternVariable:
    """One ``%name%`` slot: its type (``string`` or ``integer``) and documented ``len``."""

    name: str
    type: str
    length: int


@dataclass(frozen=True)
class SeedPattern:
    """A pattern of the demo account; ``status`` is ``active``, ``pending`` or ``inactive``."""

    code: str
    text: str
    variables: tuple[PatternVariable, ...]
    status: str = "active"
    title: str | None = None


PATTERNS: tuple[SeedPattern, ...] = (
    SeedPattern(
        "nowruz1406ptrn",
        "%name% عزیز، نوروز مبارک! کد تخفیف شما: %code%",
        (PatternVariable("name", "string", 30), PatternVariable("code", "string", 20)),
        title="تبریک نوروز",
    ),
    SeedPattern(
        "otp0077login",
        "کد ورود شما: %code%",
        (PatternVariable("code", "integer", 0),),
        title="کد ورود",
    ),
    SeedPattern(
        "yalda1404ptrn",
        "%name% عزیز، شب یلدا مبارک!",
        (PatternVariable("name", "string", 30),),
        status="pending",
        title="یلدا",
    ),
    SeedPattern(
        "oldpromo1403",
        "تخفیف ویژه: %percent% درصد",
        (PatternVariable("percent", "integer", 0),),
        status="inactive",
        title="تخفیف قدیمی",
    ),
)


@dataclass(frozen=True)
class SeedUser:
    """A login a sandbox user can try; ``method`` is what login answers."""

    user_id: int
    username: str
    password: str
    name: str
    method: str


USERS: tuple[SeedUser, ...] = (
    SeedUser(58745, "demo", "demo-password", "Sandbox Demo", "login"),
    SeedUser(58746, "sms-user", "sms-password", "Sandbox SMS OTP", "sms"),
    SeedUser(58747, "ga-user", "ga-password", "Sandbox Authenticator", "ga"),
)
DEMO_USER_ID = 58745
