"""The rule catalog: every DG rule as data, in one place (Ruff/Semgrep style).

Ids are stable forever (`shared/spec/rules.md`); a retired id is never reused. Each rule carries
its typical severity, a one-line title, a summary, Markdown help (why it matters, how AWS evaluates
it with the spec section and AWS page, how to fix it, and what deliberately does not fire) and a
vulnerable and a fixed example policy. Renderers (text, SARIF) and the docs read this module;
the analyzer looks rules up with `rule()`.

The examples belong to owner account 111122223333, a member of organization o-a1b2c3d4e5 (root
r-ab12, OU ou-ab12-11111111 with child OU ou-ab12-22222222); they are meant to be analyzed with
that owner and the organization model of `tests/analysis/corpus/org.yaml`. The bad example of
each rule triggers that rule; the good example passes.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RULES", "SEVERITIES", "RuleInfo", "rule"]

SEVERITIES = ("critical", "high", "medium", "low", "info")
"""Severity names, worst first (the values of `deputyguard.analysis.model.Severity`)."""


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    """Stable id, e.g. "DG001"."""
    slug: str
    """Stable kebab-case name, e.g. "unguarded-service-grant"."""
    severity: str
    """Typical severity; for rules with two severities (DG003, DG009, DG013, DG015) the higher."""
    title: str
    """One line."""
    summary: str
    """One to three sentences: what fires and why it matters."""
    help: str
    """Markdown: why it is dangerous, how AWS evaluates it, how to fix it, what does not fire."""
    bad_example: dict[str, Any] = field(hash=False)
    """A complete policy document of `example_type` that triggers the rule."""
    good_example: dict[str, Any] = field(hash=False)
    """The corrected document; the analyzer reports no medium or worse finding for it."""
    example_type: str
    """Policy type of both examples: "resource", "rcp", "identity", "scp" or "trust"."""
    spec: str
    """Sections of `shared/spec/iam-semantics.md` that define the semantics, e.g. "§3.2"."""
    severities: tuple[str, ...] = ()
    """Every severity the rule can report, worst first (defaults to `severity` alone)."""

    def __post_init__(self) -> None:
        if not self.severities:
            object.__setattr__(self, "severities", (self.severity,))


# --- AWS pages cited in the help texts (iam-semantics.md §0.2) ---------------------------------

_IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
_OPERATORS = _IAM + "reference_policies_elements_condition_operators.html"  # S1
_CONDITION = _IAM + "reference_policies_elements_condition.html"  # S2
_LOGIC = _IAM + "reference_policies_condition-logic-multiple-context-keys-or-values.html"  # S3
_MULTIVALUED = _IAM + "reference_policies_condition-single-vs-multi-valued-context-keys.html"  # S4
_MULTI_EXAMPLES = (
    _IAM + "reference_policies_condition_examples-multi-valued-context-keys.html"
)  # S5
_GLOBAL_KEYS = _IAM + "reference_policies_condition-keys.html"  # S7
_VARIABLES = _IAM + "reference_policies_variables.html"  # S8
_DENY_ALLOW = _IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html"  # S10
_PRINCIPAL = _IAM + "reference_policies_elements_principal.html"  # S13
_NOT_PRINCIPAL = _IAM + "reference_policies_elements_notprincipal.html"  # S14
_CHECKS = _IAM + "access-analyzer-reference-policy-checks.html"  # S18
_CONFUSED_DEPUTY = _IAM + "confused-deputy.html"  # S19
_ARNS = _IAM + "reference-arns.html"  # S20
_ENTITY_PATH = _IAM + "access_policies_last-accessed-view-data-orgs.html"  # S22
_ORGS = "https://docs.aws.amazon.com/organizations/latest/userguide/"
_SCPS = _ORGS + "orgs_manage_policies_scps.html"  # S23
_RCPS = _ORGS + "orgs_manage_policies_rcps.html"  # S24
_CLOUDTRAIL = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "create-s3-bucket-policy-for-cloudtrail.html"
)  # S32
_DATA_PERIMETER = "https://github.com/aws-samples/data-perimeter-policy-examples"  # S31

# --- example building blocks ---------------------------------------------------------------------

_VERSION = "2012-10-17"
_OWNER = "111122223333"
_ORG = "o-a1b2c3d4e5"
_BUCKET = "arn:aws:s3:::example-bucket"
_LOGS = "arn:aws:s3:::example-bucket/AWSLogs/111122223333/*"
_OBJECTS = "arn:aws:s3:::example-bucket/*"
_QUEUE = "arn:aws:sqs:us-east-1:111122223333:queue"
_TOPIC = "arn:aws:sns:us-east-1:111122223333:alerts-topic"
_SOURCE_TOPIC = "arn:aws:sns:us-east-1:111122223333:alerts"
_TRAIL = "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events"
_CLOUDTRAIL_SP = {"Service": "cloudtrail.amazonaws.com"}
_CLOUDWATCH_SP = {"Service": "cloudwatch.amazonaws.com"}
_SNS_SP = {"Service": "sns.amazonaws.com"}
_S3_SP = {"Service": "s3.amazonaws.com"}
_ELB_SP = {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    """A document of its own: examples share no nested objects, so one can be edited safely."""
    return copy.deepcopy({"Version": _VERSION, "Statement": list(statements)})


def _allow(
    principal: Any, action: Any, resource: Any, condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": resource,
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _sns_to_queue(condition: dict[str, Any] | None) -> dict[str, Any]:
    return _policy(_allow(_SNS_SP, "sqs:SendMessage", _QUEUE, condition))


def _alarms_to_topic(condition: dict[str, Any] | None) -> dict[str, Any]:
    return _policy(_allow(_CLOUDWATCH_SP, "sns:Publish", _TOPIC, condition))


def _trail_write(condition: dict[str, Any] | None) -> dict[str, Any]:
    # The whole bucket, not AWSLogs/<owner>/: a prefix pinned to the owner limits foreign trails
    # by CloudTrail's path convention, which would hide the rule the example shows (rules.md).
    return _policy(_allow(_CLOUDTRAIL_SP, "s3:PutObject", _OBJECTS, condition))


def _trail_statements(guard: dict[str, Any] | None) -> list[dict[str, Any]]:
    acl = _allow(_CLOUDTRAIL_SP, "s3:GetBucketAcl", _BUCKET, guard)
    write = _allow(_CLOUDTRAIL_SP, "s3:PutObject", _LOGS, guard)
    return [{"Sid": "AWSCloudTrailAclCheck", **acl}, {"Sid": "AWSCloudTrailWrite", **write}]


_TRAIL_GUARD = {
    "ArnEquals": {"aws:SourceArn": _TRAIL},
    "StringEquals": {"aws:SourceAccount": _OWNER},
}


def _deny_foreign_trails(action: Any, resource: Any) -> dict[str, Any]:
    return {
        "Sid": "DenyForeignTrails",
        "Effect": "Deny",
        "Principal": _CLOUDTRAIL_SP,
        "Action": action,
        "Resource": resource,
        "Condition": {"StringNotEquals": {"aws:SourceAccount": _OWNER}},
    }


# --- the rules -----------------------------------------------------------------------------------

RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        id="DG001",
        slug="unguarded-service-grant",
        severity="high",
        severities=("high", "medium", "info"),
        title="AWS service granted access with no condition on the source",
        summary=(
            "An Allow grants an AWS service principal and no condition binds the resource the "
            "service acts for. Any account can point that service at this resource (confused "
            "deputy): a trail, topic or alarm of a stranger is allowed."
        ),
        help=f"""\
