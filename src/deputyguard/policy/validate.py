"""Semantic validation of a parsed policy for a given policy type (spec §1.11, §1.12, §2–§4, §5.4).

`parse_policy` already reports what is wrong with the JSON shape; this module reports what IAM,
Organizations or IAM Access Analyzer would say about a well-formed document: elements a policy
type forbids or requires, principal and ARN formats, condition operators and keys, policy
variables, sensitive keys, RCP/SCP syntax and the size quota.

Every code is listed in `CODES` with its default severity, whether it is `blocking` (IAM would
refuse the document or its meaning is undefined, so the engine must not evaluate it), its spec
section and S-ids, and whether it is Access Analyzer's own issue code (S18) or one chosen here
because the spec names none. The checks are small functions in the `CHECKS` table, one concern
each, run in order.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from deputyguard.awsdata import (
    PARTITIONS,
    SENSITIVE_KEYS,
    ArnError,
    action_exists,
    condition_key_type,
    global_key,
    is_account_id,
    is_multivalued_key,
    parse_arn,
    parse_arn_pattern,
    rcp_supported_service,
    service_exists,
    split_arn,
)
from deputyguard.policy.issues import Issue, Severity
from deputyguard.policy.limits import measure, size_limit
from deputyguard.policy.model import (
    VERSION_2012,
    Condition,
    Effect,
    Policy,
    PolicyType,
    PrincipalSet,
    ScalarValue,
    Span,
    Statement,
)
from deputyguard.policy.operators import Family, Operator, OperatorError, Qualifier, parse_operator
from deputyguard.wildcard import has_wildcard

__all__ = ["CHECKS", "CODES", "CodeInfo", "validate_policy"]


# --- the code table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What a code means: default severity, whether it blocks evaluation, where it is specified."""

    severity: Severity
    blocking: bool
    aws: bool
    """True for Access Analyzer's own issue code (S18); False for a code chosen here."""
    source: str
    """Spec sections and S-ids."""


_E, _SW, _W = Severity.ERROR, Severity.SECURITY_WARNING, Severity.WARNING
_BLOCK, _SOFT = True, False
_AA, _OURS = True, False

