"""Read the policies of CloudFormation templates (JSON or YAML) and write fixed ones back.

Which property of which resource type holds a policy is listed in `resources._HANDLERS`;
Lambda permissions and legacy EventBridge bus policies are turned into the statement the
service writes. Values are resolved as CloudFormation would (`eval`): the
deploying account is the owner, what only a deployment knows becomes an unknown marker, and a
statement that depends on a condition nobody can evaluate yet is read once per combination.
Every position points at what the user wrote, even for a policy written as a JSON string.

SAM (`Transform: AWS::Serverless-2016-10-31`) is read for its plain `AWS::` resources only:
the policies SAM generates from `AWS::Serverless::*` resources (Events, Policies templates) are
out of scope. Other macros and `Fn::ForEach` are not expanded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from deputyguard.analysis.model import InputError
from deputyguard.policy.jsontext import Position
from deputyguard.policy.model import PolicyType
from deputyguard.sources.cloudformation.eval import Eval
from deputyguard.sources.cloudformation.nodes import (
    MAP,
    SCALAR,
    LoadError,
    Node,
    Text,
    load_template,
)
from deputyguard.sources.cloudformation.resources import (
    LAMBDA_PROPERTIES,
    Embedded,
    Report,
    Result,
    Spec,
    specs,
)
from deputyguard.sources.cloudformation.stack import Template
from deputyguard.sources.cloudformation.values import (
    KNOWN_FUNCTIONS,
    Loc,
    NeedCondition,
    TemplateError,
    Unresolved,
    flatten,
)
from deputyguard.sources.iac import IacPolicy, UnknownValues, service_of
from deputyguard.sources.policy_files import PolicySource

__all__ = [
    "LAMBDA_PROPERTIES",
    "Found",
    "looks_like_cloudformation",
    "read_cloudformation",
    "read_template",
    "rewrite_template",
]

MAX_VARIANTS: Final = 4
"""A policy that depends on more undecidable conditions than this is reported, not read: the
combinations would drown the report (give the parameters defaults instead)."""

_SNIFF_VERSION: Final = re.compile(r"""["']?AWSTemplateFormatVersion["']?\s*:""")
_SNIFF_RESOURCES: Final = re.compile(r"""(?:^|[{,])\s*["']?Resources["']?\s*:""", re.MULTILINE)
_SNIFF_TYPE: Final = re.compile(r"""["']?Type["']?\s*:\s*["']?AWS::""")


def looks_like_cloudformation(text: str) -> bool:
    """Whether the text is a template (cheap: no parse; policy JSON has neither marker)."""
    if _SNIFF_VERSION.search(text):
        return True
    return bool(_SNIFF_RESOURCES.search(text) and _SNIFF_TYPE.search(text))


# -- what the reader found ------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Found:
    """One policy (one variant) with what the rewriter needs to patch it."""

    pointer: str
    resource: str
    resource_type: str
    policy_type: PolicyType
    name: str | None
    document: dict[str, Any]
    loc: Loc
    embedded: Embedded | None = None
    properties: Node | None = None
    positions: dict[str, Position] = field(default_factory=dict)


@dataclass(slots=True)
class Reading:
    text: Text
    syntax: str
    root: Node | None
    found: list[Found]
    errors: list[InputError]
    template: Template | None


def read_cloudformation(
    path: str | os.PathLike[str],
    shown: str,
    text: str,
    *,
    owner: str,
    policy_type: PolicyType | None = None,
) -> tuple[list[PolicySource], list[InputError]]:
    """Every policy of the template as a `PolicySource`, and every problem as an `InputError`.

    `shown` names the file in messages; `policy_type` (the --policy-type flag) overrides the type
    the resource implies. One bad policy never hides the others.
    """
    del path  # the text is already read; `shown` is what users see
    reading = read_template(text, shown, owner)
    sources = []
    for found in reading.found:
        values = reading.template.values if reading.template is not None else UnknownValues()
        policy = IacPolicy(
            pointer=found.pointer,
            resource=found.resource,
            policy_type=policy_type or found.policy_type,
            document=found.document,
            positions=found.positions,
            unknowns=values.used_in(found.document),
            name=found.name,
            service=service_of(found.resource_type),
        )
        sources.append(policy.to_source(shown, owner=owner, origin="cloudformation"))
    return sources, reading.errors


def read_template(text: str, shown: str, owner: str) -> Reading:
    """The policies of a template with everything the rewriter needs (internal)."""
    src = Text(text)
    try:
        loaded = load_template(text)
    except LoadError as exc:
        error = InputError(shown, exc.message, exc.line, exc.column)
        return Reading(src, "yaml", None, [], [error], None)
    src = loaded.root.src
    errors: list[InputError] = []
    seen: set[tuple[int | None, int | None, str]] = set()

    def report(message: str, at: Position | None) -> None:
        # A policy that fails on an unknown function repeats what the file check said there.
        core = message.split(": ", 1)[-1] if message.split(": ", 1)[0].isidentifier() else message
        key = (at.line if at else None, at.column if at else None, core)
        if key not in seen:
            seen.add(key)
            errors.append(
                InputError(shown, message, at.line if at else None, at.column if at else None)
            )

    for problem in loaded.problems:
        report(problem.message, src.position(problem.offset))
    root = loaded.root
    if root.kind != MAP:
        report("not a CloudFormation template: the file does not hold a mapping", root.position)
        return Reading(src, loaded.syntax, root, [], errors, None)
    _check_functions(root, report)
    template = Template(root, shown, owner, UnknownValues())
    resources = root.get("Resources")
    if resources is None or resources.kind != MAP:
        report("the template has no Resources section", root.position)
        return Reading(src, loaded.syntax, root, [], errors, template)
    found: list[Found] = []
    for member in resources.members:
        if member.key.startswith("Fn::ForEach::"):
            report(
                f"{member.key}: Fn::ForEach (AWS::LanguageExtensions) is not expanded; the "
                "resources it makes are not read",
                src.position(member.key_start),
            )
            continue
        found.extend(_read_resource(template, member.key, member.value, report))
    return Reading(src, loaded.syntax, root, found, errors, template)


def _check_functions(root: Node, report: Report) -> None:
    """CloudFormation rejects a template with an unknown function anywhere: so do we."""
    for node in root.walk():
        if node.tag is not None and node.tag not in _SHORT_TAG_NAMES:
            report(f"unknown intrinsic function {node.tag}", node.position)
        elif node.kind == MAP and len(node.members) == 1:
            key = node.members[0].key
            if key.startswith("Fn::") and key not in KNOWN_FUNCTIONS:
                report(
                    f"unknown intrinsic function {key}",
                    node.src.position(node.members[0].key_start),
                )


_SHORT_TAG_NAMES: Final = frozenset(
    ["!Ref", "!Condition"] + [f"!{name[4:]}" for name in KNOWN_FUNCTIONS if name.startswith("Fn::")]
)


def _read_resource(
    template: Template,
    logical: str,
    definition: Node,
    report: Report,
) -> list[Found]:
    kind_node = definition.get("Type") if definition.kind == MAP else None
    kind = kind_node.value if kind_node is not None and kind_node.kind == SCALAR else None
    if not isinstance(kind, str):
        report(f"resource {logical} has no Type", definition.position)
        return []
    properties = definition.get("Properties")
    base: dict[str, bool] = {}
    condition = definition.get("Condition")
    if condition is not None and isinstance(condition.value, str):
        try:
            decided = Eval(template, {}).condition(condition.value, condition.position)
        except TemplateError as exc:
            report(f"{logical}: {exc.message}", exc.at)
            return []
        if decided is False:
            return []  # not created with these parameters
        if isinstance(decided, Unresolved):
            base[condition.value] = True  # its policies only matter where it exists
    found: list[Found] = []
    for spec in specs(template, logical, kind, properties, report):
        found.extend(_evaluate(template, logical, kind, properties, spec, base, report))
    return found


# -- evaluating one policy under every combination of undecidable conditions ----------------------


def _evaluate(
    template: Template,
    logical: str,
    kind: str,
    properties: Node | None,
    spec: Spec,
    base: dict[str, bool],
    report: Report,
) -> list[Found]:
    pending: list[dict[str, bool]] = [dict(base)]
    done: list[tuple[dict[str, bool], list[Result], str | None]] = []
    while pending:
        assume = pending.pop(0)
        ev = Eval(template, assume)
        try:
            results = spec.build(ev)
        except NeedCondition as need:
            pending.append({**assume, need.name: True})
            pending.append({**assume, need.name: False})
            if len(done) + len(pending) > MAX_VARIANTS:
                names = list(dict.fromkeys(n for a in pending for n in a if n not in base))
                report(
                    f"{logical}: the policy depends on more than {MAX_VARIANTS} combinations "
                    "of conditions that cannot be evaluated before deployment "
                    f"({', '.join(names)}, ...); give their parameters defaults to read it",
                    spec.anchor.position,
                )
                return []
            continue
        except TemplateError as exc:
            report(f"{logical}: {exc.message}", exc.at)
            return []
        except RecursionError:
            report(f"{logical}: the policy is nested too deeply", spec.anchor.position)
            return []
        done.append((assume, results, spec.name(ev)))
    found = []
    for assume, results, base_name in done:
        suffix = ", ".join(
            f"{name}={'true' if value else 'false'}"
            for name, value in assume.items()
            if name not in base
        )
        for result in results:
            name = result.name or base_name
            if suffix:
                name = f"{name} ({suffix})" if name else suffix
            pointer = result.pointer or spec.pointer
            positions: dict[str, Position] = {}
            flatten(result.document, result.loc, pointer, positions)
            found.append(
                Found(
                    pointer=pointer,
                    resource=logical,
                    resource_type=kind,
                    policy_type=spec.policy_type,
                    name=name,
                    document=result.document,
                    loc=result.loc,
                    embedded=result.embedded,
                    properties=properties,
                    positions=positions,
                )
            )
    return found


# -- writing fixes back ---------------------------------------------------------------------------


def rewrite_template(path: Path, changes: Sequence[tuple[PolicySource, Any]]) -> tuple[str, str]:
    """(text before, text after) with each source's policy patched into the fixed document.

    Only what the fix changes is edited; comments, intrinsics and every other line stay as they
    were. Raises `iac.RewriteError` when a change cannot be written faithfully.
    """
    from deputyguard.sources.cloudformation.rewrite import rewrite_text
    from deputyguard.sources.iac import RewriteError

    try:
        before = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RewriteError(f"{path}: cannot be read again to write the fix ({exc})") from None
    return before, rewrite_text(before, str(path), changes)
