"""Evaluating CloudFormation intrinsics the way a deployment would, as far as a template says.

Values that only exist at deployment become unknown markers (`iac`); conditions that cannot be
decided raise `NeedCondition` so the reader can evaluate each combination instead of guessing
(design.md: never a guess and never silently safe). The functions themselves are in
`functions`, the resources of the stack in `stack`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from deputyguard.policy.jsontext import Position
from deputyguard.sources.cloudformation.functions import FUNCTIONS
from deputyguard.sources.cloudformation.nodes import MAP, SCALAR, SEQ, Node, scalar_offsets
from deputyguard.sources.cloudformation.stack import (
    KINDS,
    STACK_NAME,
    STACK_UUID,
    ResourceKind,
    Template,
)
from deputyguard.sources.cloudformation.values import (
    COMPUTED,
    NO_VALUE,
    Loc,
    NeedCondition,
    TemplateError,
    Unresolved,
    intrinsic,
    is_scalar,
    kind_of,
    same,
    text,
)
from deputyguard.sources.iac import has_unknown

__all__ = ["MAX_VALUES", "Eval"]

MAX_VALUES: Final = 200_000
"""Values one policy may resolve to: far beyond any real policy (IAM caps them at a few KB)."""


class Eval:
    """Resolves values of one template under one set of assumed condition values."""

    def __init__(self, template: Template, assume: Mapping[str, bool]) -> None:
        self.t = template
        self.assume = dict(assume)
        self._naming: set[str] = set()
        self._names: dict[str, str] = {}
        self._evaluating: set[str] = set()
        self.inexact = 0  # bumped whenever a value only stands in for the deployed one
        self.budget = MAX_VALUES

    # -- entry points -----------------------------------------------------------------------------

    def value(self, node: Node) -> tuple[Any, Loc]:
        """The resolved value of `node` (possibly NO_VALUE) and where each part came from."""
        self.budget -= 1
        if self.budget < 0:  # YAML aliases can make a small file expand without end
            raise TemplateError("the policy expands to too many values", node.position)
        call = intrinsic(node)
        if call is not None:
            return self._call(call[0], call[1], node, call[2])
        if node.kind == MAP:
            out: dict[str, Any] = {}
            keys: dict[str, Position] = {}
            children: dict[str, Loc] = {}
            for member in node.members:
                if member.key.startswith("Fn::ForEach::"):
                    raise TemplateError(
                        "Fn::ForEach (AWS::LanguageExtensions) is not supported",
                        node.src.position(member.key_start),
                    )
                value, loc = self.value(member.value)
                out.pop(member.key, None)
                if value is NO_VALUE:
                    continue
                out[member.key] = value
                keys[member.key] = node.src.position(member.key_start)
                children[member.key] = loc
            return out, Loc(node.position, node, keys=keys, children=children)
        if node.kind == SEQ:
            items: list[Any] = []
            locs: list[Loc] = []
            raw: list[int] = []
            for index, item in enumerate(node.items):
                value, loc = self.value(item)
                if value is NO_VALUE:
                    continue
                items.append(value)
                locs.append(loc)
                raw.append(index)
            return items, Loc(node.position, node, children=locs, raw_index=raw)
        chars = (lambda: scalar_offsets(node, node.value)) if isinstance(node.value, str) else None
        return node.value, Loc(node.position, node, chars=chars)

    def scalar(self, node: Node, what: str) -> Any:
        """A value that must be a string or number (a name, an ARN, an account id)."""
        value, _ = self.value(node)
        if value is not NO_VALUE and not is_scalar(value) and value is not None:
            raise TemplateError(f"{what} must be a string, not {kind_of(value)}", node.position)
        return value

    def condition(self, name: str, at: Position) -> bool | Unresolved:
        if name in self.assume:
            return self.assume[name]
        expression = self.t.conditions.get(name)
        if expression is None:
            raise TemplateError(f"condition '{name}' is not defined in Conditions", at)
        if name in self._evaluating:
            raise TemplateError(f"condition '{name}' refers to itself", at)
        self._evaluating.add(name)
        try:
            return self._condition(expression, name)
        finally:
            self._evaluating.discard(name)

    # -- conditions -------------------------------------------------------------------------------

    def _condition(self, node: Node, owner: str) -> bool | Unresolved:
        call = intrinsic(node, conditions=True)
        if call is None:
            raise TemplateError(
                "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition",
                node.position,
            )
        name, arg, shown = call
        if name == "Condition":
            ref = arg.value if arg.kind == SCALAR else None
            if not isinstance(ref, str):
                raise TemplateError(f"{shown} takes the name of a condition", node.position)
            return self.condition(ref, node.position)
        if name == "Fn::Equals":
            left, right = self.args(arg, shown, node, 2)
            a, _ = self.value(left)
            b, _ = self.value(right)
            if same(a, b):
                return True
            if has_unknown(a) or has_unknown(b):
                return Unresolved(owner)
            return False
        if name == "Fn::Not":
            [inner] = self.args(arg, shown, node, 1)
            result = self._condition(inner, owner)
            return result if isinstance(result, Unresolved) else not result
        if name in ("Fn::And", "Fn::Or"):
            if arg.kind != SEQ or not 2 <= len(arg.items) <= 10:
                raise TemplateError(f"{shown} takes a list of 2 to 10 conditions", node.position)
            results = [self._condition(item, owner) for item in arg.items]
            decided = name == "Fn::Or"  # the value that decides: any true for Or, any false for And
            if decided in results:
                return decided
            unresolved = [r for r in results if isinstance(r, Unresolved)]
            return unresolved[0] if unresolved else not decided
        raise TemplateError(f"{shown} cannot be used in a condition", node.position)

    # -- functions --------------------------------------------------------------------------------

    def _call(self, name: str, arg: Node, node: Node, shown: str) -> tuple[Any, Loc]:
        if name == "Fn::If":
            return self._if(arg, node, shown)
        before = self.inexact
        handler = FUNCTIONS.get(name)
        if handler is None:
            if name in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
                raise TemplateError(
                    f"{shown} is only allowed in the Conditions section", node.position
                )
            raise TemplateError(f"unknown intrinsic function {shown}", node.position)
        result = handler(self, arg, node, shown)
        if isinstance(result, tuple):
            value, loc = result
            return value, loc
        loc = Loc(node.position, node, COMPUTED, what=shown, exact=self.inexact == before)
        return result, loc

    def args(self, arg: Node, shown: str, node: Node, count: int) -> list[Node]:
        if arg.kind != SEQ or len(arg.items) != count:
            plural = "s" if count > 1 else ""
            raise TemplateError(f"{shown} takes a list of {count} argument{plural}", node.position)
        return arg.items

    def _if(self, arg: Node, node: Node, shown: str) -> tuple[Any, Loc]:
        name_node, yes, no = self.args(arg, shown, node, 3)
        name = name_node.value if name_node.kind == SCALAR and name_node.tag is None else None
        if not isinstance(name, str):
            raise TemplateError(f"{shown} needs a condition name first", node.position)
        decided = self.condition(name, node.position)
        if decided is True:
            return self.value(yes)
        if decided is False:
            return self.value(no)
        try:
            a, loc_a = self.value(yes)
            b, _ = self.value(no)
        except NeedCondition:
            raise NeedCondition(decided.root) from None
        scalar = is_scalar(a) and is_scalar(b)
        if not scalar:
            raise NeedCondition(decided.root)
        if same(a, b):
            return a, loc_a
        self.inexact += 1
        marker = self.t.values.marker(
            f"{shown} on condition {decided.root}, which cannot be evaluated before "
            f"deployment ({self.t.where(node)})"
        )
        return marker, Loc(node.position, node, COMPUTED, what=shown, exact=False)

    def ref(self, name: str, node: Node) -> Any:
        if name.startswith("AWS::"):
            return self._pseudo(name, node)
        if name in self.t.parameters:
            self.inexact += 1
            return self.t.parameter(name)
        if name in self.t.resources:
            return self.resource_value(name, None, node)
        raise TemplateError(
            f"Ref to '{name}', which is neither a parameter nor a resource of this template",
            node.position,
        )

    def _pseudo(self, name: str, node: Node) -> Any:
        t = self.t
        if name == "AWS::AccountId":
            return t.owner
        if name == "AWS::NoValue":
            return NO_VALUE
        self.inexact += 1
        if name == "AWS::Region":
            return t.region
        if name == "AWS::Partition":
            return t.partition
        if name == "AWS::URLSuffix":
            return "amazonaws.com.cn" if t.partition == "aws-cn" else "amazonaws.com"
        if name == "AWS::StackName":
            return STACK_NAME
        if name == "AWS::StackId":
            return (
                f"arn:{t.partition}:cloudformation:{t.region}:{t.owner}:stack/{STACK_NAME}/"
                f"{STACK_UUID}"
            )
        if name == "AWS::NotificationARNs":
            return [
                t.values.marker(
                    f"AWS::NotificationARNs is only known at deployment ({t.where(node)})"
                )
            ]
        raise TemplateError(f"unknown pseudo parameter {name}", node.position)

    def resource_value(self, logical: str, attribute: str | None, node: Node) -> Any:
        t = self.t
        kind_name = t.resource_type(logical) or "an unknown type of"
        kind = KINDS.get(kind_name)
        pattern = (
            (kind.ref if attribute is None else kind.attrs.get(attribute))
            if kind is not None
            else None
        )
        if pattern is None:
            self.inexact += 1
            what = "Ref to" if attribute is None else f"Fn::GetAtt {attribute} of"
            what = f"{what} {kind_name}"
            return t.values.marker(f"{what} resource {logical} is not modelled ({t.where(node)})")
        assert kind is not None
        fields = {
            "name": self._physical_name(logical, kind),
            "p": t.partition,
            "r": t.region,
            "a": t.owner,
            "path": self._iam_path(logical) if kind.path else "",
        }
        if "{r}" in pattern:
            self.inexact += 1
        return pattern.format(**fields)

    def _properties(self, logical: str) -> Node | None:
        definition = self.t.resources.get(logical)
        properties = definition.get("Properties") if definition is not None else None
        return properties if properties is not None and properties.kind == MAP else None

    def _physical_name(self, logical: str, kind: ResourceKind) -> str:
        if logical in self._names:
            return self._names[logical]
        properties = self._properties(logical)
        named = properties.get(kind.name) if properties is not None and kind.name else None
        name: str
        if named is None:
            self.inexact += 1
            name = f"{STACK_NAME}-{logical.lower()}"
            fifo = properties.get(kind.fifo) if properties is not None and kind.fifo else None
            if fifo is not None and fifo.value in (True, "true"):
                name += ".fifo"
        else:
            if logical in self._naming:
                raise TemplateError(
                    f"the name of resource {logical} refers to itself", named.position
                )
            self._naming.add(logical)
            try:
                value = self.scalar(named, f"the {kind.name} of {logical}")
            except NeedCondition as need:
                value = self.t.values.marker(
                    f"the {kind.name} of {logical} depends on condition {need.name} "
                    f"({self.t.where(named)})"
                )
            finally:
                self._naming.discard(logical)
            if value is NO_VALUE or value is None:
                self.inexact += 1
                value = f"{STACK_NAME}-{logical.lower()}"
            name = text(value)
        self._names[logical] = name
        return name

    def _iam_path(self, logical: str) -> str:
        properties = self._properties(logical)
        node = properties.get("Path") if properties is not None else None
        if node is None:
            return "/"
        value = self.scalar(node, f"the Path of {logical}")
        return text(value) if isinstance(value, str) and value else "/"

    def sub_variable(self, name: str, variables: dict[str, Node], node: Node) -> str:
        if name in variables:
            value, _ = self.value(variables[name])
        elif name.startswith("AWS::"):
            value = self._pseudo(name, node)
        elif name in self.t.parameters or name in self.t.resources:
            value = self.ref(name, node)
        elif "." in name and name.split(".", 1)[0] in self.t.resources:
            logical, attribute = name.split(".", 1)
            value = self.resource_value(logical, attribute, node)
        else:
            raise TemplateError(
                f"Fn::Sub variable ${{{name}}} is not a parameter, resource or variable",
                node.position,
            )
        if value is NO_VALUE or not is_scalar(value):
            raise TemplateError(
                f"Fn::Sub variable ${{{name}}} must be a string, not {kind_of(value)}",
                node.position,
            )
        return text(value)