# Codes chosen here because the spec names none:
#   NOT_PRINCIPAL_REQUIRES_DENY   Allow + NotPrincipal (S14: NotPrincipal only with Deny)
#   SERVICE_PRINCIPAL_WILDCARD    `"Service": "*"` (S13)
#   CANONICAL_USER_NOT_SUPPORTED  CanonicalUser outside an S3 bucket policy (S13, S16)
#   INVALID_ARN_SERVICE           wildcard in an ARN's service field (S20, S30; from awsdata.arn)
#   RCP_SYNTAX_ERROR_VERSION      RCP without "Version": "2012-10-17" (S25)
#   UNSUPPORTED_ID                Id in an identity-based policy (S16, S30)
#   MULTIVALUED_KEY_AS_VARIABLE   `${aws:SourceOrgPaths}` and other multivalued keys (S4, S8)
# NotPrincipal in an RCP is RCP_SYNTAX_ERROR_PRINCIPAL: S18's text for that code covers it.
# Size quotas do not block: the count is approximate (whitespace rules differ between console and
# API; trust-policy quotas can be raised) and the document still has a well-defined meaning.
# fmt: off
CODES: Mapping[str, CodeInfo] = MappingProxyType({
    # Principal / NotPrincipal
    "MISSING_PRINCIPAL":                        CodeInfo(_E, _BLOCK, _AA, "§1.1, §1.12; S16, S18"),
    "UNSUPPORTED_PRINCIPAL":                    CodeInfo(_E, _BLOCK, _AA, "§1.12; S13, S14, S18"),
    "SCP_SYNTAX_ERROR_PRINCIPAL":               CodeInfo(_E, _BLOCK, _AA, "§1.6, §5.3; S18"),
    "RCP_SYNTAX_ERROR_PRINCIPAL":               CodeInfo(_E, _BLOCK, _AA, "§1.6, §5.4; S25, S18"),
    "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL": CodeInfo(_E, _BLOCK, _AA, "§1.6; S14, S18"),
    "NOT_PRINCIPAL_REQUIRES_DENY":              CodeInfo(_E, _SOFT, _OURS, "§1.6; S14"),
    "ALLOW_WITH_NOT_PRINCIPAL":                 CodeInfo(_SW, _SOFT, _AA, "§1.6; S14, S18"),
    "UNSUPPORTED_WILDCARD_IN_PRINCIPAL":        CodeInfo(_E, _BLOCK, _AA, "§1.6; S13, S16, S18"),
    "SERVICE_PRINCIPAL_WILDCARD":               CodeInfo(_E, _BLOCK, _OURS, "§1.6; S13"),
    "FEDERATED_PRINCIPAL_NOT_SUPPORTED":        CodeInfo(_E, _BLOCK, _AA, "§1.6; S13, S18"),
    "INVALID_PRINCIPAL_FORMAT":                 CodeInfo(_E, _BLOCK, _AA, "§1.6, §7; S13, S18"),
    "INVALID_SERVICE_PRINCIPAL_FORMAT":         CodeInfo(_E, _SOFT, _AA, "§1.6; S13, S18"),
    "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY": CodeInfo(_E, _SOFT, _AA, "S18"),
    "CANONICAL_USER_NOT_SUPPORTED":             CodeInfo(_E, _SOFT, _OURS, "§1.6; S13, S16"),
    "INVALID_ROLE_REFERENCE":                   CodeInfo(_W, _SOFT, _AA, "§1.6; S13, S18"),
    "INVALID_USER_REFERENCE":                   CodeInfo(_W, _SOFT, _AA, "§1.6; S13, S18"),
    "RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL":     CodeInfo(_SW, _SOFT, _AA, "§5.2, §6.4; S18, S19"),
    # Resource
    "MISSING_RESOURCE":                         CodeInfo(_E, _BLOCK, _AA, "§1.1, §1.12; S18"),
    "MISSING_ARN_FIELD":                        CodeInfo(_E, _SOFT, _AA, "§1.8, §7; S18, S20"),
    "INVALID_ARN_PREFIX":                       CodeInfo(_E, _SOFT, _AA, "§7; S18, S20"),
    "INVALID_PARTITION":                        CodeInfo(_E, _SOFT, _AA, "§7; S18, S20"),
    "INVALID_ARN_ACCOUNT":                      CodeInfo(_E, _SOFT, _AA, "§7; S18, S20"),
    "INVALID_ARN_SERVICE_CASE":                 CodeInfo(_E, _SOFT, _AA, "§2.3, §7; S18"),
    "INVALID_ARN_SERVICE":                      CodeInfo(_E, _SOFT, _OURS, "§1.8, §7; S20, S30"),
    # Action
    "INVALID_ACTION":                           CodeInfo(_E, _SOFT, _AA, "§1.7; S30, S18"),
    "INVALID_SERVICE_IN_ACTION":                CodeInfo(_E, _SOFT, _AA, "§1.7; S30, S18"),
    "SCP_SYNTAX_ERROR_ACTION_WILDCARD":         CodeInfo(_E, _BLOCK, _AA, "§1.7, §5.3; S18"),
    # RCP syntax
    "RCP_SYNTAX_ERROR_ACTION":                  CodeInfo(_E, _BLOCK, _AA, "§1.7, §5.4; S25, S18"),
    "RCP_SYNTAX_ERROR_NOTACTION":               CodeInfo(_E, _BLOCK, _AA, "§1.7, §5.4; S25, S18"),
    "RCP_SYNTAX_ERROR_ALLOW":                   CodeInfo(_E, _BLOCK, _AA, "§1.12, §5.4; S25, S18"),
    "RCP_SYNTAX_ERROR_VERSION":                 CodeInfo(_E, _BLOCK, _OURS, "§1.2, §5.4; S25"),
    "RCP_MISSING_RELATED_PRINCIPAL_CONDITION_KEY": CodeInfo(_W, _SOFT, _AA, "§6.4; S18, S31"),
    "RCP_MISSING_RELATED_SERVICE_PRINCIPAL_CONDITION_KEY": CodeInfo(_W, _SOFT, _AA, "§6.4; S18"),
    "RCP_MISSING_SERVICE_CONDITION_KEY_NULL_CHECK": CodeInfo(_W, _SOFT, _AA, "§6.4; S7, S18"),
    # Sid, Id, Version (UNSUPPORTED_SID is a non-blocking warning outside IAM's own types)
    "UNSUPPORTED_SID":                          CodeInfo(_E, _BLOCK, _AA, "§1.4; S30, S16, S18"),
    "UNIQUE_SIDS_REQUIRED":                     CodeInfo(_E, _BLOCK, _AA, "§1.4; S30, S18"),
    "UNIQUE_SIDS_RECOMMENDED":                  CodeInfo(_W, _SOFT, _AA, "§1.4; S16, S18"),
    "UNSUPPORTED_ID":                           CodeInfo(_E, _SOFT, _OURS, "§1.3; S16, S30"),
    "MISSING_VERSION":                          CodeInfo(_W, _SOFT, _AA, "§1.2; S15, S17, S18"),
    "VARIABLE_UNSUPPORTED_IN_VERSION":          CodeInfo(_E, _SOFT, _AA, "§1.2, §4; S8, S15, S18"),
    # Policy variables
    "VARIABLE_UNSUPPORTED_IN_ELEMENT":          CodeInfo(_E, _SOFT, _AA, "§1.8, §4; S8, S18"),
    "INVALID_VARIABLE_FOR_OPERATOR":            CodeInfo(_E, _SOFT, _AA, "§2.2, §4; S8, S18"),
    "MISSING_BRACE_IN_VARIABLE":                CodeInfo(_E, _SOFT, _AA, "§4; S8, S18"),
    "EMPTY_VARIABLE":                           CodeInfo(_E, _SOFT, _AA, "§4; S8, S18"),
    "UNSUPPORTED_SPACE_IN_VARIABLE":            CodeInfo(_E, _SOFT, _AA, "§4; S8, S18"),
    "MISSING_QUOTE_IN_VARIABLE":                CodeInfo(_E, _SOFT, _AA, "§4; S8, S18"),
    "MULTIVALUED_KEY_AS_VARIABLE":              CodeInfo(_E, _SOFT, _OURS, "§3.1, §4; S4, S8"),
    "VARIABLE_USAGE_TOO_PERMISSIVE":            CodeInfo(_E, _SOFT, _AA, "§4, §6.3; S7, S18"),
    # Conditions
    "INVALID_CONDITION_OPERATOR":               CodeInfo(_E, _BLOCK, _AA, "§2.1; S1, S18"),
    "NULL_WITH_IF_EXISTS":                      CodeInfo(_E, _BLOCK, _AA, "§2.1; S1, S18"),
    "INVALID_CONDITION_KEY_FORMAT":             CodeInfo(_E, _SOFT, _AA, "§1.9; S18"),
    "INVALID_GLOBAL_CONDITION_KEY":             CodeInfo(_E, _SOFT, _AA, "§1.11; S7, S18"),
    "UNSUPPORTED_GLOBAL_CONDITION_KEY":         CodeInfo(_E, _SOFT, _AA, "§1.11; S18"),
    "MISSING_TAG_KEY_IN_CONDITION":             CodeInfo(_E, _SOFT, _AA, "§1.11; S7, S18"),
    "DUPLICATE_KEYS_WITH_DIFFERENT_CASE":       CodeInfo(_E, _SOFT, _AA, "§1.9, §2.3; S2, S18"),
    "INVALID_CONDITION_MULTIPLE_BOOLEAN":       CodeInfo(_E, _SOFT, _AA, "§1.9; S18"),
    "TYPE_MISMATCH_BOOLEAN":                    CodeInfo(_W, _SOFT, _AA, "§2.2, §2.3; S1, S18"),
    "TYPE_MISMATCH_NUMBER":                     CodeInfo(_W, _SOFT, _AA, "§2.2; S1, S18"),
    "TYPE_MISMATCH_DATE":                       CodeInfo(_W, _SOFT, _AA, "§2.2; S1, S18"),
    "TYPE_MISMATCH_STRING":                     CodeInfo(_W, _SOFT, _AA, "§2.2; S1, S18"),
    "TYPE_MISMATCH_IP_RANGE":                   CodeInfo(_E, _SOFT, _AA, "§2.2; S1, S18"),
    "INVALID_DATE_VALUE":                       CodeInfo(_W, _SOFT, _AA, "§2.2; S1, S18"),
    "MISSING_QUALIFIER":                        CodeInfo(_E, _SOFT, _AA, "§3.1, §3.3; S4, S18"),
    "FORALLVALUES_WITH_SINGLE_VALUED_KEY":      CodeInfo(_SW, _SOFT, _AA, "§3.3; S18, S40"),
    "WILDCARD_USAGE_TOO_PERMISSIVE":            CodeInfo(_E, _SOFT, _AA, "§6.3; S7, S18"),
    "WILDCARD_WITHOUT_LIKE_OPERATOR":           CodeInfo(_W, _SOFT, _AA, "§2.5; S18"),
    "STRING_LIKE_OPERATOR_WITH_ARN_CONDITION_KEYS": CodeInfo(_SW, _SOFT, _AA, "§2.6; S7, S18"),
    # Size quotas
    "POLICY_SIZE_EXCEEDS_SCP_QUOTA":            CodeInfo(_E, _SOFT, _AA, "§1.10, §5.3; S28, S18"),
    "POLICY_SIZE_EXCEEDS_RCP_QUOTA":            CodeInfo(_E, _SOFT, _AA, "§1.10, §5.4; S28, S18"),
    "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA": CodeInfo(_W, _SOFT, _AA, "§1.10; S21, S18"),
    "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA": CodeInfo(_W, _SOFT, _AA, "§1.10; S21, S18"),
    "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA": CodeInfo(_W, _SOFT, _AA, "§1.10; S36-S39, S18"),
})
# fmt: on


def _issue(
    code: str,
    message: str,
    span: Span,
    *,
    severity: Severity | None = None,
    blocking: bool | None = None,
) -> Issue:
    """Build an issue whose severity and blocking come from `CODES` unless overridden."""
    info = CODES[code]
    return Issue(
        code,
        severity or info.severity,
        message,
        span,
        info.blocking if blocking is None else blocking,
    )


