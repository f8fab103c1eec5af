"""The budget every template render runs under: work, time and the size of what it makes.

A template is hostile until rendered (``runner.template_env`` says why), so each
render gets a budget of work (loop steps, calls, characters and items made) and of
wall-clock time, charged as it goes (``budgeted``, ``charge``); and operations that
make a big value out of small ones are refused before they run: ``'x' * n``,
``n ** m``, ``'%999999999d' % x``, and the filters in ``FILTER_CHECKS`` (``|center(n)``,
``|join`` and ``|replace`` of big parts, …). ``runner.template_env`` wires these into
its environment.
"""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from itertools import islice
from typing import Any

import jinja2

MAX_TEXT = 20_000  # characters in any value a template makes (an SMS is at most 1,400)
MAX_ITEMS = 100_000  # items in a list a template makes (Jinja's own bound on range())
MAX_WORK = 250_000  # loop steps + calls + characters and items made, per render
MAX_SECONDS = 2.0  # wall-clock time per render
MAX_WIDTH = 200  # widths and paddings (|center, |indent, '%-10s')
MAX_INT_BITS = 1024  # about 300 digits

# printf-style conversions and their width / precision ("%-10.3f", "%*d").
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_TOO_MUCH = (
    "the template does too much work (loops, calls or text built); an SMS template needs far less"
)


class TemplateBudgetExceeded(jinja2.TemplateRuntimeError):
    """A render went over its budget of work, time or size; the message says which."""


class _Budget:
    """Work done by one render, and its deadline."""

    def __init__(self) -> None:
        self.work = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def charge(self, units: int) -> None:
        self.work += units
        if self.work > MAX_WORK:
            raise TemplateBudgetExceeded(_TOO_MUCH)
        if time.monotonic() > self.deadline:
            raise TemplateBudgetExceeded(
                f"the template took more than {MAX_SECONDS:g} seconds to render; simplify it"
            )


_BUDGET: contextvars.ContextVar[_Budget] = contextvars.ContextVar("template_budget")


def budgeted(render: Callable[[], str]) -> str:
    """Run ``render`` (one template render) under a fresh budget."""
    token = _BUDGET.set(_Budget())
    try:
        return render()
    finally:
        _BUDGET.reset(token)


def charge(units: int) -> None:
    budget = _BUDGET.get(None)
    if budget is not None:
        budget.charge(units)


def made(value: Any) -> Any:
    """Charge a value a template made, refusing one that is too big."""
    if isinstance(value, str):
        _check_text(len(value))
        charge(1 + len(value))
    elif isinstance(value, (list, tuple, dict, set)):
        _check_items(len(value))
        charge(1 + len(value))
    elif isinstance(value, Iterator):
        return bounded_loop(value, 1)  # an iterator made: each item charged as it is taken
    else:
        charge(1)
    return value


def _check_text(length: int) -> None:
    if length > MAX_TEXT:
        raise TemplateBudgetExceeded(
            f"a value would be {length:,} characters long; templates may make values of at "
            f"most {MAX_TEXT:,} (an SMS is at most 1,400)"
        )


def _check_items(count: int) -> None:
    if count > MAX_ITEMS:
        raise TemplateBudgetExceeded(
            f"a list would have more than {MAX_ITEMS:,} items; templates may make at most that"
        )


def _check_width(width: Any, what: str) -> None:
    size = len(width) if isinstance(width, str) else width
    if isinstance(size, int) and size > MAX_WIDTH:
        raise TemplateBudgetExceeded(f"{what} {size:,} is over the limit of {MAX_WIDTH}")


def _check_printf(text: Any) -> None:
    if not isinstance(text, str):
        return
    for width, precision in _PRINTF.findall(text):
        for number in (width, precision):
            if number == "*":
                raise TemplateBudgetExceeded("'*' widths are not allowed in format strings")
            if number:
                _check_width(int(number), "the format width")


def sized(value: Any) -> int:
    return len(value) if isinstance(value, Sized) else 0


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too big, before it is computed."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(times, int) and isinstance(seq, (str, list, tuple)):
                limit = _check_text if isinstance(seq, str) else _check_items
                limit(len(seq) * max(times, 0))
        if isinstance(left, int) and isinstance(right, int):
            _check_bits(left.bit_length() + right.bit_length())
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        _check_bits(max(left.bit_length(), 1) * right)
    elif operator == "%":
        _check_printf(left)


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateBudgetExceeded(
            "a number would be too large (more than about 300 digits); check the arithmetic"
        )


def bounded_concat(*parts: Any) -> str:
    """``a ~ b``: the parts joined, if the result stays small."""
    texts = [str(part) for part in parts]
    _check_text(sum(map(len, texts)))
    return "".join(texts)


def bounded_loop(items: Iterable[Any], cost: int) -> Iterator[Any]:
    """A ``for`` loop's items (or an iterator's), charging ``cost`` a step: one, plus the
    text a loop's body writes."""
    for count, item in enumerate(items, start=1):
        if count > MAX_ITEMS:
            _check_items(count)
        charge(cost)
        yield item


# Prechecks of filters that can make a big value from small arguments. Each gets the
# filter's arguments (value first) and returns the value to pass on (join reads it).
def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def _check_join(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    value, joiner = args[0], _arg(args, kwargs, 1, "d") or ""
    items = value if isinstance(value, str) else list(islice(value, MAX_ITEMS + 1))
    _check_items(len(items))
    # str(item) is at least as long as any attribute of it (join's attribute=).
    _check_text(sum(len(str(i)) for i in items) + len(str(joiner)) * max(len(items) - 1, 0))
    return items


def _check_replace(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    text, old = str(args[0]), str(_arg(args, kwargs, 1, "old"))
    new, count = str(_arg(args, kwargs, 2, "new")), _arg(args, kwargs, 3, "count")
    hits = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    _check_text(len(text) + hits * max(len(new) - len(old), 0))
    return args[0]


def _check_arg(index: int, name: str, check: Callable[[Any], None]) -> Callable[..., Any]:
    def run(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        value = _arg(args, kwargs, index, name)
        if value is not None:
            check(value)
        return args[0]

    return run


FILTER_CHECKS: dict[str, Callable[[tuple[Any, ...], dict[str, Any]], Any]] = {
    "center": _check_arg(1, "width", lambda w: _check_width(w, "the width")),
    "indent": _check_arg(1, "width", lambda w: _check_width(w, "the indent")),
    "format": _check_arg(0, "value", _check_printf),
    "join": _check_join,
    "replace": _check_replace,
    "batch": _check_arg(1, "linecount", _check_items),
    "slice": _check_arg(1, "slices", _check_items),
    "wordwrap": _check_arg(3, "wrapstring", lambda w: _check_width(w, "the wrap string")),
    "truncate": _check_arg(3, "end", lambda w: _check_width(w, "the ending")),
}


def bounded_filter(
    func: Callable[..., Any], check: Callable[..., Any] | None
) -> Callable[..., Any]:
    """``func`` (a filter or test) charging the budget, its arguments checked first."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)  # keeps jinja_pass_arg, so Jinja still passes its context
    def bounded(*args: Any, **kwargs: Any) -> Any:
        charge(1)
        if check is not None and len(args) > skip:
            value = check(args[skip:], kwargs)
            args = (*args[:skip], value, *args[skip + 1 :])
        return made(func(*args, **kwargs))

    return bounded
