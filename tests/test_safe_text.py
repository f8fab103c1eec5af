"""Quoting inputs: clipped excerpts, inert controls, CSV cells, masked numbers, Markdown."""

from __future__ import annotations

import pytest

from runner.markdown import md_code, md_fence, md_text
from runner.safe_text import csv_cell, excerpt, inert, mask_phone, one_line, printable


def test_an_excerpt_is_short_quoted_and_says_how_long_the_value_was() -> None:
    assert excerpt("0912345") == "'0912345'"
    assert excerpt("9" * 8_900_000) == f"'{'9' * 40}…' (8,900,000 characters)"
    assert excerpt("\x1b[31mred") == "'\\x1b[31mred'"


def test_control_characters_never_reach_the_terminal() -> None:
    assert inert("a\x1b[2Jb\x07c\x9bd\te\nf\u202eg") == "a?[2Jb?c?d\te\nf?g"
    assert one_line("x\nPlan: 0 batch(es)\r\ny") == "x Plan: 0 batch(es)  y"
    assert inert("نوروز\u200cمبارک") == "نوروز\u200cمبارک"  # Persian's ZWNJ is text


def test_printable_keeps_a_message_to_one_short_line() -> None:
    assert printable("a\nb" + "c" * 400, 10) == "a bcccccc…"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("+989120000000", "+989120000000"),
        ("-3", "-3"),
        ("delivered", "delivered"),
        (None, ""),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_phone_numbers_are_masked_but_still_told_apart() -> None:
    assert mask_phone("+989121234567") == "+98912•••••67"
    assert mask_phone("+98912") == "••••••"


def test_markdown_text_is_inert_and_on_one_line() -> None:
    assert md_text("<img src=x onerror=alert(1)> @team\n`x` peer_to_peer _em_ a|b") == (
        "\\<img src=x onerror=alert(1)\\> @\u200bteam \\`x\\` peer_to_peer \\_em\\_ a\\|b"
    )


def test_a_fence_is_longer_than_any_backtick_run_inside() -> None:
    assert md_fence("a ``` b ```` c") == "`````text\na ``` b ```` c\n`````"
    assert md_fence("plain") == "```text\nplain\n```"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x") == "`` `x ``"
