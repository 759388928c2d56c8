"""What the resources of the same stack are called: CloudFormation's "Return values".

`Ref` and `Fn::GetAtt` of a resource in the template resolve to the name or ARN CloudFormation
returns, in the deploying account and the symbolic Region; where the template leaves the
physical name to CloudFormation, a stable symbolic name stands in (`stack-<logical id>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from deputyguard.policy.jsontext import Position
from deputyguard.sources.cloudformation.nodes import MAP, SCALAR, SEQ, Node
from deputyguard.sources.cloudformation.values import text, where
from deputyguard.sources.iac import SYMBOLIC_REGION, UnknownValues

__all__ = ["KINDS", "STACK_NAME", "STACK_UUID", "ResourceKind", "Template", "partition_of"]


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """What `Ref` and `Fn::GetAtt` return for one resource type (CloudFormation's "Return
    values"). `{name}` is the physical name, `{p}`/`{r}`/`{a}` partition, Region and account."""

    name: str | None
    ref: str | None
    attrs: Mapping[str, str] = field(default_factory=dict)
    fifo: str | None = None  # property that makes a generated name end in .fifo
    path: bool = False  # IAM: the ARN holds the Path property


_ARN = "arn:{p}"
KINDS: Final[Mapping[str, ResourceKind]] = {
    "AWS::S3::Bucket": ResourceKind(
        "BucketName",
        "{name}",
        {
            "Arn": _ARN + ":s3:::{name}",
            "DomainName": "{name}.s3.amazonaws.com",
            "RegionalDomainName": "{name}.s3.{r}.amazonaws.com",
            "DualStackDomainName": "{name}.s3.dualstack.{r}.amazonaws.com",
            "WebsiteURL": "http://{name}.s3-website-{r}.amazonaws.com",
        },
    ),
    "AWS::SNS::Topic": ResourceKind(
        "TopicName",
        _ARN + ":sns:{r}:{a}:{name}",
        {"TopicArn": _ARN + ":sns:{r}:{a}:{name}", "TopicName": "{name}"},
        fifo="FifoTopic",
    ),
    "AWS::SQS::Queue": ResourceKind(
        "QueueName",
        "https://sqs.{r}.amazonaws.com/{a}/{name}",
        {
            "Arn": _ARN + ":sqs:{r}:{a}:{name}",
            "QueueName": "{name}",
            "QueueUrl": "https://sqs.{r}.amazonaws.com/{a}/{name}",
        },
        fifo="FifoQueue",
    ),
    "AWS::KMS::Key": ResourceKind(
        None, "{name}", {"Arn": _ARN + ":kms:{r}:{a}:key/{name}", "KeyId": "{name}"}
    ),
    "AWS::KMS::Alias": ResourceKind("AliasName", "{name}"),
    "AWS::IAM::Role": ResourceKind(
        "RoleName", "{name}", {"Arn": _ARN + ":iam::{a}:role{path}{name}"}, path=True
    ),
    "AWS::IAM::User": ResourceKind(
        "UserName", "{name}", {"Arn": _ARN + ":iam::{a}:user{path}{name}"}, path=True
    ),
    "AWS::IAM::Group": ResourceKind(
        "GroupName", "{name}", {"Arn": _ARN + ":iam::{a}:group{path}{name}"}, path=True
    ),
    "AWS::IAM::ManagedPolicy": ResourceKind(
        "ManagedPolicyName",
        _ARN + ":iam::{a}:policy{path}{name}",
        {"PolicyArn": _ARN + ":iam::{a}:policy{path}{name}"},
        path=True,
    ),
    "AWS::IAM::InstanceProfile": ResourceKind(
        "InstanceProfileName",
        "{name}",
        {"Arn": _ARN + ":iam::{a}:instance-profile{path}{name}"},
        path=True,
    ),
    "AWS::Lambda::Function": ResourceKind(
        "FunctionName", "{name}", {"Arn": _ARN + ":lambda:{r}:{a}:function:{name}"}
    ),
    "AWS::Serverless::Function": ResourceKind(  # SAM makes an AWS::Lambda::Function of the same id
        "FunctionName", "{name}", {"Arn": _ARN + ":lambda:{r}:{a}:function:{name}"}
    ),
    "AWS::CloudTrail::Trail": ResourceKind(
        "TrailName", "{name}", {"Arn": _ARN + ":cloudtrail:{r}:{a}:trail/{name}"}
    ),
    "AWS::Logs::LogGroup": ResourceKind(
        "LogGroupName", "{name}", {"Arn": _ARN + ":logs:{r}:{a}:log-group:{name}:*"}
    ),
    "AWS::Events::EventBus": ResourceKind(
        "Name", "{name}", {"Arn": _ARN + ":events:{r}:{a}:event-bus/{name}", "Name": "{name}"}
    ),
    "AWS::Events::Rule": ResourceKind("Name", None, {"Arn": _ARN + ":events:{r}:{a}:rule/{name}"}),
    "AWS::SecretsManager::Secret": ResourceKind(
        # Secrets Manager appends six random characters to the name in the ARN.
        "Name",
        _ARN + ":secretsmanager:{r}:{a}:secret:{name}-AbCdEf",
        {"Id": _ARN + ":secretsmanager:{r}:{a}:secret:{name}-AbCdEf"},
    ),
    "AWS::ECR::Repository": ResourceKind(
        "RepositoryName",
        "{name}",
        {
            "Arn": _ARN + ":ecr:{r}:{a}:repository/{name}",
            "RepositoryUri": "{a}.dkr.ecr.{r}.amazonaws.com/{name}",
        },
    ),
    "AWS::StepFunctions::StateMachine": ResourceKind(
        "StateMachineName",
        _ARN + ":states:{r}:{a}:stateMachine:{name}",
        {"Arn": _ARN + ":states:{r}:{a}:stateMachine:{name}", "Name": "{name}"},
    ),
    "AWS::Kinesis::Stream": ResourceKind(
        "Name", "{name}", {"Arn": _ARN + ":kinesis:{r}:{a}:stream/{name}"}
    ),
    "AWS::KinesisFirehose::DeliveryStream": ResourceKind(
        "DeliveryStreamName",
        "{name}",
        {"Arn": _ARN + ":firehose:{r}:{a}:deliverystream/{name}"},
    ),
    "AWS::DynamoDB::Table": ResourceKind(
        "TableName", "{name}", {"Arn": _ARN + ":dynamodb:{r}:{a}:table/{name}"}
    ),
    "AWS::CloudWatch::Alarm": ResourceKind(
        "AlarmName", "{name}", {"Arn": _ARN + ":cloudwatch:{r}:{a}:alarm:{name}"}
    ),
    "AWS::SSM::Parameter": ResourceKind("Name", "{name}"),
}

STACK_NAME: Final = "stack"
STACK_UUID: Final = "00000000-0000-0000-0000-000000000000"


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# -- the template ---------------------------------------------------------------------------------


class Template:
    """The sections of one template that values are resolved against."""

    def __init__(self, root: Node, file: str, owner: str, values: UnknownValues) -> None:
        self.root = root
        self.file = file
        self.owner = owner
        self.values = values
        self.region = SYMBOLIC_REGION
        self.partition = partition_of(self.region)
        self.parameters = _section(root, "Parameters")
        self.resources = _section(root, "Resources")
        self.conditions = _section(root, "Conditions")
        self.mappings = _section(root, "Mappings")
        self._parameter_values: dict[str, Any] = {}

    def where(self, node: Node) -> str:
        return where(self.file, node.position)

    def resource_type(self, logical: str) -> str | None:
        definition = self.resources.get(logical)
        kind = definition.get("Type") if definition is not None else None
        if kind is None or kind.kind != SCALAR or not isinstance(kind.value, str):
            return None
        return kind.value

    def parameter(self, name: str) -> Any:
        """A parameter's value: its default, or an unknown marker (one per parameter)."""
        if name in self._parameter_values:
            return self._parameter_values[name]
        definition = self.parameters[name]
        kind_node = definition.get("Type")
        kind = kind_node.value if kind_node is not None and kind_node.kind == SCALAR else "String"
        kind = kind if isinstance(kind, str) else "String"
        is_list = kind.startswith("List<") or kind == "CommaDelimitedList"
        default = definition.get("Default")
        line = where(self.file, self._parameter_position(name))
        value: Any
        if kind.startswith("AWS::SSM::Parameter::Value<"):
            value = self.values.marker(
                f"parameter {name} is read from SSM Parameter Store at deployment ({line})"
            )
            value = [value] if "List<" in kind or "CommaDelimitedList" in kind else value
        elif default is None or default.tag is not None or default.kind == MAP:
            value = self.values.marker(f"parameter {name} has no default ({line})")
            value = [value] if is_list else value
        elif default.kind == SEQ:
            value = [text(item.value) for item in default.items if item.kind == SCALAR]
        elif is_list:
            joined = text(default.value)
            value = [part.strip() for part in joined.split(",")] if joined else []
        else:
            value = text(default.value)
        self._parameter_values[name] = value
        return value

    def _parameter_position(self, name: str) -> Position:
        section = self.root.get("Parameters")
        member = section.member(name) if section is not None else None
        if member is None:
            return self.root.position
        return section.src.position(member.key_start) if section is not None else self.root.position


def _section(root: Node, name: str) -> dict[str, Node]:
    node = root.get(name) if root.kind == MAP else None
    if node is None or node.kind != MAP or node.tag is not None:
        return {}
    return {m.key: m.value for m in node.members}
