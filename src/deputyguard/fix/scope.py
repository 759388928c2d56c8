"""The scopes a repair can bind the source to (cli.md `fix --scope`)."""

from enum import StrEnum


class Scope(StrEnum):
    ORG = "org"
    OU = "ou"
    ACCOUNT = "account"
    SOURCE_ARN = "source-arn"
