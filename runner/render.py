"""Jinja2 templates from campaign files: compiled once, rendered per recipient, safely.

Templates run in a ``SandboxedEnvironment`` with ``StrictUndefined``: an unknown
name is an error, never an empty string, and attribute access that could reach
Python internals (``''.__class__.__mro__``) is refused before anything renders.
Every error names the campaign file, the field and the template's line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from runner.errors import InvalidCampaign, Violation
from runner.models import Template

_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")


@dataclass(frozen=True)
class CompiledTemplate:
    """A template ready to render, with the names it reads from its context."""

    template: Template
    names: frozenset[str]
    _compiled: jinja2.Template
    _ast: nodes.Template

    def render(self, context: Mapping[str, Any], *, who: str = "") -> str:
        """Render with ``context``; surrounding whitespace (YAML's final newline) is dropped."""
        try:
            return self._compiled.render(context).strip()
        except SecurityError as err:
            raise InvalidCampaign([self.violation(f"refused: {err}", 1)]) from err
        except jinja2.UndefinedError as err:
            raise InvalidCampaign([self._undefined(err, context, who)]) from err
        except jinja2.TemplateError as err:
            raise InvalidCampaign([self.violation(f"{err}{_for(who)}", 1)]) from err
        except (TypeError, ValueError, ArithmeticError) as err:
            raise InvalidCampaign([self.violation(f"{err}{_for(who)}", 1)]) from err

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
        available = ", ".join(sorted(context)) or "nothing"
        return self.violation(
            f"{err}{_for(who)} (template line {self.line_of(name)}); available: {available}",
            self.line_of(name),
        )


def template_violation(template: Template, message: str, template_line: int) -> Violation:
    """A violation at line ``template_line`` of ``template``, located in the campaign file."""
    line = template.first_line + template_line - 1
    col = template.where.col if line == template.where.line else 1
    return Violation(template.where.file, line, col, f"{template.field}: {message}")


def _for(who: str) -> str:
    return f" for recipient {who}" if who else ""


def compile_template(template: Template) -> CompiledTemplate:
    """Parse ``template``; syntax errors and unsafe attribute access are violations."""
    try:
        ast = _ENV.parse(template.source)
    except jinja2.TemplateSyntaxError as err:
        line = err.lineno or 1
        message = f"template syntax error: {err.message} (template line {line})"
        raise InvalidCampaign([template_violation(template, message, line)]) from err
    compiled = _ENV.from_string(ast)
    result = CompiledTemplate(template, _names(ast), compiled, ast)
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
