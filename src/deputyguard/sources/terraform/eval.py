"""Evaluate the expressions of one Terraform module as far as they are known before deployment.

What refers to the deploying account, Region or partition becomes the owner and the symbolic
values of `sources.iac`; attributes of the module's own resources become the values AWS will
give them (the literal name when written, else a stable name made from the resource's label);
everything else (a variable without default, a module output, a data source read from AWS)
becomes an unknown marker whose reason says what it was and where it was written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deputyguard.sources.iac import SYMBOLIC_REGION, UnknownValues, has_unknown
from deputyguard.sources.terraform.functions import FUNCTIONS
from deputyguard.sources.terraform.nodes import (
    Attribute,
    BinaryOp,
    Block,
    Call,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    Index,
    Interp,
    Literal,
    Name,
    ObjectExpr,
    SourceFile,
    Splat,
    Step,
    Template,
    Traversal,
    TupleExpr,
    UnaryOp,
)
from deputyguard.sources.terraform.resources import GENERATED, GENERATED_NAME, RESOURCES
from deputyguard.sources.terraform.values import (
    PARTITION,
    PolicyProblem,
    Unknowable,
    Usage,
    is_marker,
    key_text,
    template_text,
    to_text,
)

__all__ = ["Evaluator", "Module"]


@dataclass(eq=False)
class Module:
    """The blocks of one directory's .tf files, indexed the way references name them."""

    directory: Path
    owner: str
    files: list[SourceFile] = field(default_factory=list)
    resources: dict[tuple[str, str], Block] = field(default_factory=dict)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)
    """Files that could not be parsed: what they define is missing."""
    variable_values: dict[str, Attribute] = field(default_factory=dict)
    """Values set by the variable definitions files Terraform loads itself (`tfvars`)."""
    broken_variable_files: list[str] = field(default_factory=list)
    """Definitions files that could not be parsed: the values they set are missing."""
    values: UnknownValues = field(default_factory=UnknownValues)
    expressions: dict[str, str] = field(default_factory=dict)
    """Marker → the HCL expression it stands for, so a fix can be written back with it."""
    references: dict[str, str] = field(default_factory=dict)
    """An ARN/URL computed for one of the module's resources → the reference that produced it."""
    blocks: list[Block] = field(default_factory=list)
    """Top-level blocks in file order."""

    def add(self, block: Block) -> None:
        self.blocks.append(block)
        labels = block.labels
        if block.type == "resource" and len(labels) == 2:
            self.resources.setdefault((labels[0], labels[1]), block)
        elif block.type == "data" and len(labels) == 2:
            self.data.setdefault((labels[0], labels[1]), block)
        elif block.type == "variable" and len(labels) == 1:
            self.variables.setdefault(labels[0], block)
        elif block.type == "module" and len(labels) == 1:
            self.modules.setdefault(labels[0], block)
        elif block.type == "locals":
            for name, attribute in block.body.attributes.items():
                self.locals.setdefault(name, attribute)

    def caller_identity_label(self) -> str | None:
        return next((label for kind, label in self.data if kind == "aws_caller_identity"), None)


@dataclass(frozen=True, slots=True)
class _Ref:
    """`aws_sns_topic.alerts` or `data.aws_region.current` before an attribute is chosen."""

    kind: str  # "resource" | "data"
    type: str
    label: str


