"""The bounded template environment: what SMS templates do still works; runaway work stops.

The hostile cases themselves are data files (``test_hostile.py``); these pin the
boundary: ordinary loops, filters and string methods render as in plain Jinja.
"""

from __future__ import annotations

import pytest

from runner.errors import InvalidCampaign
from runner.models import Location, Template
from runner.render import compile_template

ROW = {"name": "Ali", "city": "Shiraz", "code": "00077", "discount": 20}


def render(source: str) -> str:
    template = Template(source, "message", Location("c.yaml", 5, 10), 5)
    return compile_template(template).render(ROW)


def problem(source: str) -> str:
    with pytest.raises(InvalidCampaign) as caught:
        render(source)
    (violation,) = caught.value.violations
    return violation.message


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("{{ name|upper }} {{ name.lower() }} {{ city|replace('Shi', 'X') }}", "ALI ali Xraz"),
        ("{{ discount * 2 }}% {{ discount // 3 }} {{ 2 ** 10 }} {{ 7 % 4 }}", "40% 6 1024 3"),
        ("{{ '%05.1f'|format(3.14159) }} {{ '%-4s|' % 'ab' }}", "003.1 ab  |"),
        ("{% for i in range(3) %}{{ loop.index }}{% endfor %}", "123"),
        ("{{ ['a', 'b', name]|join(', ') }} {{ [3, 1, 2]|sort|first }}", "a, b, Ali 1"),
        ("[{{ name|center(7) }}|{{ 'x'|indent(2, true) }}]", "[  Ali  |  x]"),
        ("{% macro hi(n) %}Hi {{ n }}{% endmacro %}{{ hi(name) }}", "Hi Ali"),
        ("{{ name ~ '-' ~ code }} {{ 'a b c'.split()|length }}", "Ali-00077 3"),
        ("{{ 'long words here'|truncate(9, true, '…', 0) }}", "long wor…"),
        ("{% if discount > 10 %}big{% else %}small{% endif %} {{ code|int }}", "big 77"),
    ],
)
def test_ordinary_templates_render_as_in_jinja(source: str, text: str) -> None:
    assert render(source) == text


def test_a_loop_that_does_too_much_is_stopped_with_the_template_line() -> None:
    source = "Hi\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    assert problem(source) == (
        "message: the template does too much work (loops, calls or text built); an SMS "
        "template needs far less (template line 2)"
    )


def test_each_render_gets_a_fresh_budget() -> None:
    template = compile_template(
        Template("{% for i in range(50000) %}{% endfor %}ok", "message", Location("c", 1, 1), 1)
    )
    assert [template.render(ROW) for _ in range(10)] == ["ok"] * 10


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ name.zfill(10**9) }}", "refused: 'zfill' of text is not allowed in templates"),
        ("{{ name|wordwrap(1, wrapstring='x' * 1000) }}", "the wrap string 1,000 is over"),
        ("{{ ('ab' * 5000)|replace('a', 'x' * 100) }}", "a value would be 505,000 characters"),
        ("{{ range(10**6)|list }}", "Range too big"),
        ("{{ ''|center(300) }}", "the width 300 is over the limit of 200"),
    ],
)
def test_operations_that_make_big_values_are_refused_before_they_run(
    source: str, message: str
) -> None:
    assert message in problem(source)