**Why it is dangerous.** A service principal such as `cloudtrail.amazonaws.com` is not an IAM
identity of your account: it acts for whichever customer configured it. When a resource policy
allows the service without naming the *source* (the trail, topic, alarm… that triggers the call),
any AWS customer can configure their resource to read from or write to yours.

**How AWS evaluates it.** For a service-principal request the resource policy alone decides
(identity policies and SCPs do not apply, spec §5.2, §5.3); the service passes the source in
`aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOrgID` and `aws:SourceOrgPaths` (§6.1, §6.2).
The finding carries a request from a foreign source that the engine allows. The grant may reach
the service through a list, a regional (`service.region.amazonaws.com`) or `amazonaws.com.cn`
name, `"*"` or `NotPrincipal`; a `Condition` that only tests unrelated keys (`s3:x-amz-acl`,
`aws:SecureTransport`, `aws:PrincipalServiceName`) is no guard, and neither is a `Deny` that does
not test the source. AWS:
[confused deputy prevention]({_CONFUSED_DEPUTY}),
[global condition keys]({_GLOBAL_KEYS}); Access Analyzer reports
`RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL` ([policy checks]({_CHECKS})).

**How to fix.** Add the narrowest source condition that still admits your integration:
`ArnEquals`/`ArnLike` on `aws:SourceArn` with your account in the ARN, and/or `StringEquals` on
`aws:SourceAccount`; for a whole organization `StringEquals aws:SourceOrgID`, or an RCP that
guards every resource at once (§6.4). Keep log-delivery `Resource`s pinned to
`…/AWSLogs/<your-account>/*`.

**What does not fire (or fires lower).** Trust policies for services whose role use is gated by
`iam:PassRole` in your account (`lambda.amazonaws.com`, `ec2.amazonaws.com`,
`ecs-tasks.amazonaws.com`, …) send no source keys: `info`, not `high` (§6.5). A log-delivery
grant whose `Resource` is pinned to your own `AWSLogs/<account-id>/` prefix is limited by the
service's path convention: `medium`. A grant protected by a correct `Deny` guard or an RCP in the
organization model does not fire (DG017 covers incomplete guards). Grants to IAM principals of
your own account are out of scope.""",
        bad_example=_policy(*_trail_statements(None)),
        good_example=_policy(*_trail_statements(_TRAIL_GUARD)),
        example_type="resource",
        spec="§5.2, §6",
    ),
    RuleInfo(
        id="DG002",
        slug="forallvalues-vacuous",
        severity="high",
        title="ForAllValues on aws:SourceOrgPaths is true when the key is absent",
        summary=(
            "`ForAllValues:…` on the multivalued `aws:SourceOrgPaths` in an Allow, without "
            '`"Null": {"aws:SourceOrgPaths": "false"}`, is vacuously true when the key is '
            "missing: sources in no organization and calls without source keys are allowed."
        ),
        help=f"""\
**Why it is dangerous.** `ForAllValues` asks "does every value match?" - and for an empty or
missing set the answer is yes. A source account that is in no organization sends
`aws:SourceAccount` but no `aws:SourceOrgPaths`, so the guard meant to admit your organization
admits it.

