"""SMS part counting by the GSM-7 / UCS-2 rules, and the API's length limits."""

from __future__ import annotations

import pytest

from runner.parts import count_parts, length_problem


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("", "GSM-7", 1),
        ("Hello", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("[" * 80, "GSM-7", 1),  # extension characters take two septets each
        ("[" * 81, "GSM-7", 2),
        ("€uro", "GSM-7", 1),
        ("س" * 70, "UCS-2", 1),
        ("س" * 71, "UCS-2", 2),
        ("س" * 134, "UCS-2", 2),
        ("س" * 135, "UCS-2", 3),
        ("a" * 69 + "س", "UCS-2", 1),  # one Persian letter makes the whole text UCS-2
        ("a" * 70 + "س", "UCS-2", 2),
        ("🍉" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("🍉" * 36, "UCS-2", 2),
        ("۱۲۳", "UCS-2", 1),
    ],
)
def test_parts_follow_gsm7_and_ucs2_rules(text: str, encoding: str, parts: int) -> None:
    counted = count_parts(text)
    assert (counted.encoding, counted.parts) == (encoding, parts)


def test_over_1400_characters_is_a_problem() -> None:
    assert length_problem("a" * 1400) is None
    assert length_problem("a" * 1401) == (
        "the message is 1401 characters long; the API accepts at most 1400"
    )


def test_over_20_parts_is_a_problem() -> None:
    assert length_problem("س" * 1340) is None  # 20 parts of 67
    assert length_problem("س" * 1341) == (
        "the message takes 21 SMS parts (UCS-2); the API accepts at most 20"
    )
