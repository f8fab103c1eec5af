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

The budget and the prechecks of big values are ``runner.template_budget``; this
module wires them into the environment and the compiled template.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context

from runner.template_budget import (
    FILTER_CHECKS,
    bounded_concat,
    bounded_filter,
    bounded_loop,
    charge,
    check_binop,
    made,
    sized,
)

_STR_METHODS = frozenset(
    "capitalize casefold count endswith find index isalnum isalpha isdecimal isdigit "  # noqa: SIM905
    "islower isnumeric isspace istitle isupper lower lstrip partition removeprefix "
    "removesuffix rfind rindex rpartition rsplit rstrip split splitlines startswith strip "
    "swapcase title upper".split()
)
_MAPPING_METHODS = frozenset({"items", "keys", "values", "get"})
_REMOVED_GLOBALS = ("lipsum", "cycler", "joiner", "namespace", "dict")
_REMOVED_FILTERS = ("random", "pprint")


@pass_context
def _finalize(_context: Any, value: Any) -> Any:
    """What ``{{ … }}`` prints: text or a number, never a Python object."""
    kind = type(value)
    if kind is str or kind is int or kind is float:
        charge(1 + len(value) if kind is str else 1)
        return value
    if isinstance(value, jinja2.Undefined):
        return value  # StrictUndefined raises its own, better error when printed
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        charge(1 + sized(value))
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
        self.filters = {n: bounded_filter(f, FILTER_CHECKS.get(n)) for n, f in self.filters.items()}
        tests = cast(dict[str, Callable[..., Any]], self.tests)
        self.tests = {name: bounded_filter(test, None) for name, test in tests.items()}
        self.bounded_loop = bounded_loop
        self.bounded_concat = bounded_concat

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return made(self.binop_table[operator](left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        charge(1)
        return made(super().call(__context, __obj, *args, **kwargs))

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
