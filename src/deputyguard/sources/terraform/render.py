"""Print a fixed policy as the HCL the user pastes in place of the original, and rewrite files
where the original is plain literal text.

The printed form follows the original: `jsonencode({...})`, a heredoc, a whole
`data "aws_iam_policy_document"` block or a whole `aws_lambda_permission` block. Values the
reader resolved are written back as the expressions they came from: the deploying account as
`data.aws_caller_identity.<name>.account_id` when the original used it (or when the owner is only
symbolic), and each unknown value as the expression it stood for.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from deputyguard.sources.iac import SYMBOLIC_OWNER, SYMBOLIC_REGION, UNKNOWN_PATTERN, RewriteError
from deputyguard.sources.policy_files import PolicySource
from deputyguard.sources.terraform.forms import PolicyForm, form_of
from deputyguard.sources.terraform.hcl import parse_hcl
from deputyguard.sources.terraform.lambda_permission import (
    LAMBDA_CONDITIONS,
    lambda_arguments,
    single_value,
)
from deputyguard.sources.terraform.nodes import (
    Attribute,
    Block,
    Body,
    Call,
    HclError,
    SourceFile,
    Template,
)
from deputyguard.sources.terraform.policy import is_literal
from deputyguard.sources.terraform.values import PARTITION

__all__ = ["render_fix", "rewrite_terraform"]

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RESERVED: Final = frozenset(
    {"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"}
)
_STATEMENT_KEYS: Final = frozenset(
    {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
)
_INLINE_WIDTH: Final = 72

Segments = list[tuple[bool, str]]
"""A string as literal text (False) and HCL expressions (True)."""


def render_fix(source: PolicySource, fixed: Any) -> str:
    """The HCL to paste in place of the policy `source` was read from (RewriteError when the
    fixed policy cannot be written in that form)."""
    form = form_of(source) or _form_from_file(source) or _default_form(source)
    renderer = _Renderer(source, form, literal=False)
    try:
        if form.kind == "data":
            text = renderer.data_block(fixed, form.label or _last_token(source.pointer))
        elif form.kind == "lambda":
            text = renderer.lambda_block(fixed, form.label or _last_token(source.pointer))
        else:
            attribute = form.attribute or _attribute_name(source.pointer)
            value = (
                renderer.heredoc(fixed, "")
                if form.kind == "heredoc"
                else renderer.jsonencode(fixed, "")
            )
            text = f"{attribute} = {value}"
    except RecursionError:
        raise RewriteError("the fixed policy is nested too deeply to print") from None
    return renderer.preamble(top_level=form.kind in ("data", "lambda")) + text + "\n"


def rewrite_terraform(path: Path, changes: Sequence[tuple[PolicySource, Any]]) -> tuple[str, str]:
    """The file's text before and after replacing each policy's text span with its fix.

    Only a policy written as literal heredoc JSON or `jsonencode` of literal values (or a JSON
    file read with `file()`) is replaced, and nothing else in the file changes; anything built
    from expressions raises RewriteError asking the user to paste the printed HCL instead.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RewriteError(f"cannot read {path}: {exc}") from None
    for source, _ in changes:
        if source.pointer.startswith(("/planned_values", "/values")):
            what = source.resource or source.pointer
            raise RewriteError(
                f"{what}: a plan cannot be rewritten; fix the Terraform configuration instead"
            )
    name = path.name.lower()
    if name.endswith((".tf.json", ".tfvars", ".tfvars.json")):
        # Terraform JSON and variable definitions are not where the printed HCL goes, and a
        # .json suffix must not send them to the whole-file rewrite of policy files below.
        owner = (changes[0][0].resource if changes else None) or str(path)
        kind = (
            "Terraform JSON syntax" if name.endswith(".tf.json") else "a variable definitions file"
        )
        raise RewriteError(
            f"{owner}: the policy is written in {kind} ({path}), which is not rewritten "
            "in place; change it as the printed HCL shows"
        )
    forms = [form_of(source) for source, _ in changes]
    if path.suffix.lower() == ".json" or any(
        f is not None and f.kind in ("file", "templatefile") for f in forms
    ):
        return _rewrite_json_file(path, text, changes)
    file = SourceFile(path, str(path), text)
    try:
        body = parse_hcl(file)
    except HclError as exc:
        where = file.position(exc.offset)
        raise RewriteError(f"{path} line {where.line}: {exc.message}") from None
    has_caller = next(
        (b.labels[1] for b in body.blocks_of("data") if b.labels[:1] == ("aws_caller_identity",)),
        None,
    )
    edits: list[tuple[int, int, str]] = []
    for source, fixed in changes:
        what = source.resource or source.pointer
        attribute = _find(body, source.pointer)
        if not isinstance(attribute, Attribute):
            raise RewriteError(
                f"{what}: the policy is not written as a literal in {path}; paste the printed HCL "
                "in its place instead"
            )
        expr = attribute.expr
        literal = is_literal(expr)
        heredoc = isinstance(expr, Template) and expr.heredoc is not None
        jsonencode = isinstance(expr, Call) and expr.name == "jsonencode"
        if not literal or not (heredoc or jsonencode):
            raise RewriteError(
                f"{what}: its policy is built from expressions, not only literal values, so it "
                "cannot be replaced in place; paste the printed HCL in its place instead"
            )
        form = form_of(source) or PolicyForm(
            kind="", attribute=attribute.name, path=path, start=0, end=0, literal=True
        )
        renderer = _Renderer(source, form, literal=True, caller=has_caller)
        indent = _indent_at(text, attribute.start)
        try:
            if isinstance(expr, Template) and expr.heredoc is not None:
                replacement = renderer.heredoc(fixed, indent, marker=expr.heredoc, trim=expr.trim)
            else:
                replacement = renderer.jsonencode(fixed, indent)
        except RecursionError:
            raise RewriteError(f"{what}: the fixed policy is nested too deeply to print") from None
        edits.append((expr.start, expr.end, replacement))
    edits.sort()
    for (_, end, _), (start, _, _) in itertools.pairwise(edits):
        if start < end:
            raise RewriteError(f"{path}: two fixes change the same policy")
    after = text
    for start, end, replacement in reversed(edits):
        after = after[:start] + replacement + after[end:]
    return text, after