# --- what the checks share ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    policy: Policy
    type: PolicyType
    text: str | None
    service: str | None

    @property
    def variables(self) -> bool:
        return self.policy.variables_enabled


Check = Callable[[_Target], Iterable[Issue]]

_IDENTITY_BASED = frozenset({PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION})
_IAM_TYPES = _IDENTITY_BASED | {PolicyType.TRUST}
"""Documents IAM itself stores, with IAM's strict Sid rules (S30). SCP/RCP Sid rules are not in
the pages read, so they get the lenient treatment of other services (S16)."""

_SOURCE_KEYS = frozenset(
    {"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths"}
)
_PRINCIPAL_KEYS = frozenset(
    {"aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn"}
)
_IS_SERVICE_KEY = "aws:principalisawsservice"
_NULL_GUARD_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn"})
_TAG_KEY_STEMS = frozenset({"aws:principaltag", "aws:resourcetag", "aws:requesttag"})
_ARN_KEY_TYPES = frozenset({"ARN", "ArrayOfARN"})
_LITERAL_ESCAPES = frozenset({"*", "?", "$"})

_SPECIAL_PRINCIPAL_ACCOUNTS = frozenset({"cloudfront"})
"""Non-numeric account fields AWS documents in principal ARNs: the legacy CloudFront origin
access identity `arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <id>` (S3)."""

