"""The Jinja2 environment campaign templates run in: sandboxed, and bounded in work and size.

A template comes from a campaign file, and a pull request's campaign runs in the plan
job, so a template is hostile until rendered. On top of Jinja's immutable sandbox:

- nothing is evaluated while compiling (Jinja folds constants such as
  ``{{ 'x' * 10**9 }}`` at compile time unless the output hook needs a context);
- every render has a budget of work (loop steps, calls, characters and items made)
  and of wall-clock time, checked as it goes: nested 100,000-step loops and runaway
  macro recursion stop with a clear error;
- operations that make a big value out of small ones are checked before they run:
  ``'x' * n``, ``n ** m``, ``'%999999999d' % x``, ``|center(n)``, ``|join`` and
  ``|replace`` of big parts, string methods that pad (``ljust``, ``zfill``, …);
- globals that are not text helpers (``lipsum``, ``cycler``, ``joiner``, ``namespace``,
  ``dict``) and the nondeterministic ``random`` filter are gone;
- what a ``{{ … }}`` prints must be text or a number: ``{{ self }}``, ``{{ lipsum }}``
  or a list would otherwise print a Python object, memory address included.
"""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from itertools import islice
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context

MAX_TEXT = 20_000  # characters in any value a template makes (an SMS is at most 1,400)
MAX_ITEMS = 100_000  # items in a list a template makes (Jinja's own bound on range())
MAX_WORK = 250_000  # loop steps + calls + characters and items made, per render
MAX_SECONDS = 2.0  # wall-clock time per render
MAX_WIDTH = 200  # widths and paddings (|center, |indent, '%-10s')
MAX_INT_BITS = 1024  # about 300 digits

_STR_METHODS = frozenset(
    "capitalize casefold count endswith find index isalnum isalpha isdecimal isdigit "  # noqa: SIM905
    "islower isnumeric isspace istitle isupper lower lstrip partition removeprefix "
    "removesuffix rfind rindex rpartition rsplit rstrip split splitlines startswith strip "
    "swapcase title upper".split()
)
_MAPPING_METHODS = frozenset({"items", "keys", "values", "get"})
_REMOVED_GLOBALS = ("lipsum", "cycler", "joiner", "namespace", "dict")
_REMOVED_FILTERS = ("random", "pprint")
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


def _charge(units: int) -> None:
    budget = _BUDGET.get(None)
    if budget is not None:
        budget.charge(units)


def _made(value: Any) -> Any:
    """Charge a value a template made, refusing one that is too big."""
    if isinstance(value, str):
        _check_text(len(value))
        _charge(1 + len(value))
    elif isinstance(value, (list, tuple, dict, set)):
        _check_items(len(value))
        _charge(1 + len(value))
    elif isinstance(value, Iterator):
        return _counted(value)
    else:
        _charge(1)
    return value


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    for count, item in enumerate(items, start=1):
        if count > MAX_ITEMS:
            _check_items(count)
        _charge(1)
        yield item


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


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, Sized) else 0


def _check_binop(operator: str, left: Any, right: Any) -> None:
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


def _concat(*parts: Any) -> str:
    """``a ~ b``: the parts joined, if the result stays small."""
    texts = [str(part) for part in parts]
    _check_text(sum(map(len, texts)))
    return "".join(texts)


def _loop(items: Any, cost: int) -> Iterator[Any]:
    """A ``for`` loop's items, charging each step and the text its body writes."""
    for count, item in enumerate(items, start=1):
        if count > MAX_ITEMS:
            _check_items(count)
        _charge(cost)
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


_FILTER_CHECKS: dict[str, Callable[[tuple[Any, ...], dict[str, Any]], Any]] = {
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


def _bounded(func: Callable[..., Any], check: Callable[..., Any] | None) -> Callable[..., Any]:
    """``func`` (a filter or test) charging the budget, its arguments checked first."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)  # keeps jinja_pass_arg, so Jinja still passes its context
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _charge(1)
        if check is not None and len(args) > skip:
            value = check(args[skip:], kwargs)
            args = (*args[:skip], value, *args[skip + 1 :])
        return _made(func(*args, **kwargs))

    return bounded


@pass_context
def _finalize(_context: Any, value: Any) -> Any:
    """What ``{{ … }}`` prints: text or a number, never a Python object."""
    kind = type(value)
    if kind is str or kind is int or kind is float:
        _charge(1 + len(value) if kind is str else 1)
        return value
    if isinstance(value, jinja2.Undefined):
        return value  # StrictUndefined raises its own, better error when printed
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        _charge(1 + _sized(value))
        return value
    hint = " (use |join(', ') for a list)" if isinstance(value, (list, tuple)) else ""
    raise jinja2.TemplateRuntimeError(
        f"{{{{ … }}}} printed {_kind(value)}, not text or a number{hint}"
    )


def _kind(value: Any) -> str:
    if value is None:
        return "none (an empty value)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a Python object ({type(value).__name__})"


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with every way to do unbounded work checked or removed."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            optimized=False,
            finalize=_finalize,
        )
        for name in _REMOVED_GLOBALS:
            self.globals.pop(name, None)
        for name in _REMOVED_FILTERS:
            self.filters.pop(name, None)
        self.filters = {n: _bounded(f, _FILTER_CHECKS.get(n)) for n, f in self.filters.items()}
        tests = cast(dict[str, Callable[..., Any]], self.tests)
        self.tests = {name: _bounded(test, None) for name, test in tests.items()}
        self.bounded_loop = _loop
        self.bounded_concat = _concat

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return _made(self.binop_table[operator](left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _charge(1)
        return _made(super().call(__context, __obj, *args, **kwargs))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, str):
            return attr in _STR_METHODS
        if isinstance(obj, Mapping):
            return attr in _MAPPING_METHODS or not callable(value)
        if isinstance(obj, (list, tuple, int, float)):
            return attr in ("index", "count")
        return True

    def wrap_str_format(self, value: Any) -> None:
        return None  # str.format is refused like the other unlisted string methods

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        return self.undefined(
            f"'{attribute}' of {_kind(obj) if not isinstance(obj, str) else 'text'} is not "
            "allowed in templates",
            name=attribute,
            obj=obj,
            exc=jinja2.exceptions.SecurityError,
        )


# Tags that load other templates or evaluate expressions while compiling: not for SMS.
REFUSED_TAGS: dict[type[nodes.Node], str] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
    nodes.EvalContextModifier: "autoescape",
    nodes.ScopedEvalContextModifier: "autoescape",
}


def bound_ast(ast: nodes.Template) -> None:
    """Route every loop and ``~`` through the budget (edits ``ast`` in place)."""
    for loop in ast.find_all(nodes.For):
        body_text = sum(
            len(data.data) for part in loop.body for data in part.find_all(nodes.TemplateData)
        )
        items = cast(nodes.Expr, loop.iter)
        loop.iter = _env_call("bounded_loop", [items, nodes.Const(1 + body_text)], loop)
    for parent in list(ast.find_all(nodes.Node)):
        for field in parent.fields:
            child = getattr(parent, field, None)
            if isinstance(child, nodes.Concat):
                setattr(parent, field, _env_call("bounded_concat", child.nodes, child))
            elif isinstance(child, list):
                for index, item in enumerate(child):
                    if isinstance(item, nodes.Concat):
                        child[index] = _env_call("bounded_concat", item.nodes, item)


def _env_call(name: str, args: list[nodes.Expr], where: nodes.Node) -> nodes.Call:
    call = nodes.Call(nodes.EnvironmentAttribute(name), args, [], None, None)
    call.set_lineno(where.lineno)
    return call