def _rewrite_json_file(
    path: Path, text: str, changes: Sequence[tuple[PolicySource, Any]]
) -> tuple[str, str]:
    """A policy read with file(): the whole file is the policy."""
    if len(changes) != 1:
        raise RewriteError(f"{path}: {len(changes)} fixes for one policy file")
    source, fixed = changes[0]
    form = form_of(source)
    if form is not None and form.kind != "file":
        raise RewriteError(
            f"{path}: the policy is a template, not literal JSON; paste the printed HCL instead"
        )
    if _has_marker(fixed):
        raise RewriteError(f"{path}: the fixed policy holds values only known when Terraform runs")
    if source.owner == SYMBOLIC_OWNER and SYMBOLIC_OWNER in json.dumps(fixed):
        raise RewriteError(
            f"{path}: the fix names the deploying account, which is not known; run with --account"
        )
    return text, json.dumps(fixed, indent=2, ensure_ascii=False) + "\n"


# -- finding what was written ---------------------------------------------------------------------


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _last_token(pointer: str) -> str:
    tokens = _tokens(pointer)
    return tokens[-1] if tokens else "policy"


def _attribute_name(pointer: str) -> str:
    tokens = _tokens(pointer)
    return tokens[-1] if len(tokens) >= 4 and tokens[0] == "resource" else "policy"


def _find(body: Body, pointer: str) -> Attribute | Block | None:
    """What a Terraform-JSON-style pointer names in a parsed file."""
    tokens = _tokens(pointer)
    if len(tokens) < 3 or tokens[0] not in ("resource", "data"):
        return None
    block = next(
        (b for b in body.blocks_of(tokens[0]) if b.labels == (tokens[1], tokens[2])),
        None,
    )
    if block is None or len(tokens) == 3:
        return block
    rest = tokens[3:]
    if len(rest) == 1:
        return block.body.attributes.get(rest[0])
    if len(rest) == 3 and rest[1].isdigit():
        nested = list(block.body.blocks_of(rest[0]))
        index = int(rest[1])
        return nested[index].body.attributes.get(rest[2]) if index < len(nested) else None
    return None