class Evaluator:
    """Evaluates expressions of one module; the same reference always yields the same marker."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self._locals: dict[str, Any] = {}
        self._local_usage: dict[str, Usage] = {}
        self._variables: dict[str, Any] = {}
        self._busy: set[str] = set()
        self._markers: dict[str, str] = {}
        self._usage: list[Usage] = []
        self.policy_document: Callable[[str, Expr], Any] | None = None
        """Builds `data.aws_iam_policy_document.<label>` (set by the policy reader)."""

    # -- unknowns

    def unknown(self, reason: str, expr: Expr | None = None, *, key: str | None = None) -> str:
        """A marker for a value only known at deployment; one per `key` (a reference's text)."""
        if key is not None and key in self._markers:
            return self._markers[key]
        marker = self.module.values.marker(reason)
        if key is not None:
            self._markers[key] = marker
        if expr is not None:
            self.module.expressions[marker] = expr.text
        return marker

    def _missing_note(self) -> str:
        if not self.module.broken:
            return ""
        return f"; {', '.join(self.module.broken)} could not be parsed"

    # -- usage tracking for fixes

    def track(self) -> _Tracking:
        return _Tracking(self)

    def _used(self, kind: str, label: str) -> None:
        for usage in self._usage:
            if getattr(usage, kind) is None:
                setattr(usage, kind, label)

    def replay(self, usage: Usage) -> None:
        """A cached value was used again: what it was computed from is used again too."""
        for kind in ("caller", "region", "partition"):
            label = getattr(usage, kind)
            if label is not None:
                self._used(kind, label)

    # -- evaluation

    def eval(self, expr: Expr, scope: Mapping[str, Any] | None = None) -> Any:
        if isinstance(expr, Literal):
            return expr.value
        if isinstance(expr, Template):
            return self.template(expr, scope)
        if isinstance(expr, TupleExpr):
            return [self.eval(item, scope) for item in expr.items]
        if isinstance(expr, ObjectExpr):
            out: dict[str, Any] = {}
            for item in expr.items:
                key = self.eval(item.key, scope)
                out[key_text(key)] = self.eval(item.value, scope)
            return out
        if isinstance(expr, Name):
            return self.traversal(Traversal(expr.file, expr.start, expr.end, expr, ()), scope)
        if isinstance(expr, Traversal):
            return self.traversal(expr, scope)
        if isinstance(expr, Call):
            return self.call(expr, scope)
        if isinstance(expr, Conditional):
            return self.conditional(expr, scope)
        if isinstance(expr, BinaryOp):
            return self.binary(expr, scope)
        if isinstance(expr, UnaryOp):
            return self.unary(expr, scope)
        if isinstance(expr, ForExpr):
            return self.for_expr(expr, scope)
        raise PolicyProblem(f"cannot evaluate {type(expr).__name__}", expr.file, expr.start)

    def template(self, expr: Template, scope: Mapping[str, Any] | None) -> Any:
        parts = expr.parts
        if len(parts) == 1 and isinstance(parts[0], Interp) and expr.heredoc is None:
            return self.eval(parts[0].expr, scope)  # "${x}" is x itself, not its text
        return template_text(self, expr, scope)[0]

    # -- references

    def traversal(self, expr: Traversal, scope: Mapping[str, Any] | None) -> Any:
        steps: list[Step] = list(expr.steps)
        base = expr.base
        if not isinstance(base, Name):
            return self.apply(self.eval(base, scope), steps, expr, scope)
        name = base.name
        if scope is not None and name in scope:
            return self.apply(scope[name], steps, expr, scope)
        attr = steps[0].name if steps and isinstance(steps[0], GetAttr) else None
        if name == "var" and attr is not None:
            return self.apply(self.variable(attr, expr), steps[1:], expr, scope)
        if name == "local" and attr is not None:
            return self.apply(self.local(attr, expr), steps[1:], expr, scope)
        if name == "data" and len(steps) >= 2 and all(isinstance(s, GetAttr) for s in steps[:2]):
            kind, label = (s.name for s in steps[:2] if isinstance(s, GetAttr))
            return self.apply(_Ref("data", kind, label), steps[2:], expr, scope)
        if name == "path" and attr in ("module", "root"):
            return self.apply(".", steps[1:], expr, scope)
        if name in ("module", "count", "each", "self", "path", "terraform"):
            text = ".".join(expr.root_path()[:3])
            reasons = {
                "module": f"{text} is an output of another module",
                "count": f"{text} differs between the instances of a counted resource",
                "each": f"{text} differs between the instances of a for_each resource",
            }
            reason = reasons.get(name, f"{text} is only known when Terraform runs")
            # One marker per use: count.index of one resource is not that of another.
            key = f"{text}@{expr.file.shown}:{expr.start}"
            return self.unknown(f"{reason} ({expr.file.where(expr.start)})", expr, key=key)
        if attr is not None and (name, attr) in self.module.resources:
            return self.apply(_Ref("resource", name, attr), steps[1:], expr, scope)
        text = ".".join(expr.root_path()[:2]) or name
        where = expr.file.where(expr.start)
        return self.unknown(
            f"{text} is not defined in this module{self._missing_note()} ({where})", expr, key=text
        )

    def apply(
        self, value: Any, steps: Sequence[Step], expr: Traversal, scope: Mapping[str, Any] | None
    ) -> Any:
        for i, step in enumerate(steps):
            if isinstance(value, _Ref):
                if isinstance(step, Index):
                    continue  # counted / for_each instances share what we model
                if isinstance(step, Splat):
                    return [self.apply(value, steps[i + 1 :], expr, scope)]
                value = self.ref_attribute(value, step.name, expr)
                continue
            if isinstance(step, Splat):
                items = value if isinstance(value, list) else [] if value is None else [value]
                return [self.apply(item, steps[i + 1 :], expr, scope) for item in items]
            if is_marker(value):
                return value
            if isinstance(step, GetAttr):
                if isinstance(value, dict) and step.name in value:
                    value = value[step.name]
                    continue
                return self._bad_step(expr, f"has no attribute '{step.name}'")
            key = self.eval(step.key, scope)
            if is_marker(key):
                return key
            if (
                isinstance(value, list)
                and isinstance(key, int | float)
                and not isinstance(key, bool)
            ):
                index = int(key)
                if 0 <= index < len(value):
                    value = value[index]
                    continue
                return self._bad_step(expr, f"has no element {index}")
            if isinstance(value, dict) and key_text(key) in value:
                value = value[key_text(key)]
                continue
            return self._bad_step(expr, f"has no element {key_text(key)!r}")
        if isinstance(value, _Ref):
            return self.unknown(
                f"{expr.text} is a whole {value.kind} block, not a value "
                f"({expr.file.where(expr.start)})",
                expr,
                key=expr.text,
            )
        return value

    def _bad_step(self, expr: Traversal, what: str) -> str:
        where = expr.file.where(expr.start)
        return self.unknown(f"{expr.text} {what} ({where})", expr, key=expr.text)

    def variable(self, name: str, expr: Expr) -> Any:
        if name in self._variables:
            return self._variables[name]
        block = self.module.variables.get(name)
        if block is None:
            value: Any = self.unknown(
                f"variable {name} is not declared in this module{self._missing_note()} "
                f"({expr.file.where(expr.start)})",
                expr,
                key=f"var.{name}",
            )
        elif name in self.module.variable_values:
            value = self.eval(self.module.variable_values[name].expr)
        elif "default" in block.body.attributes:
            value = self.eval(block.body.attributes["default"].expr)
        else:
            broken = self.module.broken_variable_files
            note = f"; {', '.join(broken)} could not be parsed" if broken else ""
            value = self.unknown(
                f"variable {name} has no default ({block.file.where(block.start)}){note}",
                expr,
                key=f"var.{name}",
            )
        self._variables[name] = value
        return value

    def variable_expr(self, name: str) -> Expr | None:
        """The expression that gives a declared variable its value: the one a variable
        definitions file sets, else its default."""
        block = self.module.variables.get(name)
        if block is None:
            return None
        attribute = self.module.variable_values.get(name) or block.body.attributes.get("default")
        return attribute.expr if attribute else None

    def local(self, name: str, expr: Expr) -> Any:
        if name in self._locals:
            self.replay(self._local_usage[name])
            return self._locals[name]
        attribute = self.module.locals.get(name)
        if attribute is None:
            return self.unknown(
                f"local.{name} is not defined in this module{self._missing_note()} "
                f"({expr.file.where(expr.start)})",
                expr,
                key=f"local.{name}",
            )
        if name in self._busy:
            return self.unknown(
                f"local.{name} refers to itself ({attribute.file.where(attribute.start)})",
                expr,
                key=f"local.{name}",
            )
        self._busy.add(name)
        try:
            with self.track() as usage:
                value = self.eval(attribute.expr)
        finally:
            self._busy.discard(name)
        self._locals[name] = value
        self._local_usage[name] = usage
        self.replay(usage)
        return value

    def ref_attribute(self, ref: _Ref, attr: str, expr: Traversal) -> Any:
        text = f"{'data.' if ref.kind == 'data' else ''}{ref.type}.{ref.label}.{attr}"
        if ref.kind == "data":
            return self.data_attribute(ref, attr, expr, text)
        block = self.module.resources[(ref.type, ref.label)]
        known = self.resource_attribute(ref.type, ref.label, block, attr)
        if known is not None:
            if isinstance(known, str) and not has_unknown(known) and (":" in known or "/" in known):
                self.module.references.setdefault(known, expr.text)
            return known
        if attr in block.body.attributes:
            return self.eval(block.body.attributes[attr].expr)
        return self.unknown(
            f"{text} is only known after the resource is created ({expr.file.where(expr.start)})",
            expr,
            key=text,
        )

    def resource_attribute(self, kind: str, label: str, block: Block, attr: str) -> Any:
        """Computed attributes AWS gives the resource: owner's account, symbolic Region."""
        if kind in RESOURCES:
            name_arg, attributes = RESOURCES[kind]
            if attr == name_arg or (attr == "name" and name_arg is not None):
                return self._resource_name(block, name_arg, label)
            if attr in attributes:
                name = self._resource_name(block, name_arg, label)
                return self._fill(attributes[attr], name)
            return None
        if kind in GENERATED and attr in GENERATED[kind]:
            name = self._resource_name(block, GENERATED_NAME.get(kind), label)
            suffix = self.unknown(
                f"{kind}.{label}.{attr} ends with a value AWS generates at creation "
                f"({block.file.where(block.start)})",
                None,
                key=f"{kind}.{label}.{attr}",
            )
            return self._fill(GENERATED[kind][attr], name) + suffix
        return None

    def _resource_name(self, block: Block, name_arg: str | None, label: str) -> Any:
        if name_arg is not None and name_arg in block.body.attributes:
            return self.eval(block.body.attributes[name_arg].expr)
        prefix = block.body.attributes.get("name_prefix")
        if prefix is not None:
            value = self.eval(prefix.expr)
            if isinstance(value, str):
                return value + label
        return label

    def _fill(self, template: str, name: Any) -> str:
        text = name if isinstance(name, str) else to_text(name)
        return template.format(p=PARTITION, r=SYMBOLIC_REGION, a=self.module.owner, n=text)

    def data_attribute(self, ref: _Ref, attr: str, expr: Traversal, text: str) -> Any:
        kind, label = ref.type, ref.label
        if kind == "aws_caller_identity" and attr in ("account_id", "id"):
            self._used("caller", label)
            return self.module.owner
        if kind == "aws_region" and attr in ("name", "region", "id"):
            self._used("region", label)
            return SYMBOLIC_REGION
        if kind == "aws_partition":
            values = {"partition": PARTITION, "id": PARTITION, "dns_suffix": "amazonaws.com"}
            values["reverse_dns_prefix"] = "com.amazonaws"
            if attr in values:
                self._used("partition", label)
                return values[attr]
        building = self.policy_document is not None and (kind, label) in self.module.data
        if kind == "aws_iam_policy_document" and attr in ("json", "minified_json") and building:
            assert self.policy_document is not None
            document = self.policy_document(label, expr)
            return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        block = self.module.data.get((kind, label))
        if (
            block is not None
            and attr in block.body.attributes
            and kind != "aws_iam_policy_document"
        ):
            return self.eval(block.body.attributes[attr].expr)
        missing = (
            "" if block is not None else f" (not declared in this module{self._missing_note()})"
        )
        return self.unknown(
            f"{text} is read from AWS when Terraform runs{missing} ({expr.file.where(expr.start)})",
            expr,
            key=text,
        )

    # -- operators

    def conditional(self, expr: Conditional, scope: Mapping[str, Any] | None) -> Any:
        condition = self.eval(expr.condition, scope)
        if isinstance(condition, bool):
            return self.eval(expr.then if condition else expr.other, scope)
        then, other = self.eval(expr.then, scope), self.eval(expr.other, scope)
        if then == other:
            return then
        return self.unknown(
            f"the condition {expr.condition.text} is only known when Terraform runs "
            f"({expr.file.where(expr.start)})",
            expr,
            key=expr.text,
        )

    def binary(self, expr: BinaryOp, scope: Mapping[str, Any] | None) -> Any:
        left, right = self.eval(expr.left, scope), self.eval(expr.right, scope)
        op = expr.op
        if op in ("&&", "||") and isinstance(left, bool) and isinstance(right, bool):
            return left and right if op == "&&" else left or right
        if has_unknown(left) or has_unknown(right):
            return self.unknown(
                f"{expr.text} depends on a value only known when Terraform runs "
                f"({expr.file.where(expr.start)})",
                expr,
                key=expr.text,
            )
        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
        if numbers:
            result = _arithmetic(op, left, right)
            if result is not None:
                return result
        return self.unknown(
            f"{expr.text} cannot be evaluated ({expr.file.where(expr.start)})", expr, key=expr.text
        )

    def unary(self, expr: UnaryOp, scope: Mapping[str, Any] | None) -> Any:
        value = self.eval(expr.operand, scope)
        if expr.op == "!" and isinstance(value, bool):
            return not value
        if expr.op == "-" and isinstance(value, int | float) and not isinstance(value, bool):
            return -value
        return self.unknown(
            f"{expr.text} cannot be evaluated ({expr.file.where(expr.start)})", expr, key=expr.text
        )

    def for_expr(self, expr: ForExpr, scope: Mapping[str, Any] | None) -> Any:
        collection = self.eval(expr.collection, scope)
        if isinstance(collection, list):
            pairs: list[tuple[Any, Any]] = list(enumerate(collection))
        elif isinstance(collection, dict):
            pairs = sorted(collection.items())
        else:
            return self.unknown(
                f"the for expression iterates over {expr.collection.text}, which is only known "
                f"when Terraform runs ({expr.file.where(expr.start)})",
                expr,
                key=expr.text,
            )
        results_list: list[Any] = []
        results_map: dict[str, Any] = {}
        for key, value in pairs:
            inner = dict(scope or {})
            if expr.key_var is not None:
                inner[expr.key_var] = key
            inner[expr.value_var] = value
            if expr.condition is not None and self.eval(expr.condition, inner) is not True:
                continue
            item = self.eval(expr.value, inner)
            if expr.key is None:
                results_list.append(item)
                continue
            name = key_text(self.eval(expr.key, inner))
            if expr.group:
                results_map.setdefault(name, []).append(item)
            else:
                results_map[name] = item
        return results_list if expr.key is None else results_map

    # -- functions

    def call(self, expr: Call, scope: Mapping[str, Any] | None) -> Any:
        name = expr.name
        if name == "try":
            for arg in expr.args:
                try:
                    return self.eval(arg, scope)
                except PolicyProblem:
                    continue
            return self._fn_unknown(expr, "no argument of try() could be evaluated")
        if name == "can":
            return True
        args = [self.eval(a, scope) for a in expr.args]
        if expr.expand and args:
            last = args.pop()
            if not isinstance(last, list):
                return self._fn_unknown(
                    expr, "its expanded argument is only known when Terraform runs"
                )
            args.extend(last)
        function = FUNCTIONS.get(name)
        if function is None:
            return self._fn_unknown(expr, f"function {name}() is not evaluated")
        try:
            return function(self, expr, args)
        except Unknowable as exc:
            return self._fn_unknown(expr, exc.reason)
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError):
            return self._fn_unknown(expr, f"{name}() cannot be evaluated with these arguments")

    def _fn_unknown(self, expr: Expr, reason: str) -> str:
        return self.unknown(f"{reason} ({expr.file.where(expr.start)})", expr, key=expr.text)

    def read_file(self, expr: Expr, path_value: Any) -> tuple[Path, str]:
        """The file a file()/templatefile() call names, relative to the module directory."""
        if not isinstance(path_value, str) or has_unknown(path_value):
            raise PolicyProblem(
                "the path given to the file function is only known when Terraform runs",
                expr.file,
                expr.start,
            )
        path = Path(path_value)
        if not path.is_absolute():
            path = self.module.directory / path
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise PolicyProblem(f"no file exists at {path_value}", expr.file, expr.start) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise PolicyProblem(
                f"cannot read {path_value}: {reason}", expr.file, expr.start
            ) from None
        try:
            return path, data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PolicyProblem(f"{path_value} is not UTF-8 text", expr.file, expr.start) from None


class _Tracking:
    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self.usage = Usage()

    def __enter__(self) -> Usage:
        self.evaluator._usage.append(self.usage)
        return self.usage

    def __exit__(self, *exc: object) -> None:
        self.evaluator._usage.remove(self.usage)


def _arithmetic(op: str, left: float, right: float) -> float | bool | None:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right if right else None
    if op == "%":
        return left % right if right else None
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    if op == ">=":
        return left >= right
    return None