**How AWS evaluates it.** `ForAllValues:<op>` is true for a missing key, an empty list or an empty
string; `ForAnyValue:<op>` is false in the same cases (spec §3.2, vectors #50, #52, #61). AWS:
[single- vs multivalued keys]({_MULTIVALUED}),
[multivalued key examples]({_MULTI_EXAMPLES}).

**How to fix.** In an Allow use `ForAnyValue:StringLike` (or `ForAnyValue:StringEquals`) with
paths that start with your organization id, or keep `ForAllValues` and add
`"Null": {{"aws:SourceOrgPaths": "false"}}` on the same key. A `Null` test on another key (for
example `aws:SourceAccount`) does not help.

**What does not fire.** `ForAllValues:StringNotLike…` in a `Deny` (there, vacuous truth makes the
guard deny missing keys, which is what AWS's own RCP relies on, §6.4), and `ForAllValues` on a
single-valued key (that is DG009).""",
        bad_example=_alarms_to_topic(
            {
                "ForAllValues:StringLike": {
                    "aws:SourceOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"
                }
            }
        ),
        good_example=_alarms_to_topic(
            {
                "ForAnyValue:StringLike": {
                    "aws:SourceOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"
                }
            }
        ),
        example_type="resource",
        spec="§3.2",
    ),
    RuleInfo(
        id="DG003",
        slug="ifexists-fails-open",
        severity="high",
        severities=("high", "medium"),
        title="…IfExists on a source key in an Allow fails open",
        summary=(
            "An `…IfExists` operator on a source key in an Allow is true when the key is absent, "
            "so a service call that carries no source keys is allowed. `ForAnyValue` combined "
            "with `IfExists` has undocumented semantics and is reported as medium."
        ),
        help=f"""\
**Why it is dangerous.** `IfExists` means "check the value only if there is one". Not every
integration sends every source key, and a call without them passes the guard.

**How AWS evaluates it.** With the key present, `<op>IfExists` behaves like `<op>`; with the key
absent it is true (spec §2.7, vectors #10-#12). Under a set operator,
`ForAnyValue:<op>IfExists` on a missing key is undocumented: IfExists says true, ForAnyValue says
false (§3.5, UNCONFIRMED) - reported as `medium`. AWS:
[condition operators, …IfExists]({_OPERATORS}).

**How to fix.** Drop `IfExists` in an Allow (`StringEquals`, `ArnLike`, …), or add
`"Null": {{"<key>": "false"}}` for the same key so the key must be present.

**What does not fire.** `…IfExists` in a `Deny` (a negated IfExists still denies a missing key,
which is the intended fail-closed behaviour, §2.7, vector #7); an IfExists whose key is forced to
be present by a `Null: false` test.""",
        bad_example=_trail_write({"StringEqualsIfExists": {"aws:SourceAccount": _OWNER}}),
        good_example=_trail_write({"StringEquals": {"aws:SourceAccount": _OWNER}}),
        example_type="resource",
        spec="§2.7, §3.5",
    ),
    RuleInfo(
        id="DG004",
        slug="overbroad-source-pattern",
        severity="high",
        title="Source pattern matches sources outside the trusted set",
        summary=(
            "A wildcard or pattern on a source key matches foreign sources: a wildcarded account "
            "in `aws:SourceArn`, any wildcard on `aws:SourceAccount`/`aws:SourceOrgID`, an S3 "
            "name pattern, or a `StringLike` whose `*` crosses `:`. One broad value among "
            "several is enough, because values are OR-ed."
        ),
        help=f"""\
**Why it is dangerous.** The pattern is the whole guard: whoever can create a resource whose ARN
matches it can use the grant. Resource names are chosen by their owner, so `…:*:alerts` admits
every account's `alerts` topic, and `arn:aws:s3:::logs-*` admits every bucket someone names
`logs-<anything>` (S3 ARNs have no account field).

**How AWS evaluates it.** `ArnLike`/`ArnEquals` compare the six colon-separated components one by
one and honour `*`/`?` inside each; `StringLike` works on the whole text, so its `*` also crosses
`:` and the account id becomes a mere substring (spec §2.5, §2.6, vectors #39, #40, #43). Values
of one key are OR-ed (§2.9). `aws:SourceAccount` and `aws:SourceOrgID` are "sensitive" keys for
which AWS knows no valid wildcard use (§6.3, Access Analyzer `WILDCARD_USAGE_TOO_PERMISSIVE`).
AWS: [condition operators]({_OPERATORS}), [ARN format]({_ARNS}),
[policy checks]({_CHECKS}).

**How to fix.** Pin the account component (`arn:aws:sns:*:111122223333:*`), use full ARNs where
you can, use `ArnLike` rather than `StringLike`, and pair any pattern without an account field
with `StringEquals aws:SourceAccount`.

**What does not fire.** A broad `aws:SourceArn` pattern AND-ed with a pinned `aws:SourceAccount`
or `aws:SourceOrgID` (operators and keys are AND-ed, §2.9); wildcards in the Region or resource
components when the account component is literal and trusted.""",
        bad_example=_sns_to_queue({"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:*:alerts"}}),
        good_example=_sns_to_queue({"ArnLike": {"aws:SourceArn": _SOURCE_TOPIC}}),
        example_type="resource",
        spec="§2.5, §2.6, §6.3",
    ),
    RuleInfo(
        id="DG005",
        slug="never-matches",
        severity="low",
        title="Source condition can never be true",
        summary=(
            "The condition cannot match any real request, so the grant is dead: a literal `*` "
            "under StringEquals, a value in the wrong case under a case-sensitive operator, an "
            "account or organization id in an impossible format, or the same key twice in "
            "different case."
        ),
        help=f"""\
**Why it matters.** Nothing is exposed, but the policy does not do what its author meant: the
integration silently fails, and the usual "fix" is to delete the guard.

**How AWS evaluates it.** `StringEquals`/`StringEqualsIfExists` do not interpret `*` or `?`
(spec §2.5, vector #37; Access Analyzer `WILDCARD_WITHOUT_LIKE_OPERATOR`); values are
case-sensitive except under `…IgnoreCase` (§2.3, vector #22); account ids are 12 digits and
organization ids match `o-[a-z0-9]{{10,32}}` (§6.1, §8); condition key names are case-insensitive,
so `aws:SourceAccount` and `AWS:SourceAccount` in one block are the same key twice, AND-ed
(§1.9; Access Analyzer `DUPLICATE_KEYS_WITH_DIFFERENT_CASE`, §1.11). AWS:
[condition operators]({_OPERATORS}), [condition element]({_CONDITION}),
[policy checks]({_CHECKS}).

**How to fix.** Use `StringLike`/`ArnLike` for patterns, write ARNs in their canonical lower
case, write account ids without hyphens and organization ids with `o-`, and keep one spelling per
key.

**What does not fire.** Values that are merely unusual but possible (a topic named `Alerts`);
JSON numbers for account ids (quotes are optional for numbers, §1.9).""",
        bad_example=_sns_to_queue({"StringEquals": {"aws:SourceAccount": "1111-2222-3333"}}),
        good_example=_sns_to_queue({"StringEquals": {"aws:SourceAccount": _OWNER}}),
        example_type="resource",
        spec="§2.3, §2.5, §1.11",
    ),
    RuleInfo(
        id="DG006",
        slug="prefer-arn-operator",
        severity="info",
        title="Use an ARN operator for aws:SourceArn",
        summary=(
            "A `String*` operator compares `aws:SourceArn`. `ArnEquals`/`ArnLike` compare ARNs "
            "component by component and are what AWS recommends for ARN keys."
        ),
        help=f"""\
**Why it matters.** With exact values `StringEquals` and `ArnEquals` agree, so nothing is exposed
today; but the first wildcard added to a `StringLike` can cross `:` and turn the account id into a
substring (DG004).

**How AWS evaluates it.** ARN operators split the value into six components and match each
separately; `StringLike` matches the whole text (spec §2.6, §6.3, vectors #39/#40). Access
Analyzer reports `STRING_LIKE_OPERATOR_WITH_ARN_CONDITION_KEYS`. AWS's own CloudTrail bucket
policy uses `StringEquals` on the trail ARN ([CloudTrail bucket policy]({_CLOUDTRAIL})).
AWS: [global condition keys, aws:SourceArn]({_GLOBAL_KEYS}), [policy checks]({_CHECKS}).

**How to fix.** Replace `StringEquals` by `ArnEquals` and `StringLike` by `ArnLike`.

**What does not fire.** ARN operators; string operators on keys that are not ARNs.""",
        bad_example=_sns_to_queue({"StringEquals": {"aws:SourceArn": _SOURCE_TOPIC}}),
        good_example=_sns_to_queue({"ArnEquals": {"aws:SourceArn": _SOURCE_TOPIC}}),
        example_type="resource",
        spec="§6.3",
    ),
    RuleInfo(
        id="DG007",
        slug="source-key-misplaced",
        severity="low",
        title="Source key in a policy type where it is never present",
        summary=(
            "A source key appears in an identity policy, permissions boundary, session policy or "
            "SCP. Those are evaluated only for IAM principals, whose requests never carry source "
            "keys: an Allow never matches, and an SCP Deny with a negated operator blocks every "
            "IAM principal."
        ),
        help=f"""\
**Why it matters.** The author meant a confused-deputy guard, but the policy type is evaluated
for the wrong caller: SCPs restrict only IAM users and roles of member accounts and never a
service principal, identity-based policies attach to IAM identities (spec §5.2, §5.3). The guard
protects nothing, and a negated Deny (`StringNotEquals aws:SourceOrgID …`) is true for every IAM
request, so it denies your own administrators.

**How AWS evaluates it.** The four source keys are "included in the request context only when
the call to your resource is being made directly by an AWS service principal" (§5.5, §6.2); in
an identity policy or SCP a positive operator on them is always false and a negated one always
true. AWS: [global condition keys]({_GLOBAL_KEYS}), [SCPs]({_SCPS}), [RCPs]({_RCPS}),
[confused deputy prevention]({_CONFUSED_DEPUTY}).

**How to fix.** Put the guard where the service principal is evaluated: in the resource policy,
or organization-wide in a resource control policy (RCP) - AWS's shape is a `Deny` with
`StringNotEqualsIfExists aws:SourceOrgID`, `"Null": {{"aws:SourceAccount": "false"}}` and
`"Bool": {{"aws:PrincipalIsAWSService": "true"}}` (§6.4). In SCPs and identity policies use the
principal-side keys (`aws:ResourceOrgID`, `aws:ResourceAccount`).

**What does not fire.** Source keys in resource policies, role trust policies and RCPs.""",
        bad_example=_policy(
            {
                "Sid": "ConfusedDeputyGuard",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:SourceOrgID": _ORG}},
            }
        ),
        good_example=_policy(
            {
                "Sid": "OnlyOrganizationResources",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": _ORG}},
            }
        ),
        example_type="scp",
        spec="§5.5",
    ),
    RuleInfo(
        id="DG008",
        slug="missing-set-operator",
        severity="medium",
        title="Multivalued aws:SourceOrgPaths without ForAnyValue/ForAllValues",
        summary=(
            "A single-valued operator is used on the multivalued `aws:SourceOrgPaths`. AWS "
            "requires a set operator (Access Analyzer `MISSING_QUALIFIER`) and does not document "
            "what the unqualified form does at run time."
        ),
        help=f"""\
**Why it matters.** The guard's behaviour is unspecified: it may match nothing (the integration
breaks) or behave as `ForAnyValue`. No counterexample is known, so the finding is `medium`.

**How AWS evaluates it.** `aws:SourceOrgPaths` is a String list; multivalued keys need
`ForAnyValue:`/`ForAllValues:`; the result of a plain operator on a list is UNCONFIRMED (spec
§3.3, §3.4, vector #65). AWS: [single- vs multivalued keys]({_MULTIVALUED}),
[policy checks]({_CHECKS}).

**How to fix.** In an Allow use `ForAnyValue:StringLike` (or `ForAnyValue:StringEquals`); in a
Deny use `ForAllValues:StringNotLike`.

**What does not fire.** Plain operators on the single-valued source keys (`aws:SourceArn`,
`aws:SourceAccount`, `aws:SourceOrgID`).""",
        bad_example=_alarms_to_topic(
            {"StringLike": {"aws:SourceOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}
        ),
        good_example=_alarms_to_topic(
            {
                "ForAnyValue:StringLike": {
                    "aws:SourceOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"
                }
            }
        ),
        example_type="resource",
        spec="§3.3",
    ),
    RuleInfo(
        id="DG009",
        slug="set-operator-on-single-valued-key",
        severity="high",
        severities=("high", "info"),
        title="Set operator on a single-valued source key",
        summary=(
            "`ForAllValues:…` on `aws:SourceArn`, `aws:SourceAccount` or `aws:SourceOrgID` in an "
            "Allow is vacuously true when the key is absent (high). `ForAnyValue:…` there behaves "
            "like the plain operator (info)."
        ),
        help=f"""\
**Why it is dangerous.** Set operators treat a single value as a one-element set, and
`ForAllValues` of a missing set is true: a call without source keys passes the guard.

**How AWS evaluates it.** A present value behaves like a one-element set; missing ⇒
`ForAllValues` true, `ForAnyValue` false (spec §3.3, vectors #63/#64). Access Analyzer reports
`FORALLVALUES_WITH_SINGLE_VALUED_KEY` and KMS refuses such key policies
(`OverlyPermissiveCondition`). AWS: [single- vs multivalued keys]({_MULTIVALUED}),
[policy checks]({_CHECKS}).

**How to fix.** Drop the set prefix: `StringEquals`, `ArnLike`, ….

**What does not fire (or fires as info).** `ForAnyValue:` on a single-valued key is reported as
`info` only: it is equivalent to the plain operator. Set operators on `aws:SourceOrgPaths` are
DG002/DG008 territory.""",
        bad_example=_trail_write({"ForAllValues:StringEquals": {"aws:SourceAccount": _OWNER}}),
        good_example=_trail_write({"StringEquals": {"aws:SourceAccount": _OWNER}}),
        example_type="resource",
        spec="§3.3",
    ),
    RuleInfo(
        id="DG010",
        slug="untrusted-source",
        severity="high",
        title="Source condition names an account or organization outside the trusted set",
        summary=(
            "A source value pins the grant to an account or organization that is neither the "
            "owner, a member of the owner's organization, nor explicitly trusted. One such value "
            "among several is enough, because values are OR-ed."
        ),
        help=f"""\
**Why it is dangerous.** The guard is well-formed, but it lets in someone you did not decide to
trust - often a leftover from a migration, a copy-paste from another account, or a typo in an
account id.

**How AWS evaluates it.** Values of one key are OR-ed (spec §2.9); `aws:SourceAccount`,
`aws:SourceOrgID`, `aws:SourceOrgPaths` and the account component of `aws:SourceArn` identify the
source owner (§6.1). The trusted set is the owner account, every account of the owner's
organization (when an organization model is given; without one, the owner alone) and the accounts
and organizations passed as trusted. AWS: [global condition keys]({_GLOBAL_KEYS}),
[confused deputy prevention]({_CONFUSED_DEPUTY}).

**How to fix.** Remove the value, or - if the partner is legitimate - declare it trusted
(`--trusted-account`, `--trusted-org`, or `trusted_accounts` in the organization model).

**What does not fire.** Accounts of the organization model, trusted accounts and organizations;
values that cannot occur at all (DG005).""",
        bad_example=_sns_to_queue(
            {"StringEquals": {"aws:SourceAccount": [_OWNER, "999988887777"]}}
        ),
        good_example=_sns_to_queue({"StringEquals": {"aws:SourceAccount": [_OWNER]}}),
        example_type="resource",
        spec="§6",
    ),
    RuleInfo(
        id="DG011",
        slug="key-not-sent",
        severity="medium",
        title="Guard relies on a key the integration does not send",
        summary=(
            "The only source guard uses a key that the granted integration is documented not to "
            "send, such as `aws:SourceOrgID` for Elastic Load Balancing access-log delivery in "
            "some Regions. Nothing foreign gets in, but the integration silently stops working."
        ),
        help=f"""\
**Why it matters.** A guard that breaks the integration tends to be deleted in a hurry, leaving
the grant open. Which keys a service sends is per integration; AWS publishes no central list
(spec §6.5), so deputyguard keeps a versioned table with the source of each fact.

**How AWS evaluates it.** A positive operator on a missing key is false (§2.4): every delivery
is denied. ELB access logging does not populate `aws:SourceOrgID` in some Regions (§6.5, AWS
[data perimeter examples]({_DATA_PERIMETER})); cross-service keys are present only when a
service principal calls on behalf of a resource (§6.2, [global condition keys]({_GLOBAL_KEYS})).

**How to fix.** Guard with a key the integration sends - for ELB, `ArnLike aws:SourceArn
arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/*` - and keep the `Resource` pinned
to `…/AWSLogs/<account-id>/*`.

**What does not fire.** Keys the integration is documented to send, and integrations whose key
support is unknown (reported as unknown, not as missing).""",
        bad_example=_policy(
            _allow(
                _ELB_SP,
                "s3:PutObject",
                "arn:aws:s3:::example-bucket/alb/AWSLogs/111122223333/*",
                {"StringEquals": {"aws:SourceOrgID": _ORG}},
            )
        ),
        good_example=_policy(
            _allow(
                _ELB_SP,
                "s3:PutObject",
                "arn:aws:s3:::example-bucket/alb/AWSLogs/111122223333/*",
                {
                    "ArnLike": {
                        "aws:SourceArn": (
                            "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/*"
                        )
                    }
                },
            )
        ),
        example_type="resource",
        spec="§6.5",
    ),
    RuleInfo(
        id="DG012",
        slug="negated-guard-in-allow",
        severity="high",
        title="Negated operator on a source key in an Allow",
        summary=(
            "`StringNotEquals`, `ArnNotLike` and the other negated operators in an Allow match "
            "every value except the listed ones, and also a request without the key: a block "
            "list is no guard."
        ),
        help=f"""\
**Why it is dangerous.** "Allow unless the source is X" admits every other account in the world,
and every call that carries no source keys.

**How AWS evaluates it.** A negated operator is true when the key is absent, and its values are
NOR-ed: true only if the request value matches none of them (spec §2.4, §2.9, vectors #4, #5,
#27, #28). AWS: [condition operators]({_OPERATORS}),
[multiple keys and values]({_LOGIC}).

**How to fix.** In an Allow use the positive operator with the values you trust (`StringEquals
aws:SourceAccount <your account>`). Negated operators belong in `Deny` guards, where their
behaviour on a missing key fails closed.

**What does not fire.** Negated operators in `Deny` statements, RCPs and the negated
`…IfExists` form in a Deny (AWS's own confused-deputy RCP, §6.4).""",
        bad_example=_trail_write({"StringNotEquals": {"aws:SourceAccount": "999988887777"}}),
        good_example=_trail_write({"StringEquals": {"aws:SourceAccount": _OWNER}}),
        example_type="resource",
        spec="§2.4",
    ),
    RuleInfo(
        id="DG013",
        slug="allow-with-notprincipal",
        severity="critical",
        severities=("critical", "high"),
        title="Allow with NotPrincipal grants everyone not listed",
        summary=(
            "`Allow` with `NotPrincipal` grants every principal except the ones named: "
            "anonymous callers and any IAM principal (critical), or at least every other AWS "
            "service acting for any source (high)."
        ),
        help=f"""\
**Why it is dangerous.** `NotPrincipal` inverts the principal match. In an Allow that means
"everyone else", including anonymous users and every AWS service.

**How AWS evaluates it.** `NotPrincipal` is supported only with `Deny`; Access Analyzer reports
`ALLOW_WITH_NOT_PRINCIPAL` (spec §1.6, §5.6, vector #89). Severity is `critical` when the
counterexample is an anonymous or foreign IAM caller, `high` when conditions limit it to service
principals. AWS: [NotPrincipal]({_NOT_PRINCIPAL}), [Principal]({_PRINCIPAL}),
[policy checks]({_CHECKS}).

**How to fix.** Name the principals you mean in `Principal`. To exempt principals from a Deny,
AWS recommends `Principal: "*"` with `ArnNotEquals aws:PrincipalArn` or
`StringNotEqualsIfExists aws:PrincipalServiceName` instead of `NotPrincipal`.

**What does not fire.** `Deny` with `NotPrincipal` (documented, if discouraged).""",
        bad_example=_policy(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Blocked"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::example-bucket/*",
            }
        ),
        good_example=_policy(
            _allow(
                {"AWS": "arn:aws:iam::111122223333:role/Reader"},
                "s3:GetObject",
                "arn:aws:s3:::example-bucket/*",
            )
        ),
        example_type="resource",
        spec="§5.6",
    ),
    RuleInfo(
        id="DG014",
        slug="global-name-without-account",
        severity="medium",
        title="Source ARN without an account field and no aws:SourceAccount",
        summary=(
            "`aws:SourceArn` names a resource whose ARN carries no account (an S3 bucket) and "
            "nothing pins `aws:SourceAccount`. If the bucket is ever deleted, another account "
            "can register the same name and inherit the grant."
        ),
        help=f"""\
**Why it matters.** Bucket names are global and reusable; the ARN `arn:aws:s3:::example-bucket`
says nothing about who owns the bucket today.

**How AWS evaluates it.** S3 bucket ARNs have empty Region and account components (spec §6.1,
§7); AWS: "when `aws:SourceArn` does not contain the account ID, use both keys" (§6.1,
[global condition keys]({_GLOBAL_KEYS}), [confused deputy prevention]({_CONFUSED_DEPUTY})).
No counterexample exists while you own the bucket, so the finding is `medium`.

**How to fix.** Add `"StringEquals": {{"aws:SourceAccount": "<bucket owner>"}}`.

**What does not fire.** Source ARNs with an account component; S3 name patterns with wildcards
(anyone can create a matching bucket today: DG004, high).""",
        bad_example=_policy(
            _allow(_S3_SP, "sns:Publish", _TOPIC, {"ArnLike": {"aws:SourceArn": _BUCKET}})
        ),
        good_example=_policy(
            _allow(
                _S3_SP,
                "sns:Publish",
                _TOPIC,
                {
                    "ArnLike": {"aws:SourceArn": _BUCKET},
                    "StringEquals": {"aws:SourceAccount": _OWNER},
                },
            )
        ),
        example_type="resource",
        spec="§6.1",
    ),
    RuleInfo(
        id="DG015",
        slug="variable-in-source-key",
        severity="high",
        severities=("high", "info"),
        title="Policy variable in a source-key condition",
        summary=(
            "A source key compared with a policy variable that resolves to the request's own "
            "source (`${aws:SourceAccount}`) matches every source (high). A variable that binds "
            "to the owner, such as `${aws:ResourceAccount}`, works but is flagged by Access "
            "Analyzer (info)."
        ),
        help=f"""\
**Why it is dangerous.** `"aws:SourceAccount": "${{aws:SourceAccount}}"` compares the key with
itself: whatever account the source belongs to, the condition holds.

**How AWS evaluates it.** Variables are substituted from the request context before comparison
(spec §4, `Version` 2012-10-17 only); `aws:SourceAccount` and `aws:SourceOrgID` are sensitive
keys for which Access Analyzer rejects variables (`VARIABLE_USAGE_TOO_PERMISSIVE`, §6.3, vector
#108). AWS: [policy variables]({_VARIABLES}), [policy checks]({_CHECKS}).

**How to fix.** Compare with literal values: your account id, organization id or source ARN.

**What does not fire (or fires as info).** `${{aws:ResourceAccount}}` (or another key that
resolves to the owner) is reported as `info`: correct at evaluation time, but Access Analyzer
refuses it on sensitive keys. Under `"Version": "2008-10-17"` or without `Version`, `${{…}}` is
literal text (§1.2).""",
        bad_example=_trail_write({"StringEquals": {"aws:SourceAccount": "${aws:SourceAccount}"}}),
        good_example=_trail_write({"StringEquals": {"aws:SourceAccount": _OWNER}}),
        example_type="resource",
        spec="§4, §6.3",
    ),
    RuleInfo(
        id="DG016",
        slug="public-grant",
        severity="critical",
        title="Principal * with nothing that excludes foreign callers",
        summary=(
            '`Principal: "*"` (or `{"AWS": "*"}`) with no condition that excludes foreign IAM '
            "principals and anonymous callers: anyone may call the granted actions."
        ),
        help=f"""\
**Why it is dangerous.** `"*"` is every principal: anonymous users, IAM principals of every
account, and AWS services.

**How AWS evaluates it.** `"*"` and `{{"AWS": "*"}}` match everyone including anonymous callers
(spec §1.6, §5.2). A condition protects only if it is false for foreign IAM and anonymous
callers - for example `aws:PrincipalOrgID` (absent for anonymous callers and service
principals, §6.6, vector #84) or a positive test on a source key (absent for every non-service
caller, §5.5). AWS: [Principal]({_PRINCIPAL}), [global condition keys]({_GLOBAL_KEYS}).

**How to fix.** Name the principals, or add `StringEquals aws:PrincipalOrgID <your org>`; if AWS
services must also get in, give them their own statement with a source guard.

**What does not fire.** `"*"` with `aws:PrincipalOrgID`, `aws:SourceArn`, `aws:SourceAccount`
(positive operators) or an equivalent guard that no foreign caller can satisfy.""",
        bad_example=_policy(_allow("*", "s3:GetObject", "arn:aws:s3:::example-bucket/*")),
        good_example=_policy(
            _allow(
                "*",
                "s3:GetObject",
                "arn:aws:s3:::example-bucket/*",
                {"StringEquals": {"aws:PrincipalOrgID": _ORG}},
            )
        ),
        example_type="resource",
        spec="§5.2",
    ),
    RuleInfo(
        id="DG017",
        slug="incomplete-deny-guard",
        severity="high",
        title="Deny guard does not cover the unguarded Allow",
        summary=(
            "A Deny statement meant to protect an unguarded Allow misses an action, resource or "
            "principal the Allow grants, or uses an operator that is false for an absent key "
            "(`ForAnyValue:…Not…`): requests outside the guard are still allowed."
        ),
        help=f"""\
**Why it is dangerous.** A correct Deny guard can protect an unguarded Allow, but only for the
requests it matches. Whatever the Allow grants outside the Deny's principal, action and resource
scope - or whatever the Deny's condition is false for - stays open.

**How AWS evaluates it.** An explicit Deny wins only for requests it applies to (spec §5.1).
`ForAnyValue:<negated>` is false for a missing key, so `Deny` + `ForAnyValue:StringNotLike
aws:SourceOrgPaths` lets through sources in no organization (§3.2, vector #58); negated
operators and `ForAllValues:…Not…` are true for a missing key and fail closed (§2.4, vectors #6,
#7, #57). Action names are case-insensitive, service principal names are matched exactly
(§2.3). AWS: [Deny and Allow evaluation]({_DENY_ALLOW}), [condition operators]({_OPERATORS}).

**How to fix.** Give the Deny the same principals, actions and resources as the Allow (or
broader ones), with `StringNotEquals`, `…IfExists` or `ForAllValues:StringNotLike` conditions;
or, simpler, put the guard on the Allow itself.

**What does not fire.** A Deny guard whose scope covers the Allow and whose condition is true for
every untrusted source and for a missing key; an unrelated Deny (then DG001 fires for the
Allow).""",
        bad_example=_policy(
            *_trail_statements(None),
            _deny_foreign_trails("s3:PutObject", _LOGS),
        ),
        good_example=_policy(
            *_trail_statements(None),
            _deny_foreign_trails(["s3:GetBucketAcl", "s3:PutObject"], [_BUCKET, _LOGS]),
        ),
        example_type="resource",
        spec="§2.4, §3.2",
    ),
    RuleInfo(
        id="DG018",
        slug="account-list-scales-poorly",
        severity="info",
        title="Account list that an organization key would express",
        summary=(
            "A source guard enumerates accounts (or per-account `aws:SourceArn` patterns) that "
            "all lie in one organization or OU. `aws:SourceOrgID` or `aws:SourceOrgPaths` say "
            "the same, stay correct as accounts join and leave, and keep the policy small."
        ),
        help=f"""\
**Why it matters.** Lists drift: accounts are added to the organization and not to the policy
(the integration breaks), or leave it and stay trusted. Resource policies also have size limits
(S3 20 KB, SQS 8 KB; spec §1.10).

**How AWS evaluates it.** `aws:SourceOrgID` is the organization of the source owner;
`aws:SourceOrgPaths` its entity path, e.g. `o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/` (spec §6.1,
§8); AWS recommends them for organization-wide guards (§6.3). AWS:
[global condition keys]({_GLOBAL_KEYS}), [entity paths]({_ENTITY_PATH}).

**How to fix.** `"StringEquals": {{"aws:SourceOrgID": "o-…"}}` for the whole organization, or
`"ForAnyValue:StringLike": {{"aws:SourceOrgPaths": "o-…/r-…/ou-…/*"}}` for one OU and its
children. Check the integration sends the key (DG011).

**What does not fire.** A single account; lists that mix organization accounts with outside
partners; runs without an organization model.""",
        bad_example=_sns_to_queue(
            {"StringEquals": {"aws:SourceAccount": [_OWNER, "222233334444", "333344445555"]}}
        ),
        good_example=_sns_to_queue({"StringEquals": {"aws:SourceOrgID": _ORG}}),
        example_type="resource",
        spec="§6.3, §8",
    ),
    RuleInfo(
        id="DG019",
        slug="org-path-pattern-mismatch",
        severity="medium",
        title="Organization path pattern does not select what it seems to",
        summary=(
            "An `aws:SourceOrgPaths` value cannot match any entity path of the organization "
            "model, omits the organization id, or selects a different set than its shape "
            "suggests (direct members, the OU and its descendants, or descendants only)."
        ),
        help=f"""\
**Why it matters.** Organization paths are easy to get subtly wrong: a child OU written as if it
sat under the root matches nobody, and a path without the organization id relies on OU and root
ids that are unique only within one organization.

**How AWS evaluates it.** An entity path is `o-…/r-…/ou-…/…/` with a trailing `/`. An exact
path selects the accounts directly in that OU; `…/ou-x/*` the OU and all its descendants;
`…/ou-x/ou-*` the descendants only (spec §8, vectors #53-#55). OU and root ids are unique only
within an organization, so always include the organization id (§6.3). AWS:
[global condition keys, aws:SourceOrgPaths]({_GLOBAL_KEYS}), [entity paths]({_ENTITY_PATH}).

**How to fix.** Write the full path from the organization id down, as `deputyguard org show`
prints it, and check the selection with `deputyguard org match --key aws:SourceOrgPaths`.

**What does not fire.** Paths that match accounts of the model with the shape used; runs without
an organization model (only the missing organization id is reported then).""",
        bad_example=_alarms_to_topic(
            {
                "ForAnyValue:StringEquals": {
                    "aws:SourceOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/"
                }
            }
        ),
        good_example=_alarms_to_topic(
            {
                "ForAnyValue:StringEquals": {
                    "aws:SourceOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"
                }
            }
        ),
        example_type="resource",
        spec="§8",
    ),
    RuleInfo(
        id="DG020",
        slug="unknown-value-in-guard",
        severity="medium",
        title="Cannot verify: the grant's safety depends on a value unknown before deployment",
        summary=(
            "A template grants a service and the guard, principal or action depends on a value "
            "that is only known at deployment (a parameter without a default, a Terraform "
            "variable): for some values a foreign source is allowed."
        ),
        help=f"""\
**Why it matters.** `SourceAccount: !Ref PeerAccount` is safe when the deployer passes the right
account and a confused deputy when they pass anything else. A checker that resolves the value to
"probably fine" passes it silently; one that assumes the worst cries wolf. deputyguard says it
cannot verify the grant and shows what it would be for a bad value.

**How AWS evaluates it.** The deployed policy holds the value passed at deployment; the source
keys are compared with it as in any policy (spec §6). deputyguard reads the policy twice: once
with every unknown granting least and once granting most. A counterexample of the first reading
is reported as the rule that explains it (it holds for every value); one that only the second
reading has is DG020, at the unknown value. AWS:
[confused deputy prevention]({_CONFUSED_DEPUTY}).

**How to fix.** Give the parameter or variable a default (deputyguard then checks that value),
or write the guard with values the template knows: `${{AWS::AccountId}}`,
`data.aws_caller_identity.current.account_id`, `aws:SourceOrgID` of your organization.

**What does not fire.** Unknown values that cannot change the decision: names of the template's
own resources in `Resource`, or an unknown value next to a known guard that already excludes
foreign sources.""",
        bad_example=_sns_to_queue({"StringEquals": {"aws:SourceAccount": "deputyguard-unknown-1"}}),
        good_example=_sns_to_queue({"StringEquals": {"aws:SourceAccount": [_OWNER]}}),
        example_type="resource",
        spec="§6",
    ),
)

_INDEX: dict[str, RuleInfo] = {
    **{info.id.lower(): info for info in RULES},
    **{info.slug: info for info in RULES},
}


def rule(id_or_slug: str) -> RuleInfo:
    """The rule with this id ("DG002", "dg002") or slug ("forallvalues-vacuous"), any case.

    Raises KeyError naming the closest known ids and slugs.
    """
    key = id_or_slug.strip().lower()
    found = _INDEX.get(key)
    if found is not None:
        return found
    close = difflib.get_close_matches(key, list(_INDEX), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise KeyError(
        f"unknown rule {id_or_slug!r}: expected an id {RULES[0].id}…{RULES[-1].id} or a slug "
        f"such as {RULES[0].slug!r}{hint}"
    )