def _form_from_file(source: PolicySource) -> PolicyForm | None:
    """Without the reader's record, look at the file itself (when it can be opened)."""
    path = Path(source.file)
    if not path.is_file() or path.suffix.lower() == ".json":
        return None
    try:
        text = path.read_text(encoding="utf-8")
        body = parse_hcl(SourceFile(path, source.file, text))
    except (OSError, UnicodeDecodeError, HclError):
        return None
    found = _find(body, source.pointer)
    caller = next(
        (b.labels[1] for b in body.blocks_of("data") if b.labels[:1] == ("aws_caller_identity",)),
        None,
    )
    if isinstance(found, Block):
        kind = "data" if found.type == "data" else "lambda"
        kept = tuple(
            text[a.start : a.end]
            for n, a in found.body.attributes.items()
            if n not in ("statement_id", "action", "principal", *LAMBDA_CONDITIONS)
        )
        return PolicyForm(
            kind=kind,
            attribute="",
            path=path,
            start=found.start,
            end=found.end,
            literal=False,
            caller_declared=caller,
            label=found.labels[-1],
            kept=kept,
        )
    if isinstance(found, Attribute):
        expr = found.expr
        kind = "heredoc" if isinstance(expr, Template) and expr.heredoc else "jsonencode"
        heredoc = expr.heredoc if isinstance(expr, Template) else None
        trim = isinstance(expr, Template) and expr.trim
        return PolicyForm(
            kind=kind,
            attribute=found.name,
            path=path,
            start=expr.start,
            end=expr.end,
            literal=is_literal(expr),
            heredoc=heredoc,
            trim=trim,
            caller_declared=caller,
        )
    return None


def _default_form(source: PolicySource) -> PolicyForm:
    tokens = _tokens(source.pointer)
    if tokens[:2] == ["data", "aws_iam_policy_document"]:
        kind = "data"
    elif tokens[:2] == ["resource", "aws_lambda_permission"]:
        kind = "lambda"
    else:
        kind = "jsonencode"
    return PolicyForm(
        kind=kind,
        attribute=_attribute_name(source.pointer),
        path=None,
        start=0,
        end=0,
        literal=False,
        label=tokens[2] if len(tokens) > 2 else None,
    )


