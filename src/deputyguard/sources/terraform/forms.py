"""How each Terraform policy was written (jsonencode, heredoc, data block, …), kept for
`render_fix` since a `PolicySource` does not carry it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deputyguard.sources.policy_files import PolicySource
from deputyguard.sources.terraform.values import Usage

__all__ = ["PolicyForm", "form_of", "remember"]


@dataclass(frozen=True)
class PolicyForm:
    """How a policy was written, so a fix can be printed (or written back) in the same form."""

    kind: str
    """jsonencode, heredoc, string, file, templatefile, data, lambda, expression or plan."""
    attribute: str
    path: Path | None
    start: int
    end: int
    literal: bool
    """Only literal values: the text span can be replaced by the fixed policy."""
    heredoc: str | None = None
    trim: bool = False
    usage: Usage = field(default_factory=Usage)
    caller_declared: str | None = None
    """Label of the module's `data "aws_caller_identity"` block, if it has one."""
    expressions: Mapping[str, str] = field(default_factory=dict)
    references: Mapping[str, str] = field(default_factory=dict)
    """Resource ARNs/URLs → the references that produced them (printed back as such)."""
    label: str | None = None
    kept: tuple[str, ...] = ()
    """aws_lambda_permission: the block's other arguments, verbatim."""


_FORMS: dict[tuple[str, str, str | None], PolicyForm] = {}


def remember(source: PolicySource, form: PolicyForm) -> None:
    """Keep how `source` was written for `render_fix` (sources do not carry it)."""
    _FORMS[(source.file, source.pointer, source.resource)] = form


def form_of(source: PolicySource) -> PolicyForm | None:
    return _FORMS.get((source.file, source.pointer, source.resource))
