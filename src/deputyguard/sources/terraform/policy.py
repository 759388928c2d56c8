"""Find the policies of a Terraform module and build each document with the positions the user
wrote it at.

A policy attribute may be `jsonencode({...})`, heredoc or quoted JSON, `file()` /
`templatefile()`, a reference to a `data "aws_iam_policy_document"` block (merged with its
source and override documents the way the AWS provider does), or something that only resolves
when Terraform runs, which is reported rather than guessed. `aws_lambda_permission` has no
policy text: the statement Lambda's AddPermission writes is synthesized from its arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from deputyguard.analysis.model import InputError
from deputyguard.policy.jsontext import JsonSyntaxError, Position, parse_json
from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import pointer_token
from deputyguard.sources.iac import IacPolicy
from deputyguard.sources.policy_files import PolicySource, _Lines, auto_policy_type, describe_json
from deputyguard.sources.terraform.documents import (
    DOC_TYPE,
    DocumentBuilder,
    document_label,
    dynamic_problem,
)
from deputyguard.sources.terraform.eval import Evaluator, Module
from deputyguard.sources.terraform.forms import PolicyForm, remember
from deputyguard.sources.terraform.hcl import parse_template
from deputyguard.sources.terraform.lambda_permission import lambda_permission
from deputyguard.sources.terraform.nodes import (
    Attribute,
    Block,
    Call,
    Chunk,
    Conditional,
    Expr,
    Interp,
    Literal,
    ObjectExpr,
    SourceFile,
    Template,
    Traversal,
    TupleExpr,
)
from deputyguard.sources.terraform.positions import Walker, complete_positions
from deputyguard.sources.terraform.values import PolicyProblem, Usage, is_marker, template_text

__all__ = ["POLICY_ATTRIBUTES", "PolicyReader", "is_literal"]

_R, _T, _I = PolicyType.RESOURCE, PolicyType.TRUST, PolicyType.IDENTITY
POLICY_ATTRIBUTES: Final[Mapping[str, tuple[tuple[str, PolicyType], ...]]] = MappingProxyType(
    {
        "aws_s3_bucket_policy": (("policy", _R),),
        "aws_s3_bucket": (("policy", _R),),
        "aws_sqs_queue_policy": (("policy", _R),),
        "aws_sqs_queue": (("policy", _R),),
        "aws_sns_topic_policy": (("policy", _R),),
        "aws_sns_topic": (("policy", _R),),
        "aws_kms_key": (("policy", _R),),
        "aws_kms_key_policy": (("policy", _R),),
        "aws_secretsmanager_secret_policy": (("policy", _R),),
        "aws_secretsmanager_secret": (("policy", _R),),
        "aws_ecr_repository_policy": (("policy", _R),),
        "aws_cloudwatch_log_resource_policy": (("policy_document", _R),),
        "aws_cloudwatch_event_bus_policy": (("policy", _R),),
        "aws_efs_file_system_policy": (("policy", _R),),
        "aws_backup_vault_policy": (("policy", _R),),
        "aws_iam_role": (("assume_role_policy", _T),),
        "aws_iam_policy": (("policy", _I),),
        "aws_iam_role_policy": (("policy", _I),),
        "aws_iam_user_policy": (("policy", _I),),
        "aws_iam_group_policy": (("policy", _I),),
    }
)
"""Resource type → its policy arguments and what kind of policy each holds."""

_ORG_TYPES: Final = {
    "SERVICE_CONTROL_POLICY": PolicyType.SCP,
    "RESOURCE_CONTROL_POLICY": PolicyType.RCP,
}


@dataclass
class _Located:
    document: Any
    file: SourceFile
    positions: dict[str, Position]
    """Relative pointers ("" = the document) → where they were written in `file`."""
    kind: str
    expr: Expr
    label: str | None = None


class PolicyReader:
    """Reads every policy of one module into sources and errors."""

    def __init__(
        self,
        module: Module,
        display: Callable[[Path], str],
        policy_type: PolicyType | None,
    ) -> None:
        self.module = module
        self.display = display
        self.policy_type = policy_type
        self.ev = Evaluator(module)
        self.ev.policy_document = self._document_value
        self.sources: list[PolicySource] = []
        self.errors: list[InputError] = []
        self._seen_errors: set[tuple[str | None, int | None, str]] = set()
        self._documents: dict[str, tuple[Any, dict[str, int]] | PolicyProblem] = {}
        self._building: set[str] = set()
        self._document_usage: dict[str, Usage] = {}

    # -- driving

    def read(self) -> None:
        for block in self.module.blocks:
            try:
                if block.type == "resource" and len(block.labels) == 2:
                    self.resource(block)
                elif block.type == "module" and len(block.labels) == 1:
                    self.module_call(block)
            except RecursionError:
                self.error(
                    PolicyProblem(
                        "expressions are nested too deeply to evaluate", block.file, block.start
                    ),
                    ".".join(block.labels),
                )

    def error(self, problem: PolicyProblem, address: str) -> None:
        file = problem.file
        where = (
            file.position(problem.offset)
            if file is not None and problem.offset is not None
            else None
        )
        shown = file.shown if file is not None else None
        message = f"{address}: {problem.message}"
        key = (shown, where.line if where else None, message)
        if key in self._seen_errors:
            return
        self._seen_errors.add(key)
        self.errors.append(
            InputError(
                shown, message, where.line if where else None, where.column if where else None
            )
        )

    def resource(self, block: Block) -> None:
        kind, label = block.labels
        address = f"{kind}.{label}"
        base = f"/resource/{pointer_token(kind)}/{pointer_token(label)}"
        if kind == "aws_lambda_permission":
            self.guarded(address, lambda_permission, self, block, address, base)
            return
        if kind == "aws_organizations_policy":
            self.guarded(address, self.organizations_policy, block, address, base)
            return
        for name, policy_type in POLICY_ATTRIBUTES.get(kind, ()):
            attribute = block.body.attributes.get(name)
            if attribute is not None:
                pointer = f"{base}/{pointer_token(name)}"
                self.guarded(address, self.policy, attribute, pointer, address, policy_type)
        if kind == "aws_iam_role":
            dynamic = block.dynamic("inline_policy")
            if dynamic is not None:
                self.error(dynamic_problem(dynamic), address)
            for index, inline in enumerate(block.body.blocks_of("inline_policy")):
                inline_policy = inline.body.attributes.get("policy")
                if inline_policy is None:
                    continue
                inline_name = self._literal_name(inline)
                inline_pointer = f"{base}/inline_policy/{index}/policy"
                self.guarded(
                    address,
                    self.policy,
                    inline_policy,
                    inline_pointer,
                    address,
                    _I,
                    name=inline_name,
                )

    def module_call(self, block: Block) -> None:
        """A policy document handed to a child module: analyzed as what it looks like."""
        address = f"module.{block.labels[0]}"
        for attribute in block.body.attributes.values():
            label = document_label(attribute.expr)
            if label is not None and (DOC_TYPE, label) in self.module.data:
                self.guarded(address, self.policy, attribute, "", address, None)

    def guarded(self, address: str, action: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        try:
            action(*args, **kwargs)
        except PolicyProblem as problem:
            self.error(problem, address)

    def _literal_name(self, block: Block) -> str | None:
        attribute = block.body.attributes.get("name")
        if attribute is None:
            return None
        value = self.ev.eval(attribute.expr)
        return value if isinstance(value, str) and not is_marker(value) else None

    # -- one policy argument

    def policy(
        self,
        attribute: Attribute,
        pointer: str,
        address: str,
        policy_type: PolicyType | None,
        *,
        name: str | None = None,
    ) -> None:
        with self.ev.track() as usage:
            located = self.locate(attribute.expr, 0)
        document = located.document
        if not isinstance(document, dict) or "Statement" not in document:
            if is_marker(document):
                raise PolicyProblem(
                    f"the policy is only known when Terraform runs: {self._reason(document)}",
                    attribute.file,
                    attribute.expr.start,
                )
            raise PolicyProblem(
                f"the {attribute.name} argument holds {describe_json(document)}, not a policy "
                "document",
                attribute.file,
                attribute.expr.start,
            )
        statements = document["Statement"]
        if is_marker(statements):
            raise PolicyProblem(
                f"the statements are only known when Terraform runs: {self._reason(statements)}",
                located.expr.file,
                located.expr.start,
            )
        if located.kind == "data":
            pointer = f"/data/{DOC_TYPE}/{pointer_token(located.label or '')}"
        kind = policy_type or auto_policy_type(document)
        resolved = self.policy_type or kind
        complete_positions(located.positions, document)
        absolute = {pointer + rel: pos for rel, pos in located.positions.items()}
        absolute.setdefault(
            "", located.positions.get("", located.file.position(located.expr.start))
        )
        policy = IacPolicy(
            pointer=pointer,
            resource=address,
            policy_type=resolved,
            document=document,
            positions=MappingProxyType(absolute),
            unknowns=self.module.values.used_in(document),
            name=name,
        )
        source = policy.to_source(located.file.shown, owner=self.module.owner, origin="terraform")
        self.sources.append(source)
        remember(source, self._form(located, attribute, usage))

    def _reason(self, marker: Any) -> str:
        return self.module.values.reasons.get(str(marker), "unknown value")

    def _form(self, located: _Located, attribute: Attribute, usage: Usage) -> PolicyForm:
        expr = located.expr
        if located.kind == "data":
            block = self.module.data[(DOC_TYPE, located.label or "")]
            start, end, path = block.start, block.end, block.file.path
        else:
            start, end, path = attribute.expr.start, attribute.expr.end, attribute.file.path
        heredoc = expr.heredoc if isinstance(expr, Template) and located.kind == "heredoc" else None
        return PolicyForm(
            kind=located.kind,
            attribute=attribute.name,
            path=path,
            start=start,
            end=end,
            literal=located.expr is attribute.expr and is_literal(expr),
            heredoc=heredoc,
            trim=isinstance(expr, Template) and expr.trim,
            usage=usage,
            caller_declared=self.module.caller_identity_label(),
            expressions=MappingProxyType(self.module.expressions),
            references=MappingProxyType(self.module.references),
            label=located.label,
        )

    def locate(self, expr: Expr, depth: int) -> _Located:
        """The document an expression yields, following locals/variables to where it is written."""
        if depth > 32:
            raise PolicyProblem("the policy refers to itself", expr.file, expr.start)
        if isinstance(expr, Call) and expr.name == "jsonencode" and len(expr.args) == 1:
            value = self.ev.eval(expr.args[0])
            walker = Walker(self.ev, expr.file)
            walker.walk(expr.args[0], value, "")
            walker.positions[""] = expr.file.position(expr.start)
            return _Located(value, expr.file, walker.positions, "jsonencode", expr)
        if isinstance(expr, Template):
            if len(expr.parts) == 1 and isinstance(expr.parts[0], Interp) and expr.heredoc is None:
                return self.locate(expr.parts[0].expr, depth + 1)
            kind = "heredoc" if expr.heredoc else "string"
            text, origins = template_text(self.ev, expr, None, json_context=True)
            return self._json_text(text, origins, expr.file, expr, kind, "the policy")
        if isinstance(expr, Call) and expr.name in ("file", "templatefile") and expr.args:
            return self._from_file(expr)
        if isinstance(expr, Traversal):
            label = document_label(expr)
            if label is not None and (DOC_TYPE, label) in self.module.data:
                document, locs = self.document(label, expr)
                block = self.module.data[(DOC_TYPE, label)]
                positions = {rel: block.file.position(off) for rel, off in locs.items()}
                return _Located(document, block.file, positions, "data", expr, label)
            path = expr.root_path()
            if (
                len(path) == 2
                and len(expr.steps) == 1
                and path[0] == "local"
                and path[1] in self.module.locals
            ):
                return self.locate(self.module.locals[path[1]].expr, depth + 1)
            if len(path) == 2 and len(expr.steps) == 1 and path[0] == "var":
                default = self.ev.variable_expr(path[1])
                if default is not None:
                    return self.locate(default, depth + 1)
        if isinstance(expr, Conditional):
            condition = self.ev.eval(expr.condition)
            if isinstance(condition, bool):
                return self.locate(expr.then if condition else expr.other, depth + 1)
        value = self.ev.eval(expr)
        if isinstance(value, str) and not is_marker(value):
            origins = [expr.start] * len(value)
            return self._json_text(value, origins, expr.file, expr, "expression", expr.text)
        walker = Walker(self.ev, expr.file)
        walker.fill("", value, expr.start)
        return _Located(value, expr.file, walker.positions, "expression", expr)

    def _json_text(
        self, text: str, origins: list[int], file: SourceFile, expr: Expr, kind: str, what: str
    ) -> _Located:
        if not text.strip():
            raise PolicyProblem(
                f"{what} is an empty string, not a policy document", file, expr.start
            )
        try:
            parsed = parse_json(text)
        except JsonSyntaxError as exc:
            offset = _Lines(text).offset(Position(exc.line, exc.column))
            origin = origins[min(offset, len(origins) - 1)] if origins else expr.start
            raise PolicyProblem(f"invalid JSON in {what}: {exc.message}", file, origin) from None
        lines = _Lines(text)
        last = origins[-1] if origins else expr.start
        positions: dict[str, Position] = {}
        for rel, pos in parsed.positions.items():
            offset = lines.offset(pos)
            positions[rel] = file.position(origins[offset] if offset < len(origins) else last)
        return _Located(parsed.value, file, positions, kind, expr)

    def _from_file(self, expr: Call) -> _Located:
        path_value = self.ev.eval(expr.args[0])
        path, text = self.ev.read_file(expr, path_value)
        json_file = SourceFile(path, self.display(path), text)
        what = f"the file {path_value}"
        if expr.name == "file":
            return self._json_text(text, list(range(len(text))), json_file, expr, "file", what)
        variables = self.ev.eval(expr.args[1]) if len(expr.args) > 1 else {}
        if not isinstance(variables, dict):
            raise PolicyProblem(
                "the variables of templatefile() are only known when Terraform runs",
                expr.file,
                expr.args[1].start,
            )
        try:
            parts = parse_template(text, range(len(text)), json_file)
        except Exception as exc:  # HclError in the template file
            offset = getattr(exc, "offset", 0)
            raise PolicyProblem(
                f"in {what}: {getattr(exc, 'message', exc)}", json_file, offset
            ) from None
        template = Template(json_file, 0, len(text), parts, heredoc="templatefile")
        rendered, origins = template_text(self.ev, template, variables, json_context=True)
        return self._json_text(rendered, origins, json_file, expr, "templatefile", what)

    # -- data "aws_iam_policy_document"

    def _document_value(self, label: str, expr: Expr) -> Any:
        return self.document(label, expr)[0]

    def document(self, label: str, expr: Expr) -> tuple[Any, dict[str, int]]:
        """The merged document of a policy-document data block and where each part was written."""
        cached = self._documents.get(label)
        if isinstance(cached, PolicyProblem):
            raise cached
        if cached is not None:
            self.ev.replay(self._document_usage[label])
            return cached
        if label in self._building:
            raise PolicyProblem(
                f"data.{DOC_TYPE}.{label} includes itself through its source or override documents",
                expr.file,
                expr.start,
            )
        self._building.add(label)
        try:
            with self.ev.track() as usage:
                result = DocumentBuilder(self, self.module.data[(DOC_TYPE, label)]).build()
            self._document_usage[label] = usage
            self.ev.replay(usage)
        except PolicyProblem as problem:
            self._documents[label] = problem
            raise
        finally:
            self._building.discard(label)
        self._documents[label] = result
        return result

    # -- aws_lambda_permission / aws_organizations_policy

    def organizations_policy(self, block: Block, address: str, pointer: str) -> None:
        attribute = block.body.attributes.get("content")
        if attribute is None:
            return
        type_attribute = block.body.attributes.get("type")
        kind: Any = (
            self.ev.eval(type_attribute.expr) if type_attribute else "SERVICE_CONTROL_POLICY"
        )
        if is_marker(kind) or not isinstance(kind, str):
            assert type_attribute is not None
            raise PolicyProblem(
                "the policy type is only known when Terraform runs, so it cannot be analyzed",
                block.file,
                type_attribute.expr.start,
            )
        policy_type = _ORG_TYPES.get(kind)
        if policy_type is None:
            return  # tag, backup, AI opt-out and chatbot policies are not IAM policies
        self.policy(attribute, f"{pointer}/content", address, policy_type)


def is_literal(expr: Expr) -> bool:
    """Only literal values (no references or calls): safe to replace with the fixed text."""
    if isinstance(expr, Call):
        return expr.name == "jsonencode" and len(expr.args) == 1 and is_literal(expr.args[0])
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Literal):
            continue
        if isinstance(node, Template):
            if not all(isinstance(p, Chunk) for p in node.parts):
                return False
        elif isinstance(node, TupleExpr):
            stack.extend(node.items)
        elif isinstance(node, ObjectExpr):
            for item in node.items:
                stack.extend((item.key, item.value))
        else:
            return False
    return True