def _indent_at(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _has_marker(value: Any) -> bool:
    return UNKNOWN_PATTERN.search(json.dumps(value)) is not None


# -- printing -------------------------------------------------------------------------------------


class _Renderer:
    """Prints values as HCL/JSON text, writing resolved values back as expressions."""

    def __init__(
        self, source: PolicySource, form: PolicyForm, *, literal: bool, caller: str | None = None
    ) -> None:
        self.source = source
        self.form = form
        self.owner = source.owner
        self.literal = literal
        usage = form.usage
        declared = form.caller_declared or caller
        symbolic = self.owner == SYMBOLIC_OWNER
        # The owner is written as the caller-identity expression when the original used it,
        # and always when it is only symbolic (a made-up account id must never be written).
        self.caller = usage.caller if not literal else None
        if self.caller is None and symbolic and (declared is not None or not literal):
            self.caller = declared or "current"
        self.needs_caller_block = self.caller is not None and declared is None
        self.region = None if literal else usage.region
        self.partition = None if literal else usage.partition
        self.references = {} if literal else dict(form.references)

    def preamble(self, *, top_level: bool) -> str:
        if not self.needs_caller_block:
            return ""
        if top_level:
            return f'data "aws_caller_identity" "{self.caller}" {{}}\n\n'
        return f'# add to the module: data "aws_caller_identity" "{self.caller}" {{}}\n'

    # -- strings with expressions

    def segments(self, text: str) -> Segments:
        """`text` split into literal parts and the expressions that produce the rest."""
        patterns: list[tuple[str, str]] = []
        for match in UNKNOWN_PATTERN.finditer(text):
            expression = self.form.expressions.get(match.group(0))
            if expression is None:
                raise RewriteError(
                    "the fixed policy holds a value only known when Terraform runs whose "
                    "expression is not recorded; edit the policy by hand"
                )
            patterns.append((re.escape(match.group(0)), _unwrap(expression)))
        for value in sorted(self.references, key=len, reverse=True):
            if value in text:
                patterns.append((re.escape(value), self.references[value]))
        if self.owner and self.caller is not None:
            patterns.append(
                (
                    rf"(?<![0-9]){re.escape(self.owner)}(?![0-9])",
                    f"data.aws_caller_identity.{self.caller}.account_id",
                )
            )
        elif self.literal and self.owner == SYMBOLIC_OWNER and SYMBOLIC_OWNER in text:
            raise RewriteError(
                "the fix names the deploying account, which this module does not declare; add "
                'data "aws_caller_identity" "current" {} or run with --account'
            )
        if self.region is not None:
            patterns.append(
                (rf"(?<=:){re.escape(SYMBOLIC_REGION)}(?=:)", f"data.aws_region.{self.region}.name")
            )
        if self.partition is not None:
            patterns.append(
                (rf"(?<=^arn:){PARTITION}(?=:)", f"data.aws_partition.{self.partition}.partition")
            )
        if not patterns:
            return [(False, text)]
        combined = re.compile("|".join(f"({p})" for p, _ in patterns))
        out: Segments = []
        position = 0
        for match in combined.finditer(text):
            index = next(i for i, g in enumerate(match.groups()) if g is not None)
            if match.start() > position:
                out.append((False, text[position : match.start()]))
            out.append((True, patterns[index][1]))
            position = match.end()
        if position < len(text):
            out.append((False, text[position:]))
        return out

    def hcl_string(self, text: str) -> str:
        parts = self.segments(text)
        if len(parts) == 1 and parts[0][0]:
            return parts[0][1]
        return (
            '"' + "".join(f"${{{t}}}" if is_expr else _hcl_escape(t) for is_expr, t in parts) + '"'
        )

    def json_string(self, text: str) -> str:
        out = []
        for is_expr, part in self.segments(text):
            if is_expr:
                out.append(f"${{{part}}}")
            else:
                escaped = json.dumps(part, ensure_ascii=False)[1:-1]
                out.append(escaped.replace("${", "$${").replace("%{", "%%{"))
        return '"' + "".join(out) + '"'

    # -- HCL values

    def hcl(self, value: Any, indent: str) -> str:
        if isinstance(value, dict):
            if not value:
                return "{}"
            inner = indent + "  "
            lines = [f"{inner}{_hcl_key(k)} = {self.hcl(v, inner)}" for k, v in value.items()]
            return "{\n" + "\n".join(lines) + f"\n{indent}}}"
        if isinstance(value, list):
            if not value:
                return "[]"
            items = [self.hcl(v, indent + "  ") for v in value]
            flat = "[" + ", ".join(items) + "]"
            if (
                all(not isinstance(v, dict | list) for v in value)
                and len(flat) + len(indent) <= _INLINE_WIDTH
            ):
                return flat
            return "[\n" + "".join(f"{indent}  {item},\n" for item in items) + f"{indent}]"
        if isinstance(value, str):
            return self.hcl_string(value)
        return json.dumps(value)

    def jsonencode(self, document: Any, indent: str) -> str:
        return f"jsonencode({self.hcl(document, indent)})"

    # -- heredoc JSON

    def json_text(self, value: Any, indent: str) -> str:
        if isinstance(value, dict):
            if not value:
                return "{}"
            inner = indent + "  "
            members = [
                f"{inner}{self.json_key(k)}: {self.json_text(v, inner)}" for k, v in value.items()
            ]
            return "{\n" + ",\n".join(members) + f"\n{indent}}}"
        if isinstance(value, list):
            if not value:
                return "[]"
            inner = indent + "  "
            return (
                "[\n" + ",\n".join(inner + self.json_text(v, inner) for v in value) + f"\n{indent}]"
            )
        if isinstance(value, str):
            return self.json_string(value)
        return json.dumps(value)

    def json_key(self, key: str) -> str:
        return json.dumps(key, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")

    def heredoc(
        self, document: Any, indent: str, *, marker: str | None = None, trim: bool | None = None
    ) -> str:
        marker = marker or self.form.heredoc or "EOF"
        trim = self.form.trim if trim is None else trim
        body_indent = indent + "  " if trim else ""
        body = self.json_text(document, body_indent)
        closing = indent if trim else ""
        return f"<<{'-' if trim else ''}{marker}\n{body_indent}{body}\n{closing}{marker}"

    # -- data "aws_iam_policy_document"

    def data_block(self, document: Any, label: str) -> str:
        if not isinstance(document, dict):
            raise RewriteError("the fixed policy is not a JSON object")
        lines = [f'data "aws_iam_policy_document" {_hcl_label(label)} {{']
        if "Version" in document:
            lines.append(f"  version = {self.hcl(document['Version'], '  ')}")
        if "Id" in document:
            lines.append(f"  policy_id = {self.hcl(document['Id'], '  ')}")
        unknown = set(document) - {"Version", "Id", "Statement"}
        if unknown:
            raise RewriteError(
                f"the fixed policy has {', '.join(sorted(unknown))}, which a policy document "
                "block cannot hold"
            )
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            lines.append("")
            lines.extend(self.statement_block(statement))
        lines.append("}")
        return "\n".join(lines)

    def statement_block(self, statement: Any) -> list[str]:
        if not isinstance(statement, dict):
            raise RewriteError("a fixed statement is not a JSON object")
        extra = set(statement) - _STATEMENT_KEYS
        if extra:
            raise RewriteError(
                f"a statement has {', '.join(sorted(extra))}, which a statement block cannot hold"
            )
        out = ["  statement {"]
        inner = "    "
        if "Sid" in statement:
            out.append(f"{inner}sid = {self.hcl(statement['Sid'], inner)}")
        if "Effect" in statement:
            out.append(f"{inner}effect = {self.hcl(statement['Effect'], inner)}")
        for key, name in (
            ("Action", "actions"),
            ("NotAction", "not_actions"),
            ("Resource", "resources"),
            ("NotResource", "not_resources"),
        ):
            if key in statement:
                out.append(f"{inner}{name} = {self.hcl(_as_list(statement[key]), inner)}")
        for key, name in (("Principal", "principals"), ("NotPrincipal", "not_principals")):
            if key not in statement:
                continue
            principal = statement[key]
            pairs = (
                [("*", ["*"])]
                if principal == "*"
                else list(principal.items())
                if isinstance(principal, dict)
                else None
            )
            if pairs is None:
                raise RewriteError(f"{key} is neither '*' nor an object")
            for kind, identifiers in pairs:
                out.append(f"{inner}{name} {{")
                out.append(f"{inner}  type        = {self.hcl(kind, inner + '  ')}")
                out.append(
                    f"{inner}  identifiers = {self.hcl(_as_list(identifiers), inner + '  ')}"
                )
                out.append(f"{inner}}}")
        condition = statement.get("Condition", {})
        if not isinstance(condition, dict):
            raise RewriteError("Condition is not an object")
        for test, entries in condition.items():
            if not isinstance(entries, dict):
                raise RewriteError(f"Condition {test} is not an object")
            for variable, values in entries.items():
                texts = [v if isinstance(v, str) else json.dumps(v) for v in _as_list(values)]
                out.append(f"{inner}condition {{")
                out.append(f"{inner}  test     = {self.hcl(test, inner + '  ')}")
                out.append(f"{inner}  variable = {self.hcl(variable, inner + '  ')}")
                out.append(f"{inner}  values   = {self.hcl(texts, inner + '  ')}")
                out.append(f"{inner}}}")
        out.append("  }")
        return out

    # -- aws_lambda_permission

    def lambda_block(self, document: Any, label: str) -> str:
        statements = document.get("Statement") if isinstance(document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        if (
            not isinstance(statements, list)
            or len(statements) != 1
            or not isinstance(statements[0], dict)
        ):
            raise RewriteError(
                "aws_lambda_permission holds exactly one statement; the fix has another shape"
            )
        statement = statements[0]
        if (
            statement.get("Effect") != "Allow"
            or "NotPrincipal" in statement
            or "NotAction" in statement
        ):
            raise RewriteError(
                "aws_lambda_permission can only express an Allow with Principal and Action"
            )
        arguments: list[tuple[str, Any]] = []
        if "Sid" in statement:
            arguments.append(("statement_id", statement["Sid"]))
        action = single_value(statement.get("Action"), "Action")
        arguments.append(("action", action))
        principal = statement.get("Principal")
        if isinstance(principal, dict) and len(principal) == 1:
            principal = single_value(next(iter(principal.values())), "Principal")
        elif principal != "*":
            raise RewriteError("aws_lambda_permission takes one principal")
        arguments.append(("principal", principal))
        arguments.extend(lambda_arguments(statement.get("Condition", {})))
        lines = [f'resource "aws_lambda_permission" {_hcl_label(label)} {{']
        kept = list(self.form.kept)
        if not any(k.lstrip().startswith("function_name") for k in kept):
            function = single_value(statement.get("Resource"), "Resource")
            kept.insert(0, f"function_name = {self.hcl(function, '  ')}")
        lines.extend(f"  {k.strip()}" for k in kept)
        lines.extend(f"  {name} = {self.hcl(value, '  ')}" for name, value in arguments)
        lines.append("}")
        return "\n".join(lines)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _unwrap(expression: str) -> str:
    """A recorded expression as it goes inside `${}` (a `"${x}"` template becomes `x`)."""
    match = re.fullmatch(r'"\$\{(.*)\}"', expression.strip(), re.DOTALL)
    return match.group(1).strip() if match else expression.strip()


def _hcl_escape(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    out = out.replace("\t", "\\t").replace("${", "$${").replace("%{", "%%{")
    return "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" for c in out)


def _hcl_key(key: str) -> str:
    if _IDENTIFIER.fullmatch(key) and key not in _RESERVED:
        return key
    return '"' + _hcl_escape(key) + '"'


def _hcl_label(label: str) -> str:
    return '"' + _hcl_escape(label) + '"'
