"""Read the policies of a `terraform show -json` plan.

A plan holds every module's planned resource values, with policies already rendered to JSON
strings; positions map into those strings (`policy_files`' embedded-JSON helpers), so a finding
points at the character in the plan file. Values Terraform only learns at apply are absent from
the plan and flagged in `resource_changes[].change.after_unknown`: they become unknown markers,
or an error when the whole policy is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from deputyguard.analysis.model import InputError
from deputyguard.policy.jsontext import JsonDocument, JsonSyntaxError, Position, parse_json
from deputyguard.policy.model import PolicyType
from deputyguard.policy.parse import pointer_token
from deputyguard.sources.iac import SYMBOLIC_OWNER, IacPolicy, UnknownValues
from deputyguard.sources.policy_files import (
    EmbeddedJsonError,
    PolicySource,
    _Lines,
    describe_json,
    parse_embedded,
)
from deputyguard.sources.terraform.forms import PolicyForm, remember
from deputyguard.sources.terraform.lambda_permission import (
    LAMBDA_CONDITIONS,
    function_arn,
    lambda_principal,
)
from deputyguard.sources.terraform.policy import POLICY_ATTRIBUTES

__all__ = ["looks_like_terraform_plan", "read_terraform_plan"]

_SUPPORTED_MAJOR: Final = 1
_ORG_TYPES: Final = {
    "SERVICE_CONTROL_POLICY": PolicyType.SCP,
    "RESOURCE_CONTROL_POLICY": PolicyType.RCP,
}


def looks_like_terraform_plan(value: object) -> bool:
    """Decoded JSON that is `terraform show -json` output (a plan, or a state: read alike)."""
    return (
        isinstance(value, dict)
        and "format_version" in value
        and ("planned_values" in value or "terraform_version" in value)
    )


def read_terraform_plan(
    shown: str, text: str, *, owner: str, policy_type: PolicyType | None = None
) -> tuple[list[PolicySource], list[InputError]]:
    """Every policy in the plan's planned values, root module and child modules alike.

    When `owner` is the symbolic owner and the plan read `data.aws_caller_identity`, the account
    it read is the owner: the plan's ARNs already name that account.
    """
    try:
        parsed = parse_json(text)
    except JsonSyntaxError as exc:
        return [], [InputError(shown, f"invalid JSON: {exc.message}", exc.line, exc.column)]
    plan = parsed.value
    if not looks_like_terraform_plan(plan):
        return [], [
            InputError(shown, f"not a Terraform plan: the file holds {describe_json(plan)}", 1, 1)
        ]
    version = plan.get("format_version")
    major = _major(version)
    at = parsed.positions.get("/format_version", Position(1, 1))
    if major is None:
        return [], [
            InputError(shown, f"unrecognized plan format version {version!r}", at.line, at.column)
        ]
    if major > _SUPPORTED_MAJOR:
        message = f"plan format version {version} is newer than the supported {_SUPPORTED_MAJOR}.x"
        return [], [InputError(shown, message, at.line, at.column)]
    if owner == SYMBOLIC_OWNER:
        owner = _caller_account(plan) or owner
    reader = _PlanReader(shown, text, parsed, owner, policy_type)
    reader.read()
    return reader.sources, reader.errors


def _major(version: object) -> int | None:
    if not isinstance(version, str):
        return None
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _modules(root: object, pointer: str) -> list[tuple[dict[str, Any], str]]:
    """Every module of a `values` tree with its pointer, parents first (no recursion)."""
    found: list[tuple[dict[str, Any], str]] = []
    stack = [(root, pointer)]
    while stack:
        module, at = stack.pop()
        if not isinstance(module, dict):
            continue
        found.append((module, at))
        children = module.get("child_modules")
        if isinstance(children, list):
            stack.extend(
                (child, f"{at}/child_modules/{i}")
                for i, child in reversed(list(enumerate(children)))
            )
    return found


def _caller_account(plan: dict[str, Any]) -> str | None:
    for section in ("prior_state", "planned_values"):
        holder = plan.get(section)
        values = holder.get("values", holder) if isinstance(holder, dict) else None
        root = values.get("root_module") if isinstance(values, dict) else None
        for module, _ in _modules(root, ""):
            for resource in module.get("resources") or ():
                if isinstance(resource, dict) and resource.get("type") == "aws_caller_identity":
                    account = (resource.get("values") or {}).get("account_id")
                    if isinstance(account, str) and account.isdigit() and len(account) == 12:
                        return account
    return None


class _PlanReader:
    def __init__(
        self,
        shown: str,
        text: str,
        parsed: JsonDocument,
        owner: str,
        policy_type: PolicyType | None,
    ) -> None:
        self.shown = shown
        self.text = text
        self.parsed = parsed
        self.owner = owner
        self.policy_type = policy_type
        self.lines = _Lines(text)
        self.values = UnknownValues()
        self.sources: list[PolicySource] = []
        self.errors: list[InputError] = []
        self.after_unknown: dict[str, Any] = {}
        for change in parsed.value.get("resource_changes") or ():
            if isinstance(change, dict) and isinstance(change.get("change"), dict):
                self.after_unknown[str(change.get("address"))] = change["change"].get(
                    "after_unknown"
                )

    def fail(self, message: str, pointer: str) -> None:
        where = self.parsed.positions.get(pointer)
        self.errors.append(
            InputError(
                self.shown, message, where.line if where else None, where.column if where else None
            )
        )

    def read(self) -> None:
        """Planned values; for `terraform show -json` of a state, its current values."""
        section = "planned_values" if "planned_values" in self.parsed.value else "values"
        planned = self.parsed.value.get(section)
        root = planned.get("root_module") if isinstance(planned, dict) else None
        for module, at in _modules(root, f"/{section}/root_module"):
            resources = module.get("resources")
            if not isinstance(resources, list):
                continue
            for index, resource in enumerate(resources):
                if isinstance(resource, dict) and resource.get("mode", "managed") == "managed":
                    self.resource(resource, f"{at}/resources/{index}")

    def resource(self, resource: dict[str, Any], pointer: str) -> None:
        kind = resource.get("type")
        address = str(resource.get("address", kind))
        values = resource.get("values")
        if not isinstance(kind, str) or not isinstance(values, dict):
            return
        unknown = self.after_unknown.get(address)
        unknown = unknown if isinstance(unknown, dict) else {}
        base = f"{pointer}/values"
        if kind == "aws_lambda_permission":
            self.lambda_permission(values, unknown, address, pointer)
            return
        if kind == "aws_organizations_policy":
            policy_kind = _ORG_TYPES.get(values.get("type") or "SERVICE_CONTROL_POLICY")
            if unknown.get("type") is True:
                self.fail(f"{address}: the policy type is only known after apply", pointer)
            elif policy_kind is not None:
                self.policy(values, unknown, "content", base, address, policy_kind)
            return
        for name, policy_type in POLICY_ATTRIBUTES.get(kind, ()):
            self.policy(values, unknown, name, base, address, policy_type)
        inline = values.get("inline_policy")
        if kind == "aws_iam_role" and isinstance(inline, list):
            flags = unknown.get("inline_policy")
            for index, block in enumerate(inline):
                if not isinstance(block, dict):
                    continue
                block_unknown = (
                    flags[index] if isinstance(flags, list) and index < len(flags) else {}
                )
                inline_name = block.get("name")
                self.policy(
                    block,
                    block_unknown if isinstance(block_unknown, dict) else {},
                    "policy",
                    f"{base}/inline_policy/{index}",
                    address,
                    PolicyType.IDENTITY,
                    label=inline_name if isinstance(inline_name, str) and inline_name else None,
                )

    def policy(
        self,
        values: dict[str, Any],
        unknown: Mapping[str, Any],
        name: str,
        base: str,
        address: str,
        policy_type: PolicyType,
        *,
        label: str | None = None,
    ) -> None:
        pointer = f"{base}/{pointer_token(name)}"
        raw = values.get(name)
        if unknown.get(name) is True:
            self.fail(
                f"{address}: the {name} argument is only known after apply; check the Terraform "
                "configuration directory instead",
                base,
            )
            return
        if raw is None or raw == "":
            return
        if not isinstance(raw, str):
            self.fail(
                f"{address}: {name} is {describe_json(raw)}, not a policy JSON string", pointer
            )
            return
        try:
            inner, positions = parse_embedded(
                self.text, self.lines, self.parsed.positions, pointer, raw
            )
        except EmbeddedJsonError as exc:
            message = f"{address}: invalid JSON in the {name} string: {exc.message}"
            self.errors.append(InputError(self.shown, message, exc.at.line, exc.at.column))
            return
        document = inner.value
        if not isinstance(document, dict) or "Statement" not in document:
            self.fail(
                f"{address}: the {name} string holds {describe_json(document)}, not a policy",
                pointer,
            )
            return
        self.add(pointer, address, self.policy_type or policy_type, document, positions, label)

    def add(
        self,
        pointer: str,
        address: str,
        policy_type: PolicyType,
        document: Any,
        positions: Mapping[str, Position],
        name: str | None,
    ) -> None:
        policy = IacPolicy(
            pointer=pointer,
            resource=address,
            policy_type=policy_type,
            document=document,
            positions=positions,
            unknowns=self.values.used_in(document),
            name=name,
        )
        source = policy.to_source(self.shown, owner=self.owner, origin="terraform")
        self.sources.append(source)
        remember(
            source,
            PolicyForm(
                kind="plan",
                attribute=pointer.rsplit("/", 1)[-1],
                path=None,
                start=0,
                end=0,
                literal=False,
            ),
        )

    def lambda_permission(
        self, values: dict[str, Any], unknown: Mapping[str, Any], address: str, pointer: str
    ) -> None:
        """The statement Lambda's AddPermission writes (see policy.lambda_permission)."""
        base = f"{pointer}/values"
        resolved: dict[str, Any] = {}
        for name in (
            "statement_id",
            "action",
            "principal",
            "function_name",
            "qualifier",
            *LAMBDA_CONDITIONS,
        ):
            if unknown.get(name) is True:
                resolved[name] = self.values.marker(
                    f"{address}.{name} is only known after apply (plan)"
                )
            elif values.get(name) not in (None, ""):
                resolved[name] = values[name]
        if not all(n in resolved for n in ("action", "principal", "function_name")):
            self.fail(
                f"{address}: aws_lambda_permission without action, principal or function_name",
                pointer,
            )
            return
        resource_pos = self.parsed.positions.get(pointer, Position(1, 1))

        def at(name: str) -> Position:
            return self.parsed.positions.get(f"{base}/{name}", resource_pos)

        def key(name: str) -> Position:
            return self.parsed.positions.get(f"{base}/{name}#key", resource_pos)

        statement: dict[str, Any] = {}
        positions: dict[str, Position] = {
            pointer: resource_pos,
            f"{pointer}/Statement": resource_pos,
        }
        s = f"{pointer}/Statement/0"
        positions[s] = resource_pos
        if isinstance(resolved.get("statement_id"), str):
            statement["Sid"] = resolved["statement_id"]
            positions[f"{s}/Sid"], positions[f"{s}/Sid#key"] = (
                at("statement_id"),
                key("statement_id"),
            )
        statement["Effect"] = "Allow"
        principal = lambda_principal(resolved["principal"])
        statement["Principal"] = principal
        positions[f"{s}/Principal"], positions[f"{s}/Principal#key"] = (
            at("principal"),
            key("principal"),
        )
        if isinstance(principal, dict):
            for member in principal:
                positions[f"{s}/Principal/{member}"] = at("principal")
        statement["Action"] = resolved["action"]
        positions[f"{s}/Action"], positions[f"{s}/Action#key"] = at("action"), key("action")
        statement["Resource"] = function_arn(
            resolved["function_name"], resolved.get("qualifier"), self.owner
        )
        positions[f"{s}/Resource"], positions[f"{s}/Resource#key"] = (
            at("function_name"),
            key("function_name"),
        )
        condition: dict[str, dict[str, Any]] = {}
        for name, (test, cond_key) in LAMBDA_CONDITIONS.items():
            if name in resolved:
                condition.setdefault(test, {})[cond_key] = resolved[name]
                positions.setdefault(f"{s}/Condition", at(name))
                positions.setdefault(f"{s}/Condition/{test}", at(name))
                positions[f"{s}/Condition/{test}/{pointer_token(cond_key)}"] = at(name)
                positions[f"{s}/Condition/{test}/{pointer_token(cond_key)}#key"] = key(name)
        if condition:
            statement["Condition"] = condition
        document = {"Version": "2012-10-17", "Statement": [statement]}
        self.add(
            pointer,
            address,
            self.policy_type or PolicyType.RESOURCE,
            document,
            MappingProxyType(positions),
            None,
        )