_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?$")
_UNIQUE_ID = re.compile(r"^A[A-Z0-9]{3}[A-Z0-9]{12,}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_EPOCH = re.compile(r"^\d+$")
_W3C_DATE = re.compile(
    r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$"
)  # the W3C ISO 8601 profiles S1 names: YYYY, YYYY-MM, YYYY-MM-DD, ...Thh:mm[:ss[.s]]TZD


def _sub(span: Span, element: str) -> Span:
    """A pointer to a child element that has no span of its own (no line/column)."""
    return Span(f"{span.pointer}/{element}")


def _conditions(t: _Target) -> Iterator[tuple[Statement, Condition, Operator]]:
    """Every condition whose operator parses; `_check_operators` reports the others."""
    for statement in t.policy.statements:
        for condition in statement.conditions:
            try:
                operator = parse_operator(condition.operator)
            except OperatorError:
                continue
            yield statement, condition, operator


def _strings(values: Iterable[ScalarValue]) -> Iterator[str]:
    return (v for v in values if isinstance(v, str))


def _principal_sets(statement: Statement) -> Iterator[PrincipalSet]:
    return (p for p in (statement.principal, statement.not_principal) if p is not None)


def _only_everyone(p: PrincipalSet) -> bool:
    return p.wildcard and not (p.aws or p.service or p.federated or p.canonical_user)


def _is_true(value: ScalarValue) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _is_false(value: ScalarValue) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


# --- policy variables (§4, S8) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Variable:
    start: int
    end: int
    key: str
    """"" for the literal escapes ${*}, ${?}, ${$}."""


@dataclass(frozen=True, slots=True)
class _Scan:
    variables: tuple[_Variable, ...]
    problems: tuple[tuple[str, str], ...]
    """(code, message) for each malformed `${`."""


def _variable_problem(body: str) -> tuple[str, str] | None:
    """What is wrong with the text between `${` and `}`: S8 syntax `key` or `key, 'default'`."""
    name, comma, default = body.partition(",")
    if not name.strip():
        return "EMPTY_VARIABLE", "the policy variable ${" + body + "} names no key"
    if any(c.isspace() for c in name):
        return "UNSUPPORTED_SPACE_IN_VARIABLE", f"the variable key {name!r} contains a space"
    quoted = default[1:] if default.startswith(" ") else default
    if comma and not (len(quoted) >= 2 and quoted[0] == quoted[-1] == "'"):
        return "MISSING_QUOTE_IN_VARIABLE", f"the default of ${{{body}}} must be in single quotes"
    return None


@lru_cache(maxsize=4096)
def _scan(text: str) -> _Scan:
    """Find the variables of one value, and the malformed ones (S8, S18), in linear time."""
    variables: list[_Variable] = []
    problems: list[tuple[str, str]] = []
    unclosed = ("MISSING_BRACE_IN_VARIABLE", f"a '${{' in {text!r} is never closed")
    pos = 0
    while (start := text.find("${", pos)) >= 0:
        end = text.find("}", start + 2)
        if end < 0:
            problems.append(unclosed)
            break
        inner = text.rfind("${", start + 2, end)
        if inner >= 0:  # every `${` before the innermost one lacks its `}`
            problems.append(unclosed)
            start = inner
        body = text[start + 2 : end]
        problem = None if body in _LITERAL_ESCAPES else _variable_problem(body)
        if problem is not None:
            problems.append(problem)
        else:
            key = "" if body in _LITERAL_ESCAPES else body.partition(",")[0]
            variables.append(_Variable(start, end + 1, key))
        pos = end + 1
    return _Scan(tuple(variables), tuple(problems))


def _masked(text: str, fill: str = "*") -> str:
    """The text with each well-formed variable replaced by `fill`s of the same length."""
    pieces: list[str] = []
    pos = 0
    for v in _scan(text).variables:
        pieces += (text[pos : v.start], fill * (v.end - v.start))
        pos = v.end
    pieces.append(text[pos:])
    return "".join(pieces)


def _has_wildcard(text: str, variables: bool) -> bool:
    """Whether `*`/`?` act as wildcards; `${*}` and `${?}` are literals under 2012-10-17 (S8)."""
    return has_wildcard(_masked(text, "_") if variables else text)


def _variable_sites(t: _Target) -> Iterator[tuple[str, Span, str | None]]:
    """(text, span, condition key) wherever variables are substituted: Resource, NotResource and
    values of String/ARN operators (S8). Nothing under 2008-10-17, where `${` is literal."""
    if not t.variables:
        return
    for statement in t.policy.statements:
        for value in (*(statement.resources or ()), *(statement.not_resources or ())):
            yield value, statement.span, None
    for _, condition, operator in _conditions(t):
        if operator.base.variables:
            for value in _strings(condition.values):
                yield value, condition.span, condition.key


# --- policy-level checks ----------------------------------------------------------------------


def _check_missing_version(t: _Target) -> Iterator[Issue]:
    # §1.2 (S15, S17, S18): without Version the 2008-10-17 rules apply.
    if t.policy.version is None:
        yield _issue(
            "MISSING_VERSION",
            'no Version: the policy follows the 2008-10-17 rules; add "Version": "2012-10-17"',
            t.policy.span,
        )


def _check_variables_in_legacy_version(t: _Target) -> Iterator[Issue]:
    # §1.2, §4 (S8, S15, S17, S18): `${...}` is literal text unless Version is 2012-10-17.
    if t.variables:
        return
    for statement in t.policy.statements:
        if any("${" in v for v in _element_texts(statement)):
            yield _legacy_variable_issue(statement.span)
        for condition in statement.conditions:
            if any("${" in v for v in _strings(condition.values)):
                yield _legacy_variable_issue(condition.span)


def _element_texts(statement: Statement) -> tuple[str, ...]:
    """Every Action, Resource and principal string of a statement (Not* forms included)."""
    principals = (
        v for p in _principal_sets(statement) for group in _principal_groups(p) for v in group
    )
    return (
        *(statement.actions or ()),
        *(statement.not_actions or ()),
        *(statement.resources or ()),
        *(statement.not_resources or ()),
        *principals,
    )


def _principal_groups(p: PrincipalSet) -> tuple[tuple[str, ...], ...]:
    return (p.aws, p.service, p.federated, p.canonical_user)


def _legacy_variable_issue(span: Span) -> Issue:
    return _issue(
        "VARIABLE_UNSUPPORTED_IN_VERSION",
        '"${" is literal text here: policy variables need "Version": "2012-10-17"',
        span,
    )


def _check_id(t: _Target) -> Iterator[Issue]:
    # §1.3 (S16, S30): Id is for resource-based policies, not identity-based ones.
    if t.type in _IDENTITY_BASED and t.policy.id is not None:
        yield _issue(
            "UNSUPPORTED_ID",
            f"a {t.type} policy cannot have an Id element",
            _sub(t.policy.span, "Id"),
        )


def _check_sids(t: _Target) -> Iterator[Issue]:
    # §1.4 (S30, S16, S18): IAM Sids are [A-Za-z0-9] and unique; other services are more lenient.
    strict = t.type in _IAM_TYPES
    seen: set[str] = set()
    for statement in t.policy.statements:
        sid = statement.sid
        if sid is None:
            continue
        if not (sid.isascii() and sid.isalnum()):
            yield _sid_character_issue(sid, strict, statement.span)
        if sid in seen:
            code = "UNIQUE_SIDS_REQUIRED" if strict else "UNIQUE_SIDS_RECOMMENDED"
            yield _issue(code, f"Sid {sid!r} is used by more than one statement", statement.span)
        seen.add(sid)


def _sid_character_issue(sid: str, strict: bool, span: Span) -> Issue:
    if strict:
        return _issue("UNSUPPORTED_SID", f"Sid {sid!r} may only contain A-Z, a-z and 0-9", span)
    return _issue(
        "UNSUPPORTED_SID",
        f"Sid {sid!r} has characters IAM rejects (A-Z, a-z, 0-9 only); this service may accept it",
        span,
        severity=Severity.WARNING,
        blocking=False,
    )


_SIZE_CODES: dict[PolicyType, str] = {
    PolicyType.SCP: "POLICY_SIZE_EXCEEDS_SCP_QUOTA",
    PolicyType.RCP: "POLICY_SIZE_EXCEEDS_RCP_QUOTA",
    PolicyType.IDENTITY: "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
    PolicyType.BOUNDARY: "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
    PolicyType.SESSION: "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
    PolicyType.TRUST: "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA",
    PolicyType.RESOURCE: "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA",
}


def _check_size(t: _Target) -> Iterator[Issue]:
    # §1.10 (S21, S28, S36–S39): per-type quota, measured only when the source text is known.
    limit = size_limit(t.type, t.service)
    code = _SIZE_CODES.get(t.type)
    if t.text is None or limit is None or code is None:
        return
    size = measure(t.text, limit)
    if size > limit.limit:
        how = " not counting whitespace" if limit.ignore_whitespace else ""
        yield _issue(
            code,
            f"the policy is {size:,} {limit.unit}{how}; the quota is {limit.limit:,} "
            f"({limit.source})",
            t.policy.span,
        )


# --- principals (§1.6, §1.12) -----------------------------------------------------------------

_PRINCIPAL_REQUIRED = frozenset({PolicyType.RESOURCE, PolicyType.TRUST, PolicyType.RCP})
_PRINCIPAL_FORBIDDEN: dict[PolicyType, str] = {
    **dict.fromkeys(_IDENTITY_BASED, "UNSUPPORTED_PRINCIPAL"),
    PolicyType.SCP: "SCP_SYNTAX_ERROR_PRINCIPAL",
}
_NOT_PRINCIPAL_FORBIDDEN: dict[PolicyType, str] = {
    **_PRINCIPAL_FORBIDDEN,
    PolicyType.TRUST: "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL",
    PolicyType.RCP: "RCP_SYNTAX_ERROR_PRINCIPAL",
}


def _check_principal_required(t: _Target) -> Iterator[Issue]:
    # §1.1, §1.12 (S16, S18 MISSING_PRINCIPAL; S25 for RCPs).
    if t.type not in _PRINCIPAL_REQUIRED:
        return
    for statement in t.policy.statements:
        if statement.principal is None and statement.not_principal is None:
            yield _issue(
                "MISSING_PRINCIPAL",
                f"a {t.type} policy statement needs a Principal",
                statement.span,
            )


def _check_principal_forbidden(t: _Target) -> Iterator[Issue]:
    # §1.6, §1.12 (S13, S14, S18): Principal/NotPrincipal per policy type.
    for statement in t.policy.statements:
        code = _PRINCIPAL_FORBIDDEN.get(t.type)
        if statement.principal is not None and code is not None:
            yield _issue(code, f"a {t.type} policy cannot have Principal", statement.principal.span)
        code = _NOT_PRINCIPAL_FORBIDDEN.get(t.type)
        if statement.not_principal is not None and code is not None:
            yield _issue(
                code, f"a {t.type} policy cannot have NotPrincipal", statement.not_principal.span
            )


def _check_not_principal_with_allow(t: _Target) -> Iterator[Issue]:
    # §1.6 (S14: NotPrincipal only with Deny; S18 ALLOW_WITH_NOT_PRINCIPAL).
    if t.type in _NOT_PRINCIPAL_FORBIDDEN:
        return  # already reported as forbidden for this type
    for statement in t.policy.statements:
        p = statement.not_principal
        if p is not None and statement.effect is Effect.ALLOW:
            yield _issue("NOT_PRINCIPAL_REQUIRES_DENY", "NotPrincipal needs Effect Deny", p.span)
            yield _issue(
                "ALLOW_WITH_NOT_PRINCIPAL",
                "Allow with NotPrincipal grants every principal not listed, anonymous included",
                p.span,
            )


@lru_cache(maxsize=8192)
def _aws_principal_problem(value: str) -> tuple[str, str] | None:
    """S13, S20: a 12-digit account or an `arn:…:iam|sts::<account>:…`; unique IDs warn (S18)."""
    if has_wildcard(value):
        return "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", f'{value!r}: only "*" alone is allowed'
    if is_account_id(value):
        return None
    if _UNIQUE_ID.match(value) and value[:4] in ("AROA", "AIDA"):
        code = "INVALID_ROLE_REFERENCE" if value.startswith("AROA") else "INVALID_USER_REFERENCE"
        return code, f"{value!r} is a unique ID; use the ARN (the named entity may be deleted)"
    if not value.startswith("arn:"):
        return "INVALID_PRINCIPAL_FORMAT", f"{value!r} is neither a 12-digit account nor an ARN"
    why = _principal_arn_problem(value)
    return None if why is None else ("INVALID_PRINCIPAL_FORMAT", f"{value!r}: {why}")


def _principal_arn_problem(value: str) -> str | None:
    """`arn:<partition>:iam|sts::<account>:<resource>` (S13, S20)."""
    parts = split_arn(value)
    if parts is None:
        return "an ARN has six colon-separated fields"
    _, partition, service, _, account, resource = parts
    if partition not in PARTITIONS:
        return f"unknown partition {partition!r}"
    if service not in ("iam", "sts") or not resource:
        return "not an IAM or STS principal ARN"
    if not (is_account_id(account) or account in _SPECIAL_PRINCIPAL_ACCOUNTS):
        return f"account {account!r} is not a 12-digit account ID"
    return None


def _check_aws_principals(t: _Target) -> Iterator[Issue]:
    # §1.6, §7 (S13, S16, S18): no partial wildcards, well-formed accounts and ARNs.
    for statement in t.policy.statements:
        for p in _principal_sets(statement):
            for value in p.aws:
                problem = _aws_principal_problem(value)
                if problem is not None:
                    yield _issue(problem[0], f"AWS principal {problem[1]}", p.span)


@lru_cache(maxsize=8192)
def _service_principal_problem(value: str) -> tuple[str, str] | None:
    if value == "*":
        return "SERVICE_PRINCIPAL_WILDCARD", '"Service": "*" is not allowed; name the service'
    if has_wildcard(value):
        return "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", f"service principal {value!r} has a wildcard"
    if not _SERVICE_PRINCIPAL.match(value):
        return "INVALID_SERVICE_PRINCIPAL_FORMAT", (
            f"{value!r} does not look like a service principal (service.amazonaws.com, "
            "lowercase; case handling is UNCONFIRMED)"
        )
    return None


def _check_service_principals(t: _Target) -> Iterator[Issue]:
    # §1.6 (S13: `"Service": "*"` not allowed; S18 INVALID_SERVICE_PRINCIPAL_FORMAT).
    for statement in t.policy.statements:
        for p in _principal_sets(statement):
            for value in p.service:
                problem = _service_principal_problem(value)
                if problem is not None:
                    yield _issue(problem[0], problem[1], p.span)


@lru_cache(maxsize=8192)
def _federated_problem(value: str) -> tuple[str, str] | None:
    if has_wildcard(value):
        return "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", f"federated principal {value!r} has a wildcard"
    if value.startswith("arn:"):
        try:
            arn = parse_arn(value)
        except ArnError as exc:
            return _bad_federated(value, exc.message)
        if arn.service == "iam" and arn.resource.startswith(("saml-provider/", "oidc-provider/")):
            return None
        return _bad_federated(value, "not a SAML or OIDC provider ARN")
    return None if _DOMAIN.match(value) else _bad_federated(value, "not a provider domain")


def _bad_federated(value: str, why: str) -> tuple[str, str]:
    return "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY", f"{value!r}: {why}"


def _check_federated_principals(t: _Target) -> Iterator[Issue]:
    # §1.6 (S13, S18 FEDERATED_PRINCIPAL_NOT_SUPPORTED): identity providers only in trust policies.
    for statement in t.policy.statements:
        for p in _principal_sets(statement):
            if p.federated and t.type is not PolicyType.TRUST:
                yield _issue(
                    "FEDERATED_PRINCIPAL_NOT_SUPPORTED",
                    f"a {t.type} policy cannot name a Federated principal",
                    p.span,
                )
            for value in p.federated:
                problem = _federated_problem(value)
                if problem is not None:
                    yield _issue(problem[0], problem[1], p.span)


def _check_canonical_users(t: _Target) -> Iterator[Issue]:
    # §1.6 (S13, S16): CanonicalUser is an S3 notion; checked only when the service is known.
    if t.service is None or t.service.lower() == "s3":
        return
    for statement in t.policy.statements:
        for p in _principal_sets(statement):
            if p.canonical_user:
                yield _issue(
                    "CANONICAL_USER_NOT_SUPPORTED",
                    f"CanonicalUser principals are for S3 bucket policies, not {t.service}",
                    p.span,
                )


def _check_service_principal_source(t: _Target) -> Iterator[Issue]:
    # §5.2, §6.4 (S18 RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL, S19): name the source of the request.
    if t.type not in (PolicyType.RESOURCE, PolicyType.TRUST):
        return
    for statement in t.policy.statements:
        p = statement.principal
        if statement.effect is not Effect.ALLOW or p is None or not (p.service or p.wildcard):
            continue
        if not {c.key.lower() for c in statement.conditions} & _SOURCE_KEYS:
            who = "a service principal" if p.service else '"*" (which includes AWS services)'
            yield _issue(
                "RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL",
                f"Allow for {who} without aws:SourceArn, aws:SourceAccount, aws:SourceOrgID or "
                "aws:SourceOrgPaths: any source resource can use this grant (confused deputy)",
                p.span,
            )


# --- actions and resources (§1.7, §1.8, §7) ---------------------------------------------------


def _action_problem(action: str) -> tuple[str, str] | None:
    """S30, S18: `service:Name` with a known service and, without wildcards, a known action."""
    if action == "*" or "${" in action:
        return None  # variables in Action are VARIABLE_UNSUPPORTED_IN_ELEMENT
    prefix, colon, name = action.partition(":")
    if not colon or not prefix or not name:
        return "INVALID_ACTION", f"action {action!r} must have the form service:ActionName"
    if has_wildcard(prefix):
        return None
    if not service_exists(prefix):
        return "INVALID_SERVICE_IN_ACTION", f"action {action!r}: unknown service prefix {prefix!r}"
    if not has_wildcard(name) and not action_exists(action):
        return "INVALID_ACTION", f"action {action!r} does not exist"
    return None


def _check_actions(t: _Target) -> Iterator[Issue]:
    # §1.7 (S30, S18 INVALID_ACTION / INVALID_SERVICE_IN_ACTION).
    for statement in t.policy.statements:
        for action in (*(statement.actions or ()), *(statement.not_actions or ())):
            problem = _action_problem(action)
            if problem is not None:
                yield _issue(problem[0], problem[1], statement.span)


_IMPLICIT_RESOURCE_SERVICES: frozenset[str] = frozenset({"ecr", "ecr-public"})
"""Services whose resource policies omit Resource: the statement applies to the repository the
policy is set on (ECR, "Repository policy examples": statements carry no Resource element,
https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html)."""


def _check_missing_resource(t: _Target) -> Iterator[Issue]:
    # §1.1, §1.12 (S18 MISSING_RESOURCE): every type but role trust policies and the resource
    # policies of services where the resource is implicit.
    if t.type is PolicyType.TRUST or (t.service or "").lower() in _IMPLICIT_RESOURCE_SERVICES:
        return
    for statement in t.policy.statements:
        if statement.resources is None and statement.not_resources is None:
            yield _issue(
                "MISSING_RESOURCE", "the statement has no Resource or NotResource", statement.span
            )


def _check_resource_arns(t: _Target) -> Iterator[Issue]:
    # §1.8, §7 (S20, S30, S18): wildcards only in region, account and resource; variables count as
    # wildcards here (their placement is `_check_resource_variable_placement`'s concern).
    for statement in t.policy.statements:
        for value in (*(statement.resources or ()), *(statement.not_resources or ())):
            if value == "*":
                continue
            try:
                parse_arn_pattern(_masked(value) if t.variables else value)
            except ArnError as exc:
                yield _resource_arn_issue(t, value, exc, statement.span)


_AUTO_COMPLETED = frozenset({PolicyType.IDENTITY, PolicyType.BOUNDARY})


def _resource_arn_issue(t: _Target, value: str, exc: ArnError, span: Span) -> Issue:
    """S20: identity policies complete a short ARN (`arn:aws:sqs`) with `*`; others refuse it."""
    short = exc.code == "MISSING_ARN_FIELD" and value.count(":") < 5
    if short and t.type in _AUTO_COMPLETED:
        message = f"resource {value!r} has fewer than six fields; IAM completes it with '*'"
        return _issue(exc.code, message, span, severity=Severity.WARNING)
    return _issue(exc.code, f"resource {value!r}: {exc.message}", span)


def _check_resource_variable_placement(t: _Target) -> Iterator[Issue]:
    # §1.8, §4 (S8): variables only in the resource part, after the fifth colon.
    if not t.variables:
        return
    for statement in t.policy.statements:
        for value in (*(statement.resources or ()), *(statement.not_resources or ())):
            variables = _scan(value).variables
            masked = _masked(value)
            fifth = _nth_colon(masked, 5)
            if fifth is not None and any(v.key and v.start < fifth for v in variables):
                yield _issue(
                    "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                    f"resource {value!r}: variables are allowed only after the fifth ':'",
                    statement.span,
                )


def _nth_colon(text: str, n: int) -> int | None:
    pos = -1
    for _ in range(n):
        pos = text.find(":", pos + 1)
        if pos < 0:
            return None
    return pos


def _check_variables_in_other_elements(t: _Target) -> Iterator[Issue]:
    # §4 (S8, S18 VARIABLE_UNSUPPORTED_IN_ELEMENT): not in Action/NotAction/Principal/NotPrincipal.
    if not t.variables:
        return
    for statement in t.policy.statements:
        actions = (*(statement.actions or ()), *(statement.not_actions or ()))
        if any("${" in a for a in actions):
            yield _variable_element_issue("Action", statement.span)
        for p in _principal_sets(statement):
            if any("${" in v for group in _principal_groups(p) for v in group):
                yield _variable_element_issue("Principal", p.span)


def _variable_element_issue(element: str, span: Span) -> Issue:
    return _issue(
        "VARIABLE_UNSUPPORTED_IN_ELEMENT",
        f"policy variables are not substituted in {element}; only in Resource and Condition",
        span,
    )


def _check_scp_action_wildcards(t: _Target) -> Iterator[Issue]:
    # §1.7, §5.3 (S18 SCP_SYNTAX_ERROR_ACTION_WILDCARD): `iam:Get*` yes, `iam:*Role` no.
    if t.type is not PolicyType.SCP:
        return
    for statement in t.policy.statements:
        for action in (*(statement.actions or ()), *(statement.not_actions or ())):
            head = action[:-1] if action.endswith("*") else action
            if has_wildcard(head):
                yield _issue(
                    "SCP_SYNTAX_ERROR_ACTION_WILDCARD",
                    f"SCP action {action!r}: a wildcard may only be the last character",
                    statement.span,
                )


# --- RCP syntax (§5.4; S25, S18) ----------------------------------------------------------------


def _is_rcp_full_access(statement: Statement) -> bool:
    """The RCPFullAWSAccess shape: Allow, Principal/Action/Resource "*", nothing else (S25)."""
    p = statement.principal
    return (
        statement.effect is Effect.ALLOW
        and p is not None
        and _only_everyone(p)
        and statement.not_principal is None
        and statement.actions == ("*",)
        and statement.not_actions is None
        and statement.resources == ("*",)
        and statement.not_resources is None
        and not statement.conditions
    )


def _check_rcp_version(t: _Target) -> Iterator[Issue]:
    # §1.2, §5.4 (S25): RCPs must contain "Version": "2012-10-17".
    if t.type is PolicyType.RCP and t.policy.version != VERSION_2012:
        yield _issue(
            "RCP_SYNTAX_ERROR_VERSION",
            f'an RCP must say "Version": "{VERSION_2012}"',
            _sub(t.policy.span, "Version") if t.policy.version else t.policy.span,
        )


def _check_rcp_effect(t: _Target) -> Iterator[Issue]:
    # §1.12, §5.4 (S25, S18 RCP_SYNTAX_ERROR_ALLOW): Deny only, bar RCPFullAWSAccess.
    if t.type is not PolicyType.RCP:
        return
    for statement in t.policy.statements:
        if statement.effect is Effect.ALLOW and not _is_rcp_full_access(statement):
            yield _issue(
                "RCP_SYNTAX_ERROR_ALLOW",
                'an RCP Allow must be exactly Principal "*", Action "*", Resource "*" and no '
                "Condition (RCPFullAWSAccess); guardrails are written as Deny",
                statement.span,
            )


def _check_rcp_principal(t: _Target) -> Iterator[Issue]:
    # §1.6, §5.4 (S25, S18 RCP_SYNTAX_ERROR_PRINCIPAL): Principal must be "*".
    if t.type is not PolicyType.RCP:
        return
    for statement in t.policy.statements:
        p = statement.principal
        if p is not None and not _only_everyone(p):
            yield _issue(
                "RCP_SYNTAX_ERROR_PRINCIPAL",
                'an RCP Principal must be "*"; restrict principals with condition keys',
                p.span,
            )


def _check_rcp_actions(t: _Target) -> Iterator[Issue]:
    # §1.7, §5.4 (S25, S18): no NotAction; each action names an RCP-supported service.
    if t.type is not PolicyType.RCP:
        return
    for statement in t.policy.statements:
        if statement.not_actions is not None:
            yield _issue(
                "RCP_SYNTAX_ERROR_NOTACTION", "RCPs do not support NotAction", statement.span
            )
        if _is_rcp_full_access(statement):
            continue
        for action in statement.actions or ():
            problem = _rcp_action_problem(action)
            if problem is not None:
                yield _issue("RCP_SYNTAX_ERROR_ACTION", problem, statement.span)


def _rcp_action_problem(action: str) -> str | None:
    if action == "*":
        return 'an RCP action cannot be "*"; name the services (e.g. "s3:*")'
    prefix = action.partition(":")[0]
    if has_wildcard(prefix) or not rcp_supported_service(prefix):
        return f"RCP action {action!r}: {prefix!r} is not a service that supports RCPs"
    return None


# --- conditions (§1.9, §2, §3, §6.3) --------------------------------------------------------


def _check_operators(t: _Target) -> Iterator[Issue]:
    # §2.1 (S1, S18): unknown operators and NullIfExists make the condition meaningless.
    for statement in t.policy.statements:
        seen: set[str] = set()
        for condition in statement.conditions:
            if condition.operator in seen:
                continue
            seen.add(condition.operator)
            try:
                parse_operator(condition.operator)
            except OperatorError as exc:
                yield _issue(exc.code, exc.message, condition.span)


def _condition_key_problem(key: str) -> tuple[str, str] | None:
    """S18: keys are `service:name`; `aws:` keys must be documented global keys (S7)."""
    service, colon, name = key.partition(":")
    if not colon or not service or not name:
        return "INVALID_CONDITION_KEY_FORMAT", f"condition key {key!r} must be service:name"
    if service.lower() != "aws":
        return None
    lower = key.lower()
    if lower == "aws:arn":
        return "UNSUPPORTED_GLOBAL_CONDITION_KEY", "aws:ARN is not supported; use aws:PrincipalArn"
    if lower.rstrip("/") in _TAG_KEY_STEMS:
        return "MISSING_TAG_KEY_IN_CONDITION", f"{key!r} needs a tag key: {key.rstrip('/')}/<key>"
    if global_key(key) is None:
        return "INVALID_GLOBAL_CONDITION_KEY", f"{key!r} is not a global condition key"
    return None


def _check_condition_keys(t: _Target) -> Iterator[Issue]:
    # §1.11 (S7, S18): malformed keys and unknown global keys.
    for statement in t.policy.statements:
        for condition in statement.conditions:
            problem = _condition_key_problem(condition.key)
            if problem is not None:
                yield _issue(problem[0], problem[1], condition.span)


def _check_duplicate_key_case(t: _Target) -> Iterator[Issue]:
    # §1.9, §2.3 (S2, S18 DUPLICATE_KEYS_WITH_DIFFERENT_CASE): the AST keeps the written key.
    for statement in t.policy.statements:
        first: dict[tuple[str, str], str] = {}
        for condition in statement.conditions:
            slot = (condition.operator, condition.key.lower())
            written = first.setdefault(slot, condition.key)
            if written != condition.key:
                yield _issue(
                    "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
                    f"{condition.key!r} repeats {written!r} under {condition.operator}: key names "
                    "are case-insensitive, so both apply to one key",
                    condition.span,
                )


def _check_qualifiers(t: _Target) -> Iterator[Issue]:
    # §3.1, §3.3 (S4, S18, S40): set operators exactly for multivalued keys.
    for _, condition, operator in _conditions(t):
        multivalued = is_multivalued_key(condition.key)
        if multivalued and operator.qualifier is None and operator.base.family is not Family.NULL:
            yield _issue(
                "MISSING_QUALIFIER",
                f"{condition.key} is multivalued: use ForAnyValue: or ForAllValues: with "
                f"{condition.operator}",
                condition.span,
            )
        if multivalued is False and operator.qualifier is Qualifier.FOR_ALL_VALUES:
            yield _issue(
                "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                f"{condition.operator} on the single-valued {condition.key} is true when the key "
                "is absent; remove ForAllValues:",
                condition.span,
            )


def _check_boolean_values(t: _Target) -> Iterator[Issue]:
    # §1.9, §2.2, §2.8 (S1, S18): one value, true or false (other spellings UNCONFIRMED, §2.3).
    for _, condition, operator in _conditions(t):
        if operator.base.family not in (Family.BOOL, Family.NULL):
            continue
        if len(condition.values) > 1:
            yield _issue(
                "INVALID_CONDITION_MULTIPLE_BOOLEAN",
                f"{condition.key} has {len(condition.values)} Boolean values; use one",
                condition.span,
            )
        for value in condition.values:
            if not (isinstance(value, bool) or value in ("true", "false")):
                yield _issue(
                    "TYPE_MISMATCH_BOOLEAN", _boolean_message(operator, value), condition.span
                )


def _boolean_message(operator: Operator, value: ScalarValue) -> str:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return (
            f"{operator.base.name} value {value!r}: AWS documents only lowercase true/false; "
            "how IAM reads other spellings is UNCONFIRMED"
        )
    return f"{operator.base.name} value {value!r} is not true or false"


def _value_type_problem(family: Family, value: ScalarValue) -> tuple[str, str] | None:
    """S1 value formats for the non-string families (S18 TYPE_MISMATCH_*, INVALID_DATE_VALUE)."""
    if family is Family.NUMERIC:
        ok = not isinstance(value, bool) and (
            isinstance(value, int | float) or bool(_NUMBER.match(str(value)))
        )
        return None if ok else ("TYPE_MISMATCH_NUMBER", f"{value!r} is not a number")
    if family is Family.DATE:
        return _date_problem(value)
    if family is Family.IP:
        return None if _is_cidr(value) else ("TYPE_MISMATCH_IP_RANGE", f"{value!r} is not a CIDR")
    if family is Family.BINARY:
        return None if _is_base64(value) else ("TYPE_MISMATCH_STRING", f"{value!r} is not base64")
    return None


def _date_problem(value: ScalarValue) -> tuple[str, str] | None:
    if isinstance(value, bool):
        return "TYPE_MISMATCH_DATE", f"{value!r} is not a date"
    text = str(value)
    if isinstance(value, str) and _W3C_DATE.match(text):
        return None  # checked first: "2020" is the year profile, not epoch second 2020
    if isinstance(value, int | float) or _EPOCH.match(text):
        return "INVALID_DATE_VALUE", f"epoch {text} might not resolve as expected; use ISO 8601"
    return "TYPE_MISMATCH_DATE", f"{text!r} is not a W3C ISO 8601 date"


def _is_cidr(value: ScalarValue) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _is_base64(value: ScalarValue) -> bool:
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _check_value_types(t: _Target) -> Iterator[Issue]:
    # §2.2 (S1, S18): numbers, dates, CIDRs and base64 where the operator expects them.
    for _, condition, operator in _conditions(t):
        for value in condition.values:
            if t.variables and isinstance(value, str) and "${" in value:
                continue  # reported as INVALID_VARIABLE_FOR_OPERATOR
            problem = _value_type_problem(operator.base.family, value)
            if problem is not None:
                yield _issue(problem[0], f"{operator.base.name}: {problem[1]}", condition.span)


def _check_wildcards(t: _Target) -> Iterator[Issue]:
    # §2.5, §6.3 (S7, S18): wildcards on sensitive keys; `*`/`?` that a non-Like operator ignores.
    for _, condition, operator in _conditions(t):
        like = operator.base.compare == "like"
        sensitive = condition.key.lower() in SENSITIVE_KEYS
        for value in _strings(condition.values):
            if not _has_wildcard(value, t.variables):
                continue
            if like and sensitive:
                yield _issue(
                    "WILDCARD_USAGE_TOO_PERMISSIVE",
                    f"{condition.key} is a sensitive key: wildcards have no valid use ({value!r})",
                    condition.span,
                )
            elif not like and operator.base.family is Family.STRING:
                yield _issue(
                    "WILDCARD_WITHOUT_LIKE_OPERATOR",
                    f"{condition.operator} treats * and ? in {value!r} literally; use a Like "
                    "operator to match a pattern",
                    condition.span,
                )


def _check_arn_key_operators(t: _Target) -> Iterator[Issue]:
    # §2.6, §6.3 (S7, S18): StringLike on an ARN key lets `*` cross ARN fields. Only the Like
    # operators are flagged, as the code's name says; StringEquals on an ARN is an exact match.
    for _, condition, operator in _conditions(t):
        is_string_like = operator.base.family is Family.STRING and operator.base.compare == "like"
        if is_string_like and condition_key_type(condition.key) in _ARN_KEY_TYPES:
            arn_operator = "ArnNotLike" if operator.base.negated else "ArnLike"
            yield _issue(
                "STRING_LIKE_OPERATOR_WITH_ARN_CONDITION_KEYS",
                f"use {arn_operator} instead of {operator.base.name} for {condition.key}: "
                "StringLike's * also matches ':' so it can span the account field",
                condition.span,
            )


# --- policy variables in conditions and resources (§4) ------------------------------------------


def _check_variable_operators(t: _Target) -> Iterator[Issue]:
    # §2.2, §4 (S8, S18): Numeric, Date, Bool, Binary, IpAddress and Null take no variables.
    if not t.variables:
        return
    for _, condition, operator in _conditions(t):
        if operator.base.variables:
            continue
        if any("${" in v for v in _strings(condition.values)):
            yield _issue(
                "INVALID_VARIABLE_FOR_OPERATOR",
                f"{operator.base.name} does not substitute policy variables; only String and ARN "
                "operators do",
                condition.span,
            )


def _check_variable_syntax(t: _Target) -> Iterator[Issue]:
    # §4 (S8, S18): `${key}` / `${key, 'default'}`, no spaces in the key, closed braces.
    for text, span, _ in _variable_sites(t):
        for code, message in _scan(text).problems:
            yield _issue(code, message, span)


def _check_multivalued_variables(t: _Target) -> Iterator[Issue]:
    # §3.1, §4 (S4, S8): a multivalued key cannot be a policy variable.
    for text, span, _ in _variable_sites(t):
        for variable in _scan(text).variables:
            if variable.key and is_multivalued_key(variable.key):
                yield _issue(
                    "MULTIVALUED_KEY_AS_VARIABLE",
                    f"${{{variable.key}}} is a multivalued key and cannot be a policy variable",
                    span,
                )


def _check_sensitive_variables(t: _Target) -> Iterator[Issue]:
    # §4, §6.3 (S7, S18): a variable on a sensitive key acts as a wildcard.
    for text, span, key in _variable_sites(t):
        if key is None or key.lower() not in SENSITIVE_KEYS:
            continue
        if any(v.key for v in _scan(text).variables):
            yield _issue(
                "VARIABLE_USAGE_TOO_PERMISSIVE",
                f"{key} is a sensitive key: policy variables are not allowed in its values",
                span,
            )


# --- RCP confused-deputy companions (§6.4; S18, S31) -----------------------------------------


def _has_principal_is_service(statement: Statement, want: bool) -> bool:
    """A Bool/BoolIfExists test of aws:PrincipalIsAWSService for `want` (either form accepted:
    AWS's own confused-deputy RCP uses plain Bool, S7)."""
    test = _is_true if want else _is_false
    return any(
        c.key.lower() == _IS_SERVICE_KEY
        and c.operator in ("Bool", "BoolIfExists")
        and any(test(v) for v in c.values)
        for c in statement.conditions
    )


def _has_null_guard(statement: Statement) -> bool:
    return any(
        c.operator == "Null"
        and c.key.lower() in _NULL_GUARD_KEYS
        and any(_is_false(v) for v in c.values)
        for c in statement.conditions
    )


def _rcp_keys(statement: Statement) -> tuple[set[str], set[str]]:
    """(source keys, principal keys) the statement tests, ignoring Null presence checks."""
    keys = {c.key.lower() for c in statement.conditions if c.operator != "Null"}
    principal = {k for k in keys if k in _PRINCIPAL_KEYS or k.startswith("aws:principaltag/")}
    return keys & _SOURCE_KEYS, principal


def _check_rcp_companion_keys(t: _Target) -> Iterator[Issue]:
    # §6.4 (S18 RCP_MISSING_*): scope RCP guards to service or IAM principals, and to integrations
    # that send the source keys, so they do not break callers they were not written for.
    if t.type is not PolicyType.RCP:
        return
    for statement in t.policy.statements:
        source, principal = _rcp_keys(statement)
        if source and not _has_principal_is_service(statement, True):
            yield _rcp_companion_issue(
                "RCP_MISSING_RELATED_SERVICE_PRINCIPAL_CONDITION_KEY",
                source,
                '"Bool": {"aws:PrincipalIsAWSService": "true"}',
                statement.span,
            )
        if source and not _has_null_guard(statement):
            yield _rcp_companion_issue(
                "RCP_MISSING_SERVICE_CONDITION_KEY_NULL_CHECK",
                source,
                '"Null": {"aws:SourceAccount": "false"}',
                statement.span,
            )
        if principal and not _has_principal_is_service(statement, False):
            yield _rcp_companion_issue(
                "RCP_MISSING_RELATED_PRINCIPAL_CONDITION_KEY",
                principal,
                '"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}',
                statement.span,
            )


def _rcp_companion_issue(code: str, keys: set[str], add: str, span: Span) -> Issue:
    return _issue(code, f"the RCP statement tests {', '.join(sorted(keys))}; add {add}", span)


# --- the table and the entry point ----------------------------------------------------------

CHECKS: tuple[Check, ...] = (
    # document (§1.2–§1.4, §1.10)
    _check_missing_version,
    _check_variables_in_legacy_version,
    _check_id,
    _check_sids,
    _check_size,
    # principals (§1.6, §1.12, §5.2)
    _check_principal_required,
    _check_principal_forbidden,
    _check_not_principal_with_allow,
    _check_aws_principals,
    _check_service_principals,
    _check_federated_principals,
    _check_canonical_users,
    _check_service_principal_source,
    # actions and resources (§1.7, §1.8, §7)
    _check_actions,
    _check_missing_resource,
    _check_resource_arns,
    _check_resource_variable_placement,
    _check_variables_in_other_elements,
    _check_scp_action_wildcards,
    # RCP syntax (§5.4)
    _check_rcp_version,
    _check_rcp_effect,
    _check_rcp_principal,
    _check_rcp_actions,
    _check_rcp_companion_keys,
    # conditions (§1.9, §2, §3, §6.3)
    _check_operators,
    _check_condition_keys,
    _check_duplicate_key_case,
    _check_qualifiers,
    _check_boolean_values,
    _check_value_types,
    _check_wildcards,
    _check_arn_key_operators,
    # policy variables (§4)
    _check_variable_operators,
    _check_variable_syntax,
    _check_multivalued_variables,
    _check_sensitive_variables,
)


BLOCKING_CHECKS: tuple[Check, ...] = (
    _check_sids,
    _check_principal_required,
    _check_principal_forbidden,
    _check_not_principal_with_allow,
    _check_aws_principals,
    _check_service_principals,
    _check_federated_principals,
    _check_missing_resource,
    _check_scp_action_wildcards,
    _check_rcp_version,
    _check_rcp_effect,
    _check_rcp_principal,
    _check_rcp_actions,
    _check_operators,
)
"""The checks that can report a blocking code. An evaluator that only needs to know whether a
document can be evaluated runs these alone; a test asserts they find every blocking issue the
full set finds."""


def validate_policy(
    policy: Policy,
    policy_type: PolicyType,
    *,
    text: str | None = None,
    service: str | None = None,
    blocking_only: bool = False,
) -> tuple[Issue, ...]:
    """Every finding for `policy` used as `policy_type`, in `CHECKS` order, without duplicates.

    `text` is the source document, needed for the size quota; `service` is the prefix of the
    service storing a resource policy (`s3`, `sqs`, ...), which decides its quota and whether
    CanonicalUser principals make sense. With `blocking_only`, just the issues that make the
    document impossible to evaluate, found by the cheaper `BLOCKING_CHECKS`.
    """
    target = _Target(policy, policy_type, text, service)
    if blocking_only:
        found = (i for check in BLOCKING_CHECKS for i in check(target) if i.blocking)
    else:
        found = (issue for check in CHECKS for issue in check(target))
    return tuple(dict.fromkeys(found))
