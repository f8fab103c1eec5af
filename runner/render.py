"""Jinja2 templates from campaign files: compiled once, rendered per recipient, safely.

Templates run in ``template_env.BoundedEnvironment`` (Jinja's sandbox, bounded in
work, time and size) with ``StrictUndefined``: an unknown name is an error, never an
empty string, and attribute access that could reach Python internals
(``''.__class__.__mro__``) is refused before anything renders. Every error names the
campaign file, the field and the template's line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError

from runner.errors import InvalidCampaign, Violation
from runner.models import Template
from runner.safe_text import printable
from runner.template_budget import budgeted
from runner.template_env import REFUSED_TAGS, BoundedEnvironment, bound_ast

_ENV = BoundedEnvironment()
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
# Names Jinja gives a meaning of its own: {{ self }} prints a Python object.
_REFUSED_NAMES = frozenset({"self"})


@dataclass(frozen=True)
class CompiledTemplate:
    """A template ready to render, with the names it reads from its context."""

    template: Template
    names: frozenset[str]
    _compiled: jinja2.Template
    _ast: nodes.Template

    def render(self, context: Mapping[str, Any], *, who: str = "") -> str:
        """Render with ``context``; surrounding whitespace (YAML's final newline) is dropped.

        The render runs under a budget of work, time and size (``template_env``).
        """
        try:
            return budgeted(lambda: self._compiled.render(context)).strip()
        except jinja2.UndefinedError as err:
            if isinstance(err, SecurityError):
                raise self._failed(err, "refused: ", "") from err
            raise InvalidCampaign([self._undefined(err, context, who)]) from err
        except SecurityError as err:
            raise self._failed(err, "refused: ", "") from err
        except RecursionError as err:
            message = "macros call each other too deeply (a macro calling itself?)"
            raise self._failed(err, message, who) from None
        except MemoryError as err:
            raise self._failed(err, "the template needs too much memory", who) from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as err:
            raise self._failed(err, printable(str(err), 200), who) from err

    def _failed(self, err: BaseException, message: str, who: str) -> InvalidCampaign:
        line = _template_line(err.__traceback__)
        if message == "refused: ":
            message += printable(str(err), 200)
        message = f"{message}{_for(who)} (template line {line})"
        return InvalidCampaign([self.violation(message, line)])

    def violation(self, message: str, template_line: int) -> Violation:
        """A violation at ``template_line`` of this template, in campaign-file terms."""
        return template_violation(self.template, message, template_line)

    def line_of(self, name: str) -> int:
        """The template line where ``name`` is first read (1 when unknown)."""
        lines = [n.lineno for n in self._ast.find_all(nodes.Name) if n.name == name]
        return min(lines, default=1)

    def _undefined(
        self, err: jinja2.UndefinedError, context: Mapping[str, Any], who: str
    ) -> Violation:
        found = _UNDEFINED_NAME.search(str(err))
        name = found.group(1) if found else ""
        hint = did_you_mean(name, context)
        line = self.line_of(name)
        return self.violation(
            f"{printable(str(err), 200)}{hint}{_for(who)} (template line {line}); "
            f"available: {_names_shown(context)}",
            line,
        )


def template_violation(template: Template, message: str, template_line: int) -> Violation:
    """A violation at line ``template_line`` of ``template``, located in the campaign file."""
    line = template.first_line + template_line - 1
    col = template.where.col if line == template.where.line else 1
    return Violation(template.where.file, line, col, f"{template.field}: {message}")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'city'?)`` when ``name`` is a near miss of one of ``known``."""
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close and name else ""


def _names_shown(context: Mapping[str, Any]) -> str:
    names = sorted(printable(str(key), 40) for key in context)
    shown = ", ".join(names[:20]) + (f", … ({len(names)} in all)" if len(names) > 20 else "")
    return shown or "nothing"


def _for(who: str) -> str:
    return f" for recipient {who}" if who else ""


def _template_line(trace: TracebackType | None) -> int:
    """The template line an error was raised at (Jinja puts template frames in tracebacks)."""
    line = 1
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def compile_template(template: Template) -> CompiledTemplate:
    """Parse ``template``; syntax errors and unsafe attribute access are violations.

    Nothing in the template is evaluated here (no constant folding).
    """
    try:
        ast = _ENV.parse(template.source)
        refused = list(_refused(ast))
        if refused:
            raise InvalidCampaign([template_violation(template, m, line) for m, line in refused])
        names = _names(ast)
        bound_ast(ast)
        compiled = _ENV.from_string(ast)
    except jinja2.TemplateSyntaxError as err:
        line = err.lineno or 1
        reason = printable(err.message or "", 200)
        message = f"template syntax error: {reason} (template line {line})"
        raise InvalidCampaign([template_violation(template, message, line)]) from err
    except (RecursionError, MemoryError, SyntaxError, ValueError, OverflowError) as err:
        message = f"the template cannot be read: {_cannot_parse(err)}"
        raise InvalidCampaign([template_violation(template, message, 1)]) from None
    result = CompiledTemplate(template, names, compiled, ast)
    unsafe = list(_unsafe_accesses(ast))
    if unsafe:
        raise InvalidCampaign(
            [
                result.violation(
                    f"'{attr}' is not allowed in templates (names starting with '_' reach "
                    "Python internals); use plain values like {{ name }} "
                    f"(template line {line})",
                    line,
                )
                for attr, line in unsafe
            ]
        )
    return result


def _cannot_parse(err: BaseException) -> str:
    if isinstance(err, (RecursionError, MemoryError, SyntaxError)):
        return "it nests too deeply"
    return "a number in it is too large"  # the lexer's int() and float() are all that raise


def _refused(ast: nodes.Template) -> Iterable[tuple[str, int]]:
    for node in ast.find_all(tuple(REFUSED_TAGS)):
        tag = REFUSED_TAGS[type(node)]
        message = f"{{% {tag} %}} is not allowed in templates (template line {node.lineno})"
        yield message, node.lineno
    for name in ast.find_all(nodes.Name):
        if name.name in _REFUSED_NAMES:
            message = f"'{name.name}' is not allowed in templates (template line {name.lineno})"
            yield message, name.lineno


def _names(ast: nodes.Template) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(ast) - set(_ENV.globals))


def _unsafe_accesses(ast: nodes.Template) -> Iterable[tuple[str, int]]:
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            attr = node.attr
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            attr = node.arg.value
        else:
            continue
        if attr.startswith("_"):
            yield attr, node.lineno
