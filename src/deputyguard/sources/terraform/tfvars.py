"""The variable values Terraform loads by itself from a module directory's variable definitions
files, so a variable set there is analyzed with that value instead of its default.

Which files and in what order follow "Variable Definition Precedence" in
https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence:
`terraform.tfvars`, then `terraform.tfvars.json`, then every `*.auto.tfvars` and
`*.auto.tfvars.json` in lexical order of their names; a later file's value wins. Files passed
with `-var-file` (any other `.tfvars`) and `-var`/`TF_VAR_` values are not known here. A
definitions file holds literal values only (Terraform rejects references and function calls
there), so such a value is reported and the variable keeps its default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from deputyguard.analysis.model import InputError
from deputyguard.sources.terraform.hcl import parse_hcl
from deputyguard.sources.terraform.nodes import (
    Attribute,
    BinaryOp,
    Call,
    Conditional,
    Expr,
    ForExpr,
    HclError,
    Interp,
    Name,
    ObjectExpr,
    SourceFile,
    Template,
    Traversal,
    TupleExpr,
    UnaryOp,
)
from deputyguard.sources.terraform.tfjson import parse_tfvars_json

__all__ = [
    "VariableValues",
    "is_auto_loaded",
    "read_variable_values",
    "variable_files",
]

_FIRST: Final = ("terraform.tfvars", "terraform.tfvars.json")
_AUTO: Final = (".auto.tfvars", ".auto.tfvars.json")


def is_auto_loaded(name: str) -> bool:
    """Whether Terraform loads a variable definitions file of this name by itself."""
    return name in _FIRST or name.endswith(_AUTO)


def variable_files(directory: Path) -> list[Path]:
    """The definitions files Terraform loads from `directory`, in the order it loads them."""
    try:
        with os.scandir(directory) as listing:
            names = sorted(e.name for e in listing if e.is_file())
    except OSError:
        return []
    first = [name for name in _FIRST if name in names]
    auto = [name for name in names if name.endswith(_AUTO) and name not in _FIRST]
    return [directory / name for name in (*first, *auto)]


@dataclass
class VariableValues:
    """What a module's definitions files set, and what went wrong reading them."""

    values: dict[str, Attribute] = field(default_factory=dict)
    """Variable name → the assignment that sets it (the last file's)."""
    errors: list[InputError] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    """Definitions files that could not be read: the values they set are missing."""


def read_variable_values(
    directory: Path,
    display: Callable[[Path], str],
    read_text: Callable[[Path, str], str | InputError],
) -> VariableValues:
    """Every value the module's definitions files set; bad files and values are reported."""
    result = VariableValues()
    for path in variable_files(directory):
        shown = display(path)
        text = read_text(path, shown)
        if isinstance(text, InputError):
            result.errors.append(text)
            result.broken.append(shown)
            continue
        file = SourceFile(path, shown, text)
        try:
            if path.name.endswith(".json"):
                body, problems = parse_tfvars_json(file)
            else:
                body, problems = parse_hcl(file), []
        except HclError as exc:
            result.errors.append(_error(file, exc.message, exc.offset))
            result.broken.append(shown)
            continue
        for problem in problems:
            result.errors.append(_error(file, problem.message, problem.offset))
        for block in body.blocks:
            result.errors.append(
                _error(
                    file,
                    f"a variable definitions file holds only assignments: the '{block.type}' "
                    "block is not read",
                    block.start,
                )
            )
        for name, attribute in body.attributes.items():
            reference = _not_literal(attribute.expr)
            if reference is not None:
                message = (
                    f"the value of {name} uses {reference.text.strip()}, but a variable "
                    "definitions file holds only literal values (Terraform rejects it): "
                    f"var.{name} is read without it"
                )
                result.errors.append(_error(file, message, reference.start))
                continue
            result.values[name] = attribute
    return result


def _error(file: SourceFile, message: str, offset: int) -> InputError:
    where = file.position(offset)
    return InputError(file.shown, message, where.line, where.column)


def _not_literal(expr: Expr) -> Expr | None:
    """The first reference or function call in `expr`, or None when it is only literals."""
    for node in _walk(expr):
        if isinstance(node, Name | Traversal | Call | ForExpr):
            return node
    return None


def _walk(expr: Expr) -> Iterator[Expr]:
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Template):
            stack.extend(p.expr for p in node.parts if isinstance(p, Interp))
        elif isinstance(node, TupleExpr):
            stack.extend(node.items)
        elif isinstance(node, ObjectExpr):
            for item in node.items:
                stack.extend((item.key, item.value))
        elif isinstance(node, Conditional):
            stack.extend((node.condition, node.then, node.other))
        elif isinstance(node, BinaryOp):
            stack.extend((node.left, node.right))
        elif isinstance(node, UnaryOp):
            stack.append(node.operand)
