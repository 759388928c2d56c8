"""Where each part of a policy document was written, so findings point at the user's lines.

`Walker` pairs a `jsonencode` argument with its value and records the position of every member,
key and element; `complete_positions` gives whatever has no position of its own its parent's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from deputyguard.policy.jsontext import Position
from deputyguard.policy.parse import pointer_token
from deputyguard.sources.terraform.nodes import (
    Attribute,
    Call,
    Conditional,
    Expr,
    ForExpr,
    Interp,
    ObjectExpr,
    SourceFile,
    Template,
    Traversal,
    TupleExpr,
)
from deputyguard.sources.terraform.values import PolicyProblem

if TYPE_CHECKING:
    from deputyguard.sources.terraform.eval import Evaluator

__all__ = ["STATEMENT_POINTER", "Walker", "complete_positions", "put_attribute"]

STATEMENT_POINTER: Final = re.compile(r"/Statement(/[0-9]+)?")
"""Where a for expression would build statements (which cannot be analyzed statically)."""


def complete_positions(positions: dict[str, Position], document: Any) -> None:
    """Give every member, key and element without a position its parent's, so each part of
    the document can be pointed at."""
    stack: list[tuple[str, Any, Position | None]] = [("", document, None)]
    while stack:
        pointer, value, parent = stack.pop()
        here = (
            positions.setdefault(pointer, parent) if parent is not None else positions.get(pointer)
        )
        if here is None:
            continue
        if isinstance(value, dict):
            for key, member in value.items():
                child = f"{pointer}/{pointer_token(key)}"
                positions.setdefault(child + "#key", positions.get(child, here))
                stack.append((child, member, here))
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{i}", member, here) for i, member in enumerate(value))


def put_attribute(locs: dict[str, int], pointer: str, attribute: Attribute) -> None:
    locs[pointer] = attribute.expr.start
    locs[pointer + "#key"] = attribute.start


class Walker:
    """Pairs an expression with its value to record where each part of the value was written.

    Parts written in another file (a local defined elsewhere) are placed at the reference, so
    every position lies in the policy's own file.
    """

    def __init__(self, ev: Evaluator, home: SourceFile) -> None:
        self.ev = ev
        self.home = home
        self.positions: dict[str, Position] = {}

    def put(self, pointer: str, offset: int) -> None:
        self.positions[pointer] = self.home.position(offset)

    def fill(self, pointer: str, value: Any, offset: int) -> None:
        """Everything below `pointer` not placed yet is placed at `offset`."""
        position = self.home.position(offset)
        stack: list[tuple[str, Any]] = [(pointer, value)]
        while stack:
            at, node = stack.pop()
            self.positions.setdefault(at, position)
            if isinstance(node, dict):
                for key, member in node.items():
                    child = f"{at}/{pointer_token(key)}"
                    self.positions.setdefault(child + "#key", position)
                    stack.append((child, member))
            elif isinstance(node, list):
                stack.extend((f"{at}/{i}", member) for i, member in enumerate(node))

    def walk(self, expr: Expr, value: Any, pointer: str, depth: int = 0) -> None:
        self.put(pointer, expr.start)
        self._structure(expr, value, pointer, depth)
        self.fill(pointer, value, expr.start)

    def _structure(self, expr: Expr, value: Any, pointer: str, depth: int) -> None:
        if isinstance(expr, ForExpr) and STATEMENT_POINTER.fullmatch(pointer):
            raise PolicyProblem(
                "a for expression builds the statements: the policy cannot be analyzed statically",
                expr.file,
                expr.start,
            )
        if depth > 32:
            return
        if isinstance(expr, ObjectExpr) and isinstance(value, dict):
            for item in expr.items:
                key = self.ev.eval(item.key)
                name = key if isinstance(key, str) else str(key)
                if name in value:
                    child = f"{pointer}/{pointer_token(name)}"
                    self.put(child + "#key", item.offset)
                    self.walk(item.value, value[name], child, depth + 1)
        elif isinstance(expr, TupleExpr) and isinstance(value, list):
            if len(expr.items) == len(value):
                for index, (element, member) in enumerate(zip(expr.items, value, strict=True)):
                    self.walk(element, member, f"{pointer}/{index}", depth + 1)
        elif isinstance(expr, Call):
            self._call(expr, value, pointer, depth)
        elif isinstance(expr, Traversal):
            target = self._target(expr)
            # Containers (statements kept in a local) are placed where they are written; a
            # scalar stays at its use, the line a reader of the policy looks at.
            container = isinstance(value, dict | list)
            if target is not None and target.file is self.home and container:
                self.walk(target, value, pointer, depth + 1)
            elif isinstance(target, ForExpr) and STATEMENT_POINTER.fullmatch(pointer):
                self._structure(target, value, pointer, depth + 1)
        elif isinstance(expr, Conditional):
            condition = self.ev.eval(expr.condition)
            if isinstance(condition, bool):
                self.walk(expr.then if condition else expr.other, value, pointer, depth + 1)
        elif isinstance(expr, Template) and expr.heredoc is None and len(expr.parts) == 1:
            part = expr.parts[0]
            if isinstance(part, Interp):
                self.walk(part.expr, value, pointer, depth + 1)

    def _target(self, expr: Traversal) -> Expr | None:
        path = expr.root_path()
        if len(path) != 2 or len(expr.steps) != 1:
            return None
        if path[0] == "local" and path[1] in self.ev.module.locals:
            return self.ev.module.locals[path[1]].expr
        if path[0] == "var":
            return self.ev.variable_expr(path[1])
        return None

    def _call(self, expr: Call, value: Any, pointer: str, depth: int) -> None:
        if expr.name == "concat" and isinstance(value, list) and not expr.expand:
            parts = [self.ev.eval(arg) for arg in expr.args]
            if all(isinstance(p, list) for p in parts) and sum(map(len, parts)) == len(value):
                offset = 0
                for arg, part in zip(expr.args, parts, strict=True):
                    self._splice(arg, part, pointer, offset, depth)
                    offset += len(part)
        elif (
            expr.name in ("tolist", "toset", "distinct", "tomap", "sensitive")
            and len(expr.args) == 1
        ):
            argument = self.ev.eval(expr.args[0])
            if argument == value:
                self.walk(expr.args[0], value, pointer, depth + 1)
        elif expr.name == "merge" and isinstance(value, dict) and not expr.expand:
            parts = [self.ev.eval(arg) for arg in expr.args]
            owner: dict[str, int] = {}
            for index, part in enumerate(parts):
                if isinstance(part, dict):
                    owner.update(dict.fromkeys(part, index))
            for index, arg in enumerate(expr.args):
                mine = {k: value[k] for k, i in owner.items() if i == index and k in value}
                if mine:
                    self._structure(arg, mine, pointer, depth + 1)

    def _splice(self, arg: Expr, part: list[Any], pointer: str, offset: int, depth: int) -> None:
        """One concat() argument: its elements are elements offset.. of the result."""
        if isinstance(arg, ForExpr) and pointer == "/Statement":
            raise PolicyProblem(
                "a for expression builds the statements: the policy cannot be analyzed statically",
                arg.file,
                arg.start,
            )
        target: Expr = arg
        if isinstance(arg, Traversal):
            found = self._target(arg)
            target = found if found is not None and found.file is self.home else arg
        items = target.items if isinstance(target, TupleExpr) else None
        for index, member in enumerate(part):
            at = f"{pointer}/{offset + index}"
            if items is not None and len(items) == len(part):
                self.walk(items[index], member, at, depth + 1)
            else:
                self.put(at, arg.start)
                self.fill(at, member, arg.start)
