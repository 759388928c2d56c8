"""What the module's own resources are called once created: the ARN, URL or id templates of
the resource types policies refer to, filled with the owner, the symbolic Region and the name."""

from __future__ import annotations

from typing import Final

__all__ = ["GENERATED", "GENERATED_NAME", "RESOURCES"]

# Computed attributes of the module's own resources: type → (name argument, attributes).
# Templates use {p} partition, {r} Region, {a} account, {n} the name.
RESOURCES: Final[dict[str, tuple[str | None, dict[str, str]]]] = {
    "aws_sns_topic": ("name", {"arn": "arn:{p}:sns:{r}:{a}:{n}", "id": "arn:{p}:sns:{r}:{a}:{n}"}),
    "aws_sqs_queue": (
        "name",
        {
            "arn": "arn:{p}:sqs:{r}:{a}:{n}",
            "url": "https://sqs.{r}.amazonaws.com/{a}/{n}",
            "id": "https://sqs.{r}.amazonaws.com/{a}/{n}",
        },
    ),
    "aws_s3_bucket": ("bucket", {"arn": "arn:{p}:s3:::{n}", "id": "{n}", "bucket": "{n}"}),
    "aws_kms_key": (None, {"arn": "arn:{p}:kms:{r}:{a}:key/{n}", "key_id": "{n}", "id": "{n}"}),
    "aws_kms_alias": ("name", {"arn": "arn:{p}:kms:{r}:{a}:{n}", "id": "{n}"}),
    "aws_iam_role": ("name", {"arn": "arn:{p}:iam::{a}:role/{n}", "id": "{n}"}),
    "aws_iam_user": ("name", {"arn": "arn:{p}:iam::{a}:user/{n}", "id": "{n}"}),
    "aws_iam_policy": (
        "name",
        {"arn": "arn:{p}:iam::{a}:policy/{n}", "id": "arn:{p}:iam::{a}:policy/{n}"},
    ),
    "aws_lambda_function": (
        "function_name",
        {"arn": "arn:{p}:lambda:{r}:{a}:function:{n}", "id": "{n}"},
    ),
    "aws_cloudtrail": ("name", {"arn": "arn:{p}:cloudtrail:{r}:{a}:trail/{n}", "id": "{n}"}),
    "aws_cloudwatch_log_group": (
        "name",
        {"arn": "arn:{p}:logs:{r}:{a}:log-group:{n}", "id": "{n}"},
    ),
    "aws_ecr_repository": ("name", {"arn": "arn:{p}:ecr:{r}:{a}:repository/{n}", "id": "{n}"}),
    "aws_cloudwatch_event_bus": (
        "name",
        {"arn": "arn:{p}:events:{r}:{a}:event-bus/{n}", "id": "{n}"},
    ),
    "aws_cloudwatch_event_rule": ("name", {"arn": "arn:{p}:events:{r}:{a}:rule/{n}", "id": "{n}"}),
    "aws_cloudwatch_metric_alarm": (
        "alarm_name",
        {"arn": "arn:{p}:cloudwatch:{r}:{a}:alarm:{n}", "id": "{n}"},
    ),
    "aws_dynamodb_table": ("name", {"arn": "arn:{p}:dynamodb:{r}:{a}:table/{n}", "id": "{n}"}),
    "aws_kinesis_stream": ("name", {"arn": "arn:{p}:kinesis:{r}:{a}:stream/{n}", "id": "{n}"}),
    "aws_kinesis_firehose_delivery_stream": (
        "name",
        {"arn": "arn:{p}:firehose:{r}:{a}:deliverystream/{n}", "id": "{n}"},
    ),
    "aws_sfn_state_machine": (
        "name",
        {"arn": "arn:{p}:states:{r}:{a}:stateMachine:{n}", "id": "{n}"},
    ),
    "aws_config_config_rule": (
        "name",
        {"arn": "arn:{p}:config:{r}:{a}:config-rule/{n}", "id": "{n}"},
    ),
    "aws_ssm_parameter": ("name", {"arn": "arn:{p}:ssm:{r}:{a}:parameter/{n}", "id": "{n}"}),
}
# Attributes whose value AWS generates at creation: a marker keeps the known prefix.
GENERATED: Final[dict[str, dict[str, str]]] = {
    "aws_secretsmanager_secret": {
        "arn": "arn:{p}:secretsmanager:{r}:{a}:secret:{n}-",
        "id": "arn:{p}:secretsmanager:{r}:{a}:secret:{n}-",
    },
    "aws_api_gateway_rest_api": {"execution_arn": "arn:{p}:execute-api:{r}:{a}:"},
}
GENERATED_NAME: Final = {"aws_secretsmanager_secret": "name", "aws_api_gateway_rest_api": "name"}
